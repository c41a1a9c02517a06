"""Answer quality and speed, generative (embedded LLM) and extractive, in one run.

    python benchmarks/answers.py --multihop ../shared/eval/multihop-rag [--split dev|test] [--limit N] [--out benchmarks/results/answers.json]

Ingests the bundled articles (with their manifest) and the MultiHop-RAG articles
(with ``articles.jsonl``) into two temp stores, then runs ``qa-bot eval`` on
the seed set and on one half of the MultiHop questions (``--split``: dev = first 100, test = last 100) for each run
(extractive, and generative with each embedded model; ``--runs baseline:<model>`` adds the
tutorial-style RAG of the project brief, benchmarks/baseline.py, scored the same way).
Prints one markdown table: correct, refusal accuracy, citations vs gold articles and gold
evidence (precision and recall), the model's own markers vs gold articles (before repair), the
runtime checker's kept share (its own verdict, not a correctness measure), time to first token
and total time p50/p95.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
COLUMNS = [
    ("correct", "correct"), ("refusal_accuracy", "refusal acc."), ("refusal_recall", "unanswerable refused"),
    ("citation_source_precision", "cited-source precision"), ("citation_source_recall", "cited-source recall"),
    ("citation_span_precision", "cited-span precision"), ("citation_span_recall", "cited-span recall"),
    ("yes_share", "answered yes (yes/no qs)"), ("reference_yes_share", "reference yes"),
    ("model_marker_source_precision", "model-marker source precision"),
    ("checker_kept_share", "checker kept share (own verdict, not correctness)"),
    ("ttft_p50", "TTFT p50 s"), ("ttft_p95", "TTFT p95 s"), ("latency_p50", "total p50 s"), ("latency_p95", "total p95 s"),
]


def qa_bot(data_dir: Path, *args: str, model: str | None = None, baseline: bool = False, verifier: str = "",
           env: dict[str, str] | None = None) -> None:
    entry = [str(REPO / "benchmarks" / "baseline.py")] if baseline else ["-m", "qa_bot.cli"]
    cmd = [sys.executable, *entry, "--data-dir", str(data_dir), *args]
    extra = {**(env or {}), **({"QA_BOT_LLM_MODEL": model} if model else {})}
    if verifier:
        extra["QA_BOT_VERIFIER"] = verifier
    print("+", " ".join(f"{k}={v}" for k, v in extra.items()), " ".join(cmd), file=sys.stderr, flush=True)
    subprocess.run(cmd, cwd=REPO, check=True, env=dict(os.environ, **extra))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--multihop", type=Path, required=True, help="MultiHop-RAG subset dir")
    parser.add_argument("--split", choices=["dev", "test"], default="dev",
                        help="MultiHop half (docs/benchmarks.md, held-out protocol): tune on dev, report test once")
    parser.add_argument("--limit", type=int, default=None, help="only the first N MultiHop questions of the split")
    parser.add_argument("--sets", default="seed,multihop", help="comma-separated: seed, multihop")
    parser.add_argument("--runs", default="generative:qwen2.5-coder-1.5b,generative:qwen2.5-coder-0.5b,extractive",
                        help="comma-separated: extractive, generative:<model key>, or baseline:<model key> "
                             "(the tutorial-style RAG in benchmarks/baseline.py); append :overlap to use the "
                             "fallback word-overlap verifier instead of the trained checker")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--work", type=Path, help="keep stores and eval runs here (default: temp)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        work = args.work or Path(tmp)
        seed_dir, mh_dir = work / "seed", work / "multihop"
        qa_bot(seed_dir, "ingest", "data/articles", "--metadata", "data/articles.meta.jsonl", "--quiet")
        qa_bot(mh_dir, "ingest", str(args.multihop / "articles"), "--metadata", str(args.multihop / "articles.jsonl"), "--quiet")
        rows = {}
        for run in args.runs.split(","):
            mode, _, rest = run.partition(":")
            model, _, verifier = rest.partition(":")  # generative:<model>:overlap runs the fallback verifier
            limit = ["--limit", str(args.limit)] if args.limit else []
            sets = [
                ("seed (40)", seed_dir, []),
                (f"MultiHop {args.split}{f' ({args.limit})' if args.limit else ''}", mh_dir,
                 [str(args.multihop / "questions.jsonl"), "--split", args.split, *limit]),
            ]
            for name, data_dir, extra in [s for s in sets if s[0].split()[0].lower() in args.sets.lower().split(",")]:
                out = work / "runs" / f"{name.split()[0]}{'-' + args.split if data_dir == mh_dir else ''}-{mode}-{model or 'none'}{'-' + verifier if verifier else ''}"
                if model:
                    qa_bot(data_dir, "setup-model", "--model", model)
                if mode == "baseline":  # the tutorial-style RAG of the project brief, same model and scoring
                    qa_bot(data_dir, "eval", *extra, "--out", str(out), "--no-progress", model=model or None, baseline=True,
                           verifier=verifier)
                else:
                    qa_bot(data_dir, "eval", *extra, "--mode", mode, "--out", str(out), "--no-progress", model=model or None,
                           verifier=verifier)
                summary = json.loads((out / "summary.json").read_text())
                by_type = {t: ((b["metrics"].get("correct") or {}).get("mean"), b["count"]) for t, b in summary["by_type"].items()}
                rows[f"{name} {mode} {model} {verifier}".strip()] = summary["headline"] | {
                    "modes": summary["counts"]["modes"], "by_type": by_type}
    table = ["| run | " + " | ".join(label for _, label in COLUMNS) + " |", "|---" * (len(COLUMNS) + 1) + "|"]
    for run, head in rows.items():
        cells = [_fmt(head.get(key)) for key, _ in COLUMNS]
        table.append(f"| {run} | " + " | ".join(cells) + " |")
    types = sorted({t for head in rows.values() for t in head["by_type"]})
    table += ["", "Correct by question type (n):", "", "| run | " + " | ".join(types) + " |", "|---" * (len(types) + 1) + "|"]
    for run, head in rows.items():
        cells = [f"{_fmt(head['by_type'][t][0])} ({head['by_type'][t][1]})" if t in head["by_type"] else "–" for t in types]
        table.append(f"| {run} | " + " | ".join(cells) + " |")
    print("\n".join(table))
    if args.out:
        args.out.write_text(json.dumps(rows, indent=2) + "\n")
    return 0


def _fmt(value) -> str:
    if value is None:
        return "–"
    return f"{value:.2f}" if isinstance(value, float) else str(value)


if __name__ == "__main__":
    sys.exit(main())
