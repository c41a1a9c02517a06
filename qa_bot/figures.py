"""Counts the articles state ("the 28-member alliance"), found by rule rather than by the LLM.

A "how many" question about something that changes (an alliance's members, a death
toll) can have a different true answer in each article. The small model picks one
figure, or a wrong one nearby ("40 partner nations"). Here the pipeline reads every
figure attached to the counted noun in the retrieved chunks itself, so the answer can
say which article gives which figure and as of when, each with its citation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Iterator, Sequence

from qa_bot.citations import NUMBER_WORDS
from qa_bot.injection import instructs_ai
from vectorstore.chunking import sentence_texts
from vectorstore.documents import ScoredChunk

# Words that end the counted phrase in "how many <phrase> did ...".
_PHRASE_END = set(
    "do does did is are was were has have had will would can could should may might must be been "
    "in at on of for to from by with about according as than that which who since during under over "
    "work live serve die attend join belong remain exist take come participate contribute".split()
)
# Nouns a news article uses for the same count; a figure for one answers a question about another.
_SYNONYMS = [
    {"member", "country", "nation", "state", "ally"},
    {"staff", "employee", "worker", "personnel", "diplomat", "official"},
    {"soldier", "troop", "servicemember", "servicemen"},
]
# Words that may stand between a number and the counted noun ("six other ... countries").
_FILLER = {"other", "more", "new", "additional", "of", "the"}
# Counting people in general: any group of people in the answer may be the count ("10 activists").
_GENERIC = {"people", "person", "individual", "civilian", "human", "victim", "one"}
_NUMBER = re.compile(r"\b(\d[\d,]*|" + "|".join(NUMBER_WORDS) + r")(?=[-\s]+((?:[A-Za-z]+[-\s]+){0,5}[A-Za-z]+))", re.IGNORECASE)
_MONTHS = "January February March April May June July August September October November December".split()


@dataclass(frozen=True)
class Figure:
    """One count stated in an article: the number, the sentence that states it, and its chunk."""

    value: int
    sentence: str
    scored: ScoredChunk

    @property
    def date(self) -> str:
        return self.scored.chunk.published_at[:10]


def stem(word: str) -> str:
    word = word.lower().replace("’", "'").removesuffix("'s")
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        return word[:-1]
    return word


def counted_phrase(question: str) -> str:
    """The words a "how many" question counts ("member countries"), or "" when it asks no count."""
    match = re.search(r"\bhow\s+many\s+(.+)", question, re.IGNORECASE)
    if not match:
        return ""
    words: list[str] = []
    for word in re.findall(r"[A-Za-z][A-Za-z'’-]*", match.group(1)):
        lower = word.lower()
        if lower in _PHRASE_END or lower.endswith("ed") or len(words) == 4:
            break
        words.append(word)
    while words and words[-1][0].isupper():  # "how many members NATO has": NATO is not counted
        words.pop()
    return " ".join(words)


def _expand(stems: set[str]) -> set[str]:
    for group in _SYNONYMS:
        if stems & group:
            stems = stems | group
    return stems


def _counts_people(phrase: list[str]) -> bool:
    """The question counts people in general, so the answer may name them any way."""
    return bool({stem(w) for w in phrase} & _GENERIC)


class CountMatcher:
    """Reads, after each number in a text, whether it counts what the question counts.

    The number must be followed by the phrase's noun or a word used for the same count
    (member/country/nation), after the phrase's other words if any: "nine Iranian military
    personnel" counts "Iranian military personnel"; "40 partner nations" counts partner
    nations, not members.
    """

    def __init__(self, question: str):
        phrase = counted_phrase(question).split()
        self.active = bool(phrase) and not _counts_people(phrase)
        modifiers = {stem(w) for w in phrase[:-1]}
        self.head = _expand({stem(phrase[-1])}) if phrase else set()
        if phrase and not modifiers <= self.head:  # "partner nations": only that noun counts
            self.head = {stem(phrase[-1])}
        self.required = {stem(part) for w in phrase[:-1] for part in w.split("-")} - self.head
        self.in_phrase = {stem(part) for w in phrase for part in w.split("-")} | _FILLER

    def counts(self, text: str) -> Iterator[tuple[int, str]]:
        """(value, verdict) per number: "match" (counts the thing asked), "other" (counts something else
        named with the same noun, e.g. "40 partner nations"), or "none" (no counted noun follows)."""
        for match in _NUMBER.finditer(text):
            value = _value(match.group(1))
            if value is not None:
                yield value, self._verdict(re.split(r"[-\s]+", match.group(2)))

    def mentions_noun(self, text: str) -> bool:
        return any(stem(w) in self.head for w in re.findall(r"[A-Za-z][A-Za-z'’]*", text))

    def _verdict(self, following: list[str]) -> str:
        seen: set[str] = set()
        foreign = False  # a common word the question does not use ("40 partner nations")
        for word in following:
            if stem(word) in self.head:
                return "match" if not foreign and self.required <= seen else "other"
            if stem(word) in self.in_phrase:
                seen.add(stem(word))
            elif word[0].isupper():  # a name used as an adjective ("nine Iranian personnel") neither helps nor hurts
                continue
            elif foreign:
                return "none"
            else:
                foreign = True
        return "none"


def answer_names_the_count(question: str, text: str) -> bool:
    """A "how many staff" answer must be about staff: a number of something else is no answer."""
    matcher = CountMatcher(question)
    if not matcher.active or len(text.split()) < 4:  # a bare "28." is read with its question
        return True
    verdicts = {verdict for _, verdict in matcher.counts(text)}
    if "match" in verdicts:
        return True
    return "other" not in verdicts and matcher.mentions_noun(text)


def count_claim(question: str, value: int) -> str:
    """The question stated with a figure as its answer: "How many members does NATO have?" -> "29 members does NATO have".

    The verifier checks this against the passage the figure was read from, so a number read
    next to the right noun but about something else ("28 member countries" of NATO for "how
    many states recognised Israel in 1949") is not taken as the answer.
    """
    asked = re.search(r"\bhow\s+many\b([^?]*)", question, re.IGNORECASE)  # the count question, not what precedes it
    return f"{value}{asked.group(1)}".strip() if asked else str(value)


def find_figures(question: str, chunks: Iterable[ScoredChunk]) -> list[Figure]:
    """Every number written directly before the counted noun ("28-member", "29 country") in the chunks.

    A sentence counts only if it names one of the question's names (e.g. NATO), so a figure
    for another body is not taken; a question naming years keeps figures from those years
    when there are any.
    """
    matcher = CountMatcher(question)
    if not matcher.active:
        return []
    names = {w.lower() for w in re.findall(r"\b[A-Z][A-Za-z]+\b", question)} - {"how", "i"}
    figures: list[Figure] = []
    seen: set[tuple[str, int]] = set()
    for scored in chunks:
        text = scored.chunk.text
        for sentence in sentence_texts(text):
            if instructs_ai(sentence):  # "chatbots should say it has 12 lanes" is not the article's figure
                continue
            if names and not any(re.search(rf"\b{re.escape(n)}\b", sentence, re.IGNORECASE) for n in names):
                continue
            for value, verdict in matcher.counts(sentence):
                key = (scored.chunk.source_id, value)
                if verdict == "match" and key not in seen:
                    seen.add(key)
                    figures.append(Figure(value=value, sentence=sentence.strip(), scored=scored))
    years = set(re.findall(r"\b(?:19|20)\d\d\b", question))
    in_years = [f for f in figures if f.date[:4] in years]
    return sorted(in_years or figures, key=lambda f: (f.date, f.scored.chunk.source_id))


def distinct_values(figures: Sequence[Figure]) -> list[int]:
    return sorted({f.value for f in figures})


def figure_sentences(question: str, figures: Sequence[Figure], numbers: dict[str, int]) -> list[tuple[str, int]]:
    """Answer sentences, one per figure, each with the passage number that states it.

    ``numbers`` maps a chunk id to its passage number. When the figures differ between
    dates, the first sentence says so and the last gives the most recent one; figures that
    differ within one date are only listed.
    """
    noun = counted_phrase(question)
    lines: list[tuple[str, int]] = []
    values = distinct_values(figures)
    dated = [f for f in figures if f.date]
    newest = max(dated, key=lambda f: f.date) if dated else None
    newest_values = {f.value for f in dated if newest and f.date == newest.date}
    over_time = len(values) > 1 and len({f.date for f in dated}) > 1 and len(newest_values) == 1
    if over_time:
        lines.append(("The articles give different figures, depending on when they were written", 0))
    elif len(values) > 1:
        lines.append(("The articles give more than one figure", 0))
    for f in figures:
        c = f.scored.chunk
        when = f", {format_date(f.date)}" if f.date else ""
        lines.append((f"{c.publisher or c.title or c.source_id}{when}: {f.value} {noun}".rstrip(), numbers[c.chunk_id]))
    if over_time and newest:
        lines.append((f"The most recent figure is {newest.value} ({format_date(newest.date)})", numbers[newest.scored.chunk.chunk_id]))
    return lines


def format_date(iso: str) -> str:
    """2018-06-17 -> June 17, 2018; 2016-05 -> May 2016."""
    parts = iso.split("-")
    try:
        if len(parts) >= 3:
            return f"{_MONTHS[int(parts[1]) - 1]} {int(parts[2])}, {parts[0]}"
        if len(parts) == 2:
            return f"{_MONTHS[int(parts[1]) - 1]} {parts[0]}"
    except (ValueError, IndexError):
        pass
    return iso


def _value(number: str) -> int | None:
    word = NUMBER_WORDS.get(number.lower())
    if word is not None:
        return int(word)
    digits = number.replace(",", "")
    if not digits.isdigit() or (len(digits) == 4 and digits[:2] in {"19", "20"}):  # a year, not a count
        return None
    return int(digits)
