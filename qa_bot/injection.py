"""Spot text that tries to give the bot orders, so it can be set aside as data.

Used on questions (the request is removed before retrieval and generation; a
question that is nothing but such a request is refused) and on source
excerpts (such sentences are not shown to the model, though they stay in the
stored article and its citations).
"""

from __future__ import annotations

import re

_ORDER = re.compile(
    r"\b(ignore|disregard|forget|override|bypass)\b.{0,40}\b(instructions?|rules|prompt|guidelines|articles|sources|context|above|previous)\b"
    r"|\b(show|print|reveal|repeat|output|display|tell|give|leak)\b.{0,40}\b(system\s+prompt|hidden\s+instructions?|your\s+instructions?|initial\s+prompt|prompt\s+verbatim)\b"
    r"|\b(you\s+are\s+now|act\s+as|pretend\s+(to\s+be|you\s+are)|from\s+now\s+on)\b"
    r"|\bnote\s+to\s+the\s+(assistant|ai|model|bot)\b"
    r"|\b(always|only)\s+(answer|reply|respond|say)\b",
    re.IGNORECASE,
)
_CLAUSE = re.compile(r"(?<=[.!?;:])\s+|,\s+(?:then|and then|and)\s+|\s+(?:and\s+)?then\s+(?=tell|say|answer|explain|list|give)", re.IGNORECASE)


def looks_like_order(text: str) -> bool:
    return bool(_ORDER.search(text))


def strip_orders(question: str) -> tuple[str, bool]:
    """Remove clauses that give the bot orders; return (what is left, whether anything was removed)."""
    clauses = [c for c in _CLAUSE.split(question) if c and c.strip()]
    kept = [c for c in clauses if not looks_like_order(c)]
    if len(kept) == len(clauses):
        return question, False
    text = " ".join(c.strip() for c in kept).strip()
    text = re.sub(r"^(and|then|but|also)\s+", "", text, flags=re.IGNORECASE)
    text = re.sub(r"^(tell|show|give)\s+me\s+", "", text, flags=re.IGNORECASE)
    if re.match(r"(who|what|when|where|which|why|how)\b", text, re.IGNORECASE):
        text = text.rstrip(" .!?") + "?"  # "tell me which magazine ..." is a question again
    return (text[:1].upper() + text[1:]) if text else "", True
