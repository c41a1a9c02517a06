"""Polarity and modality: a claim must assert what its passage asserts, the way it asserts it.

Word overlap cannot see that "Turkey did not block it" denies "Turkey's veto blocked it", or
that "was ordered to pay $250 million" turns "is seeking $250 million" into a fact. Both checks
compare the claim with the passage sentence that decided its support, and look only at cue
words that govern words the two share (a cue counts when one of the next ``WINDOW`` words, by
lemma, is in the other text), so a "not" in an unrelated clause changes nothing.
"""

from __future__ import annotations

import re
from functools import lru_cache

WINDOW = 6
_WORD = re.compile(r"\d[\d,.]*\d|[a-z0-9]+(?:'[a-z]+)?")  # "4,000" and "3.80" are one word
NEGATIONS = frozenset("not no never neither nor none nobody nothing without cannot n't".split())
# verbs that deny what follows them ("declined to veto", "refused to sign", "denied paying")
DENIALS = frozenset("decline refuse fail deny reject".split())
# attempts, plans, requests, predictions and possibilities: what follows has not (yet) happened
MODALS = frozenset(
    "seek try attempt plan propose intend aim hope want wish ask urge call invite expect consider "
    "threaten may might could would should will shall possible possibly potential potentially likely "
    "allegedly alleged accuse suspect schedule set due poise willing reportedly predict forecast".split())
_STOP = frozenset("the a an of to in on at for by and or is are was were be been being has have had it its this that "
                  "with as from he she they his her their them we you i about into over after before during than".split())


@lru_cache(maxsize=50000)
def _lemma(word: str) -> str:
    import simplemma

    return simplemma.lemmatize(word, lang="en").lower()


def _tokens(text: str) -> list[str]:
    words = _WORD.findall(text.lower().replace("’", "'"))
    out = []
    for w in words:
        if w.endswith("n't"):
            out += [w[:-3], "n't"]
        elif w.endswith("'s"):
            out.append(w[:-2])  # "Wintour's" is about Wintour
        else:
            out.append(w)
    return [_lemma(w) for w in out]


_CLAUSE_BREAK = re.compile(r",(?!\d)|[;:()\u2013\u2014\"“”]|\s-\s|\b(?:while|although|though|but|because|if|which|who|whereas|"
                           r"unless|even)\b", re.IGNORECASE)


def _clauses(text: str) -> list[list[str]]:
    """The text's clauses as lemma lists: a cue governs only words of its own clause."""
    return [t for t in (_tokens(part) for part in _CLAUSE_BREAK.split(text) if part) if t]


def _content(tokens: list[str]) -> set[str]:
    return {t for t in tokens if t not in _STOP and t not in NEGATIONS and t not in MODALS and t not in DENIALS}


def _governs(tokens: list[str], cues: frozenset[str], other: set[str], least: int = 1, window: int = WINDOW) -> bool:
    """A cue among ``tokens`` with ``least`` words of ``other`` (all, if it has fewer) among the next ``window`` words."""
    need = min(least, len(other))
    for i, t in enumerate(tokens):
        if t in DENIALS and tokens[i + 1:i + 2] != ["to"] and t in ("decline", "fail", "refuse"):
            continue  # "stocks declined": a fall, not a denial; "declined to veto" denies
        if t in cues and need and len(other & set(tokens[i + 1:i + 1 + window])) >= need:
            return True
    return False


def _governs_any(clauses: list[list[str]], cues: frozenset[str], other: set[str], least: int = 1,
                 window: int = WINDOW) -> bool:
    return any(_governs(tokens, cues, other, least, window) for tokens in clauses)


def hedged(text: str, words: set[str]) -> bool:
    """A cue of attempt, plan, expectation or possibility earlier in the clause that holds ``words``
    ("expected to draw a crowd in excess of 4,000", "is seeking $250 million")."""
    return _governs_any(_clauses(text), MODALS, words, least=len(words), window=len(text))


def _negated(clauses: list[list[str]], other: set[str]) -> bool:
    """Some clause negates (or denies) a word of ``other``."""
    return _governs_any(clauses, NEGATIONS | DENIALS, other)


def _opening_answer_word(tokens: list[str]) -> list[str]:
    return tokens[1:] if tokens[:1] in (["yes"], ["no"]) else tokens  # "No, Biden did not veto": the "did not" decides


def polarity_differs(claim: str, sentence: str) -> bool:
    """One of the two negates (or denies) what the other affirms."""
    c = _clauses(claim)
    if c:
        c[0] = _opening_answer_word(c[0])
    s = _clauses(sentence)
    shared = _content([t for clause in c for t in clause]) & _content([t for clause in s for t in clause])
    if len(shared) < 2:
        return False  # one word in common: this sentence is not the claim's, whatever it negates
    return _negated(c, shared) != _negated(s, shared)


def modality_dropped(claim: str, sentence: str) -> bool:
    """The sentence states as attempted, planned, asked, expected or possible what the claim states as done."""
    c, s = _tokens(claim), _tokens(sentence)
    shared = _content(c) & _content(s)
    if len(shared) < 2 or any(t in MODALS for t in c):
        return False
    return _governs_any(_clauses(sentence), MODALS, shared, least=2)
