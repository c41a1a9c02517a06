"""Ingestion: files -> cleaned articles -> chunks -> vectors -> store, idempotently.

Each article gets a content hash (cleaned text, metadata, chunking settings,
embedder). An article whose hash and full chunk count are already stored is
skipped; a changed one has its old chunks replaced; one left half-written by
an interrupted run (fewer chunks than it should have) is redone.

Crash safety (docs/reliability.md): an article's new chunks are written in one upsert
before its old ones are removed, so a kill at any point leaves every stored version of
an article whole, never none of it; the next ingest finds the mixed state and finishes.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from vectorstore.config import IngestConfig
from vectorstore.chunking import chunk_article
from vectorstore.cleaning import clean_article
from vectorstore.documents import Article, Chunk
from vectorstore.embedding import Embedder
from vectorstore.faults import crash_point
from vectorstore.loaders import (
    LoadError,
    RawDocument,
    iter_input_files,
    load_file,
    load_metadata_manifest,
    lookup_metadata,
)
from vectorstore.metadata import derive_title, find_date, normalise_date
from vectorstore.retrieval import index_text
from vectorstore.store import ChunkStore

CHUNKER_VERSION = "1"
_EMBED_BATCH_CHUNKS = 256


@dataclass
class IngestReport:
    files: int = 0
    articles: int = 0
    chunks_added: int = 0
    chunks_skipped: int = 0
    chunks_replaced: int = 0
    articles_pruned: int = 0
    errors: list[LoadError] = field(default_factory=list)
    seconds: float = 0.0

    def to_dict(self) -> dict:
        d = {k: v for k, v in self.__dict__.items() if k != "errors"}
        d["errors"] = [str(e) for e in self.errors]
        return d

    def summary(self) -> str:
        lines = [
            f"files: {self.files}  articles: {self.articles}  chunks added: {self.chunks_added}  "
            f"skipped: {self.chunks_skipped}  replaced: {self.chunks_replaced}  pruned articles: {self.articles_pruned}  "
            f"errors: {len(self.errors)}  ({self.seconds:.1f}s)"
        ]
        lines += [f"  error: {e}" for e in self.errors]
        return "\n".join(lines)


def build_article(raw: RawDocument, manifest: dict[str, str], config: IngestConfig, embedder_id: str) -> Article:
    """Clean the raw text and settle its metadata: manifest first, then what the loader or text gives."""
    cleaned = clean_article(raw.text)
    meta = {**raw.meta, **{k: v for k, v in manifest.items() if v}}
    article = Article(
        source_id=raw.source_id,
        text=cleaned.text,
        title=meta.get("title") or derive_title(cleaned.text),
        publisher=meta.get("publisher") or meta.get("source") or "",
        author=meta.get("author", ""),
        published_at=normalise_date(meta.get("published_at", "")) or find_date(raw.text),
        url=meta.get("url", ""),
        path=raw.path,
        sections=cleaned.sections,
        dropped=cleaned.dropped,
    )
    fingerprint = json.dumps(
        [article.text, article.metadata(), article.sections, config.chunk_tokens, config.chunk_overlap_tokens,
         config.metadata_in_index, embedder_id, CHUNKER_VERSION],
        sort_keys=True, default=str,
    )
    article.content_hash = hashlib.sha256(fingerprint.encode()).hexdigest()
    return article


class Ingestor:
    """Loads files into the store; one bad file never stops the rest."""

    def __init__(self, config: IngestConfig, store: ChunkStore, embedder: Embedder):
        self.config = config
        self.store = store
        self.embedder = embedder
        self._count_tokens = None

    def ingest(
        self,
        paths: Iterable[str | Path],
        metadata_path: str | Path | None = None,
        prune: bool = False,
        progress: bool = True,
    ) -> IngestReport:
        """One write pass: vectors and the keyword index are updated together (see ChunkStore.writing).

        Refused before anything is read when the store holds another embedder's vectors.
        """
        self.store.bind_embedder(self.embedder.identity, record=True)
        with self.store.writing():
            return self._ingest(paths, metadata_path, prune, progress)

    def _ingest(self, paths, metadata_path, prune: bool, progress: bool) -> IngestReport:
        import time

        t0 = time.perf_counter()
        report = IngestReport()
        manifest: dict[str, dict[str, str]] = {}
        if metadata_path:
            manifest, manifest_errors = load_metadata_manifest(Path(metadata_path))
            report.errors += manifest_errors
        paths = [Path(p) for p in paths]
        files: list[Path] = []
        for item in iter_input_files(paths):
            if isinstance(item, LoadError):
                report.errors.append(item)
            else:
                files.append(item)
        report.files = len(files)
        seen_sources: set[str] = set()
        pending: list[tuple[Article, list[Chunk], bool]] = []
        bar = _progress(files, progress)
        for path in bar:
            docs, errors = load_file(path, int(self.config.max_file_mb * 1e6))
            report.errors += errors
            for raw in docs:
                article = build_article(raw, lookup_metadata(manifest, raw), self.config, self.embedder.identity)
                if raw.source_id in seen_sources:
                    report.errors.append(LoadError(raw.path, f"duplicate article id '{raw.source_id}' in this run; skipped"))
                    continue
                seen_sources.add(raw.source_id)
                report.articles += 1
                stored_hash, complete = self.store.source_state(article.source_id)
                chunks = chunk_article(article, self._counter(), self.config.chunk_tokens, self.config.chunk_overlap_tokens)
                if stored_hash == article.content_hash and complete:
                    report.chunks_skipped += len(chunks)
                    continue
                if not chunks:
                    report.errors.append(LoadError(raw.path, "no text left after removing page boilerplate"))
                    continue
                pending.append((article, chunks, bool(stored_hash)))
                if sum(len(c) for _, c, _ in pending) >= _EMBED_BATCH_CHUNKS:
                    self._flush(pending, report)
            if hasattr(bar, "set_postfix"):
                written = report.chunks_added + report.chunks_replaced
                bar.set_postfix(added=report.chunks_added, skipped=report.chunks_skipped, errors=len(report.errors),
                                chunks_per_s=f"{written / max(time.perf_counter() - t0, 1e-9):.1f}")
        self._flush(pending, report)
        if prune:
            report.articles_pruned = self._prune(paths, seen_sources)
        report.seconds = time.perf_counter() - t0
        return report

    def _counter(self):
        if self._count_tokens is None:
            self._count_tokens = self.embedder.tokenizer_counter()
        return self._count_tokens

    def _flush(self, pending: list[tuple[Article, list[Chunk], bool]], report: IngestReport) -> None:
        """Embed the pending articles' chunks in one batch, write them in one upsert, then drop old versions."""
        if not pending:
            return
        with_header = self.config.metadata_in_index
        all_chunks = [c for _, chunks, _ in pending for c in chunks]
        crash_point("ingest:embedding")
        vectors = self.embedder.embed([index_text(c, with_header) for c in all_chunks])
        crash_point("ingest:embedded")
        # every new version first (one upsert for the batch), then each old version's leftovers:
        # a crash in between leaves two whole versions, never a half-written one
        self.store.add(all_chunks, vectors)
        crash_point("ingest:upserted")
        for article, chunks, _ in pending:  # also where no single old version was found: a crash can leave two
            self.store.delete_source(article.source_id, keep={c.chunk_id for c in chunks})
            crash_point("ingest:article-done")
        for _, chunks, had_old in pending:
            if had_old:
                report.chunks_replaced += len(chunks)
            else:
                report.chunks_added += len(chunks)
        pending.clear()

    def _prune(self, roots: list[Path], seen: set[str]) -> int:
        """Delete stored articles loaded from under the given paths that were not seen this run."""
        resolved = [str(r.resolve()) for r in roots]
        pruned = 0
        for row in self.store.articles():
            path = str(Path(re.sub(r":\d+$", "", row["path"])).resolve())  # .jsonl records carry ":line"
            if row["source"] not in seen and any(path == r or path.startswith(r + "/") for r in resolved):
                self.store.delete_source(row["source"])
                pruned += 1
        return pruned


def _progress(files: list[Path], enabled: bool):
    if not enabled:
        return files
    from tqdm import tqdm

    return tqdm(files, desc="ingest", unit="file", file=sys.stderr, dynamic_ncols=True)
