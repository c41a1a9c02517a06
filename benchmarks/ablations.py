"""Each rule of the pipeline switched off, on the MultiHop development half and the seed regression set.

    python benchmarks/ablations.py run --multihop ../shared/eval/multihop-rag --work DIR [--rules a,b]
    python benchmarks/ablations.py table --work DIR

``run`` ingests the MultiHop articles and the bundled articles into ``DIR/stores`` (once), then runs
``qa-bot eval`` for "all rules on" and for each rule off (``QA_BOT_DISABLED_RULES``), writing
``DIR/dev-<variant>/`` and ``DIR/seed-<variant>/``; variants already done are skipped, so a run
can be resumed. The model's answers go through a replay cache (``DIR/replay.sqlite``, greedy
decoding): a variant that changes nothing before the model costs no generation, one that changes
prompts generates only those. ``table`` prints the markdown table of docs/benchmarks.md.
Only the development half is ever used here (the held-out protocol: the test half is not for tuning).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.answers import qa_bot  # noqa: E402
from qa_bot.steps import RULES  # noqa: E402

SEED = REPO / "data" / "eval" / "seed_questions.jsonl"


def run(multihop: Path, work: Path, rules: list[str], model: str) -> None:
    """Ingest once, then evaluate every variant not yet evaluated."""
    stores = {"dev": work / "stores" / "multihop", "seed": work / "stores" / "seed"}
    if not (stores["dev"] / "chroma").exists():
        qa_bot(stores["dev"], "ingest", str(multihop / "articles"), "--metadata", str(multihop / "articles.jsonl"), "--quiet")
    if not (stores["seed"] / "chroma").exists():
        qa_bot(stores["seed"], "ingest", "data/articles", "--metadata", "data/articles.meta.jsonl", "--quiet")
    cache = {"QA_BOT_LLM_REPLAY_CACHE": str(work / "replay.sqlite")}
    for variant in ["all", *rules]:
        disabled = "" if variant == "all" else variant
        for half, questions, extra in (("dev", multihop / "questions.jsonl", ["--split", "dev"]), ("seed", SEED, [])):
            out = work / f"{half}-{variant}"
            if (out / "summary.json").exists():
                continue
            qa_bot(stores[half], "eval", str(questions), *extra, "--mode", "generative", "--out", str(out),
                    "--no-progress", model=model, env={**cache, "QA_BOT_DISABLED_RULES": disabled})


def _row(summary: dict) -> dict[str, float | int | None]:
    counts, metrics = summary["counts"], summary["metrics"]

    def mean(name: str) -> float | None:
        return (metrics.get(name) or {}).get("mean")

    def count(name: str) -> int | None:
        value, n = mean(name), (metrics.get(name) or {}).get("n")
        return None if value is None else round(value * n)

    return {"correct": mean("correct"), "unanswerable_refused": count("refusal_recall"),
            "unanswerable": counts["unanswerable"], "false_refusals": count("false_refusal_rate"),
            "answerable": counts["answerable"]}


def table(work: Path) -> str:
    """Markdown: one row per variant, the development half and the seed set side by side."""
    lines = ["| variant | dev correct | dev null refused | dev false refusals | seed correct | seed unanswerable refused | seed false refusals |",
             "|---|---|---|---|---|---|---|"]
    for variant in ["all", *RULES]:
        cells = ["all rules on" if variant == "all" else f"{variant} off"]
        for half in ("dev", "seed"):
            path = work / f"{half}-{variant}" / "summary.json"
            if not path.exists():
                cells += ["–"] * 3
                continue
            row = _row(json.loads(path.read_text()))
            cells += [f"{row['correct']:.2f}", f"{row['unanswerable_refused']}/{row['unanswerable']}",
                      f"{row['false_refusals']}/{row['answerable']}"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    run_parser = sub.add_parser("run", help="evaluate every variant (resumable)")
    run_parser.add_argument("--multihop", type=Path, required=True, help="MultiHop-RAG subset dir")
    run_parser.add_argument("--work", type=Path, required=True)
    run_parser.add_argument("--rules", default=",".join(RULES), help="comma-separated rules to switch off one by one")
    run_parser.add_argument("--model", default="qwen2.5-coder-1.5b")
    table_parser = sub.add_parser("table", help="print the markdown table")
    table_parser.add_argument("--work", type=Path, required=True)
    args = parser.parse_args()
    if args.command == "run":
        rules = [r for r in args.rules.split(",") if r]
        unknown = set(rules) - set(RULES)
        if unknown:
            parser.error(f"unknown rules {sorted(unknown)}; known: {', '.join(RULES)}")
        run(args.multihop, args.work, rules, args.model)
    print(table(args.work))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
