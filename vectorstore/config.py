"""What the store, the retriever and the ingestor are configured with (qa_bot builds these from its Settings).

vectorstore/ never reads qa_bot's settings: it receives these small dataclasses, so it can be
used (and tested) on its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal


@dataclass(frozen=True)
class StoreConfig:
    """Where the chunks live: an embedded Chroma directory or a Chroma server, and the keyword index beside it."""

    path: Path  # the embedded store's directory
    keyword_path: Path  # the persisted BM25 index
    mode: Literal["embedded", "http"] = "embedded"
    host: str = "127.0.0.1"
    port: int = 8000
    ssl: bool = False
    token: str | None = None
    token_header: Literal["Authorization", "X-Chroma-Token"] = "Authorization"
    collection: str = "articles"
    metadata_in_index: bool = True  # chunks are embedded and indexed with their title/publisher/date header
    # how often an ingest commits the keyword index (readers see new chunks); each commit may merge segments
    keyword_commit_seconds: float = 30.0

    @property
    def url(self) -> str:
        return f"{'https' if self.ssl else 'http'}://{self.host}:{self.port}"


@dataclass(frozen=True)
class RetrievalConfig:
    """How hybrid search fuses BM25 and dense rankings (tuned values: qa_bot/settings.py, docs/benchmarks.md)."""

    k: int = 5
    candidates: int = 40
    fusion: Literal["rrf", "linear"] = "linear"
    rrf_k: int = 60
    bm25_weight: float = 1.0
    dense_weight: float = 0.3
    max_chunks_per_article: int = 2
    publisher_boost: float = 0.5
    same_article_decay: float = 0.8


@dataclass(frozen=True)
class IngestConfig:
    """How articles are read and chunked."""

    max_file_mb: float = 20.0
    chunk_tokens: int = 200
    chunk_overlap_tokens: int = 40
    metadata_in_index: bool = True
