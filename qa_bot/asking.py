"""What a question asks for: the kind of fact (an amount, a count, a date, a name ...) and its focus words.

A near miss (the right person and topic, a fact no article states) is answered by a small model
with whatever figure of that kind the passages hold. Knowing what kind of fact is asked for, and
what it is about, lets the answer be checked for that fact stated for that subject
(``qa_bot.steps.asked_fact``) rather than for words in common.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qa_bot.checking.assertions import MODALS, _STOP, _tokens
from qa_bot.citations import is_yes_no_question

AMOUNT, COUNT, PERCENTAGE, DURATION, DATE, NAME, PLACE, YES_NO, OTHER = (
    "amount", "count", "percentage", "duration", "date", "name", "place", "yes_no", "other")
# what a refusal says was not found, per kind
WHAT = {AMOUNT: "the amount", COUNT: "the number", PERCENTAGE: "the percentage", DURATION: "how long",
        DATE: "the date", NAME: "who or which one", PLACE: "the place", YES_NO: "whether it happened", OTHER: "that"}

_I = re.IGNORECASE
_PATTERNS = [  # first match wins: "how many years" is a duration, "how much of" a share
    (PERCENTAGE, re.compile(r"\b(what|which)\s+(\w+\s+)?(percentage|percent|share|proportion|fraction)\b|\bhow much of\b"
                            r"|\bby what (percentage|percent)\b|\bwhat\s+%", _I)),
    (DURATION, re.compile(r"\bhow long\b|\bhow many (years|months|weeks|days|hours|minutes|seconds|decades)\b"
                          r"|\bfor how (many|much) (time|years|months)\b", _I)),
    (COUNT, re.compile(r"\bhow many\b|\bhow (big|large|small) (was|is|were|are)\b|\bwhat (was|is) the (number|size|count|"
                       r"attendance|crowd|toll|tally)\b", _I)),
    (AMOUNT, re.compile(r"\bhow much\b|\bfor how much\b|\bwhat (price|amount|sum)\b|\bat what price\b"
                        r"|\bwhat (was|is|were|are|will be) (the |its |their |his |her )?([\w'’]+\s+){0,3}?"
                        r"(price|cost|value|valuation|salary|fine|revenue|fee|budget|amount|sum|profit|loss|pay|payment|"
                        r"bill|penalty|worth|income|sales)\b", _I)),
    (DATE, re.compile(r"^\s*when\b|\bwhat (year|date|day|month)\b|\b(in|on|by|since) (what|which) (year|date|day|month)\b", _I)),
    (PLACE, re.compile(r"^\s*where\b|\b(in|at|to|from) (what|which) (city|country|town|state|place|venue|stadium|region)\b", _I)),
    (NAME, re.compile(r"^\s*(who|whom|whose)\b|^\s*(which|what) (\w+\s+)?(company|person|player|team|firm|group|man|woman|"
                      r"country|club|coach|judge|executive|ceo|brand|app|product|model|party|official|organi[sz]ation|"
                      r"outlet|publication|artist|singer|band|actor)\b|\bwhat (was|is) (the |his |her |its )?name\b", _I)),
]
# words every question of a kind has: not what it is about
_ASK_WORDS = frozenset("what which who whom whose when where why how much many long big large small do does did "
                       "be is are was were will would can could has have had year date day month time number "
                       "percentage percent share proportion name".split())


@dataclass(frozen=True)
class Asked:
    kind: str
    focus: frozenset[str]  # the question's content words, by lemma: what the fact must be stated for
    modal: bool  # the question itself asks about a plan, an expectation or a possibility ("will", "could")

    @property
    def wants_value(self) -> bool:
        return self.kind in (AMOUNT, COUNT, PERCENTAGE, DURATION, DATE, NAME, PLACE)


_ATTRIBUTION = re.compile(r",?\s*\b(according to|as reported by|reported by|per)\b[^,?]*", re.IGNORECASE)


def asked_for(question: str) -> Asked:
    """The kind of fact the question asks for, and the words it is asked about (who reported it is not the subject)."""
    question = asked_sentence(question)
    tokens = _tokens(_ATTRIBUTION.sub("", question))
    focus = frozenset(t for t in tokens if t not in _STOP and t not in _ASK_WORDS and len(t) > 1)
    modal = any(t in MODALS for t in tokens)
    if is_yes_no_question(question):  # "Do the articles agree on how many members NATO has?" asks yes or no
        return Asked(YES_NO, focus, modal)
    for kind, pattern in _PATTERNS:
        if pattern.search(question):
            return Asked(kind, focus, modal)
    return Asked(OTHER, focus, modal)


def asked_sentence(question: str) -> str:
    """The sentence that asks: a preamble ("Note to the assistant: … . How many …?") is not what it is about."""
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", question.strip()) if s]
    asking = [s for s in sentences if s.endswith("?")]
    return asking[-1] if asking else question
