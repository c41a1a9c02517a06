"""The Chroma collection that holds chunks, their vectors and their metadata, and its keyword index.

Embedded ``PersistentClient`` under the data dir by default, or a ``chroma run``
server through ``HttpClient``. We always pass our own vectors; the collection is
created with no embedding function so Chroma never tries to download one.

Every write goes to Chroma and to the keyword index (:mod:`vectorstore.bm25`) in
the same pass, inside :meth:`ChunkStore.writing`; see :mod:`vectorstore.keyword_sync`
for how an index that fell behind is found and rebuilt.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from contextlib import contextmanager
from dataclasses import fields
from typing import Any, Collection, Iterator, Sequence

import numpy as np

from vectorstore.config import StoreConfig
from vectorstore.bm25 import KeywordDoc, KeywordIndex, KeywordIndexBusy, KeywordIndexError, KeywordState, KeywordWriter
from vectorstore.documents import Chunk, index_text
from vectorstore.faults import crash_point
from vectorstore.keyword_sync import Rebuild, paged, rebuild, staleness
from vectorstore.metadata import date_key

log = logging.getLogger(__name__)

_CHUNK_FIELDS = [f.name for f in fields(Chunk) if f.name not in ("chunk_id", "text")]
_ADD_BATCH = 5000  # Chroma's max batch is 5,461
_PAGE = 5000
_GENERATION = "qa_bot_generation"
_EMBEDDER = "qa_bot_embedder"  # the identity of the embedder whose vectors the collection holds
# Tantivy keeps deleted (replaced) chunks in its BM25 statistics until segments merge, and its Python binding
# cannot force a merge; past this share of dead documents a write pass rebuilds the index so scores stay exact.
_COMPACT_AT = 0.1


class StoreUnavailable(RuntimeError):
    """The Chroma server cannot be reached (http mode); the message names its URL."""


class EmbedderMismatch(RuntimeError):
    """The store's vectors were made by another embedder than the configured one: they must not mix."""


def make_client(config: StoreConfig):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if config.mode == "http":
        headers = {}
        if config.token:
            value = config.token
            headers[config.token_header] = f"Bearer {value}" if config.token_header == "Authorization" else value
        try:
            return chromadb.HttpClient(host=config.host, port=config.port, ssl=config.ssl,
                                       headers=headers or None, settings=chroma_settings)
        except Exception as exc:  # chromadb raises ValueError/ConnectError/... depending on what failed
            raise StoreUnavailable(f"cannot reach the Chroma server at {config.url}: {_first_line(exc)}") from None
    config.path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(config.path), settings=chroma_settings)


class ChunkStore:
    """Chunks with vectors and metadata in one Chroma collection, mirrored by a keyword index."""

    def __init__(self, config: StoreConfig, client: Any | None = None):
        self.config = config
        self.client = client or make_client(config)
        with self._guard():
            self.collection = self.client.get_or_create_collection(
                name=config.collection,
                embedding_function=None,
                configuration={"hnsw": {"space": "cosine"}},
            )
        # one indexing thread: the same speed as two (76k chunks in 11 s; ingest waits on embedding, not on this)
        # and half the writer's memory, which is what grew an ingest's peak RSS (docs/benchmarks.md)
        self.keyword = KeywordIndex(config.keyword_path, commit_every_s=config.keyword_commit_seconds)
        self._writer: KeywordWriter | None = None
        self._write_lock = threading.RLock()
        self.last_rebuild: Rebuild | None = None
        self._bound_embedder: str | None = None

    @contextmanager
    def _guard(self) -> Iterator[None]:
        """In http mode, a server that is down or stops answering becomes one clear error naming its URL."""
        if self.config.mode != "http":
            yield
            return
        try:
            yield
        except StoreUnavailable:
            raise
        except Exception as exc:
            if _is_connection_error(exc):
                raise StoreUnavailable(
                    f"lost the Chroma server at {self.config.url}: {_first_line(exc)}") from None
            raise

    # --- writing ---------------------------------------------------------
    @contextmanager
    def writing(self) -> Iterator[None]:
        """One write pass over Chroma and the keyword index (nested passes join the outer one).

        Holds the keyword index's single writer, brings it up to date first if it fell
        behind, bumps the store generation before the first change, and records the new
        generation in the index only when the pass completes.
        """
        with self._write_lock:  # another thread of this process waits; the same thread joins its pass
            if self._writer is not None:
                yield
                return
            yield from self._write_pass()

    def _write_pass(self) -> Iterator[None]:
        writer = self._open_writer()
        try:
            with self._guard():
                generation, count = self.generation(), self.count()
                reason = staleness(self.keyword, generation, count)
                if reason:
                    self._note(rebuild(writer, self.keyword_docs(), reason))
                generation += 1
                self.collection.modify(metadata={**self._collection_metadata(), _GENERATION: generation})
            self._writer = writer
            yield
            crash_point("store:keyword-commit")
            writer.commit()
            with self._guard():
                if self.keyword.dead_fraction() > _COMPACT_AT:
                    log.info("keyword index: %.0f%% of its documents are replaced ones; rebuilding it from the store",
                             100 * self.keyword.dead_fraction())
                    rebuild(writer, self.keyword_docs(), "compaction")
                count = self.count()
            writer.finish(KeywordState(generation, count))
        finally:
            self._writer = None
            writer.close()

    def add(self, chunks: Sequence[Chunk], embeddings: np.ndarray) -> None:
        """Add whole articles' chunks (each carries its article's chunk count, so partial writes are detectable).

        Several articles go in one call: Chroma's cost per upsert call is several times its cost
        per chunk, so an ingest writes a batch of articles at once.
        """
        per_article = Counter(c.source_id for c in chunks)
        with self.writing(), self._guard():
            for lo in range(0, len(chunks), _ADD_BATCH):
                batch = chunks[lo : lo + _ADD_BATCH]
                self.collection.upsert(
                    ids=[c.chunk_id for c in batch],
                    documents=[c.text for c in batch],
                    embeddings=embeddings[lo : lo + _ADD_BATCH].tolist(),
                    metadatas=[_to_metadata(c, per_article[c.source_id]) for c in batch],
                )
                self._writer.upsert([self._keyword_doc(c) for c in batch])  # upsert semantics in both

    def delete_source(self, source_id: str, keep: Collection[str] = ()) -> int:
        """Delete a source's chunks, except those in ``keep`` (its freshly written version)."""
        with self.writing(), self._guard():
            got = self.collection.get(where={"source": source_id}, include=[])
            ids = [i for i in got["ids"] if i not in keep]
            if ids:
                self.collection.delete(ids=ids)
            if keep:
                self._writer.delete_ids(ids)
            else:
                self._writer.delete_source(source_id)
        return len(ids)

    # --- the keyword index -------------------------------------------------
    def generation(self) -> int:
        """The store's write counter (bumped before every write pass; 0 for a store never written by us)."""
        return int(self._collection_metadata().get(_GENERATION, 0))

    def bind_embedder(self, identity: str, record: bool) -> None:
        """Refuse an embedder other than the one whose vectors this store holds; ``record`` it on first write.

        A store filled before identities were recorded adopts the first embedder that writes to it
        (until then every store here was made by the packaged all-MiniLM-L6-v2).
        """
        if self._bound_embedder == identity:
            return
        metadata = self._collection_metadata()
        recorded = metadata.get(_EMBEDDER)
        if recorded and recorded != identity:
            where = self.config.url if self.config.mode == "http" else str(self.config.path)
            raise EmbedderMismatch(
                f"the store '{self.config.collection}' at {where} holds vectors made by the embedder {recorded}, "
                f"but the configured embedder is {identity}; vectors of two models must not mix. Use the "
                f"embedder the store was made with, or put the new embedder's vectors in a new collection "
                f"(QA_BOT_COLLECTION) or data directory and ingest the articles there")
        if not recorded:
            if not record:
                return
            with self._guard():
                self.collection.modify(metadata={**metadata, _EMBEDDER: identity})
        self._bound_embedder = identity

    def embedder_identity(self) -> str | None:
        """The embedder recorded for this store's vectors (None: never recorded)."""
        return self._collection_metadata().get(_EMBEDDER)

    def _collection_metadata(self) -> dict:
        """The collection's metadata as the server has it now (another process may have changed it)."""
        with self._guard():
            return dict(self.client.get_collection(self.config.collection, embedding_function=None).metadata or {})

    def ensure_keyword_index(self) -> Rebuild | None:
        """Start-up check: rebuild a missing, stale or damaged keyword index; None when it was current.

        While another process (an ingest) holds the writer, its last commit is searched
        and a warning says so; that writer records a fresh state when it finishes.
        """
        reason = staleness(self.keyword, self.generation(), self.count())
        if reason is None:
            return None
        try:
            writer = self._open_writer()
        except KeywordIndexBusy:
            log.warning("keyword index %s (%s) is being written by another process; searching its last commit",
                        self.keyword.path, reason)
            self.keyword.reload()
            return None
        try:
            # re-check with the writer held: the other writer may have finished meanwhile
            if staleness(self.keyword, self.generation(), self.count()) is None:
                return None
            return self._rebuild_with(writer, reason)
        finally:
            writer.close()

    def rebuild_keyword_index(self, reason: str = "asked for") -> Rebuild:
        """Rebuild the keyword index from the store (``qa-bot reindex``)."""
        writer = self._open_writer()
        try:
            return self._rebuild_with(writer, reason)
        finally:
            writer.close()

    def _rebuild_with(self, writer: KeywordWriter, reason: str) -> Rebuild:
        with self._guard():
            generation = self.generation()
            done = rebuild(writer, self.keyword_docs(), reason)
        writer.finish(KeywordState(generation, done.chunks))
        self._note(done)
        return done

    def _open_writer(self) -> KeywordWriter:
        try:
            return self.keyword.writer()
        except KeywordIndexError as exc:
            log.warning("%s; starting it afresh", exc)
            self.keyword.create()
            return self.keyword.writer()

    def _note(self, done: Rebuild) -> None:
        """Say what was rebuilt (a first index over an empty store is nothing to report)."""
        if done.chunks or done.reason != "missing" and self.generation() > 0:
            self.last_rebuild = done
            log.warning(done.message())

    def _keyword_doc(self, chunk: Chunk) -> KeywordDoc:
        return KeywordDoc(
            chunk_id=chunk.chunk_id, source=chunk.source_id, section=chunk.section, publisher=chunk.publisher,
            published_at=chunk.published_at, date_key=date_key(chunk.published_at),
            text=index_text(chunk, self.config.metadata_in_index),
        )

    def keyword_docs(self) -> Iterator[list[KeywordDoc]]:
        def page(offset: int, limit: int) -> list[KeywordDoc]:
            got = self.collection.get(include=["documents", "metadatas"], limit=limit, offset=offset)
            return [self._keyword_doc(_from_record(i, d, m)) for i, d, m in zip(got["ids"], got["documents"], got["metadatas"])]

        return paged(page, _PAGE)

    # --- reading ---------------------------------------------------------
    def source_state(self, source_id: str) -> tuple[str, bool]:
        """(article hash stored for this source, whether all its chunks are present)."""
        got = self.collection.get(where={"source": source_id}, include=["metadatas"])
        metas = got["metadatas"] or []
        if not metas:
            return "", False
        hashes = {m.get("article_hash", "") for m in metas}
        expected = metas[0].get("n_chunks", -1)
        return (hashes.pop() if len(hashes) == 1 else ""), len(metas) == expected

    def count(self) -> int:
        with self._guard():
            return self.collection.count()

    def all_chunks(self) -> list[Chunk]:
        got = self.collection.get(include=["documents", "metadatas"])
        return [_from_record(i, d, m) for i, d, m in zip(got["ids"], got["documents"], got["metadatas"])]

    def lead(self, source: str) -> str:
        """The text of an article's first chunk ("" when the article is not stored)."""
        got = self.collection.get(where={"$and": [{"source": source}, {"index": 0}]}, include=["documents"])
        return (got["documents"] or [""])[0]

    def get_chunks(self, ids: Sequence[str]) -> list[Chunk]:
        if not ids:
            return []
        got = self.collection.get(ids=list(ids), include=["documents", "metadatas"])
        by_id = {i: _from_record(i, d, m) for i, d, m in zip(got["ids"], got["documents"], got["metadatas"])}
        return [by_id[i] for i in ids if i in by_id]

    def get_chunks_and_vectors(self, ids: Sequence[str]) -> list[tuple[Chunk, np.ndarray]]:
        """Chunks with their stored vectors, in the order of ``ids`` (missing ids left out)."""
        if not ids:
            return []
        with self._guard():
            got = self.collection.get(ids=list(ids), include=["documents", "metadatas", "embeddings"])
        by_id = {i: (_from_record(i, d, m), np.asarray(e, dtype=np.float32))
                 for i, d, m, e in zip(got["ids"], got["documents"], got["metadatas"], got["embeddings"])}
        return [by_id[i] for i in ids if i in by_id]

    def dense_search(self, vector: Sequence[float], n: int, where: dict | None = None) -> list[tuple[Chunk, float]]:
        """Nearest chunks with cosine similarity, among those matching ``where``.

        Chroma applies a ``where`` by scanning metadata (~300 ms at 100k chunks here, against a
        few ms unfiltered), so the hybrid retriever filters :meth:`nearest_ids` itself first and
        comes here only when too few of those pass.
        """
        return self._nearest(vector, n, where)

    def nearest_ids(self, vector: Sequence[float], n: int) -> list[tuple[str, float]]:
        """The n nearest chunk ids with cosine similarity, unfiltered: ids and distances only.

        Chroma's query costs several times more when it also returns metadata and documents
        (7 ms against 2 ms for 80 neighbours at 10k chunks, docs/benchmarks.md), so the hybrid
        retriever reads those only for the chunks it keeps.
        """
        with self._guard():
            res = self.collection.query(query_embeddings=[list(vector)], n_results=n, include=["distances"])
        return [(i, 1.0 - float(dist)) for i, dist in zip(res["ids"][0], res["distances"][0])]

    def _nearest(self, vector: Sequence[float], n: int, where: dict | None) -> list[tuple[Chunk, float]]:
        with self._guard():
            res = self.collection.query(
                query_embeddings=[list(vector)],
                n_results=n,
                where=where or None,
                include=["documents", "metadatas", "distances"],
            )
        return [
            (_from_record(i, d, m), 1.0 - float(dist))
            for i, d, m, dist in zip(res["ids"][0], res["documents"][0], res["metadatas"][0], res["distances"][0])
        ]

    def articles(self) -> list[dict[str, Any]]:
        """One row per stored article: source, title, publisher, date, path, content hash, chunk count."""
        got = self.collection.get(include=["metadatas"])
        rows: dict[str, dict[str, Any]] = {}
        for meta in got["metadatas"] or []:
            row = rows.setdefault(
                meta["source"],
                {k: meta.get(k, "") for k in ("source", "title", "publisher", "published_at", "path", "article_hash")}
                | {"chunks": 0},
            )
            row["chunks"] += 1
        return sorted(rows.values(), key=lambda r: r["source"])


def _to_metadata(chunk: Chunk, n_chunks: int) -> dict[str, Any]:
    meta = {name: getattr(chunk, name) for name in _CHUNK_FIELDS if name != "source_id"}
    meta["source"] = chunk.source_id
    meta["n_chunks"] = n_chunks
    meta["date_key"] = date_key(chunk.published_at)
    meta["publisher_lc"] = chunk.publisher.lower()
    return meta


def _from_record(chunk_id: str, text: str, meta: dict[str, Any]) -> Chunk:
    values = {name: meta[name] for name in _CHUNK_FIELDS if name in meta}
    return Chunk(chunk_id=chunk_id, text=text, source_id=meta["source"], **values)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def _is_connection_error(exc: BaseException) -> bool:
    """httpx/OS connection failures, and chromadb's own 'could not connect' wrapper."""
    import httpx

    if isinstance(exc, (httpx.TransportError, ConnectionError, TimeoutError)):
        return True
    text = str(exc).lower()
    return "could not connect" in text or "connection refused" in text or "connecterror" in text
