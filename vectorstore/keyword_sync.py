"""Keeping the keyword index true to the Chroma store, which is the source of truth.

Every write pass bumps a generation counter in the collection's metadata
*before* it changes anything, and the keyword index records the generation and
chunk count it reflects only *after* its commit. So an index that is missing,
damaged, built by another schema, or left behind by a writer that died (kill -9,
a stopped server) never matches the store, and is rebuilt from it with a
message instead of being used.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Iterable, Iterator

from vectorstore.bm25 import SCHEMA_VERSION, KeywordDoc, KeywordIndex, KeywordIndexError, KeywordWriter

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Rebuild:
    """A rebuild of the keyword index from the store, and why it was needed."""

    reason: str
    chunks: int
    seconds: float

    def message(self) -> str:
        return f"keyword index rebuilt from the store ({self.reason}): {self.chunks} chunks in {self.seconds:.1f}s"


def staleness(index: KeywordIndex, generation: int, count: int) -> str | None:
    """Why the index cannot be used for a store at this generation and count; None when it can."""
    if not index.exists():
        return "missing"
    state = index.read_state()
    if state is None:
        return "no readable state: an interrupted write or damage"
    if state.generation < 0:
        return "missing"  # created empty by a writer that has not finished a pass
    if state.schema != SCHEMA_VERSION:
        return f"built with keyword schema {state.schema}, this version uses {SCHEMA_VERSION}"
    if state.generation != generation:
        return f"older than the store (index generation {state.generation}, store {generation})"
    if state.chunks != count:
        return f"chunk count differs (index {state.chunks}, store {count})"
    try:
        if not index.is_open() or index.changed_on_disk():
            index.reload()
        indexed = index.count()
    except KeywordIndexError as exc:
        return f"damaged: {exc}"
    if indexed != count:
        return f"index holds {indexed} chunks, the store {count}"
    return None


def rebuild(writer: KeywordWriter, docs: Iterable[list[KeywordDoc]], reason: str) -> Rebuild:
    """Replace the index's content by the store's (committed and stamped by the caller)."""
    t0 = time.perf_counter()
    writer.delete_all()
    n = 0
    for page in docs:
        writer.add(page)
        n += len(page)
    return Rebuild(reason=reason, chunks=n, seconds=time.perf_counter() - t0)


def paged(get_page, page_size: int) -> Iterator[list]:
    """Pages of a store listing, ``get_page(offset, limit)``, until one comes back short."""
    offset = 0
    while True:
        page = get_page(offset, page_size)
        if page:
            yield page
        if len(page) < page_size:
            return
        offset += page_size
