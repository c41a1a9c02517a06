"""Retrieval quality and ingestion speed on a MultiHop-RAG style dataset.

    python benchmarks/retrieval.py --dataset ../shared/eval/multihop-rag [--out docs/retrieval.json]

Ingests ``articles/`` with ``articles.jsonl`` metadata into a fresh temp store,
then scores dense-only, BM25-only and hybrid retrieval side by side on the
answerable questions of ``questions.jsonl`` (overall, and on the development
half, the first 100 questions, and the held-out test half apart): evidence-sentence recall@k (share
of evidence sentences inside the top-k chunks) and all-gold-articles recall@k,
plus hit@k and MRR. Ingestion speed is the whole ingest (load, clean, chunk,
embed, store) in chunks/s against raw ``SentenceTransformer.encode`` of the
same chunk texts in the same run.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from qa_bot.evaluation.dataset import load_dataset  # noqa: E402
from qa_bot.evaluation.metrics import evidence_found, normalize_source_id  # noqa: E402
from qa_bot.runtime import configure_offline_runtime  # noqa: E402
from qa_bot.settings import Settings  # noqa: E402

KS = (4, 10)
DEV_QUESTIONS = 100  # the first 100 questions are for tuning; the rest is the held-out test half
METHODS = ("dense", "bm25", "hybrid")


def score(records, search, k_max: int) -> dict[str, float]:
    """Mean retrieval metrics over records for one search function (query -> ranked chunks)."""
    sums: dict[str, float] = {}
    n = 0
    for rec in records:
        chunks = search(rec.question, k_max)
        gold = {normalize_source_id(s) for s in rec.reference_sources}
        n += 1
        first = next((i for i, c in enumerate(chunks, 1) if normalize_source_id(c.chunk.source_id) in gold), None)
        sums["mrr@10"] = sums.get("mrr@10", 0.0) + (1.0 / first if first and first <= 10 else 0.0)
        for k in KS:
            top = chunks[:k]
            found = {normalize_source_id(c.chunk.source_id) for c in top} & gold
            ev = [e for e in rec.evidence]
            ev_hits = sum(evidence_found(e.text, [c.chunk.text for c in top]) for e in ev)
            sums[f"evidence_recall@{k}"] = sums.get(f"evidence_recall@{k}", 0.0) + (ev_hits / len(ev) if ev else 0.0)
            sums[f"all_gold@{k}"] = sums.get(f"all_gold@{k}", 0.0) + float(found == gold)
            sums[f"gold_recall@{k}"] = sums.get(f"gold_recall@{k}", 0.0) + len(found) / len(gold)
            sums[f"hit@{k}"] = sums.get(f"hit@{k}", 0.0) + float(bool(found))
    return {key: round(value / max(n, 1), 4) for key, value in sorted(sums.items())}


def ingest_speed(components, dataset: Path, settings: Settings) -> dict[str, float]:
    """Whole-ingest chunks/s vs raw encode of the same texts (fp32 and the ingest's precision)."""
    t0 = time.perf_counter()
    report = components.ingestor.ingest([dataset / "articles"], metadata_path=dataset / "articles.jsonl", progress=True)
    ingest_s = time.perf_counter() - t0
    if report.errors:
        print("ingest errors:", *report.errors, sep="\n  ", file=sys.stderr)
    from vectorstore.retrieval import index_text

    texts = [index_text(c, settings.metadata_in_index) for c in components.store.all_chunks()]
    embedder = components.embedder
    t0 = time.perf_counter()
    embedder._encode(texts, bf16=False)
    raw_fp32_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    embedder._encode(texts, bf16=embedder.use_bf16)
    raw_same_s = time.perf_counter() - t0
    n = len(texts)
    return {
        "chunks": n,
        "articles": report.articles,
        "ingest_s": round(ingest_s, 2),
        "ingest_chunks_per_s": round(n / ingest_s, 2),
        "raw_encode_fp32_chunks_per_s": round(n / raw_fp32_s, 2),
        "raw_encode_same_precision_chunks_per_s": round(n / raw_same_s, 2),
        "ratio_vs_raw_fp32": round(raw_fp32_s / ingest_s, 3),
        "ratio_vs_raw_same_precision": round(raw_same_s / ingest_s, 3),
        "bf16": bool(embedder.use_bf16),
        "bf16_min_cosine_to_fp32": embedder.bf16_cosine,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", required=True, type=Path, help="dir with articles/, articles.jsonl, questions.jsonl")
    parser.add_argument("--out", type=Path, help="write the results as JSON here")
    parser.add_argument("--data-dir", type=Path, help="store location (default: a temp dir, removed after)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=args.data_dir or Path(tmp))
        configure_offline_runtime(settings)
        from qa_bot.components import Components

        components = Components(settings)
        speed = ingest_speed(components, args.dataset, settings)
        every = load_dataset(args.dataset / "questions.jsonl").records
        halves = {"dev": every[:DEV_QUESTIONS], "test": every[DEV_QUESTIONS:]}
        halves = {h: [r for r in recs if r.answerable and r.reference_sources] for h, recs in halves.items()}
        records = halves["dev"] + halves["test"]
        retriever = components.retriever
        table, by_half = {}, {}
        for method in METHODS:
            t0 = time.perf_counter()
            rows = {h: score(recs, lambda q, k, m=method: retriever.search(q, k=k, method=m), max(KS))
                    for h, recs in halves.items()}
            table[method] = {key: round(sum(rows[h][key] * len(halves[h]) for h in rows) / len(records), 4)
                             for key in rows["dev"]}
            table[method]["query_ms"] = round(1000 * (time.perf_counter() - t0) / len(records), 1)
            by_half[method] = {h: {"questions": len(halves[h]), **rows[h]} for h in rows}
        result = {"questions": len(records), "settings": {k: getattr(settings, k) for k in (
            "chunk_tokens", "chunk_overlap_tokens", "fusion", "rrf_k", "bm25_weight", "dense_weight", "publisher_boost",
            "max_chunks_per_article", "same_article_decay",
            "metadata_in_index", "candidates")}, "retrieval": table, "by_half": by_half, "ingest": speed}
    print(json.dumps(result, indent=2))
    print(format_table(table))
    if args.out:
        args.out.write_text(json.dumps(result, indent=2) + "\n")
    return 0


def format_table(table: dict[str, dict[str, float]]) -> str:
    cols = [f"evidence_recall@{k}" for k in KS] + [f"all_gold@{k}" for k in KS] + [f"hit@{k}" for k in KS] + ["mrr@10"]
    lines = ["| method | " + " | ".join(cols) + " |", "|---" * (len(cols) + 1) + "|"]
    for method, row in table.items():
        lines.append(f"| {method} | " + " | ".join(f"{row[c]:.3f}" for c in cols) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
