"""Questions asking what two or more named sources say: one claim per source, each checked in that source.

"Does the A article suggest that X, while the B article says Y?" asks for two facts at once, each
from a named publisher. Answered as one question, the retrieved passages mix both sources and a
small model answers one half (or repeats the question with "Yes"). Here the question is planned
instead: the publishers it names as sources (matched against the publishers actually in the
store, never against a list written in code) each get their part of the question as a claim; each
claim is searched within its publisher's articles and checked by the project's verifier. The
answer is "Yes" only when every part is supported, "No" when one is not, each part citing the
passage that decided it; a source named in the question that the store does not hold is refused.

It does not take (``plan_comparison`` returns None): questions that are not yes/no, questions
naming fewer than two sources, and questions that ask for a relation between the sources' accounts
("the same amount", "a different view", "consistent", "changed", "compared to"), because checking
each part alone cannot decide that relation, and a "Yes" from it would not be verified.
No language model is used: the result is deterministic and takes one search and one verifier call
per part.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Callable, Sequence

from qa_bot.answer import AnswerSentence
from qa_bot.citations import Claim, Passage, Verifier, is_choice_question, is_yes_no_question
from vectorstore.documents import ScoredChunk
from vectorstore.retrieval import SearchFilters

# Words that make a publisher's name a reference to its reporting ("the X article", "X reports").
_SOURCE_NOUN = r"(?:articles?|reports?|pieces?|stor(?:y|ies)|blogs?|posts?|columns?|coverage|sources?|outlets?)"
_QUOTES = "'\"‘’“”"
# Between the name and the noun only other names and "and the second" may stand ("X and the second Y articles").
_AFTER_NOUN = re.compile(
    rf"^[\s{_QUOTES}]*(?:'s\s+)?(?:(?:and|the|a|an|first|second|third|other|both|two|three|[A-Z][\w.&]*|[|-]),?\s+){{0,5}}?"
    rf"(?i:{_SOURCE_NOUN})\b"
)
_BEFORE_CUE = re.compile(
    rf"(?:according\s+to|{_SOURCE_NOUN}\s+(?:from|by|in|of)|(?:published|reported|written)\s+(?:by|in)|news\s+source)"
    r"\s+(?:the\s+)?['\"‘“]?\s*$",
    re.IGNORECASE,
)
# A relation between the sources' accounts is itself the question; per-source checks cannot decide it.
_RELATION = re.compile(
    r"\b(?:same|different|differ(?:s|ed|ence|ences|ently)?|similar(?:ly|ity)?|consisten(?:t|cy)|inconsisten(?:t|cy)|"
    r"chang(?:e|es|ed)|discrepanc(?:y|ies)|(?:dis)?agree(?:s|d|ment)?|align(?:s|ed)?|contradict(?:s|ed|ion)?|"
    r"compar(?:e|es|ed|ing|ison)|identical|match(?:es|ed)?\s+(?:the|that|what)|"
    r"respectively)\b",  # "A and B say X and Y, respectively": which claim is whose is not in the words
    re.IGNORECASE,
)
# "…, or do they …?" offers an alternative answer: not a yes/no question ("X or Y" inside a claim still is).
_ALTERNATIVE = re.compile(r"(?:,\s*|\b)or\s+(?:do|does|did|is|are|was|were|has|have|had|will|would|can|could|should)\b",
                          re.IGNORECASE)
# Where one source's part ends and the next one's begins.
_CONNECTOR = re.compile(r"(?:,\s*|\s+)(?:while|whereas|but|and|in\s+contrast\s+to|unlike|as\s+well\s+as)\b\s*",
                        re.IGNORECASE)
_REPORTING = (r"(?:suggest|claim|state|say|report|allege|argue|indicate|impl(?:y|ie)|mention|describe|discuss|note|"
              r"confirm|portray|present|highlight|write|show|focus|characteri[sz]e|quantif(?:y|ie)|explain|reveal|"
              r"assert|insist|contend|conclude|emphasi[sz]e|depict|detail|cover)(?:s|es|d|ed)?|said|wrote")
_LEAD = re.compile(
    rf"^(?:[\s{_QUOTES},]|'s\b|{_SOURCE_NOUN}\b|(?:which|that|who)\b|(?:both|also|all|each|too)\b|"
    rf"(?:does|do|did|has|have|had)\b|{_REPORTING}\b|(?:on|about|that)\b)+",
    re.IGNORECASE,
)
_TRAIL = re.compile(
    rf"(?:[\s{_QUOTES},;?]|\b(?:the|a|an|and|while|whereas|but|in|to|from|of|by|as|with|{_SOURCE_NOUN}|first|second|"
    r"third|other|another|separate|latter|former|same|does|do|did)\b)+$",
    re.IGNORECASE,
)
# A capitalised name in a source's place ("the BBC article", "an article from Reuters") that no stored publisher matches.
_NAMED_SOURCE = re.compile(
    rf"(?<![\w{_QUOTES}])([{_QUOTES}]?)((?:[A-Z][\w.&-]*)(?:\s+(?:[A-Z][\w.&-]*|\||-|of))*?)\1"
    rf"(?=\s+{_SOURCE_NOUN}\b)"
    rf"|{_SOURCE_NOUN}\s+(?:from|by)\s+(?:the\s+)?([{_QUOTES}]?)((?:[A-Z][\w.&-]*)(?:\s+[A-Z][\w.&-]*)*)\3"
)


@dataclass(frozen=True)
class SourceClaim:
    """One part of a comparison question: what ``publisher`` is asked to say."""

    publisher: str
    claim: str


@dataclass
class ComparisonPlan:
    """The parts of a question about what named sources say; ``missing`` names sources the store lacks."""

    question: str
    parts: list[SourceClaim]
    missing: list[str] = field(default_factory=list)


@dataclass
class PartResult:
    """How one part was decided: its best passage, that passage's support score and whether it supports."""

    part: SourceClaim
    passage: tuple[Passage, ScoredChunk] | None
    score: float
    best_sentence: str
    supported: bool


@dataclass
class ComparisonResult:
    """The verdict and what decided it, for the pipeline to number and cite."""

    verdict: str  # "Yes", "No" or "refused"
    parts: list[PartResult]
    sentences: list[AnswerSentence]
    passages: list[tuple[Passage, ScoredChunk]]  # the deciding passages, numbered 1..m as the sentences cite them
    support: dict[int, tuple[float, str]]  # passage number -> (score, sentence) for the passages that support
    retrieved: list[ScoredChunk]


def _aliases(publishers: Sequence[str]) -> dict[str, str]:
    """Each name a publisher may be called by -> the publisher: its full name, and its main name when no other
    publisher shares it ("Cnbc" for "Cnbc | World Business News Leader", "JewishPress" for "JewishPress.com")."""
    names = {p.strip() for p in publishers if p and p.strip()}
    out = {n: n for n in names}
    short: dict[str, set[str]] = {}
    for n in names:
        main = re.split(r"\s+[|\-–—]\s+|\s*\(", n)[0].strip()  # "X | tagline", "X - section", "X (agency)"
        main = re.sub(r"\.(?:com|org|net|co\.uk|com\.au|co)$", "", main, flags=re.I)
        if len(main) >= 3 and main != n:
            short.setdefault(main, set()).add(n)
    out.update({main: next(iter(full)) for main, full in short.items() if len(full) == 1 and main not in out})
    return out


def _mentions(question: str, publishers: Sequence[str]) -> list[tuple[int, int, str]]:
    """(start, end, publisher) of each publisher named in the question, longest names first, no overlaps."""
    taken: list[tuple[int, int, str]] = []
    for alias, name in sorted(_aliases(publishers).items(), key=lambda a: len(a[0]), reverse=True):
        pattern = r"\s+".join(re.escape(w) for w in alias.split())
        for m in re.finditer(rf"(?<![\w]){pattern}(?![\w])", question, re.IGNORECASE):
            if all(m.end() <= s or m.start() >= e for s, e, _ in taken):
                taken.append((m.start(), m.end(), name))
    return sorted(taken)


def _as_source(question: str, start: int, end: int) -> bool:
    """The name is used as a source: quoted, next to "article"/"report", or after "according to"/"an article from"."""
    before, after = question[:start], question[end:]
    quoted = before[-1:] in _QUOTES and after[:1] in _QUOTES
    return quoted or bool(_AFTER_NOUN.match(after)) or bool(_BEFORE_CUE.search(before))


def _unknown_sources(question: str, known: Sequence[tuple[int, int, str]], publishers: Sequence[str]) -> list[str]:
    """Names standing where a source's name stands that match no stored publisher (nor begin one's name:
    "FOX News" when the store has several "FOX News - …" publishers is ambiguous, not missing)."""
    stored = [p.lower() for p in publishers if p]
    out: list[str] = []
    for m in _NAMED_SOURCE.finditer(question):
        name, start = (m.group(2), m.start(2)) if m.group(2) else (m.group(4), m.start(4))
        if not name or start == 0:  # the question's first word ("Does") is not a name
            continue
        end = start + len(name)
        if any(not (end <= s or start >= e) for s, e, _ in known):
            continue
        phrase_end = question.find(",", end)
        phrase = question[end: phrase_end if phrase_end >= 0 else len(question)]
        if any(end <= s < end + len(phrase) and re.match(rf"^\s*{_SOURCE_NOUN}\s+(?:from|by|in)\b", phrase, re.I)
               for s, _, _ in known):
            continue  # "the Google article from TechCrunch": Google is the topic, TechCrunch the source
        if name not in out and not any(p.startswith(name.lower()) for p in stored):
            out.append(name)
    return out


def _clean_claim(text: str) -> str:
    """The part's claim without the words that attribute it ("article suggest that", trailing "while the")."""
    previous = None
    while previous != text:
        previous = text
        text = _TRAIL.sub("", _LEAD.sub("", text))
    return text.strip()


def _asks_yes_or_no(question: str) -> bool:
    """A yes/no question; "or" inside a claim ("actions or products") does not make it a choice."""
    asks = is_yes_no_question(question) or is_choice_question(question)  # both: it opens with "Does/Is/Was…"
    return asks and not _ALTERNATIVE.search(question)


def _has_content(text: str) -> bool:
    return bool(re.search(r"\w", _clean_claim(text)))


def plan_comparison(question: str, publishers: Sequence[str]) -> ComparisonPlan | None:
    """Split a yes/no question about what two or more named sources say into one claim per source.

    None when the question is not of that kind (see the module docstring); a plan with ``missing``
    when it names, as a source, something no stored publisher matches.
    """
    question = " ".join(question.split())
    if not _asks_yes_or_no(question) or _RELATION.search(question):
        return None
    mentions = [m for m in _mentions(question, publishers) if _as_source(question, m[0], m[1])]
    missing = _unknown_sources(question, mentions, publishers)
    if len(mentions) + len(missing) < 2:
        return None
    if missing:
        return ComparisonPlan(question, [SourceClaim(p, "") for _, _, p in mentions], missing)
    # sources named together ("the TechCrunch and Fortune articles both suggest X") share one claim
    groups: list[list[tuple[int, int, str]]] = [[mentions[0]]]
    for prev, cur in zip(mentions, mentions[1:]):
        if _has_content(question[prev[1]: cur[0]]):
            groups.append([cur])
        else:
            groups[-1].append(cur)
    parts: list[SourceClaim] = []
    for i, group in enumerate(groups):
        start = group[-1][1]
        end = groups[i + 1][0][0] if i + 1 < len(groups) else len(question)
        span = question[start:end]
        if i + 1 < len(groups):
            cuts = list(_CONNECTOR.finditer(span))
            if cuts:
                span = span[: cuts[-1].start()]
        claim = _clean_claim(span)
        if len(claim.split()) < 2:
            return None  # a part with nothing to check: not a question this mechanism understands
        claim = claim[:1].upper() + claim[1:]
        parts += [SourceClaim(publisher, claim) for _, _, publisher in group]
    return ComparisonPlan(question, parts)


Search = Callable[[str, SearchFilters], list[ScoredChunk]]
MakePassages = Callable[[Sequence[ScoredChunk]], list[tuple[Passage, ScoredChunk]]]


def answer_comparison(plan: ComparisonPlan, search: Search, make_passages: MakePassages, verifier: Verifier,
                      filters: SearchFilters | None = None) -> ComparisonResult:
    """Check each part of the plan within its publisher's articles; Yes only when all are supported.

    ``search(query, filters)`` is the retriever's search; ``make_passages`` numbers chunks as the
    verifier reads them. A part with no passage at all is unsupported.
    """
    if plan.missing:
        names = ", ".join(plan.missing)
        message = (f"The articles include nothing from {names}, so they cannot say what "
                   f"{'that source' if len(plan.missing) == 1 else 'those sources'} reported.")
        return ComparisonResult("refused", [], [AnswerSentence(text=message, supported=True, support=1.0)], [], {}, [])
    base = filters or SearchFilters()
    results: list[PartResult] = []
    retrieved: list[ScoredChunk] = []
    for part in plan.parts:
        chunks = search(part.claim, replace(base, publisher=part.publisher))
        retrieved += chunks
        passages = make_passages(chunks)
        if not passages:
            results.append(PartResult(part, None, 0.0, "", False))
            continue
        scores, best = verifier.support_matrix([Claim(scored=part.claim, asserted=part.claim)], [p for p, _ in passages])
        j = int(scores[0].argmax())
        results.append(PartResult(part, passages[j], float(scores[0][j]), best[0][j],
                                  float(scores[0][j]) >= verifier.threshold))
    verdict = "Yes" if all(r.supported for r in results) else "No"
    sentences, cited, support = _explain(verdict, results, verifier.level)
    return ComparisonResult(verdict, results, sentences, cited, support, retrieved)


def _explain(verdict: str, results: Sequence[PartResult], level=lambda score: ""
             ) -> tuple[list[AnswerSentence], list[tuple[Passage, ScoredChunk]], dict[int, tuple[float, str]]]:
    """One sentence per part, each citing the passage that decided it (unsupported parts first when No)."""
    order = sorted(results, key=lambda r: r.supported) if verdict == "No" else list(results)
    sentences = [AnswerSentence(text=f"{verdict}.", supported=True, support=1.0)]
    cited: list[tuple[Passage, ScoredChunk]] = []
    numbers: dict[str, int] = {}
    support: dict[int, tuple[float, str]] = {}
    for r in order:
        quoted = r.best_sentence.strip().rstrip(".")
        n = None
        if r.passage is not None:
            chunk_id = r.passage[1].chunk.chunk_id
            if chunk_id not in numbers:
                numbers[chunk_id] = len(cited) + 1
                cited.append((replace(r.passage[0], n=numbers[chunk_id]), r.passage[1]))
            n = numbers[chunk_id]
        name = r.part.publisher
        if r.supported:
            text = f"{name} supports “{r.part.claim}”: “{quoted}”"
            support[n] = (r.score, r.best_sentence)
        elif r.passage is None:
            text = f"No article from {name} was found for “{r.part.claim}”"
        else:
            text = f"{name} does not support “{r.part.claim}”; its closest passage says “{quoted}”"
        sentences.append(AnswerSentence(text=text + ".", citations=[n] if n else [], supported_by=[n] if r.supported else [],
                                        supported=True, support=round(r.score, 4),
                                        level=level(r.score) if r.supported else ""))
    return sentences, cited, support
