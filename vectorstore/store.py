"""The Chroma collection that holds chunks, their vectors and their metadata.

Embedded ``PersistentClient`` under the data dir by default, or a ``chroma run``
server through ``HttpClient``. We always pass our own vectors; the collection is
created with no embedding function so Chroma never tries to download one.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any, Collection, Sequence

import numpy as np

from qa_bot.settings import Settings
from vectorstore.documents import Chunk
from vectorstore.metadata import date_key

_CHUNK_FIELDS = [f.name for f in fields(Chunk) if f.name not in ("chunk_id", "text")]
_ADD_BATCH = 5000  # Chroma's max batch is 5,461


def make_client(settings: Settings):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if settings.store_mode == "http":
        return chromadb.HttpClient(host=settings.store_host, port=settings.store_port, settings=chroma_settings)
    settings.store_path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.store_path), settings=chroma_settings)


class ChunkStore:
    """Chunks with vectors and metadata in one Chroma collection."""

    def __init__(self, settings: Settings, client: Any | None = None):
        self.settings = settings
        self.client = client or make_client(settings)
        self.collection = self.client.get_or_create_collection(
            name=settings.collection,
            embedding_function=None,
            configuration={"hnsw": {"space": "cosine"}},
        )
        self._version = 0

    # --- writing ---------------------------------------------------------
    def add(self, chunks: Sequence[Chunk], embeddings: np.ndarray) -> None:
        """Add one article's chunks (each carries n_chunks, so partial writes are detectable)."""
        n = len(chunks)
        for lo in range(0, n, _ADD_BATCH):
            batch = chunks[lo : lo + _ADD_BATCH]
            self.collection.upsert(
                ids=[c.chunk_id for c in batch],
                documents=[c.text for c in batch],
                embeddings=embeddings[lo : lo + _ADD_BATCH].tolist(),
                metadatas=[_to_metadata(c, n) for c in batch],
            )
        self._version += 1

    def delete_source(self, source_id: str, keep: Collection[str] = ()) -> int:
        """Delete a source's chunks, except those in ``keep`` (its freshly written version)."""
        got = self.collection.get(where={"source": source_id}, include=[])
        ids = [i for i in got["ids"] if i not in keep]
        if ids:
            self.collection.delete(ids=ids)
            self._version += 1
        return len(ids)

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
        return self.collection.count()

    def fingerprint(self) -> str:
        """Changes when chunks are added or removed (cheap enough to check on every query).

        Count alone would miss a delete-and-add of equal size, so writes through this
        object also bump a local version; only such a swap by another process goes unseen.
        """
        return f"{self.count()}-{self._version}"

    def all_chunks(self) -> list[Chunk]:
        got = self.collection.get(include=["documents", "metadatas"])
        return [_from_record(i, d, m) for i, d, m in zip(got["ids"], got["documents"], got["metadatas"])]

    def get_chunks(self, ids: Sequence[str]) -> list[Chunk]:
        if not ids:
            return []
        got = self.collection.get(ids=list(ids), include=["documents", "metadatas"])
        by_id = {i: _from_record(i, d, m) for i, d, m in zip(got["ids"], got["documents"], got["metadatas"])}
        return [by_id[i] for i in ids if i in by_id]

    def dense_search(self, vector: Sequence[float], n: int, where: dict | None = None) -> list[tuple[Chunk, float]]:
        """Nearest chunks with cosine similarity."""
        total = self.count()
        if total == 0:
            return []
        res = self.collection.query(
            query_embeddings=[list(vector)],
            n_results=min(n, total),
            where=where or None,
            include=["documents", "metadatas", "distances"],
        )
        return [
            (_from_record(i, d, m), 1.0 - float(dist))
            for i, d, m, dist in zip(res["ids"][0], res["documents"][0], res["metadatas"][0], res["distances"][0])
        ]

    def articles(self) -> list[dict[str, Any]]:
        """One row per stored article: source, title, publisher, date, chunk count."""
        got = self.collection.get(include=["metadatas"])
        rows: dict[str, dict[str, Any]] = {}
        for meta in got["metadatas"] or []:
            row = rows.setdefault(
                meta["source"],
                {k: meta.get(k, "") for k in ("source", "title", "publisher", "published_at", "path")} | {"chunks": 0},
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
