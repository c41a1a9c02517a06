"""Hybrid retrieval: BM25 and dense candidates, fused, diversified and filtered.

Fusion is a weighted reciprocal-rank fusion; on news questions BM25 is the
stronger signal, so it carries more weight. A per-article cap keeps one long
article from filling every slot (multi-hop questions need several articles),
and chunks from publishers named in the question get a boost.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import dataclass
from typing import Literal

from vectorstore.config import RetrievalConfig
from vectorstore.bm25 import KeywordIndex
from vectorstore.documents import Chunk, ScoredChunk, index_text  # noqa: F401  (index_text: re-exported)
from vectorstore.embedding import Embedder
from vectorstore.metadata import date_key, normalise_date, partial_date
from vectorstore.store import ChunkStore

Method = Literal["hybrid", "dense", "bm25"]
log = logging.getLogger(__name__)
_RECHECK_S = 10.0  # how often a reader compares the keyword index with the store when nothing changed on disk


@dataclass
class SearchFilters:
    """Restrict retrieval to some publishers, articles or a date range (inclusive)."""

    publisher: str | None = None
    sources: list[str] | None = None
    date_from: str | None = None
    date_to: str | None = None
    include_comments: bool = False

    def __post_init__(self) -> None:
        """Reject malformed dates and reversed ranges instead of silently not filtering."""
        for name, label in (("date_from", "start date"), ("date_to", "end date")):
            value = getattr(self, name)
            if value is not None:
                try:
                    setattr(self, name, partial_date(value))
                except ValueError as exc:
                    raise ValueError(f"{label} {exc}") from None
        lo, hi = self._range()
        if lo and hi and lo > hi:
            raise ValueError(f"start date ({self.date_from}) is after end date ({self.date_to})")

    def chroma_where(self) -> dict | None:
        clauses: list[dict] = []
        if not self.include_comments:
            clauses.append({"section": "body"})
        if self.publisher:
            clauses.append({"publisher_lc": self.publisher.lower()})
        if self.sources:
            clauses.append({"source": {"$in": list(self.sources)}})
        lo, hi = self._range()
        if lo:
            clauses.append({"date_key": {"$gte": lo}})
        if hi:
            clauses.append({"date_key": {"$lte": hi}})
            if not lo:
                clauses.append({"date_key": {"$gte": 1}})  # an undated chunk never passes a date filter
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}

    def accepts(self, chunk: Chunk) -> bool:
        if not self.include_comments and chunk.section != "body":
            return False
        if self.publisher and chunk.publisher.lower() != self.publisher.lower():
            return False
        if self.sources and chunk.source_id not in self.sources:
            return False
        lo, hi = self._range()
        key = date_key(chunk.published_at)
        if lo and key < lo:
            return False
        if hi and (not key or key > hi):
            return False
        return True

    def _range(self) -> tuple[int, int]:
        lo = date_key(normalise_date(self.date_from)) if self.date_from else 0
        hi = 0
        if self.date_to:
            d = normalise_date(self.date_to)
            hi = date_key(d) + (1130 if len(d) == 4 else 30 if len(d) == 7 else 0)  # whole year/month
        return lo, hi


class HybridRetriever:
    """Searches a :class:`ChunkStore` by keywords, meaning, or both."""

    def __init__(self, store: ChunkStore, embedder: Embedder, config: RetrievalConfig):
        self.store = store
        self.embedder = embedder
        self.config = config
        self._checked_at = 0.0
        self._lock = threading.Lock()
        self.keyword_notice = ""  # what the last start-up check rebuilt, if anything
        self._publishers_by_first_word: tuple[list[str], dict[str, list[str]]] | None = None

    def invalidate(self) -> None:
        """Compare the keyword index with the store again before the next query."""
        with self._lock:
            self._checked_at = 0.0

    def keyword_index(self) -> KeywordIndex:
        """The store's keyword index: checked against the store at first use (and rebuilt if it fell
        behind), reopened when a writer in any process commits, re-checked every few seconds."""
        with self._lock:
            index = self.store.keyword
            now = time.monotonic()
            if not self._checked_at or index.changed_on_disk() or now - self._checked_at > _RECHECK_S:
                done = self.store.ensure_keyword_index()
                if done is not None:
                    self.keyword_notice = done.message()
                elif index.changed_on_disk() or not index.is_open():
                    index.reload()
                self._checked_at = now
            return index

    def latest_date(self) -> str:
        """Publication date of the newest stored article ("" when none is dated)."""
        return self.keyword_index().facets()[1]

    def publishers(self) -> list[str]:
        return self.keyword_index().facets()[0]

    def search(
        self,
        query: str,
        k: int | None = None,
        filters: SearchFilters | None = None,
        method: Method = "hybrid",
    ) -> list[ScoredChunk]:
        """The k best chunks for a query, at most ``max_chunks_per_article`` per article when possible."""
        k = k or self.config.k
        filters = filters or SearchFilters()
        vector, dense, keyword = self.candidates(query, max(self.config.candidates, k * 4), filters, method)
        return self._resolve(self.fuse(query, dense, keyword, k, method), vector)

    def candidates(self, query: str, n: int, filters: SearchFilters, method: Method = "hybrid"):
        """(query vector, dense candidates with similarity, BM25 candidates with score).

        Candidates are mostly stand-ins carrying only their id and filter fields (all that
        fusion needs); :meth:`_resolve` reads the chosen ones from the store.
        """
        if method != "bm25":
            self.store.bind_embedder(self.embedder.identity, record=False)
        vector = self.embedder.embed_query(query)
        dense = self._dense_candidates(vector, n, filters) if method != "bm25" else []
        keyword = self._keyword_candidates(query, n, filters, dense) if method != "dense" else []
        return vector, dense, keyword

    def _dense_candidates(self, vector, n: int, filters: SearchFilters) -> list[tuple[Chunk, float]]:
        """The n nearest chunks that pass the filters, best first.

        Chroma gives the nearest ids and distances only (2n of them when a filter applies); the
        keyword index, written in the same pass, gives each one's filter fields, and
        :meth:`SearchFilters.accepts` decides, as on the keyword side. Ids the index does not hold
        yet (another process's ingest before its commit) are read from Chroma. When fewer than n
        of the 2n pass, Chroma's own filtered query answers.
        """
        where = filters.chroma_where()
        asked = 2 * n if where else n
        wide = self.store.nearest_ids(vector, asked)
        fields = self.keyword_index().lookup([i for i, _ in wide])
        unindexed = [i for i, _ in wide if i not in fields]
        read = {c.chunk_id: c for c in self.store.get_chunks(unindexed)} if unindexed else {}
        kept = []
        for chunk_id, similarity in wide:
            indexed = fields.get(chunk_id)
            chunk = read.get(chunk_id) or (indexed and _stand_in(indexed.chunk_id, indexed.source, indexed.publisher,
                                                                 indexed.section, indexed.published_at))
            if chunk is not None and filters.accepts(chunk):
                kept.append((chunk, similarity))
        if len(kept) >= n or len(wide) < asked:  # enough passed, or every chunk was seen
            return kept[:n]
        return self.store.dense_search(vector, n, where)

    def keyword_search(self, query: str, n: int, filters: SearchFilters) -> list[tuple[Chunk, float]]:
        """BM25 matches as (chunk read from the store, score), best first."""
        hits = self._keyword_candidates(query, n, filters)
        chunks = {c.chunk_id: c for c in self.store.get_chunks([c.chunk_id for c, _ in hits])}
        return [(chunks[c.chunk_id], score) for c, score in hits if c.chunk_id in chunks]

    def _keyword_candidates(self, query: str, n: int, filters: SearchFilters, known=()) -> list[tuple[Chunk, float]]:
        hits = self.keyword_index().hits(
            query, n, body_only=not filters.include_comments,
            publisher_lc=filters.publisher.lower() if filters.publisher else None,
            sources=filters.sources, date_range=filters._range(),
        )
        chunks = {c.chunk_id: c for c, _ in known}
        return [(chunks.get(h.chunk_id) or _stand_in(h.chunk_id, h.source, h.publisher), h.score) for h in hits]

    def _resolve(self, chosen: list[ScoredChunk], vector) -> list[ScoredChunk]:
        """Read the chosen stand-ins from the store (one read); keyword-only ones get their similarity."""
        wanted = [s.chunk.chunk_id for s in chosen if _is_stand_in(s.chunk)]
        if not wanted:
            return chosen
        import numpy as np

        q = np.asarray(vector, dtype=np.float32)
        found = {c.chunk_id: (c, e) for c, e in self.store.get_chunks_and_vectors(wanted)}
        out = []
        for item in chosen:
            if not _is_stand_in(item.chunk):
                out.append(item)
            elif item.chunk.chunk_id in found:
                chunk, emb = found[item.chunk.chunk_id]
                item.chunk = chunk
                if item.dense_similarity is None:
                    item.dense_similarity = float(np.dot(q, emb))
                out.append(item)
        if len(out) < len(chosen):
            log.warning("chosen chunks missing from the store; the keyword index will be checked again")
            self.invalidate()
        return out

    def fuse(self, query: str, dense, keyword, k: int, method: Method = "hybrid") -> list[ScoredChunk]:
        """Weighted reciprocal-rank fusion, publisher boost, then the per-article cap."""
        fused: dict[str, ScoredChunk] = {}
        linear = self.config.fusion == "linear"
        rrf = self.config.rrf_k
        w_dense = self.config.dense_weight if method == "hybrid" else 1.0
        w_bm25 = self.config.bm25_weight if method == "hybrid" else 1.0
        top_bm25 = keyword[0][1] if keyword else 1.0
        for rank, (chunk, sim) in enumerate(dense, start=1):
            item = fused.setdefault(chunk.chunk_id, ScoredChunk(chunk=chunk, score=0.0))
            item.score += w_dense * (max(sim, 0.0) if linear else 1 / (rrf + rank))
            item.dense_rank, item.dense_similarity = rank, sim
        for rank, (chunk, score) in enumerate(keyword, start=1):
            item = fused.setdefault(chunk.chunk_id, ScoredChunk(chunk=chunk, score=0.0))
            item.score += w_bm25 * (score / top_bm25 if linear else 1 / (rrf + rank))
            item.bm25_rank, item.bm25_score = rank, score
        if method == "hybrid":
            named = self._publishers_named_in(query)
            unit = 1.0 if linear else 1 / (rrf + 1)
            for item in fused.values():
                if item.chunk.publisher.lower() in named:
                    item.score += self.config.publisher_boost * w_bm25 * unit
        ranked = sorted(fused.values(), key=lambda s: s.score, reverse=True)
        return diversify(ranked, k, self.config.max_chunks_per_article, self.config.same_article_decay)

    def _publishers_named_in(self, query: str) -> set[str]:
        """Publishers the query names as whole words. Only names whose first word is a word of the
        query are tried (a whole-word match needs it), so the cost follows the query, not the archive."""
        publishers = self.publishers()
        if self._publishers_by_first_word is None or self._publishers_by_first_word[0] is not publishers:
            by_word: dict[str, list[str]] = {}
            for name in {p.lower() for p in publishers if p}:
                first = re.match(r"\w+", name)
                by_word.setdefault(first.group(0) if first else "", []).append(name)
            self._publishers_by_first_word = (publishers, by_word)
        by_word = self._publishers_by_first_word[1]
        q = query.lower()
        tried = [name for word in {""} | set(re.findall(r"\w+", q)) for name in by_word.get(word, ())]
        return {name for name in tried if re.search(rf"\b{re.escape(name)}\b", q)}


def _stand_in(chunk_id: str, source: str, publisher: str, section: str = "body", published_at: str = "") -> Chunk:
    """A candidate known only by its id and filter fields (text empty, offsets -1) until it is read from the store."""
    return Chunk(chunk_id=chunk_id, source_id=source, text="", start=-1, end=-1, section=section,
                 publisher=publisher, published_at=published_at)


def _is_stand_in(chunk: Chunk) -> bool:
    return chunk.start == -1


def diversify(ranked: list[ScoredChunk], k: int, per_article: int, decay: float = 1.0) -> list[ScoredChunk]:
    """Take the best k, at most ``per_article`` from one article, topping up if too few articles.

    With ``decay`` < 1, the n-th chunk of an article competes with its score times decay**(n-1).
    """
    if decay < 1.0:
        seen: dict[str, int] = {}
        adjusted: list[ScoredChunk] = []
        for item in ranked:
            n = seen.get(item.chunk.source_id, 0)
            seen[item.chunk.source_id] = n + 1
            item.score *= decay**n  # the score shown is the one the ranking used
            adjusted.append(item)
        ranked = sorted(adjusted, key=lambda s: s.score, reverse=True)
    chosen: list[ScoredChunk] = []
    counts: dict[str, int] = {}
    overflow: list[ScoredChunk] = []
    for item in ranked:
        if len(chosen) >= k:
            break
        source = item.chunk.source_id
        if per_article and counts.get(source, 0) >= per_article:
            overflow.append(item)
            continue
        counts[source] = counts.get(source, 0) + 1
        chosen.append(item)
    chosen.extend(overflow[: k - len(chosen)])
    return chosen
