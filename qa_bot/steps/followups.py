"""Follow-up questions: which need a rewrite, whether a rewrite kept the new question, and the fallback.

A small model asked to rewrite "Where does he work?" after "Who is Tommy Steiner?" sometimes
returns the previous question ("Who is Tommy Steiner?") or answers instead of asking (issue 27).
:func:`rewrite_problem` checks a rewrite in code: it must keep every name and number of the
new question, at least half of its other words and its question word, ask (not answer), not
repeat an earlier question, and,
where the question refers back ("he", "its", "and in 2018?"), name something from the
conversation. A rejected rewrite is replaced by :func:`fallback_standalone`, which never
turns into the previous question either.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Sequence

from vectorstore.bm25 import tokenize

REFERRING = re.compile(
    r"\b(he|she|him|her|his|hers|they|them|their|theirs|it|its|this|that|these|those|there|then|the same|the other|"
    r"what about|how about|and what|also|else|former|latter|the two|both)\b",
    re.IGNORECASE,
)
_PERSONAL = re.compile(r"\b(he|she|him|her|his|hers|they|them|their|theirs|it|its|former|latter)\b", re.IGNORECASE)
# "What about X?", "And in 2018?", "No, I meant the 2016 meeting": the earlier question, changed
_FRAME = re.compile(r"^\W*(?:(?:and|but|or)\b|(?:what|how)\s+about\b|(?:no|nope|sorry|actually)\b|i\s+mean)|\bi\s+meant?\b",
                    re.IGNORECASE)
# a reply's opening words: the question may lean on the conversation; a rewrite is asked for and checked as usual
_OPENER = re.compile(r"^\W*(?:ok|okay|so|then|fine|alright|right|got it|thanks)\b", re.IGNORECASE)
# words that carry the turn of the conversation or its grammar, not what is asked ("No, I meant in 2016.")
CONVERSATIONAL = frozenset(
    "no yes yeah ok okay fine sorry actually mean meant wait well please thanks thank tell instead rather again "
    "question asked ask earlier previous before one ones now still yet ever even really exactly anyway all "
    "within much many later afterwards first since besides".split()
)
# "the company", "that tour", "their own server", "the two countries": words that stand for a name the rewrite
# may put in their place; "not charging", "instead of the fine": what the question says it does not ask
# (not after "his"/"its": "its role" must keep "role")
_STANDS_FOR = re.compile(r"\b(?:the|that|this|these|those)\s+([a-z]+)(?:\s+([a-z]+))?", re.IGNORECASE)
_META = re.compile(r"\b(?:going back to|back to|(?:your|the) answer (?:got |was |is )?cut off|(?:got |was )?cut off|"
                   r"(?:you|it) stopped(?: there)?|stopped there|you said|as you said)\b", re.IGNORECASE)
_NEGATED = re.compile(r"(?:,\s*not|\brather than|\binstead of)\s+(?:the\s+|a\s+|an\s+)?([\w'-]+)", re.IGNORECASE)
_QUESTION_WORD = re.compile(r"\b(who|whom|whose|why|when|where|how)\b", re.IGNORECASE)
_IDIOM = re.compile(r"\b(?:what|how)\s+about\b|\bhow\s+come\b", re.IGNORECASE)
_PRONOUN = re.compile(r"\b(he|she|him|her|his|its|it|they|them|their)\b", re.IGNORECASE)
_POSSESSIVE = frozenset({"his", "its", "their", "her"})
_PERSON = frozenset({"he", "she", "him", "her", "his"})
_NAME = re.compile(r"\b([A-Z][\w'’.-]*[\w](?:\s+(?:of\s+the\s+|of\s+|de\s+|al-)?[A-Z][\w'’.-]*[\w])*)")
_SENTENCE_START = frozenset("who whom whose what when where why how which is are was were do does did can could will "
                            "would should has have had and but so the a an in on at no yes ok okay sorry".split())
_MARKER = re.compile(r"\[\d{1,3}\]")
_DEMONYM = ("ian", "ians", "an", "ans", "i", "is", "ese", "ish")  # Iran -> Iranian, Israel -> Israeli
MAX_REWRITE_CHARS = 300
MIN_SELF_CONTAINED_WORDS = 3  # a question with this many of its own words and no "he"/"its" can stand alone


def needs_rewrite(question: str) -> bool:
    """A follow-up that refers back ("he", "that"), changes the earlier question ("And in 2018?", "No, I meant
    …"), opens as a reply ("OK, so who runs it now?") or is too short to search on its own."""
    return bool(REFERRING.search(question) or _FRAME.search(question) or _OPENER.search(question)) \
        or len(tokenize(question)) < 4


def content_words(text: str) -> list[str]:
    """What a question is about: its search words less pronouns, conversational filler, talk about the
    conversation ("going back to", "your answer got cut off"), contractions ("doesn't") and what it says it
    does not ask ("the refresh rate, not charging")."""
    text = _META.sub(" ", text)
    negated = {w.lower() for w in _NEGATED.findall(text)}
    return [w for w in tokenize(text) if w not in CONVERSATIONAL and w not in negated and "'" not in w
            and not REFERRING.fullmatch(w)]


def key_words(question: str) -> set[str]:
    """The question's names and numbers ("Croatia", "2018", "1TB"): a rewrite keeps every one of them.
    (Acronyms are not among them: "the GM" may be spelled out.)"""
    names = {w for m in _NAME.finditer(question) if m.start() > 0
             for w in tokenize(" ".join(x for x in m.group(1).split() if not x.isupper()))}
    return names | {w for w in tokenize(question) if any(ch.isdigit() for ch in w)}


def refers_back(question: str) -> bool:
    """Whether the question cannot stand alone: a personal pronoun ("he", "its"), or too few words of its own
    ("Why not?", "In which city is that headquarters?"). "What about X?" is a frame, handled apart."""
    own = len(content_words(question))
    if _PERSONAL.search(question):
        return True
    if _FRAME.search(question):
        return own == 0
    return own < (MIN_SELF_CONTAINED_WORDS if REFERRING.search(question) else 2)


def question_words(text: str) -> set[str]:
    """The question words that say what is asked ("why", "when", "how"), idioms like "what about" left out."""
    words = {w.lower() for w in _QUESTION_WORD.findall(_IDIOM.sub(" ", text))}
    return {"who" if w == "whom" else w for w in words}


@lru_cache(maxsize=4096)
def lemma(word: str) -> str:
    """The word's dictionary form (simplemma's English lemmas: "told" -> "tell", "countries" -> "country")."""
    import simplemma

    return simplemma.lemmatize(word, lang="en").lower()


def same_word(a: str, b: str) -> bool:
    """One word, inflected or not ("told"/"tell", "works"/"work"), or a name and its demonym ("Iran"/"Iranian")."""
    if a == b:
        return True
    if any(ch.isdigit() for ch in a + b):
        return False  # 2016 is not 2018
    la, lb = lemma(a), lemma(b)
    short, long = sorted((la, lb), key=len)
    return la == lb or len(short) >= 4 and long.startswith(short) and long[len(short):] in _DEMONYM


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def _has(words: Sequence[str], word: str) -> bool:
    return any(same_word(word, w) for w in words)


def rewrite_problem(question: str, turns: Sequence[tuple[str, str]], rewrite: str) -> str | None:
    """Why ``rewrite`` is not a standalone form of ``question`` after ``turns``; None when it is.

    The checks are about the new question only, never about the topic, so an honest
    question is never refused: a rejected rewrite just falls back.
    """
    if not rewrite:
        return "empty"
    if len(rewrite) > MAX_REWRITE_CHARS:
        return "too long"
    if not rewrite.rstrip().endswith("?") or _MARKER.search(rewrite):
        return "not a question (an answer?)"
    said = tokenize(rewrite)
    context = [w for u, a in turns for w in tokenize(f"{u} {a}")]
    own = tokenize(question)
    named = any(_has(context, w) and not _has(own, w) for w in said)  # a word from the conversation added
    replaceable = {w.lower() for pair in _STANDS_FOR.findall(question) for w in pair if w} if named else set()
    wanted = list(dict.fromkeys(content_words(question)))
    key = key_words(question)
    if lost := [w for w in wanted if w in key and not _has(said, w)]:
        return f"drops the question's names or numbers: {', '.join(lost)}"
    others = [w for w in wanted if w not in key and w not in replaceable]
    missing = [w for w in others if not _has(said, w)]
    if missing and 2 * (len(others) - len(missing)) < len(others):  # at least half of what it asks, kept
        return f"drops the question's words: {', '.join(missing)}"
    asked = question_words(rewrite)
    if lost := sorted(question_words(question) - asked):
        return f"drops the question word: {', '.join(lost)}"
    if _words(rewrite) != _words(question) and any(_words(rewrite) == _words(u) for u, _ in turns):
        return "repeats an earlier question"
    if any(not _has(said, w) for w in wanted):  # "its role" given back as the question before, without "role"
        for user, _ in turns:
            earlier = tokenize(user)
            if all(_has(earlier, w) for w in said):
                return "repeats an earlier question"
    unchanged = rewrite.strip().lower() == question.strip().lower()
    # "What about X?" after "Who is Y?" may become "Who is X?"; after "When was Y invited to join?" it must
    # carry something of that earlier question
    framed = bool(_FRAME.search(question)) and bool(turns and _frame_words(turns[-1][0]))
    if unchanged:
        return "unchanged, but the question refers back" if refers_back(question) or _FRAME.search(question) else None
    if (refers_back(question) or framed) and not named:
        return "names nothing from the conversation"
    return None


def _frame_words(question: str) -> list[str]:
    """The earlier question's own words less its names: what "What about X?" asks again ("invited", "join")."""
    names = {w.lower() for m in _NAME.finditer(question) for w in tokenize(m.group(1)) if m.start() > 0}
    return [w for w in content_words(question) if w not in names]


def subject_of(turns: Sequence[tuple[str, str]], person: bool = False) -> str | None:
    """The name the conversation is about, latest turn first: the first name in its question, else in its
    answer. For "he"/"she" (``person``) an acronym (NATO, MLB) is not taken; an earlier turn is looked at."""
    for user, assistant in reversed(turns):
        for text in (user, assistant):
            for match in _NAME.finditer(text or ""):
                words = match.group(1).split()
                while words and words[0].lower() in _SENTENCE_START:
                    words.pop(0)  # "Did NATO" -> "NATO"; "When" -> nothing
                if person:  # not an acronym, possessive or not ("MLB's")
                    words = [w for w in words if not re.sub(r"['’]s$", "", w).isupper()]
                if words:
                    return re.sub(r"['’]s$", "", " ".join(words))
    return None


def fallback_standalone(question: str, turns: Sequence[tuple[str, str]]) -> str:
    """A standalone question without a model: the first pronoun replaced by the last turn's subject, else the
    question with the previous one beside it (in brackets, so it is never split off and answered instead)."""
    if not turns or not refers_back(question) and not _FRAME.search(question):
        return question  # a new topic ("Who is Tommy Steiner?") is searched as asked
    pronoun = _PRONOUN.search(question)
    word = pronoun.group(1).lower() if pronoun else ""
    subject = subject_of(turns, person=word in _PERSON)
    if subject and pronoun:
        name = f"{subject}'s" if word in _POSSESSIVE and word != "her" else subject
        return question[:pronoun.start()] + name + question[pronoun.end():]
    previous = turns[-1][0].strip().rstrip("?").strip()
    return f"{question} (follow-up to: {previous})" if previous else question
