"""The asked-for fact: an answer stands only if a supported sentence states it, for the question's subject.

A near miss ("How much does Messi earn at Inter Miami?" over an article giving Ronaldo's salary)
is answered by a small model with a figure the passage holds for something else, and the
sentence's words overlap the passage well enough to look supported. So, for a question asking
for a value (an amount, count, percentage, duration, date, name or place: ``qa_bot.asking``),
some shown sentence must contain a value of that kind the question does not already hold, and
a passage supporting that sentence must state the same value (a quantity compared as a
quantity) in a sentence about the question's subject: that sentence must
hold at least ``FOCUS_SHARE`` of the question's focus words, or ``MAX_FOCUS_WORDS`` of them (read with the sentence before it when
it refers back: "He earns ..."), and must not state the value as
a plan, expectation or possibility unless the question asks about one. When no sentence does,
the answer is the refusal, saying what the closest passage states instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from qa_bot.answer import AnswerSentence
from qa_bot.asking import (AMOUNT, COUNT, DATE, DURATION, NAME, PERCENTAGE, PLACE, WHAT, Asked, asked_for)
from qa_bot.checking.assertions import _tokens, hedged
from qa_bot.checking.quantities import MONEY, NUMBER, OTHER, PERCENT, TIME, Quantity, quantities
from qa_bot.citations import UNSUPPORTED, Passage
from qa_bot.steps import Rules
from qa_bot.steps.retrieval import Sourced

FOCUS_SHARE = 0.6  # chosen on the near-miss development set (docs/benchmarks.md#trust)
# a sentence names its subject in a few words: a long question (a multi-article one describes its subject with
# 20-40 content words) needs this many of them in the value's sentence, not the share
MAX_FOCUS_WORDS = 4
# a sentence that refers back ("He earns ...", "The company paid ...", one naming no one) is read with the one before
_REFERS_BACK = re.compile(r"\b(he|she|it|they|him|his|her|its|their|them|the (company|club|team|firm|group|deal|"
                          r"agency|court|judge|board|government|country|league|player|star|singer|study))\b", re.IGNORECASE)
_KINDS = {AMOUNT: (MONEY, NUMBER, PERCENT, OTHER), COUNT: (NUMBER, OTHER), PERCENTAGE: (PERCENT,),
          DURATION: (TIME,)}
_DATE_PART = re.compile(
    r"\b(1[89]\d\d|20\d\d|january|february|march|april|may|june|july|august|september|october|november|december"
    r"|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec)\b", re.IGNORECASE)
_NAME = re.compile(r"\b[A-Z][\w'’\-]*[A-Za-z]")
_NOT_NAMES = frozenset("the a an this that these those it its he she they his her their in on at for of and but "
                       "yes no according however also".split())


@dataclass(frozen=True)
class Value:
    """A value a sentence states: a quantity, or a date word or name (matched as text)."""

    quantity: Quantity | None = None
    text: str = ""

    def in_sentence(self, sentence: str) -> bool:
        if self.quantity is not None:
            return any(self.quantity.same_as(q) for q in quantities(sentence))
        return re.search(rf"\b{re.escape(self.text)}\b", sentence, re.IGNORECASE) is not None

    def words(self) -> set[str]:
        return set(_tokens(self.quantity.surface if self.quantity is not None else self.text))


def values(kind: str, sentence: str, question: str) -> list[Value]:
    """The values of the asked kind the sentence states that the question does not already hold."""
    if kind in _KINDS:
        asked = quantities(question)
        found = [q for q in quantities(sentence) if q.kind in _KINDS[kind] and not any(q.same_as(a) for a in asked)]
        if kind == COUNT:
            found = [q for q in found if not _is_year(q)]
        return [Value(quantity=q) for q in found]
    if kind == DATE:
        asked = {m.lower() for m in _DATE_PART.findall(question)}
        return [Value(text=m) for m in dict.fromkeys(_DATE_PART.findall(sentence)) if m.lower() not in asked]
    if kind in (NAME, PLACE):
        asked = question.lower()
        names = [m for m in _NAME.findall(sentence) if m.lower() not in _NOT_NAMES and m.lower() not in asked]
        return [Value(text=m) for m in dict.fromkeys(names)]
    return []


def _is_year(q: Quantity) -> bool:
    return q.kind == NUMBER and q.value.is_integer() and 1900 <= q.value <= 2100 and re.fullmatch(r"\d{4}", q.surface) is not None


def _refers_back(sentence: str) -> bool:
    """A pronoun or "the company", or no name at all after its first word ("The back-rower made 28 tackles")."""
    return bool(_REFERS_BACK.search(sentence)) or not _NAME.search(sentence.strip()[1:])


def focus_share(asked: Asked, text: str) -> float:
    """The share of the question's focus words the text holds (all of them, once it holds MAX_FOCUS_WORDS)."""
    if not asked.focus:
        return 1.0
    held = len(asked.focus & set(_tokens(text)))
    return 1.0 if held >= MAX_FOCUS_WORDS else held / len(asked.focus)


def stated_for_subject(value: Value, asked: Asked, passage: Passage, share: float = FOCUS_SHARE) -> bool:
    """Some sentence of the passage states the value, about the question's subject, as a fact (unless asked as a plan)."""
    sentences = passage.sentences
    for i, sentence in enumerate(sentences):
        if not value.in_sentence(sentence):
            continue
        if not asked.modal and hedged(sentence, value.words()):
            continue  # "is seeking $250 million", "expected to draw 4,000": not the fact asked for
        if focus_share(asked, sentence) >= share:
            return True
        if i and _refers_back(sentence) and focus_share(asked, f"{sentences[i - 1]} {sentence}") >= share:
            return True  # "He earns $X": the subject is named in the sentence before
    return False


class AskedFact:
    """The gate after verification: the asked-for fact stated by a supported sentence, for its subject."""

    def __init__(self, rules: Rules, share: float = FOCUS_SHARE):
        self.rules = rules
        self.share = share

    def missing(self, question: str, sentences: Sequence[AnswerSentence], passages: Sequence[Sourced]) -> str:
        """"" when the answer states the asked-for fact (or the question asks for none); else the refusal's reason."""
        asked = asked_for(question)
        if not self.rules.on("asked_fact") or not asked.wants_value:
            return ""
        by_n = {p.n: p for p, _ in passages}
        for s in sentences:
            if not s.supported_by or s.level == UNSUPPORTED:
                continue
            for value in values(asked.kind, s.text, question):
                if not asked.modal and hedged(s.text, value.words()):
                    continue  # the answer itself says it was only planned, expected or possible
                if any(stated_for_subject(value, asked, by_n[n], self.share) for n in s.supported_by if n in by_n):
                    return ""
        return explain(asked, passages)


def explain(asked: Asked, passages: Sequence[Sourced]) -> str:
    """What was not found, and what the closest passage says instead."""
    reason = f"They do not state {WHAT[asked.kind]} asked for"
    best, where = "", None
    for passage, scored in passages:
        for sentence in passage.sentences:
            if len(sentence) > 20 and focus_share(asked, sentence) > (focus_share(asked, best) if best else 0.0):
                best, where = sentence, scored.chunk
    if best and where is not None:
        source = ", ".join(x for x in (where.publisher, (where.published_at or "")[:10]) if x) or where.source_id
        return f"{reason}; the closest passage ({source}) says: “{best.strip()}”"
    return reason + "."
