"""Questions that attribute what they ask to outlets the library holds nothing from.

"Considering the Bloomberg article and the Reuters report on X, which …?" cannot be answered
from a library without Bloomberg or Reuters articles, however well other articles match the
words of X; answering from them would put another outlet's reporting in Bloomberg's mouth.
Only explicit attributions to a piece of writing count ("the Bloomberg article", "a report in
The Guardian", "on the ONA website"): "according to Stoltenberg" names a person, and a source
the extractor misses costs nothing (the question is then answered as before).
"""

from __future__ import annotations

import re
from typing import Iterable

_WORK = r"(?:article|piece|story|column|editorial|op-ed|website|blog)s?"  # not "report": NATO publishes reports too
_NAME = r"[A-Z0-9][\w.&'’-]*(?:\s+(?:[A-Z0-9][\w.&'’-]*|\||-|&|of|for))*"
_QUOTE_OPEN, _QUOTE_CLOSE = "['\"“‘]?", "['\"”’]?"
_PATTERNS = [
    # "an article in The Economic Times", "a piece from Business Standard", "a report by 9to5Mac"
    # ("a report on X" is about X, not by it)
    re.compile(rf"\b{_WORK}\s+(?:in|from|by|published\s+(?:in|by))\s+(?:the\s+)?{_QUOTE_OPEN}(?P<name>{_NAME})"),
    # "the Bloomberg article", "a Cricbuzz report", "the 'Sporting News' article", "the ONA website"
    re.compile(rf"{_QUOTE_OPEN}(?P<name>{_NAME}){_QUOTE_CLOSE}\s+{_WORK}\b"),
]
_NOT_NAMES = frozenset("the a an this that these those which what each both one another second first third same "
                       "separate latest recent earlier later subsequent new its his her their".split())


def _norm(name: str) -> str:
    words = re.findall(r"[a-z0-9]+", name.lower())
    while words and words[0] in _NOT_NAMES:
        words.pop(0)
    return " ".join(words)


def attributed_sources(question: str) -> list[str]:
    """The outlets a question attributes a piece of writing to, in order, without duplicates."""
    found: list[str] = []
    for pattern in _PATTERNS:
        for match in pattern.finditer(question):
            name = match.group("name").strip(" -|&'\"‘’“”")
            norm = _norm(name)
            if re.search(r"[a-z]", norm) and norm not in {_norm(f) for f in found}:  # "the 2016 article" names no outlet
                found.append(name)
    return found


def holds(publisher: str, name: str) -> bool:
    """Whether a library publisher is the outlet named ("Cnbc" is "Cnbc | World Business News Leader")."""
    pub, wanted = _norm(publisher), _norm(name)
    if not pub or not wanted:
        return False
    return pub == wanted or re.search(rf"\b{re.escape(wanted)}\b", pub) is not None or \
        re.search(rf"\b{re.escape(pub)}\b", wanted) is not None


def missing_outlets(question: str, publishers: Iterable[str]) -> list[str]:
    """The outlets a question attributes its facts to, when the library holds none of them; else [].

    A library without publisher metadata cannot tell, so it never refuses on this ground.
    """
    publishers = [p for p in publishers if p]
    named = attributed_sources(question)
    if not publishers or not named:
        return []
    if any(holds(p, n) for n in named for p in publishers):
        return []
    return named


def explain(missing: list[str]) -> str:
    names = missing[0] if len(missing) == 1 else ", ".join(missing[:-1]) + " or " + missing[-1]
    return (f"The question asks about reporting by {names}, and the library holds no articles from "
            f"{'it' if len(missing) == 1 else 'them'}.")
