"""Article metadata the text itself gives away: a title and a publication date."""

from __future__ import annotations

import re
from datetime import date, datetime

_MONTHS = "january|february|march|april|may|june|july|august|september|october|november|december"
_MONTH_DAY_YEAR = re.compile(rf"\b({_MONTHS})\s+(\d{{1,2}}),?\s+((?:19|20)\d\d)\b", re.IGNORECASE)
_DAY_MONTH_YEAR = re.compile(rf"\b(\d{{1,2}})\s+({_MONTHS})\s+((?:19|20)\d\d)\b", re.IGNORECASE)
_ISO = re.compile(r"\b((?:19|20)\d\d)-(\d\d)-(\d\d)\b")
_MONTH_INDEX = {name: i for i, name in enumerate(_MONTHS.split("|"), start=1)}


def derive_title(text: str) -> str:
    """The first non-empty line, when it is short enough to be a headline."""
    for line in text.split("\n"):
        line = line.strip()
        if line:
            return line if len(line) <= 200 else line[:197].rstrip() + "..."
    return ""


def find_date(text: str) -> str:
    """The first full date written in the text, as YYYY-MM-DD ("" if none).

    Only the opening of the page is searched: later dates are usually events
    the article mentions, not when it was published.
    """
    head = text[:1500]
    found: list[tuple[int, date]] = []
    for match in _MONTH_DAY_YEAR.finditer(head):
        found += _as_date(match.start(), match.group(3), match.group(1), match.group(2))
    for match in _DAY_MONTH_YEAR.finditer(head):
        found += _as_date(match.start(), match.group(3), match.group(2), match.group(1))
    for match in _ISO.finditer(head):
        found += _as_date(match.start(), match.group(1), match.group(2), match.group(3))
    if not found:
        return ""
    return min(found)[1].isoformat()


def _as_date(pos: int, year: str, month: str, day: str) -> list[tuple[int, date]]:
    try:
        month_number = int(month) if month.isdigit() else _MONTH_INDEX[month.lower()]
        return [(pos, date(int(year), month_number, int(day)))]
    except (ValueError, KeyError):
        return []


def normalise_date(value: str) -> str:
    """Accept ISO timestamps or free-form dates from manifests; return YYYY-MM-DD, YYYY-MM or ""."""
    value = (value or "").strip()
    if not value:
        return ""
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).date().isoformat()
    except ValueError:
        pass
    if re.fullmatch(r"(19|20)\d\d(-\d\d)?", value):
        return value
    return find_date(value) or ""


_PARTIAL_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


def partial_date(value: str) -> str:
    """Check a YYYY, YYYY-MM or YYYY-MM-DD date given by a user; ValueError says what is wrong."""
    value = value.strip()
    if not _PARTIAL_DATE.match(value):
        raise ValueError(f"must be YYYY, YYYY-MM or YYYY-MM-DD (got {value!r})")
    parts = [int(p) for p in value.split("-")]
    try:
        date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)
    except ValueError:
        raise ValueError(f"is not a real date: {value!r}") from None
    return value


def date_key(value: str) -> int:
    """YYYYMMDD as an int for range filters (missing parts count as the start of the period)."""
    if not value:
        return 0
    parts = value[:10].split("-")
    year = int(parts[0])
    month = int(parts[1]) if len(parts) > 1 else 1
    day = int(parts[2]) if len(parts) > 2 else 1
    return year * 10000 + month * 100 + day
