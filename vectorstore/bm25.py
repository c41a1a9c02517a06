"""The keyword (BM25) index: a Tantivy index on disk beside the Chroma store.

News questions are full of names and publishers, where exact-term matching
beats small dense models; indexing the "title | publisher | date" header lets
"as reported by TechCrunch" match the right articles.

The index is persisted and updated incrementally (one writer at a time, many
readers), so start-up is an mmap, not a rebuild, and a query reads only the
posting lists of its terms. Words are split by :func:`tokenize` in Python and
handed to Tantivy's whitespace tokenizer, so the terms are exactly the ones the
answer checks use. ``state.json`` beside the index says which store generation
and chunk count the last complete write reflects; :mod:`vectorstore.keyword_sync`
compares it with the store. Tantivy was chosen over bm25s (no incremental
updates) and rank_bm25 (in-memory rebuild): docs/benchmarks.md#keyword-index.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, NamedTuple, Sequence

_TOKEN = re.compile(r"[a-z0-9]+(?:[.'][a-z0-9]+)*")
STOPWORDS = frozenset(
    """a an and are as at be been but by did do does for from had has have he her his how i if in into is it its
    me my not of on or our she so than that the their them then there these they this those to up was we were what
    when where which who whom whose why will with would you your about after also any can could during more most
    other over said says should such some very just only both each according article articles report reported""".split()
)
SCHEMA_VERSION = 4  # 4: published_at stored, so a dense hit's filter fields come from the index
_STATE = "state.json"
_DATA = "tantivy"
_WRITER_HEAP = 16_000_000  # per thread; Tantivy holds up to this much of an ingest's documents before it writes a segment (64 MB grew peak ingest memory by up to 128 MB, docs/benchmarks.md)


def tokenize(text: str) -> list[str]:
    """Lower-cased word tokens without stopwords; possessives folded ("NATO's" -> "nato")."""
    words = _TOKEN.findall(text.lower().replace("’", "'"))
    return [w for w in (w[:-2] if w.endswith("'s") else w for w in words) if w and w not in STOPWORDS]


class KeywordIndexError(RuntimeError):
    """The index on disk cannot be used (damaged, wrong schema); it must be rebuilt."""


class KeywordIndexBusy(RuntimeError):
    """Another process (an ingest) holds the index's single writer."""


@dataclass(frozen=True)
class KeywordDoc:
    """What the keyword index keeps of one chunk: its id, filter fields and the text to match."""

    chunk_id: str
    source: str
    section: str
    publisher: str
    published_at: str
    date_key: int
    text: str


class KeywordHit(NamedTuple):
    """One keyword match: enough to fuse and diversify before the chunk itself is read from the store."""

    chunk_id: str
    score: float
    source: str
    publisher: str


class IndexedChunk(NamedTuple):
    """The filter and fusion fields the index stores for one chunk (all but its text)."""

    chunk_id: str
    source: str
    section: str
    publisher: str
    published_at: str


@dataclass(frozen=True)
class KeywordState:
    """Which store generation and chunk count the last complete write of the index reflects."""

    generation: int
    chunks: int
    schema: int = SCHEMA_VERSION


def _schema():
    import tantivy

    sb = tantivy.SchemaBuilder()
    sb.add_text_field("chunk_id", stored=True, tokenizer_name="raw")
    sb.add_text_field("source", stored=True, tokenizer_name="raw")
    sb.add_text_field("section", stored=True, tokenizer_name="raw")
    sb.add_text_field("publisher", stored=True, tokenizer_name="raw", fast=True)
    sb.add_text_field("publisher_lc", tokenizer_name="raw")
    sb.add_text_field("published_at", stored=True, tokenizer_name="raw", fast=True)
    sb.add_integer_field("date_key", indexed=True, fast=True)
    sb.add_text_field("body", tokenizer_name="whitespace", index_option="freq")
    return sb.build()


class KeywordIndex:
    """A BM25 index in one directory: ``tantivy/`` (segments) and ``state.json``."""

    def __init__(self, path: Path, threads: int = 1, commit_every_s: float = 30.0):
        self.path = Path(path)
        self.threads = max(1, threads)
        self.commit_every_s = commit_every_s  # during a long ingest, readers see progress this often
        self._index = None
        self._schema = None
        self._stamp: tuple = ()
        self._facets: tuple[list[str], str] | None = None
        self._lock = threading.RLock()

    # --- state ---------------------------------------------------------------
    @property
    def state_path(self) -> Path:
        return self.path / _STATE

    def exists(self) -> bool:
        return (self.path / _DATA / "meta.json").is_file()

    def read_state(self) -> KeywordState | None:
        """The recorded state, or None when missing or unreadable (both mean: rebuild)."""
        try:
            data = json.loads(self.state_path.read_text())
            return KeywordState(int(data["generation"]), int(data["chunks"]), int(data["schema"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def _write_state(self, state: KeywordState) -> None:
        tmp = self.state_path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"generation": state.generation, "chunks": state.chunks, "schema": state.schema,
                                   "written_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}))
        os.replace(tmp, self.state_path)

    def _disk_stamp(self) -> tuple:
        out = []
        for p in (self.state_path, self.path / _DATA / "meta.json"):
            try:
                st = p.stat()
                out.append((st.st_mtime_ns, st.st_size, st.st_ino))
            except OSError:
                out.append(None)
        return tuple(out)

    # --- reading -------------------------------------------------------------
    def open(self) -> None:
        """Open (mmap) the index; raises KeywordIndexError when it is missing or damaged."""
        import tantivy

        with self._lock:
            if not self.exists():
                raise KeywordIndexError(f"no keyword index at {self.path}")
            try:
                index = tantivy.Index.open(str(self.path / _DATA))
                index.reload()
                index.searcher().num_docs  # noqa: B018 - touches every segment's metadata
            except (ValueError, OSError) as exc:
                raise KeywordIndexError(f"damaged keyword index at {self.path}: {exc}") from exc
            if _schema_of(self.path / _DATA) != _expected_schema():
                raise KeywordIndexError(f"keyword index at {self.path} was built with another schema")
            self._index, self._schema = index, index.schema
            self._stamp = self._disk_stamp()
            self._facets = None

    def is_open(self) -> bool:
        return self._index is not None

    def changed_on_disk(self) -> bool:
        """Whether a writer (this process or another) committed since we last opened or reloaded."""
        return self._disk_stamp() != self._stamp

    def reload(self) -> None:
        """See the last commit (cheap: new segments are mmapped, old ones kept)."""
        with self._lock:
            if self._index is None:
                self.open()
                return
            self._stamp = self._disk_stamp()
            try:
                self._index.reload()
            except ValueError as exc:
                raise KeywordIndexError(f"damaged keyword index at {self.path}: {exc}") from exc
            self._facets = None

    def count(self) -> int:
        return self._searcher().num_docs

    def dead_fraction(self) -> float:
        """Share of indexed documents that are deleted but still counted in BM25's term statistics."""
        try:
            segments = json.loads((self.path / _DATA / "meta.json").read_text())["segments"]
        except (OSError, ValueError, KeyError):
            return 0.0
        total = sum(s["max_doc"] for s in segments)
        dead = sum((s.get("deletes") or {}).get("num_deleted_docs", 0) for s in segments)
        return dead / total if total else 0.0

    def _searcher(self):
        if self._index is None:
            self.open()
        return self._index.searcher()

    def search(self, query: str, n: int, **filters) -> list[tuple[str, float]]:
        """Top-n (chunk id, BM25 score); the filters are those of :meth:`hits`."""
        return [(h.chunk_id, h.score) for h in self.hits(query, n, **filters)]

    def hits(
        self,
        query: str,
        n: int,
        *,
        body_only: bool = False,
        publisher_lc: str | None = None,
        sources: Sequence[str] | None = None,
        date_range: tuple[int, int] = (0, 0),
    ) -> list[KeywordHit]:
        """Top-n matches for the query's words among chunks passing the filters, best first.

        Each query word is one optional clause (a repeated word counts twice, as in
        rank_bm25); filters are zero-scored required clauses, so they never change scores.
        The default filter (no comments) is applied to the top 2n of the unfiltered query
        first: Tantivy can skip blocks (WAND) only in a pure disjunction, ~3x faster here, and
        the answer is the same whenever n of those 2n pass (else the filtered query runs).
        """
        import tantivy

        terms = tokenize(query)
        if not terms or n <= 0:
            return []
        searcher = self._searcher()
        schema = self._schema
        Q, Occur = tantivy.Query, tantivy.Occur
        words = Q.boolean_query([(Occur.Should, Q.term_query(schema, "body", t, "freq")) for t in terms])
        musts = []
        if body_only:
            musts.append(Q.term_query(schema, "section", "body"))
        if publisher_lc:
            musts.append(Q.term_query(schema, "publisher_lc", publisher_lc))
        if sources:
            musts.append(Q.term_set_query(schema, "source", list(sources)))
        lo, hi = date_range
        if lo or hi:  # an undated chunk (date_key 0) never passes a date filter
            musts.append(Q.range_query(schema, "date_key", tantivy.FieldType.Integer, max(lo, 1), hi or None))
        if len(musts) != 1 or not body_only:
            return self._top(searcher, _filtered(words, musts), n)
        wide = self._top(searcher, words, 2 * n, keep_section=True)
        kept = [h for h, section in wide if section == "body"]
        if len(kept) >= n or len(wide) < 2 * n:  # enough passed, or every match was seen
            return kept[:n]
        return self._top(searcher, _filtered(words, musts), n)

    def lookup(self, chunk_ids: Sequence[str]) -> dict[str, IndexedChunk]:
        """The stored fields of those chunks the index holds (ids it does not hold are left out).

        Dense search asks Chroma for ids and distances only (reading metadata costs Chroma more
        than the search itself); these fields, written in the same pass, stand in for them.
        """
        import tantivy

        ids = list(dict.fromkeys(chunk_ids))
        if not ids:
            return {}
        searcher = self._searcher()
        query = tantivy.Query.term_set_query(self._schema, "chunk_id", ids)
        out: dict[str, IndexedChunk] = {}
        for _, addr in searcher.search(query, len(ids), count=False).hits:
            doc = searcher.doc(addr)
            out[doc["chunk_id"][0]] = IndexedChunk(
                doc["chunk_id"][0], doc["source"][0], doc["section"][0],
                (doc["publisher"] or [""])[0], (doc["published_at"] or [""])[0])
        return out

    @staticmethod
    def _top(searcher, query, n: int, keep_section: bool = False) -> list:
        out = []
        for score, addr in searcher.search(query, n, count=False).hits:
            if score > 0:
                doc = searcher.doc(addr)
                hit = KeywordHit(doc["chunk_id"][0], float(score), doc["source"][0], (doc["publisher"] or [""])[0])
                out.append((hit, doc["section"][0]) if keep_section else hit)
        return out

    def facets(self) -> tuple[list[str], str]:
        """(sorted publishers, newest published_at) over all chunks, cached until the next reload."""
        import tantivy

        with self._lock:
            if self._facets is None:
                agg = self._searcher().aggregate(tantivy.Query.all_query(), {
                    "publishers": {"terms": {"field": "publisher", "size": 100_000}},
                    "latest": {"terms": {"field": "published_at", "size": 1, "order": {"_key": "desc"}}},
                })
                publishers = sorted(b["key"] for b in agg["publishers"]["buckets"] if b["key"])
                latest = [b["key"] for b in agg["latest"]["buckets"]]
                self._facets = (publishers, latest[0] if latest else "")
            return self._facets

    # --- writing -------------------------------------------------------------
    def writer(self) -> "KeywordWriter":
        """The single writer; raises KeywordIndexBusy while another process holds it."""
        import tantivy

        with self._lock:
            if not self.exists():
                self.create()
                self._write_state(KeywordState(generation=-1, chunks=0))  # "missing" until a pass completes
            elif self._index is None:
                self.open()
            try:
                raw = self._index.writer(heap_size=_WRITER_HEAP * self.threads, num_threads=self.threads)
            except ValueError as exc:
                if "LockBusy" in str(exc):
                    raise KeywordIndexBusy(f"the keyword index at {self.path} is being written by another process") from None
                raise KeywordIndexError(f"cannot write the keyword index at {self.path}: {exc}") from exc
            return KeywordWriter(self, raw, tantivy)

    def create(self) -> None:
        """Replace whatever is at the path by an empty index with no state (so it reads as stale)."""
        import tantivy

        with self._lock:
            self._index = None
            shutil.rmtree(self.path, ignore_errors=True)
            (self.path / _DATA).mkdir(parents=True)
            index = tantivy.Index(_schema(), path=str(self.path / _DATA))
            self._index, self._schema = index, index.schema
            self._stamp, self._facets = self._disk_stamp(), None


class KeywordWriter:
    """Adds, replaces and deletes chunks; ``finish`` commits and records the store state.

    Until ``finish`` records a state, ``state.json`` still names the previous
    generation, so a writer killed half-way leaves an index that reads as stale.
    """

    def __init__(self, index: KeywordIndex, raw, tantivy_module):
        self._index = index
        self._raw = raw
        self._tantivy = tantivy_module
        self._last_commit = time.monotonic()
        self._dirty = False
        self._since_commit: set[str] = set()  # ids added after the last commit (a lookup cannot see them yet)

    def upsert(self, docs: Sequence[KeywordDoc]) -> None:
        """Add, replacing any version the index holds. Only ids that may be held are deleted first:
        Tantivy keeps every queued delete in memory until the next commit (about 70 MB per 76k
        chunks, docs/benchmarks.md), and a fresh ingest's chunks are held nowhere."""
        ids = [d.chunk_id for d in docs]
        held = set(self._index.lookup(ids)) | (self._since_commit & set(ids))
        self.delete_ids(i for i in ids if i in held)
        self.add(docs)

    def add(self, docs: Iterable[KeywordDoc]) -> None:
        Document = self._tantivy.Document
        for d in docs:
            self._since_commit.add(d.chunk_id)
            self._raw.add_document(Document(
                chunk_id=d.chunk_id, source=d.source, section=d.section, publisher=d.publisher,
                publisher_lc=d.publisher.lower(), published_at=d.published_at, date_key=int(d.date_key),
                body=" ".join(tokenize(d.text)) or "_empty_",
            ))
        self._dirty = True
        self._maybe_commit()

    def delete_source(self, source: str) -> None:
        self._raw.delete_documents_by_term("source", source)
        self._dirty = True

    def delete_ids(self, chunk_ids: Iterable[str]) -> None:
        for chunk_id in chunk_ids:
            self._raw.delete_documents_by_term("chunk_id", chunk_id)
        self._dirty = True

    def delete_all(self) -> None:
        self._raw.delete_all_documents()
        self._dirty = True

    def _maybe_commit(self) -> None:
        if time.monotonic() - self._last_commit >= self._index.commit_every_s:
            self.commit()  # visible to readers; the state still says "stale" until finish()

    def commit(self) -> None:
        """Make the changes so far durable and visible, without recording a store state."""
        self._raw.commit()
        self._last_commit = time.monotonic()
        self._since_commit.clear()
        self._index.reload()

    def finish(self, state: KeywordState) -> None:
        """Commit everything and record which store state the index now matches."""
        self._raw.commit()
        self._index._write_state(state)
        self.close()
        self._index.reload()

    def close(self) -> None:
        """Release the writer lock (uncommitted changes are dropped)."""
        if self._raw is not None:
            try:
                self._raw.rollback()
                self._raw.wait_merging_threads()
            finally:
                self._raw = None


def _filtered(words, musts: list):
    """The word query restricted by zero-scored required filter clauses."""
    import tantivy

    if not musts:
        return words
    Q, Occur = tantivy.Query, tantivy.Occur
    return Q.boolean_query([(Occur.Must, words)] + [(Occur.Must, Q.const_score_query(m, 0.0)) for m in musts])


def _schema_of(data_dir: Path) -> list:
    try:
        return json.loads((data_dir / "meta.json").read_text())["schema"]
    except (OSError, ValueError, KeyError, TypeError):
        return []


@functools.lru_cache(maxsize=1)
def _expected_schema() -> list:
    """The schema this version writes, as Tantivy records it in meta.json (fields, types, options)."""
    import tantivy

    with tempfile.TemporaryDirectory() as tmp:
        tantivy.Index(_schema(), path=tmp)
        return _schema_of(Path(tmp))
