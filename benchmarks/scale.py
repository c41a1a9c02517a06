"""How the cost of retrieval grows with the archive: synthetic chunks at 10k, 100k, 1M.

    python benchmarks/scale.py keyword --sizes 10000 100000 1000000 [--engines tantivy bm25s rank_bm25]
    python benchmarks/scale.py hybrid --sizes 10000 100000 [--http]
    python benchmarks/scale.py ingest --articles 1000 10000 [--http]
    python benchmarks/scale.py writer --chunks 7632 76409 152818 --threads 1 2 --commit-every 0 5000

Synthetic articles from a fixed seed: 8 chunks an article, ~120 words a chunk,
words drawn from a 60k-word vocabulary with Zipf-Mandelbrot frequencies (like
news text: a few words everywhere, a long tail of names), 40 publishers, dates
2019-2024, one chunk in ten a reader comment. Queries are 3-7 words, mostly from
the long tail, as news questions are. Vectors (hybrid) are fixed random unit
vectors, not real embeddings: the cost of search, not of embedding, is measured.

keyword: for each engine, build time, open time (what a new process pays before
its first query) and top-40 query p50/p95 with the default filter (no comments).
The baseline is today's path before this change: tokenize every chunk and build
a rank_bm25 ``BM25Okapi`` in memory at start-up (its "open" is that rebuild;
the fetch of all chunks from Chroma, which it also paid, is not counted), then
score every chunk in Python per query.

hybrid: the retriever's hybrid search (query vector given, so embedding is
excluded; default filter: no reader comments) against a bare unfiltered
``collection.query`` plus a bare keyword query for the same 40 candidates on the
same collection: the overhead of filtering, fusion and reading the chosen chunks,
as a ratio. The same pair with Chroma's ``where`` filter is reported beside it.

ingest: peak memory of ``qa-bot``'s ingest (the real Ingestor: reading, cleaning,
chunking with the real tokenizer, Chroma upserts, keyword index) over 1k and 10k
synthetic article files, each size in a fresh process. Vectors are fixed random
ones (embedding is the same per chunk at any size; what is measured is whether
memory grows with the number of files). The store's own in-memory vector index
(Chroma's HNSW, ~1.5 kB a chunk) grows with what is stored, and is reported beside it.
With --http the same files also go into a ``chroma run`` server from a fresh ingest process: the
ingest's memory and the server's, measured apart.

writer: the keyword index writer alone (no Chroma), per chunk count, indexing threads and commit
cadence, each in a fresh process: where the ingest's own memory growth comes from.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
import zlib
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from vectorstore.bm25 import KeywordDoc, KeywordIndex, tokenize  # noqa: E402

SEED = 20261202
VOCAB = 60_000
WORDS_PER_CHUNK = 120
CHUNKS_PER_ARTICLE = 8
PARAGRAPHS_PER_ARTICLE = 3  # ingest benchmark
N_QUERIES = 200
TOP_N = 40
_SYLLABLES = [c + v for c in "bcdfghjklmnprstvwz" for v in "aeiou"] + ["qu", "th", "sh", "ch"]


def vocabulary() -> list[str]:
    """60k distinct pseudo-words of 2-4 syllables (never a stopword)."""
    rng = np.random.default_rng(SEED)
    words: list[str] = []
    seen: set[str] = set()
    while len(words) < VOCAB:
        n = int(rng.integers(2, 5))
        w = "".join(_SYLLABLES[i] for i in rng.integers(0, len(_SYLLABLES), n))
        if w not in seen and tokenize(w) == [w]:
            seen.add(w)
            words.append(w)
    return words


def zipf_probabilities(n: int, s: float = 1.07, q: float = 2.7) -> np.ndarray:
    p = 1.0 / (np.arange(1, n + 1) + q) ** s
    return p / p.sum()


PUBLISHERS = [f"Publisher {chr(65 + i // 26)}{chr(65 + i % 26)}" for i in range(40)]


def synthetic_docs(n: int, batch: int = 10_000) -> Iterator[list[KeywordDoc]]:
    """The first n synthetic chunks, in batches (the same n gives the same chunks every run)."""
    vocab = np.array(vocabulary(), dtype=object)
    cdf = np.cumsum(zipf_probabilities(VOCAB))
    pub_cdf = np.cumsum(zipf_probabilities(len(PUBLISHERS), 1.0, 1.0))
    rng = np.random.default_rng(SEED + 1)
    for lo in range(0, n, batch):
        m = min(batch, n - lo)
        lengths = rng.integers(WORDS_PER_CHUNK // 2, WORDS_PER_CHUNK * 3 // 2, m)
        ids = np.searchsorted(cdf, rng.random(int(lengths.sum())))
        pubs = np.searchsorted(pub_cdf, rng.random(m))
        days = rng.integers(0, 6 * 365, m)
        comments = rng.random(m) < 0.1
        out, start = [], 0
        for j in range(m):
            i = lo + j
            art = i // CHUNKS_PER_ARTICLE
            words = vocab[ids[start : start + lengths[j]]]
            start += lengths[j]
            y, d = 2019 + int(days[j]) // 365, int(days[j]) % 365
            date = f"{y}-{1 + d // 31 % 12:02d}-{1 + d % 28:02d}"
            out.append(KeywordDoc(
                chunk_id=f"a{art:07d}#{i % CHUNKS_PER_ARTICLE}", source=f"a{art:07d}",
                section="comments" if comments[j] else "body", publisher=PUBLISHERS[pubs[j]],
                published_at=date, date_key=int(date.replace("-", "")), text=" ".join(words),
            ))
        yield out


def queries(n: int = N_QUERIES) -> list[str]:
    """Questions of 3-7 words: mostly long-tail words (names), one or two common ones."""
    vocab = vocabulary()
    rng = np.random.default_rng(SEED + 2)
    out = []
    for _ in range(n):
        k = int(rng.integers(2, 6))
        rare = rng.integers(200, 30_000, k)
        common = rng.integers(0, 200, int(rng.integers(1, 3)))
        out.append(" ".join(vocab[i] for i in np.concatenate([rare, common])))
    return out


def percentiles(ms: list[float]) -> dict[str, float]:
    ms = sorted(ms)
    return {"p50_ms": round(statistics.median(ms), 3), "p95_ms": round(ms[int(0.95 * (len(ms) - 1))], 3),
            "mean_ms": round(statistics.fmean(ms), 3)}


def time_queries(run: Callable[[str], object], qs: list[str]) -> dict[str, float]:
    for q in qs[:5]:
        run(q)  # warm-up
    ms = []
    for q in qs:
        t0 = time.perf_counter()
        run(q)
        ms.append(1000 * (time.perf_counter() - t0))
    return percentiles(ms)


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3


# --- keyword engines -----------------------------------------------------------
def bench_tantivy(n: int, workdir: Path, qs: list[str], threads: int) -> dict:
    path = workdir / "tantivy"
    index = KeywordIndex(path, threads=threads)
    t0 = time.perf_counter()
    index.create()
    writer = index.writer()
    for docs in synthetic_docs(n):
        writer.add(docs)
    from vectorstore.bm25 import KeywordState

    writer.finish(KeywordState(generation=1, chunks=n))
    build_s = time.perf_counter() - t0
    del index, writer
    gc.collect()
    before = rss_mb()
    t0 = time.perf_counter()
    fresh = KeywordIndex(path)
    fresh.open()
    assert fresh.count() == n
    open_s = time.perf_counter() - t0
    q = time_queries(lambda s: fresh.search(s, TOP_N, body_only=True), qs)
    size_mb = sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6
    return {"build_s": round(build_s, 2), "open_s": round(open_s, 4), **q, "disk_mb": round(size_mb, 1),
            "rss_after_open_and_queries_mb": round(rss_mb() - before, 1)}


def bench_bm25s(n: int, workdir: Path, qs: list[str], threads: int) -> dict:
    import bm25s

    path = workdir / "bm25s"
    t0 = time.perf_counter()
    corpus, body = [], []
    for docs in synthetic_docs(n):
        corpus += [tokenize(d.text) for d in docs]
        body += [d.section == "body" for d in docs]
    model = bm25s.BM25(k1=1.5, b=0.75, method="lucene")
    model.index(corpus, show_progress=False)
    model.save(str(path), show_progress=False)
    np.save(path / "body_mask.npy", np.array(body, dtype=np.float32))
    build_s = time.perf_counter() - t0
    del model, corpus, body
    gc.collect()
    before = rss_mb()
    t0 = time.perf_counter()
    fresh = bm25s.BM25.load(str(path), mmap=True, show_progress=False)
    mask = np.load(path / "body_mask.npy", mmap_mode="r")
    open_s = time.perf_counter() - t0

    def run(s: str):
        terms = [t for t in tokenize(s) if t in fresh.vocab_dict]
        return fresh.retrieve([terms], k=TOP_N, show_progress=False, weight_mask=np.asarray(mask), n_threads=1)

    q = time_queries(run, qs)
    size_mb = sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6
    return {"build_s": round(build_s, 2), "open_s": round(open_s, 4), **q, "disk_mb": round(size_mb, 1),
            "rss_after_open_and_queries_mb": round(rss_mb() - before, 1), "incremental_updates": False}


def bench_rank_bm25(n: int, workdir: Path, qs: list[str], threads: int) -> dict:
    """Today's path: rebuild BM25Okapi from every chunk at start-up; score all chunks per query."""
    from rank_bm25 import BM25Okapi

    texts, body = [], []
    for docs in synthetic_docs(n):
        texts += [d.text for d in docs]
        body += [d.section == "body" for d in docs]
    gc.collect()
    before = rss_mb()
    t0 = time.perf_counter()
    bm25 = BM25Okapi([tokenize(t) or ["_empty_"] for t in texts])
    open_s = time.perf_counter() - t0

    def run(s: str):
        terms = tokenize(s)
        scores = np.asarray(bm25.get_scores(terms))
        out = []
        for i in np.argsort(-scores):
            if scores[i] <= 0 or len(out) >= TOP_N:
                break
            if body[i]:
                out.append((i, scores[i]))
        return out

    q = time_queries(run, qs[: max(20, len(qs) // (1 + n // 20_000))])  # fewer queries when each takes seconds
    return {"build_s": round(open_s, 2), "open_s": round(open_s, 4), **q,
            "rss_after_open_and_queries_mb": round(rss_mb() - before, 1), "note": "open = in-memory rebuild"}


ENGINES = {"tantivy": bench_tantivy, "bm25s": bench_bm25s, "rank_bm25": bench_rank_bm25}


# --- hybrid search ---------------------------------------------------------------
class FixedQueryVectors:
    """Stands in for the embedder: a fixed random unit vector per query (embedding time excluded)."""

    identity = "fixed-random-vectors"  # what the store checks before a dense search

    def __init__(self, dim: int = 384):
        self.dim = dim
        self.cache: dict[str, list[float]] = {}

    def embed_query(self, text: str) -> list[float]:
        if text not in self.cache:
            v = np.random.default_rng(zlib.crc32(text.encode())).standard_normal(self.dim)
            self.cache[text] = (v / np.linalg.norm(v)).tolist()
        return self.cache[text]


def unit_vectors(rng: np.random.Generator, n: int, dim: int = 384) -> np.ndarray:
    v = rng.standard_normal((n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def fill_store(store, n: int) -> float:
    """Write n synthetic chunks with fixed random vectors through the real write path; seconds taken."""
    from vectorstore.documents import Chunk

    rng = np.random.default_rng(SEED + 3)
    t0 = time.perf_counter()
    store.bind_embedder(FixedQueryVectors.identity, record=True)  # as an ingest records its embedder
    with store.writing():
        for docs in synthetic_docs(n, batch=5000):
            chunks = [Chunk(chunk_id=d.chunk_id, source_id=d.source, text=d.text, start=0, end=len(d.text),
                            section=d.section, title=f"Article {d.source}", publisher=d.publisher,
                            published_at=d.published_at, index=int(d.chunk_id.rsplit("#", 1)[1])) for d in docs]
            store.add(chunks, unit_vectors(rng, len(chunks)))
            print(f"  stored {store.count()} chunks ({time.perf_counter() - t0:.0f}s)", file=sys.stderr, flush=True)
    return time.perf_counter() - t0


def measure_hybrid(settings, qs: list[str], filtered_baseline: bool = True) -> dict:
    """Hybrid search vs a bare collection.query plus a bare keyword query, same queries and candidates."""
    from vectorstore.retrieval import HybridRetriever, SearchFilters
    from vectorstore.store import ChunkStore

    store = ChunkStore(settings.store_config())
    retriever = HybridRetriever(store, FixedQueryVectors(), settings.retrieval_config())
    n = settings.candidates
    where = SearchFilters().chroma_where()
    index = retriever.keyword_index()

    def dense(q: str, where_: dict | None):
        return store.collection.query(query_embeddings=[retriever.embedder.embed_query(q)], n_results=n,
                                      where=where_, include=["documents", "metadatas", "distances"])

    def bare(q: str):  # the least any hybrid search must do: one nearest-neighbour and one keyword lookup
        dense(q, None)
        index.search(q, n)

    def bare_filtered(q: str):  # the same with the default no-comments filter done by Chroma and Tantivy
        dense(q, where)
        index.search(q, n, body_only=True)

    for q in qs:  # one warm pass of every query through both, so neither series pays for the other's cold pages
        bare(q)
        retriever.search(q, k=settings.k)
    out = {"bare_dense_plus_keyword": time_queries(bare, qs),
           "hybrid": time_queries(lambda q: retriever.search(q, k=settings.k), qs),
           "bare_filtered_dense_plus_keyword": time_queries(bare_filtered, qs) if filtered_baseline else None,
           "dense_only_query": time_queries(lambda q: dense(q, None), qs),
           "dense_ids_only_query": time_queries(lambda q: store.nearest_ids(retriever.embedder.embed_query(q), n), qs),
           "keyword_only_query": time_queries(lambda q: index.search(q, n, body_only=True), qs)}
    out["overhead_ratio_p50"] = round(out["hybrid"]["p50_ms"] / out["bare_dense_plus_keyword"]["p50_ms"], 3)
    out["overhead_ratio_p95"] = round(out["hybrid"]["p95_ms"] / out["bare_dense_plus_keyword"]["p95_ms"], 3)
    return out


def run_hybrid(args) -> dict:
    from qa_bot.settings import Settings

    qs = queries()
    results: dict[str, dict] = {}
    for n in args.sizes:
        workdir = Path(tempfile.mkdtemp(prefix="scale-hybrid-", dir=args.tmp))
        try:
            settings = Settings(data_dir=workdir, threads=args.threads)
            from vectorstore.store import ChunkStore

            store = ChunkStore(settings.store_config())
            fill_s = fill_store(store, n)
            del store
            gc.collect()
            filtered = n <= args.filtered_max
            row: dict = {"fill_s": round(fill_s, 1), "embedded": measure_hybrid(settings, qs, filtered)}
            print(f"  embedded @ {n}: {row['embedded']}", file=sys.stderr, flush=True)
            if args.http:
                row["http"] = _with_server(workdir, settings, qs, filtered)
                print(f"  http @ {n}: {row['http']}", file=sys.stderr, flush=True)
            row["peak_rss_mb_process"] = round(peak_rss_mb(), 1)
            results[str(n)] = row
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
    return results


# --- ingest memory -----------------------------------------------------------------
class RandomVectorEmbedder:
    """The real tokenizer for chunking, fixed random unit vectors instead of the model (no embedding cost)."""

    identity = "fixed-random-vectors"

    def __init__(self, dim: int = 384):
        from vectorstore.embedding import default_model_path

        self.dim = dim
        self.model_path = default_model_path()

    def tokenizer_counter(self) -> Callable[[str], int]:
        from vectorstore.embedding import tokenizer_file_counter

        return tokenizer_file_counter(self.model_path)

    def embed(self, texts) -> np.ndarray:
        return unit_vectors(np.random.default_rng(zlib.crc32("".join(texts[:1]).encode())), len(texts), self.dim)


def write_articles(n: int, folder: Path) -> int:
    """n synthetic article files (3 paragraphs of ~120 words: ~7 chunks, the made-up words being several
    word pieces each); returns the bytes written."""
    folder.mkdir(parents=True, exist_ok=True)
    total, paragraphs, written = 0, [], 0
    for docs in synthetic_docs(n * PARAGRAPHS_PER_ARTICLE):
        for d in docs:
            paragraphs.append(d.text.capitalize() + ".")
            if len(paragraphs) == PARAGRAPHS_PER_ARTICLE:
                text = f"Article {written:07d} ({d.publisher}, {d.published_at})\n\n" + "\n\n".join(paragraphs) + "\n"
                (folder / f"a{written:07d}.txt").write_text(text)
                total, paragraphs, written = total + len(text), [], written + 1
    return total


def ingest_child(folder: Path, data_dir: Path, port: int | None = None) -> dict:
    """One ingest in this (fresh) process; its peak RSS, the chunks written and the time. With ``port``, the
    store is a ``chroma run`` server on that port (the keyword index stays in ``data_dir``)."""
    from qa_bot.components import Components
    from qa_bot.settings import Settings

    settings = Settings(data_dir=data_dir)
    if port is not None:
        settings = settings.with_overrides(store_mode="http", store_port=port,
                                           keyword_index_path=data_dir / "keyword-index")
    comps = Components(settings)
    comps.__dict__["embedder"] = RandomVectorEmbedder()
    rss_before = rss_mb()
    report = comps.ingestor.ingest([folder], progress=False)
    return {"files": report.files, "chunks": report.chunks_added, "errors": len(report.errors),
            "seconds": round(report.seconds, 1), "chunks_per_s": round(report.chunks_added / report.seconds, 1),
            "rss_before_ingest_mb": round(rss_before, 1), "peak_rss_mb": round(peak_rss_mb(), 1)}


def writer_child(chunks: int, threads: int, commit_every: int, tmp: str | None, queue_deletes: bool = False) -> dict:
    """The keyword index writer alone, as an ingest drives it (batches of 256 through ``upsert``, a commit every
    ``commit_every`` chunks, 0 = only at the end), in this fresh process: its peak RSS, anonymous and file-backed.
    ``queue_deletes``: a delete of every id before its add, as ingest did before 2026-12-04."""
    from qa_bot.runtime import limit_malloc_arenas
    from vectorstore.bm25 import KeywordIndex

    limit_malloc_arenas()
    workdir = Path(tempfile.mkdtemp(prefix="scale-writer-", dir=tmp))
    try:
        index = KeywordIndex(workdir / "keyword", threads=threads)
        index.create()
        writer, done, t0 = index.writer(), 0, time.perf_counter()
        for docs in synthetic_docs(chunks, batch=256):
            if queue_deletes:
                writer.delete_ids(d.chunk_id for d in docs)
                writer.add(docs)
            else:
                writer.upsert(docs)
            done += len(docs)
            if commit_every and done // commit_every != (done - len(docs)) // commit_every:
                writer.commit()
        writer.commit()
        mb = proc_status_mb("self", ("VmHWM", "RssAnon", "RssFile"))
        return {"chunks": chunks, "threads": threads, "commit_every": commit_every, "queue_deletes": queue_deletes,
                "seconds": round(time.perf_counter() - t0, 1), "peak_rss_mb": mb["VmHWM"],
                "anon_rss_end_mb": mb["RssAnon"], "file_rss_end_mb": mb["RssFile"]}
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def run_writer(args) -> list[dict]:
    rows = []
    for threads in args.threads:
        for commit_every in args.commit_every:
            for n in args.chunks:
                rows.append(_child("writer-child", str(n), str(threads), str(commit_every),
                                   *(["--tmp", args.tmp] if args.tmp else []), *(["--queue-deletes"] if args.queue_deletes else [])))
                print(f"  writer: {rows[-1]}", file=sys.stderr, flush=True)
    return rows


def holder_child(data_dir: Path) -> dict:
    """A fresh process that opens the ingested store and searches it once, as a UI would: the memory
    any process holding this store pays (Chroma loads its vector index), whatever wrote it."""
    from qa_bot.components import Components
    from qa_bot.settings import Settings

    comps = Components(Settings(data_dir=data_dir))
    comps.__dict__["embedder"] = FixedQueryVectors()
    comps.retriever.search(queries()[0], k=8)
    return {"chunks": comps.store.count(), "peak_rss_mb": round(peak_rss_mb(), 1)}


def _child(*argv: str) -> dict:
    import subprocess

    out = subprocess.run([sys.executable, __file__, *argv], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_ingest(args) -> dict:
    results: dict[str, dict] = {}
    through_server = args.http or args.http_only
    for n in args.articles:
        workdir = Path(tempfile.mkdtemp(prefix="scale-ingest-", dir=args.tmp))
        try:
            size = write_articles(n, workdir / "articles")
            row = {"megabytes_of_text": round(size / 1e6, 1)}
            if not args.http_only:
                row.update(_child("ingest-child", str(workdir / "articles"), str(workdir / "data")))
                row["holding_store_peak_rss_mb"] = _child("holder-child", str(workdir / "data"))["peak_rss_mb"]
                row["ingest_above_holding_mb"] = round(row["peak_rss_mb"] - row["holding_store_peak_rss_mb"], 1)
                row["chroma_dir_mb"] = round(
                    sum(f.stat().st_size for f in (workdir / "data").rglob("*") if f.is_file()) / 1e6, 1)
            if through_server:
                row["http"] = _ingest_through_server(workdir)
            print(f"  ingest {n} articles: {row}", file=sys.stderr, flush=True)
            results[str(n)] = row
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
    sizes = [str(n) for n in args.articles]
    if len(sizes) >= 2:
        first, last = results[sizes[0]], results[sizes[-1]]
        if not args.http_only:
            results["peak_rss_ratio_largest_to_smallest"] = round(last["peak_rss_mb"] / first["peak_rss_mb"], 3)
            results["above_holding_ratio_largest_to_smallest"] = round(
                last["ingest_above_holding_mb"] / first["ingest_above_holding_mb"], 3)
        if through_server:
            results["http_ingest_process_peak_rss_ratio"] = round(
                last["http"]["peak_rss_mb"] / first["http"]["peak_rss_mb"], 3)
            results["http_server_peak_rss_ratio"] = round(
                last["http"]["server_peak_rss_mb"] / first["http"]["server_peak_rss_mb"], 3)
    return results


def _ingest_through_server(workdir: Path) -> dict:
    """The same files ingested by a fresh process into a ``chroma run`` server (a new, empty store): the
    ingest process's peak RSS, and the server's, measured apart."""
    with chroma_server(workdir / "server-store") as (port, pid):
        row = _child("ingest-child", str(workdir / "articles"), str(workdir / "http-data"), "--port", str(port))
        row["server_peak_rss_mb"] = proc_status_mb(pid)["VmHWM"]
    return row


@contextlib.contextmanager
def chroma_server(path: Path) -> Iterator[tuple[int, int]]:
    """``chroma run`` on 127.0.0.1 over the directory ``path``; yields (port, server pid)."""
    import socket
    import subprocess
    import urllib.request

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    chroma = Path(sys.executable).parent / "chroma"
    proc = subprocess.Popen([str(chroma), "run", "--path", str(path), "--host", "127.0.0.1",
                             "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(600):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        yield port, proc.pid
    finally:
        proc.terminate()
        proc.wait(30)


def proc_status_mb(pid: int | str = "self", keys: tuple[str, ...] = ("VmHWM",)) -> dict[str, float]:
    """Memory fields of a live process's /proc status (VmHWM = peak resident set), in MB."""
    status = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return {k: round(int(status[k].split()[0]) / 1e3, 1) for k in keys}


def _with_server(workdir: Path, settings, qs: list[str], filtered_baseline: bool = True) -> dict:
    """The same directory served by ``chroma run`` (after this process let go of it), queried over HTTP."""
    with chroma_server(settings.store_path) as (port, _):
        http = settings.with_overrides(store_mode="http", store_port=port,
                                       keyword_index_path=settings.keyword_path)  # the index the ingest wrote
        return measure_hybrid(http, qs, filtered_baseline)


def run_keyword(args) -> dict:
    qs = queries()
    results: dict[str, dict] = {}
    for n in args.sizes:
        for engine in args.engines:
            if engine == "rank_bm25" and n > args.baseline_max:
                results.setdefault(engine, {})[str(n)] = {"skipped": f"over --baseline-max {args.baseline_max}"}
                continue
            workdir = Path(tempfile.mkdtemp(prefix=f"scale-{engine}-", dir=args.tmp))
            try:
                print(f"{engine} @ {n} ...", file=sys.stderr, flush=True)
                row = ENGINES[engine](n, workdir, qs, args.threads)
            finally:
                shutil.rmtree(workdir, ignore_errors=True)
            row["peak_rss_mb_process"] = round(peak_rss_mb(), 1)
            print(f"  {row}", file=sys.stderr, flush=True)
            results.setdefault(engine, {})[str(n)] = row
            gc.collect()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="what", required=True)
    p = sub.add_parser("keyword", help="keyword engines: build, open, query")
    p.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    p.add_argument("--engines", nargs="+", choices=list(ENGINES), default=list(ENGINES))
    p.add_argument("--baseline-max", type=int, default=100_000, help="largest size for the rank_bm25 baseline")
    p.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    p.add_argument("--tmp", default=None, help="where the indexes are built (default: system temp)")
    p.add_argument("--out", type=Path)
    p = sub.add_parser("hybrid", help="hybrid search vs bare dense + keyword queries on one collection")
    p.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    p.add_argument("--http", action="store_true", help="also through chroma run + HttpClient")
    p.add_argument("--filtered-max", type=int, default=100_000,
                   help="largest size at which Chroma's own filtered lookup is timed (seconds per query beyond)")
    p.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    p.add_argument("--tmp", default=None)
    p.add_argument("--out", type=Path)
    p = sub.add_parser("ingest", help="peak memory of an ingest over N article files, each N in a fresh process")
    p.add_argument("--articles", type=int, nargs="+", default=[1_000, 10_000])
    p.add_argument("--http", action="store_true", help="also ingest into a chroma run server, memory measured apart")
    p.add_argument("--http-only", action="store_true", help="only the ingest into a chroma run server")
    p.add_argument("--tmp", default=None)
    p.add_argument("--out", type=Path)
    p = sub.add_parser("ingest-child", help=argparse.SUPPRESS)
    p.add_argument("folder", type=Path)
    p.add_argument("data_dir", type=Path)
    p.add_argument("--port", type=int, default=None)
    p = sub.add_parser("writer", help="peak memory of the keyword index writer alone, per chunk count, threads, commit cadence")
    p.add_argument("--chunks", type=int, nargs="+", default=[7_632, 76_409, 152_818])
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    p.add_argument("--commit-every", type=int, nargs="+", default=[0, 5_000], help="chunks between commits (0: at the end)")
    p.add_argument("--queue-deletes", action="store_true", help="delete every id before adding it (the old ingest)")
    p.add_argument("--tmp", default=None)
    p.add_argument("--out", type=Path)
    p = sub.add_parser("writer-child", help=argparse.SUPPRESS)
    p.add_argument("chunks", type=int)
    p.add_argument("threads", type=int)
    p.add_argument("commit_every", type=int)
    p.add_argument("--tmp", default=None)
    p.add_argument("--queue-deletes", action="store_true")
    p = sub.add_parser("holder-child", help=argparse.SUPPRESS)
    p.add_argument("data_dir", type=Path)
    args = parser.parse_args()
    if args.what == "ingest-child":
        from qa_bot.runtime import configure_offline_runtime
        from qa_bot.settings import Settings

        configure_offline_runtime(Settings(data_dir=args.data_dir))
        print(json.dumps(ingest_child(args.folder, args.data_dir, args.port)))
        return 0
    if args.what == "writer-child":
        print(json.dumps(writer_child(args.chunks, args.threads, args.commit_every, args.tmp, args.queue_deletes)))
        return 0
    if args.what == "holder-child":
        from qa_bot.runtime import configure_offline_runtime
        from qa_bot.settings import Settings

        configure_offline_runtime(Settings(data_dir=args.data_dir))
        print(json.dumps(holder_child(args.data_dir)))
        return 0
    info = {"processor": _processor(), "cores": os.cpu_count(), "seed": SEED, "words_per_chunk": WORDS_PER_CHUNK,
            "queries": N_QUERIES, "top_n": TOP_N, "command": " ".join(sys.argv),
            "environment": {k: v for k, v in os.environ.items() if k.startswith(("QA_BOT_", "MALLOC_"))}}
    if args.what == "keyword":
        result = {"info": info, "keyword": run_keyword(args)}
    elif args.what == "writer":
        result = {"info": info, "writer": run_writer(args)}
    elif args.what == "ingest":
        result = {"info": info | {"vectors": "fixed random unit vectors (384-d), not embeddings; real tokenizer"},
                  "ingest": run_ingest(args)}
    else:
        from qa_bot.runtime import configure_offline_runtime
        from qa_bot.settings import Settings

        configure_offline_runtime(Settings(data_dir=Path(args.tmp or tempfile.gettempdir()) / "scale-runtime"))
        result = {"info": info | {"vectors": "fixed random unit vectors (384-d), not embeddings"},
                  "hybrid": run_hybrid(args)}
    print(json.dumps(result, indent=2))
    if args.out:
        args.out.write_text(json.dumps(result, indent=2) + "\n")
    return 0


def _processor() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


if __name__ == "__main__":
    sys.exit(main())
