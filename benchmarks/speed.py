"""Ingest throughput: raw fp32 ``SentenceTransformer.encode`` vs each embedding backend vs the whole ingest.

    python benchmarks/speed.py [ARTICLES_DIR] [--metadata FILE] [--out benchmarks/results/speed_ingest.json]

ARTICLES_DIR defaults to ``data/articles`` (with ``data/articles.meta.jsonl``);
for a MultiHop-RAG style dir (``../shared/eval/multihop-rag/articles``) the
``articles.jsonl`` beside it is used as metadata. In one run, into a fresh temp
data dir: the embedder picks its backend as ``qa-bot`` would (``auto`` measures
on its probe, or ``QA_BOT_EMBED_BACKEND`` forces one; that one-time cost is
reported apart), the whole ingest (load, clean, chunk, embed, store) runs
through ``vectorstore.ingest.Ingestor``, and then the very chunk texts it
embedded are encoded raw by fp32 ``SentenceTransformer.encode`` and by each
backend. Prints a markdown table with ratios to raw fp32 and writes JSON.
Goals: whole ingest >= 1.5x raw fp32, and <= 15% slower than the chosen
backend's raw encode. Timings on a busy CPU (load average > 1.5) are flagged.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from qa_bot.runtime import configure_offline_runtime  # noqa: E402
from qa_bot.settings import Settings  # noqa: E402

GOAL_VS_FP32 = 1.5
GOAL_OVERHEAD = 0.15
BUSY_LOAD = 1.5


def processor_name() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=10).stdout
        for line in out.splitlines():
            if line.strip().startswith("Model name"):
                return line.split(":", 1)[1].strip()
    except (OSError, subprocess.SubprocessError):
        pass
    import platform

    return platform.processor() or platform.machine()


def default_metadata(articles: Path) -> Path | None:
    if articles.resolve() == (REPO / "data" / "articles").resolve():
        return REPO / "data" / "articles.meta.jsonl"
    beside = articles.parent / "articles.jsonl"
    return beside if beside.is_file() else None


def timed(fn):
    t0 = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - t0


def run(articles: Path, metadata: Path | None) -> dict:
    import numpy as np

    load_start = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="qa-bot-speed-") as tmp:
        settings = Settings(data_dir=Path(tmp))
        configure_offline_runtime(settings)
        from qa_bot.components import Components
        from vectorstore.embedding_backends import BACKENDS
        from vectorstore.retrieval import index_text

        components = Components(settings)
        embedder = components.embedder
        selection, choose_s = timed(lambda: embedder.selection)
        embedder.embed(["warm-up"])
        report = components.ingestor.ingest([articles], metadata_path=metadata, progress=False)
        if report.errors:
            print("ingest errors:", *report.errors, sep="\n  ", file=sys.stderr)
        texts = [index_text(c, settings.metadata_in_index) for c in components.store.all_chunks()]
        n = len(texts)
        ref, ref_s = timed(lambda: embedder.model.encode(
            texts, batch_size=settings.embed_batch_size, convert_to_numpy=True, normalize_embeddings=True,
            show_progress_bar=False))
        raw = {"sentence-transformers fp32": {"seconds": round(ref_s, 2), "chunks_per_s": round(n / ref_s, 2),
                                              "ratio_vs_raw_fp32": 1.0, "min_cosine": 1.0}}
        for name in BACKENDS:
            try:
                vectors, seconds = timed(lambda name=name: embedder.encode_with(name, texts))
            except Exception as exc:  # noqa: BLE001 - a failing backend is a result, not a crash
                raw[name] = {"error": f"{type(exc).__name__}: {exc}"[:300]}
                continue
            cosine = np.sum(vectors * np.asarray(ref, dtype=np.float32), axis=1)
            raw[name] = {"seconds": round(seconds, 2), "chunks_per_s": round(n / seconds, 2),
                         "ratio_vs_raw_fp32": round(ref_s / seconds, 3),
                         "min_cosine": round(float(cosine.min()), 5), "mean_cosine": round(float(cosine.mean()), 5)}
        chosen = selection.backend
        ingest_cps = report.chunks_added / report.seconds if report.seconds else 0.0
        chosen_cps = raw.get(chosen, {}).get("chunks_per_s")
        ingest = {
            "backend": chosen,
            "seconds": round(report.seconds, 2),
            "chunks": report.chunks_added,
            "chunks_per_s": round(ingest_cps, 2),
            "ratio_vs_raw_fp32": round(ingest_cps / raw["sentence-transformers fp32"]["chunks_per_s"], 3),
            "overhead_vs_chosen_raw": round(1 - ingest_cps / chosen_cps, 3) if chosen_cps else None,
        }
    load_end = os.getloadavg()[0]
    return {
        "processor": processor_name(),
        "threads": settings.threads,
        "load_average_1min": [round(load_start, 2), round(load_end, 2)],
        "contended": max(load_start, load_end) > BUSY_LOAD,
        "articles_dir": str(articles),
        "articles": report.articles,
        "chunks": n,
        "backend_choice": {"backend": chosen, "source": selection.source, "seconds": round(choose_s, 2),
                           "probe": selection.candidates, "reasons": selection.reasons},
        "raw_encode": raw,
        "ingest": ingest,
        "goals": {
            f"ingest_vs_raw_fp32_at_least_{GOAL_VS_FP32}x": ingest["ratio_vs_raw_fp32"] >= GOAL_VS_FP32,
            f"ingest_overhead_at_most_{int(GOAL_OVERHEAD * 100)}pct": (
                ingest["overhead_vs_chosen_raw"] is not None and ingest["overhead_vs_chosen_raw"] <= GOAL_OVERHEAD),
        },
    }


def format_table(result: dict) -> str:
    ingest = result["ingest"]
    lines = [
        f"Processor: {result['processor']} · {result['threads']} threads · load average "
        f"{result['load_average_1min'][0]} → {result['load_average_1min'][1]}"
        + (" (CPU busy: timings contended)" if result["contended"] else ""),
        f"{result['articles']} articles, {result['chunks']} chunks; backend {ingest['backend']} "
        f"({result['backend_choice']['source']}, {result['backend_choice']['seconds']} s to choose)",
        "",
        "| what | chunks/s | vs raw fp32 | min cosine to fp32 |",
        "|---|---|---|---|",
    ]
    for name, row in result["raw_encode"].items():
        label = "raw SentenceTransformer.encode fp32" if name.startswith("sentence") else f"raw {name}"
        if "error" in row:
            lines.append(f"| {label} | error: {row['error']} | | |")
        else:
            lines.append(f"| {label} | {row['chunks_per_s']:.2f} | {row['ratio_vs_raw_fp32']:.2f}x | {row['min_cosine']:.4f} |")
    lines.append(f"| **whole ingest ({ingest['backend']})** | {ingest['chunks_per_s']:.2f} | {ingest['ratio_vs_raw_fp32']:.2f}x | |")
    overhead = ingest["overhead_vs_chosen_raw"]
    lines += [
        "",
        f"ingest overhead vs raw {ingest['backend']}: {overhead:.1%} (goal ≤ {GOAL_OVERHEAD:.0%})"
        if overhead is not None else "ingest overhead: n/a",
        f"whole ingest vs raw fp32: {ingest['ratio_vs_raw_fp32']:.2f}x (goal ≥ {GOAL_VS_FP32}x)",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("articles", nargs="?", type=Path, default=REPO / "data" / "articles")
    parser.add_argument("--metadata", type=Path, help="metadata JSONL (default: guessed from the articles dir)")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "speed_ingest.json")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    if load > BUSY_LOAD:
        print(f"warning: load average {load:.2f} > {BUSY_LOAD}; the timings will be contended", file=sys.stderr)
    result = run(args.articles, args.metadata or default_metadata(args.articles))
    table = format_table(result)
    result["table"] = table
    print(table)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
