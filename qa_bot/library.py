"""What the library holds, at a glance: the figures ``qa-bot stats`` prints and the chat shows beside itself.

One function makes them from the store's article rows (``ArticleStore.articles()``), so the CLI and the UI
cannot disagree; :func:`library_fingerprint` says when the library changed (what example questions are
cached against); :func:`outside_range_note` tells a user who asked about years the library does not cover
which range it holds.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any, Sequence

YEAR = re.compile(r"\b(19\d\d|20\d\d)\b")  # a year a question asks about (the date gate reads it too)


@dataclass(frozen=True)
class LibrarySummary:
    """Articles, chunks, outlets, the date range and the newest article of the ingested library."""

    articles: int
    chunks: int
    publishers: list[str] = field(default_factory=list)
    first_date: str = ""
    last_date: str = ""
    newest: dict[str, str] | None = None  # source, title, publisher, published_at of the latest dated article

    @property
    def empty(self) -> bool:
        return self.articles == 0

    def to_dict(self) -> dict[str, Any]:
        return {"articles": self.articles, "chunks": self.chunks, "publishers": self.publishers,
                "dates": [self.first_date, self.last_date], "newest": self.newest}


def summarize(rows: Sequence[dict[str, Any]]) -> LibrarySummary:
    """The summary of ``ArticleStore.articles()`` rows (each with source, title, publisher, published_at, chunks)."""
    dated = [r for r in rows if r.get("published_at")]
    newest = max(dated, key=lambda r: (r["published_at"], r["source"]), default=None)
    return LibrarySummary(
        articles=len(rows),
        chunks=sum(int(r.get("chunks") or 0) for r in rows),
        publishers=sorted({r["publisher"] for r in rows if r.get("publisher")}),
        first_date=min((r["published_at"] for r in dated), default=""),
        last_date=max((r["published_at"] for r in dated), default=""),
        newest=None if newest is None else {k: str(newest.get(k) or "") for k in
                                            ("source", "title", "publisher", "published_at")},
    )


def library_fingerprint(rows: Sequence[dict[str, Any]]) -> str:
    """Changes whenever an article is added, removed or replaced (its content hash is part of it)."""
    keys = sorted(f"{r.get('source')}\t{r.get('article_hash', '')}\t{r.get('chunks')}" for r in rows)
    return hashlib.sha256("\n".join(keys).encode("utf-8")).hexdigest()[:16]


def outside_range_note(question: str, summary: LibrarySummary, date_from: str | None = None,
                       date_to: str | None = None) -> str | None:
    """"The library holds articles from … to …" when the years the question (or its date filter) asks about
    all fall outside the library's dates; None when they overlap or nothing is dated."""
    if not (summary.first_date and summary.last_date):
        return None
    first, last = int(summary.first_date[:4]), int(summary.last_date[:4])
    years = {int(y) for y in YEAR.findall(question)}
    asked = [(y, y) for y in years]
    if date_from or date_to:
        asked.append((int((date_from or "1900")[:4]), int((date_to or "2999")[:4])))
    if not asked or any(lo <= last and hi >= first for lo, hi in asked):
        return None
    return f"The library holds articles from {summary.first_date} to {summary.last_date}."
