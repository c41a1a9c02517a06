"""Quantities compared as quantities: value, scale and kind, not digits.

"$10 million" is not "10 goals", "5 million" is not "$5 billion", "30%" is not "30 people".
Parsing is quantulum3's (value with scale words and units, number words included); its
statistical unit disambiguation is switched off (its pickled classifier does not load with
the scikit-learn installed here, and the rules it falls back to suffice for these kinds).
What is kept of a unit is its kind: money, percent, time, a plain number, or another unit.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import lru_cache

log = logging.getLogger(__name__)

MONEY, PERCENT, TIME, NUMBER, OTHER = "money", "percent", "time", "number", "other"
_CURRENCY_SIGNS = "$£€¥₪"
_CURRENCY_WORDS = re.compile(r"\b(dollars?|pounds?|euros?|yen|yuan|rupees?|shekels?|francs?|NIS|USD|EUR|GBP|AUD|CAD)\b",
                             re.IGNORECASE)
_TIME_UNITS = {"second", "minute", "hour", "day", "week", "month", "year", "decade", "century"}
# quantulum3 reads "bn" as bits and "m" as metres: newsroom abbreviations spelled out first
_ABBREVIATIONS = [(re.compile(r"(\d)\s?bn\b", re.IGNORECASE), r"\1 billion"),
                  (re.compile(r"(\d)\s?tn\b", re.IGNORECASE), r"\1 trillion"),
                  (re.compile(r"([$£€¥₪]\s?\d[\d,.]*)\s?m\b"), r"\1 million"),
                  (re.compile(r"([$£€¥₪]\s?\d[\d,.]*)\s?k\b", re.IGNORECASE), r"\1 thousand")]


_RANGE_WORD = re.compile(r"\d\D*?(\bto\b|-|–|\band\b)\s*\D*\d")
_DIGITS = re.compile(r"\d[\d,]*(?:\.\d+)?(?<!,)")


@dataclass(frozen=True)
class Quantity:
    value: float
    kind: str  # MONEY, PERCENT, TIME, NUMBER or OTHER
    surface: str
    unit: str = ""  # the unit's name, for OTHER and TIME

    def same_as(self, other: "Quantity") -> bool:
        """The same amount of the same kind. A plain number in the claim also matches the same sum of money
        (less said, not something else); "$10 million" does not match a bare "10 million", nor "10 patients" "10 years"."""
        if not _close(self.value, other.value):
            return False
        if self.kind == other.kind:
            return self.kind not in (OTHER, TIME) or _unit_root(self.unit) == _unit_root(other.unit)
        return self.kind == NUMBER and other.kind == MONEY  # "10 million" for "$10 million"; not "10" for "10 years"


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-6 * max(abs(a), abs(b), 1.0)


def _unit_root(unit: str) -> str:
    return unit.split()[0].rstrip("s") if unit else ""


def _kind(quantity, surface: str) -> tuple[str, str]:
    name = quantity.unit.name
    entity = quantity.unit.entity.name
    if entity == "currency" or any(s in surface for s in _CURRENCY_SIGNS) or _CURRENCY_WORDS.search(surface):
        return MONEY, ""
    if name == "percentage":
        return PERCENT, ""
    first = name.split()[0] if name else ""
    if entity == "time" or first in _TIME_UNITS or (first == "minute" and "arc" in name):  # "45 minutes": not of arc
        return TIME, first
    if entity == "dimensionless":
        return NUMBER, ""
    return OTHER, name


@lru_cache(maxsize=1)
def _parser():
    import quantulum3.classifier as classifier

    classifier.USE_CLF = False
    from quantulum3 import parser

    return parser


@lru_cache(maxsize=20000)
def quantities(text: str) -> tuple[Quantity, ...]:
    """The quantities a text states; a year or a day of the month is a plain number (dates are not amounts)."""
    for pattern, replacement in _ABBREVIATIONS:
        text = pattern.sub(replacement, text)
    try:
        parsed = _parser().parse(text)
    except Exception as exc:  # a parser bug must not take an answer down: fall back to no quantities
        log.warning("quantity parsing failed (%s): %r", exc, text[:120])
        return ()
    out = []
    for q in parsed:
        kind, unit = _kind(q, q.surface)
        if q.uncertainty and _RANGE_WORD.search(q.surface):  # "20 to 80 percent" is 20% and 80%, not their mean
            out += [Quantity(value=float(v), kind=kind, surface=q.surface.strip(), unit=unit)
                    for v in (q.value - q.uncertainty, q.value + q.uncertainty)]
        else:
            out.append(Quantity(value=float(q.value), kind=kind, surface=q.surface.strip(), unit=unit))
    covered = " ".join(q.surface for q in parsed)
    for digits in _DIGITS.findall(text):  # what the parser dropped ("fell from 5,981 to 3,824"): plain numbers
        if digits not in covered:
            out.append(Quantity(value=float(digits.replace(",", "")), kind=NUMBER, surface=digits))
    return tuple(out)


def unmatched_quantities(claim: str, passage: str) -> list[Quantity]:
    """The claim's quantities the passage does not state as the same quantity."""
    stated = quantities(passage)
    return [q for q in quantities(claim) if not any(q.same_as(p) for p in stated)]
