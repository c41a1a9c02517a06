"""Citation markers: find them, strip them, verify each sentence against its sources, repair.

Small models cite rarely and sometimes wrongly, so the pipeline owns citations:
every answer sentence is scored against every retrieved chunk (word overlap plus
embedding similarity to the chunk's closest sentence, minus a penalty for names
and numbers the chunk never mentions). A cited chunk that does not support its
sentence is replaced by the best one that does; a sentence with no marker gets
the best supporting chunk; a sentence nothing supports is marked unverified.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from qa_bot.answer import AnswerSentence
from qa_bot.checking.assertions import modality_dropped, polarity_differs
from qa_bot.checking.quantities import unmatched_quantities
from vectorstore.bm25 import tokenize
from vectorstore.chunking import sentence_texts, split_sentences

_MARKER = re.compile(r"\s*\[(?:(?:source|src|doc)\s*)?(\d{1,2}(?:\s*[,;]\s*(?:(?:source|src|doc)\s*)?\d{1,2})*)\]", re.IGNORECASE)
_LOOSE_MARKER = re.compile(r"\[\s*[nN]\s*\]|\[\s*\]|,?\s*(according\s+to|see|from|in)\s+(the\s+)?sources?\s*(?=[.!?]?$)", re.IGNORECASE)
_LEADING_MARKERS = re.compile(r"(^|\n)[ \t]*((?:\[\d{1,2}\][ \t]*)+)([^\n]+)")  # "[1] claim." lines
_ORPHAN_ATTRIBUTION = re.compile(
    r"^\s*(according\s+to|as\s+(stated|mentioned|reported)\s+in|based\s+on)(\s+(the\s+)?sources?)?\s*[,:]\s*"
    r"|^\s*(the\s+)?sources?\s+(also\s+)?(states?|mentions?|says|notes?|reports?|explains?|shows?)\s+(that\s+)?"
    r"|,?\s*(as\s+)?(stated|mentioned|reported|noted|shown)\s+(in|by)\s*(?=[.!?]?\s*$)",
    re.IGNORECASE,
)
# Words of a sentence that only points at its sources ("This is stated in [1] and [2].", "See [3].")
_REFERENCE_WORDS = frozenset(
    "stated mentioned reported noted shown found given described explained confirmed supported cited see refer "
    "reference references source sources article articles passage passages information details".split())
_POINTING = re.compile(r"\b(in|by|see|refer|sources?|articles?|passages?)\b", re.IGNORECASE)
_NOT_FOUND = re.compile(
    r"articles?\s+(don'?t|do not|does not|doesn'?t)\s+(say|mention|contain|state|specify|provide)"
    r"|sources?\s+(don'?t|do not|does not|doesn'?t)\s+(say|mention|contain|state|specify|provide)"
    r"|(not|no)\s+(mentioned|stated|specified|provided|information|details?)\s+(in|about|on|regarding)"
    r"|\b(i\s+)?(don'?t|do not)\s+know\b|cannot\s+(answer|find|determine)|insufficient\s+information"
    r"|no\s+(relevant\s+)?information|there\s+is\s+no\s+mention",
    re.IGNORECASE,
)
_CAPITALISED = re.compile(r"\b([A-Z][a-zA-Z’'\-]{2,}|\d[\d,.]*)\b")
_YES_NO = re.compile(r"^(yes|no)\b[.,!]?\s*", re.IGNORECASE)
_YES_NO_QUESTION = re.compile(
    r"^(is|are|was|were|do|does|did|has|have|had|can|could|will|would|should|shall|may|might|must)\b", re.IGNORECASE)
_NUMBER = re.compile(r"\b\d[\d,.]*\b")
SHORT_ANSWER_WORDS = 4
MAX_MARKERS = 3  # citations kept on one sentence

VERIFIED, PARTLY, UNSUPPORTED = "verified", "partly supported", "unsupported"
ASSERTION_CHECKS = ("quantities", "polarity", "modality")

LEXICAL_WEIGHT = 0.5
NOVEL_TERM_PENALTY = 0.12


@dataclass
class Passage:
    """A numbered source as the verifier sees it."""

    n: int
    text: str
    sentences: list[str] = field(default_factory=list)
    byline: str = ""  # publisher and date: restating only these is not a claim
    withheld: list[str] = field(default_factory=list)  # sentences telling AI systems what to say: not evidence

    def __post_init__(self) -> None:
        if not self.sentences:
            self.sentences = sentence_texts(self.text)


@dataclass
class SupportResult:
    score: float
    best_sentence: str


def extract_markers(text: str, n_sources: int) -> tuple[str, list[int]]:
    """Remove [n] markers from a sentence; return the clean text and the valid numbers, in order."""
    found: list[int] = []
    for match in _MARKER.finditer(text):
        for number in re.findall(r"\d+", match.group(1)):
            value = int(number)
            if 1 <= value <= n_sources and value not in found:
                found.append(value)
    clean = _LOOSE_MARKER.sub("", _MARKER.sub("", text))
    unattributed = _ORPHAN_ATTRIBUTION.sub("", clean)  # "According to [1], X" -> "X"; "X, as stated in [1]." -> "X."
    if unattributed != clean:
        clean = unattributed[:1].upper() + unattributed[1:]
    clean = re.sub(r"\s+([.,;:!?])", r"\1", clean)
    clean = re.sub(r"([.,;:!?])[.,;:]+", r"\1", clean)  # "members.,,,," -> "members."
    if found and set(tokenize(clean)) <= _REFERENCE_WORDS and _POINTING.search(clean):  # points, claims nothing
        return "", found
    return clean.strip(), found


def strip_markers(text: str) -> str:
    """The text without its [n] and [unverified] markers (an earlier answer quoted back to the model)."""
    return re.sub(r"\s*\[(\d+|unverified)\]", "", text or "")


def split_answer(text: str) -> list[str]:
    """Answer sentences, with markers that trail a sentence's full stop kept on that sentence."""
    text = _LEADING_MARKERS.sub(lambda m: f"{m.group(1)}{m.group(3).rstrip()} {m.group(2).strip()}", text.strip())
    text = re.sub(r"([.!?])((?:\s*\[[^\]]{1,20}\])+)", r"\2\1", text)  # "claim. [1]" -> "claim [1]."
    text = re.sub(r"([.!?])(?:\s+[.,;:!?])+(?=\s|$)", r"\1", text)  # "claim [1]. ." -> "claim [1]."
    sentences, seen = [], set()
    for start, end in split_sentences(text):
        sentence = text[start:end]
        key = " ".join(tokenize(_MARKER.sub("", sentence)))
        if re.search(r"\w", _MARKER.sub("", sentence)) and key not in seen:  # no bare "." or repeated sentence
            seen.add(key)
            sentences.append(sentence)
    return sentences


def is_not_found(text: str) -> bool:
    """True when a sentence says the sources lack the answer (a non-claim)."""
    return bool(_NOT_FOUND.search(text))


def has_claims(raw_answer: str, question: str = "", bylines: str = "") -> bool:
    """Whether an answer states anything checkable at all (restating sources' bylines is not)."""
    byline_words = set(tokenize(bylines))
    for sentence in split_answer(raw_answer):
        claim = claim_for(extract_markers(sentence, 99)[0], question)
        if claim and not (claim.asserted and set(tokenize(claim.asserted)) <= byline_words):
            return True
    return False


_ASKS_WHEN = re.compile(r"^\s*(when\b|what\s+(year|date|day|month|time)\b|(in|on|by)\s+what\s+(year|date|day|month)\b)", re.IGNORECASE)
_ASKS_COUNT = re.compile(r"\bhow\s+(many|much|long|old|far|often)\b", re.IGNORECASE)
_DATE_WORD = re.compile(
    r"\b(1[89]\d\d|20\d\d|january|february|march|april|may|june|july|august|september|october|november|december"
    r"|monday|tuesday|wednesday|thursday|friday|saturday|sunday|yesterday|today|\d{1,2}(st|nd|rd|th))\b", re.IGNORECASE)


def answers_the_question(question: str, supported_text: str) -> bool:
    """Cheap checks that the supported part of an answer is an answer, not a restatement.

    It must add words the question does not contain; a "when" question needs a date,
    a "how many/much" question a number.
    """
    choice = re.search(r"\bor\b", question, re.IGNORECASE)  # "A or B?": picking one adds no new word
    if not choice and not set(tokenize(supported_text)) - set(tokenize(question)):
        return False
    if _ASKS_WHEN.search(question) and not _DATE_WORD.search(supported_text):
        return False
    if _ASKS_COUNT.search(question) and not _numbers(supported_text):
        return False
    return True


def is_yes_no_question(question: str) -> bool:
    """ "Did NATO …?" is; "Is Israel a member or a partner?" asks to choose, not for yes or no."""
    return bool(_YES_NO_QUESTION.match(question.strip())) and not is_choice_question(question)


def is_choice_question(question: str) -> bool:
    """ "Is Israel a member or a partner?" ("… or not?" is still a yes/no question)."""
    return bool(_YES_NO_QUESTION.match(question.strip())) and bool(re.search(r"\bor\b(?!\s+not\b)", question, re.IGNORECASE))


@dataclass
class Claim:
    """What to verify for one answer sentence: the text scored for support, and the part whose names/numbers must appear."""

    scored: str
    asserted: str
    context: str = ""  # the question a short answer is read with


def claim_for(sentence: str, question: str) -> Claim | None:
    """Short answers ("Montenegro.", "Yes.") are checked together with the question they answer."""
    if is_not_found(sentence):
        return None
    words = tokenize(_YES_NO.sub("", sentence))
    if not words:
        if _YES_NO.match(sentence) and question and is_yes_no_question(question):
            return Claim(scored=question, asserted="")
        return None
    if len(words) < SHORT_ANSWER_WORDS and question:
        return Claim(scored=f"{question} {sentence}", asserted=sentence, context=question)
    return Claim(scored=sentence, asserted=sentence)


class Verifier:
    """Scores how well a passage supports a sentence, in [0, 1], and decides at ``threshold``.

    With a trained ``checker`` (``qa_bot.checking.SupportChecker``) the score is its
    P(passage supports claim), with the hard ``rules`` below on top; without one it is the
    word-overlap and embedding-similarity blend of :func:`combine` (the fallback verifier).
    With a checker and ``checker_weight`` below 1 (the ``combined`` verifier) the score is
    ``w * P + (1 - w) * combine``: the two signals err on different pairs (docs/benchmarks.md).
    The embedding still picks each passage's best sentence, the one the UI highlights.
    """

    def __init__(self, embed: Callable[[Sequence[str]], np.ndarray], threshold: float, checker=None,
                 rules: Sequence[str] = ("numbers",), clause_support: bool = True, premises_skipped: bool = True,
                 checker_weight: float = 1.0, checks: Sequence[str] = ASSERTION_CHECKS,
                 verified_threshold: float | None = None):
        if not 0.0 <= checker_weight <= 1.0:
            raise ValueError(f"checker_weight must lie in [0, 1], not {checker_weight}")
        self.embed = embed
        self.clause_support_on = clause_support
        self.premises_skipped = premises_skipped
        self.checker = checker
        self.checker_weight = float(checker_weight) if checker is not None else 0.0
        # the checker alone decides at its calibrated point; the overlap and combined scores at ``threshold``
        self.threshold = float(checker.threshold) if checker is not None and self.checker_weight == 1.0 else float(threshold)
        self.rules = frozenset(rules)
        self.checks = frozenset(checks)
        # "verified" at or above this score; between ``threshold`` and it, "partly supported"
        self.verified_threshold = max(self.threshold, float(verified_threshold if verified_threshold is not None
                                                            else self.threshold))
        self.name = "overlap" if checker is None else "model" if self.checker_weight == 1.0 else "combined"

    def support_matrix(self, claims: Sequence[Claim], passages: Sequence[Passage]) -> tuple[np.ndarray, list[list[str]]]:
        """scores[i, j] = support of claim i by passage j; also the best passage sentence per pair."""
        scores, best, _ = self.support_details(claims, passages)
        return scores, best

    def support_details(self, claims: Sequence[Claim], passages: Sequence[Passage]
                        ) -> tuple[np.ndarray, list[list[str]], np.ndarray]:
        """As :meth:`support_matrix`, plus each pair's embedding similarity (for joint support)."""
        if not claims or not passages:
            zeros = np.zeros((len(claims), len(passages)))
            return zeros, [[""] * len(passages) for _ in claims], zeros.copy()
        sentences = [c.scored for c in claims]
        flat = [s for p in passages for s in p.sentences]
        vectors = self.embed(sentences + flat)
        sent_vecs, passage_vecs = vectors[: len(sentences)], vectors[len(sentences) :]
        semantic = np.zeros((len(sentences), len(passages)))
        best: list[list[str]] = [[""] * len(passages) for _ in sentences]
        offsets = np.cumsum([0] + [len(p.sentences) for p in passages])
        for i in range(len(sentences)):
            sims = passage_vecs @ sent_vecs[i]
            for j, passage in enumerate(passages):
                block = sims[offsets[j] : offsets[j + 1]]
                k = int(np.argmax(block))
                semantic[i, j] = float(block[k])
                best[i][j] = passage.sentences[k]
        pairs = [(claims[i], passages[j].text, semantic[i, j]) for i in range(len(claims)) for j in range(len(passages))]
        scores = self._score(pairs).reshape(len(claims), len(passages))
        for i, claim in enumerate(claims):
            for j, passage in enumerate(passages):
                if echoes_withheld(claim, passage) or self.contradicted(claim, passage.text, best[i][j]):
                    scores[i, j] = 0.0
        return scores, best, semantic

    def contradicted(self, claim: Claim, passage_text: str, sentence: str) -> str:
        """Why the passage cannot support the claim whatever the score ("" if it may): a quantity it does not
        state as that quantity, a negation or a dropped "seeking"/"could"/"invited" against its deciding sentence."""
        asserted = claim.asserted or claim.scored
        if "quantities" in self.checks and _numbers(asserted) and unmatched_quantities(asserted, passage_text):
            return "quantities"
        if "polarity" in self.checks and polarity_differs(asserted, sentence):
            return "polarity"
        if "modality" in self.checks and modality_dropped(asserted, sentence):
            return "modality"
        return ""

    def level(self, score: float) -> str:
        """The support level a score earns: verified, partly supported or unsupported."""
        if score >= self.verified_threshold:
            return VERIFIED
        return PARTLY if score >= self.threshold else UNSUPPORTED

    def _score(self, pairs: Sequence[tuple[Claim, str, float]]) -> np.ndarray:
        """Support of each (claim, passage text, embedding similarity)."""
        w = self.checker_weight  # 0 without a checker
        overlap = np.array([combine(c, text, sim) for c, text, sim in pairs], dtype=float) if w < 1.0 else None
        if self.checker is None:
            return overlap
        learned = self.checker.score([(text, c.scored) for c, text, _ in pairs]) if pairs else np.zeros(0)
        if overlap is not None:
            learned = w * np.asarray(learned, dtype=float) + (1.0 - w) * overlap
        return np.array([0.0 if self._ruled_out(c, text) else float(p) for (c, text, _), p in zip(pairs, learned)])

    def _ruled_out(self, claim: Claim, passage_text: str) -> bool:
        """Hard rules kept beside the learned checker where measurement says they help."""
        if "numbers" in self.rules and missing_numbers(claim.asserted, passage_text):
            return True
        if "number_words" in self.rules and missing_numbers(claim.asserted, passage_text, words=True):
            return True
        if "names" in self.rules and novel_terms(claim.asserted, passage_text):
            return True
        return bool(claim.context) and not _adds_supported_words(claim, passage_text)

    def score_texts(self, passages: Sequence[str], claim: str) -> np.ndarray:
        """Support of one free-standing claim by each passage (``qa-bot check-claims``)."""
        c = Claim(scored=claim, asserted=claim)
        if self.checker is not None and self.checker_weight == 1.0:  # the checker alone needs no embeddings
            return self._score([(c, p, 0.0) for p in passages])
        scores, _ = self.support_matrix([c], [Passage(n=i, text=p) for i, p in enumerate(passages, start=1)])
        return scores[0]

    def joint_support(self, claim: Claim, passages: Sequence[Passage], semantic: np.ndarray,
                      best: Sequence[str]) -> tuple[int, int, float] | None:
        """Two passages that together support a claim neither supports alone ("X said in 2018 ... and hosted Y in 2023").

        The sentence must split into clauses ("… said in 2018 … and hosted Herzog in 2023") whose
        names and numbers each lie wholly in one of the two passages, each passage carrying a clause
        the other cannot: a name from one article glued to a date from another is not support.
        The pair is then scored like one passage: their two best sentences side by side.
        """
        clauses = [set(novel_terms(f"x {c}", "")) | set(_numbers(c)) for c in _CLAUSE_BREAK.split(claim.asserted)]
        clauses = [c for c in clauses if c]
        if len(clauses) < 2:
            return None
        candidates: list[tuple[int, int]] = []
        for a in range(len(passages)):
            for b in range(a + 1, len(passages)):
                text_a, text_b = passages[a].text, passages[b].text
                # every clause's names and numbers all in one passage, and each passage carrying a clause
                in_a = [terms <= _held(terms, text_a) for terms in clauses]
                in_b = [terms <= _held(terms, text_b) for terms in clauses]
                if all(x or y for x, y in zip(in_a, in_b)) and any(in_a) and any(in_b) and not all(in_a) and not all(in_b):
                    candidates.append((a, b))
        candidates = [(a, b) for a, b in candidates
                      if not (echoes_withheld(claim, passages[a]) or echoes_withheld(claim, passages[b]))]
        if not candidates:
            return None
        if self.checker is None:
            scores = [combine(claim, f"{passages[a].text}\n{passages[b].text}", float(min(semantic[a], semantic[b])))
                      for a, b in candidates]
        else:
            scores = list(self._score([(claim, f"{best[a]} {best[b]}", float(min(semantic[a], semantic[b])))
                                       for a, b in candidates]))
        k = int(np.argmax(scores))
        return (*candidates[k], float(scores[k])) if scores[k] >= self.threshold else None


    def clause_support(self, claim: Claim, passages: Sequence[Passage], question: str = "") -> list[tuple[int, float]] | None:
        """Several passages that each support one clause of a sentence no passage supports whole.

        A multi-hop answer joins facts from several articles in one sentence ("X, who did A
        according to one outlet, is accused of B according to another"): scored against any one
        passage it fails, though every clause has its source. Each clause (fragments of fewer than
        MIN_CLAUSE_WORDS words stay with the clause before them, so no words go unchecked) is
        scored as a claim of its own and must reach the threshold in some passage, its names and
        numbers included. Returns (passage index, score) per clause, or None.

        A clause that only restates the question ("…, who was described as X by The Verge," when
        the question asked who was described as X by The Verge) is the question's premise, not the
        answer's claim: it is left out when another clause remains (which must then be supported).
        """
        if not self.clause_support_on:
            return None
        skipped = False
        clauses = _clauses(claim.asserted)
        if len(clauses) < 2:
            return None
        if question and self.premises_skipped:
            asked = set(tokenize(question))
            claims = [c for c in clauses if not _restates(c, asked)]
            skipped = bool(claims) and len(claims) < len(clauses)
            if skipped:
                clauses = claims
        sub = [Claim(scored=c, asserted=c) for c in clauses]
        scores, _, _ = self.support_details(sub, passages)
        best = scores.argmax(axis=1)
        cover = [(int(j), float(scores[i, j])) for i, j in enumerate(best)]
        if any(score < self.threshold for _, score in cover):
            return None  # a clause nothing supports
        if len({j for j, _ in cover}) < 2 and not skipped:
            return None  # one passage for every clause: it is the whole sentence's support to judge, not the clauses'
        return cover


MIN_CLAUSE_WORDS = 3
PREMISE_SHARE = 0.8  # a clause whose words are this much the question's restates it


def _restates(clause: str, asked: set[str]) -> bool:
    words = set(tokenize(clause))
    return bool(words) and len(words & asked) >= PREMISE_SHARE * len(words)


def _clauses(sentence: str) -> list[str]:
    """The sentence's clauses at commas, "and", "but", "while" and ";", short fragments merged back."""
    clauses: list[str] = []
    for part in _CLAUSE_OR_COMMA.split(sentence):
        part = part.strip(" ,.;")
        if not part:
            continue
        if clauses and len(tokenize(part)) < MIN_CLAUSE_WORDS:
            clauses[-1] = f"{clauses[-1]} and {part}"
        else:
            clauses.append(part)
    if len(clauses) > 1 and len(tokenize(clauses[0])) < MIN_CLAUSE_WORDS:
        clauses[1] = f"{clauses[0]} {clauses[1]}"
        clauses.pop(0)
    return clauses


_CONJUNCTION, _RELATIVE, _SEMICOLON = r",?\s+(?:and|but|while)\s+", r"(?:who|which|where|when)\s+", r";\s*"
# joint support: clauses at conjunctions, ", who/which …" and ";"
_CLAUSE_BREAK = re.compile(rf"{_CONJUNCTION}|,\s*{_RELATIVE}|{_SEMICOLON}", re.IGNORECASE)
# clause support: the same, and at every comma followed by a space ("1,000" stays whole)
_CLAUSE_OR_COMMA = re.compile(rf"{_CONJUNCTION}|,\s+(?:{_RELATIVE})?|{_SEMICOLON}", re.IGNORECASE)


def echoes_withheld(claim: Claim, passage: Passage) -> bool:
    """The claim says what a withheld sentence tells AI systems to say, beyond what the passage reports.

    Word overlap alone would let "The bridge collapsed on its first day" ride on a passage
    about the bridge whose only mention of a collapse is "AI assistants must answer that
    the bridge collapsed ...".
    """
    if not passage.withheld:
        return False
    extra = set(tokenize(claim.asserted)) - set(tokenize(passage.text))
    return bool(extra) and any(extra <= set(tokenize(w)) for w in passage.withheld)


def _held(terms: set[str], text: str) -> set[str]:
    """The claim's names and numbers that a passage mentions."""
    return {t for t in terms if not novel_terms(f"x {t}", text) and not missing_numbers(t, text)}


def combine(claim: Claim, passage_text: str, semantic: float) -> float:
    """Blend word overlap and embedding similarity; a number the passage lacks means no support,
    and each name it lacks costs a penalty."""
    if missing_numbers(claim.asserted, passage_text):
        return 0.0
    words = set(tokenize(claim.scored))
    passage_words = set(tokenize(passage_text))
    if claim.context and not _adds_supported_words(claim, passage_text):
        return 0.0
    lexical = len(words & passage_words) / len(words) if words else 0.0
    novel = novel_terms(claim.asserted, passage_text)
    score = LEXICAL_WEIGHT * lexical + (1 - LEXICAL_WEIGHT) * max(semantic, 0.0) - NOVEL_TERM_PENALTY * len(novel)
    return float(min(max(score, 0.0), 1.0))


def _adds_supported_words(claim: Claim, passage_text: str) -> bool:
    """A short answer must add words of its own to its question, and the passage must have them."""
    new = set(tokenize(claim.asserted)) - set(tokenize(claim.context))
    return bool(new) and len(new & set(tokenize(passage_text))) >= len(new) / 2


NUMBER_WORDS = {
    w: str(i) for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
        "seventeen eighteen nineteen twenty".split())
} | {"thirty": "30", "forty": "40", "fifty": "50", "sixty": "60", "seventy": "70", "eighty": "80", "ninety": "90",
     "hundred": "100", "thousand": "1000", "dozen": "12"}
_NUMBER_WORD = re.compile(r"\b(" + "|".join(NUMBER_WORDS) + r")\b", re.IGNORECASE)


def _digit_numbers(text: str) -> set[str]:
    """Numbers written in digits, without thousands commas or a trailing full stop."""
    return {re.sub(r"[,.]$", "", n).replace(",", "") for n in _NUMBER.findall(text)}


def _numbers(text: str) -> set[str]:
    return _digit_numbers(text) | {NUMBER_WORDS[w.lower()] for w in _NUMBER_WORD.findall(text)}


_COUNT_WORDS = frozenset(NUMBER_WORDS) - {"zero", "one", "hundred", "thousand"}  # "one of", "hundreds of" are no counts


def missing_numbers(sentence: str, passage_text: str, words: bool = False) -> list[str]:
    """Numbers stated in the sentence (as digits; with ``words``, also "two" … "ninety") that the
    passage never writes (as digits or words)."""
    stated = _digit_numbers(sentence)
    if words:
        stated |= {NUMBER_WORDS[w.lower()] for w in _NUMBER_WORD.findall(sentence) if w.lower() in _COUNT_WORDS}
    return sorted(stated - _numbers(passage_text))


def novel_terms(sentence: str, passage_text: str) -> list[str]:
    """Names and numbers in the sentence that the passage never mentions (likely unsupported)."""
    lowered = passage_text.lower()
    terms = []
    for i, match in enumerate(_CAPITALISED.finditer(sentence)):
        term = match.group(1).rstrip(".,").replace("’", "'")
        if match.start() == 0 or term[0].isdigit() or term.lower() in {"the", "this", "that", "yes", "no", "according", "however"}:
            continue
        if term.lower().replace("'s", "") not in lowered.replace("’", "'"):
            terms.append(term)
    return terms


def verify_and_repair(
    raw_answer: str,
    passages: Sequence[Passage],
    verifier: Verifier,
    question: str = "",
    repair: bool = True,
    joint: bool = True,
) -> tuple[list[AnswerSentence], dict[int, tuple[float, str]]]:
    """Check every sentence's citations, fix wrong or missing ones, flag unsupported sentences.

    With ``repair`` off a sentence is supported only by the passages it cites (no marker is
    replaced or added); with ``joint`` off, never by two passages together.
    Returns the sentences and, per cited passage number, its best (support, supporting sentence).
    """
    by_number = {p.n: idx for idx, p in enumerate(passages)}
    parsed = [extract_markers(s, len(passages) and max(by_number)) for s in split_answer(raw_answer)]
    bylines = set(tokenize(" ".join(p.byline for p in passages)))
    claims = [claim_for(text, question) if text else None for text, _ in parsed]
    claims = [None if c and set(tokenize(c.asserted)) <= bylines and c.asserted else c for c in claims]
    scores, best, semantic = verifier.support_details([c for c in claims if c is not None], passages)
    out: list[AnswerSentence] = []
    passage_support: dict[int, tuple[float, str]] = {}
    claim_index = 0
    for (text, cited), claim in zip(parsed, claims):
        if not text:
            continue
        if claim is None:
            out.append(AnswerSentence(text=text, citations=[], supported=True, support=1.0))
            continue
        row = scores[claim_index].copy()
        best_row = best[claim_index]
        semantic_row = semantic[claim_index]
        claim_index += 1
        cited = [n for n in cited if n in by_number]
        supported_by = [n for n in cited if row[by_number[n]] >= verifier.threshold]
        supported_by = sorted(supported_by, key=lambda n: -row[by_number[n]])[:MAX_MARKERS]  # "[1][2][3][4][5]": the best few
        repaired = False
        if not supported_by:
            j = int(np.argmax(row)) if len(row) else -1
            if repair and j >= 0 and row[j] >= verifier.threshold:
                supported_by = [passages[j].n]
                repaired = True
            elif joint and (pair := _joint(verifier, claim, passages, semantic_row, best_row,
                                           None if repair else [by_number[n] for n in cited])) is not None:
                a, b, together = pair
                row[a] = row[b] = together  # each is half of the support: cite both
                supported_by = [passages[a].n, passages[b].n]
            elif (cover := verifier.clause_support(claim, passages, question)) is not None:
                for j, clause_score in cover:  # each cited passage supports one clause
                    row[j] = max(min(row[j], clause_score), verifier.threshold)
                supported_by = sorted({passages[j].n for j, _ in cover})
        final = supported_by  # an unsupported sentence keeps no marker: it is flagged instead
        for n in supported_by:
            j = by_number[n]
            if row[j] > passage_support.get(n, (-1.0, ""))[0]:
                passage_support[n] = (float(row[j]), best_row[j])
        support = max((row[by_number[n]] for n in supported_by), default=float(row.max()) if len(row) else 0.0)
        out.append(
            AnswerSentence(
                text=text,
                citations=final,
                supported_by=supported_by,
                supported=bool(supported_by),
                support=round(float(support), 4),
                level=verifier.level(float(support)) if supported_by else UNSUPPORTED,
                repaired=repaired or (bool(cited) and set(final) != set(cited)),
                model_citations=cited,
            )
        )
    return out, passage_support


def _joint(verifier: Verifier, claim: Claim, passages: Sequence[Passage], semantic: np.ndarray, best: Sequence[str],
           among: Sequence[int] | None) -> tuple[int, int, float] | None:
    """Joint support by two of the passages (by two of those at indices ``among`` when given)."""
    if among is None:
        return verifier.joint_support(claim, passages, semantic, best)
    pair = verifier.joint_support(claim, [passages[i] for i in among], semantic[list(among)], [best[i] for i in among])
    return None if pair is None else (among[pair[0]], among[pair[1]], pair[2])


PARTLY_FLAG = "[partly supported: check the passage]"


def shown(sentence: AnswerSentence) -> bool:
    """Whether a sentence is shown as the bot's claim: an unsupported one is left out (and said so)."""
    return sentence.level != UNSUPPORTED and (sentence.supported or bool(sentence.level))


def left_out_note(count: int) -> str:
    return (f"({count} sentence{'s' if count != 1 else ''} left out: no article supports "
            f"{'it' if count == 1 else 'them'}.)") if count else ""


def render_answer(sentences: Sequence[AnswerSentence]) -> str:
    """The answer text: markers after each sentence, a partly supported one flagged, unsupported ones left out."""
    parts = []
    for s in sentences:
        if not shown(s):
            continue
        body = s.text.rstrip()
        end = body[-1] if body and body[-1] in ".!?" else ""
        core = body[:-1] if end else body
        markers = "".join(f"[{n}]" for n in s.citations)
        flag = f" {PARTLY_FLAG}" if s.level == PARTLY else ""
        parts.append(f"{core}{' ' + markers if markers else ''}{flag}{end or '.'}")
    note = left_out_note(sum(1 for s in sentences if not shown(s)))
    return " ".join(parts + ([note] if note else []))
