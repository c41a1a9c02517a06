"""Time to first token against the machine's own floor, for each llama.cpp configuration, in one run.

    python benchmarks/ttft.py [--questions data/eval/seed_questions.jsonl] [--limit N]
                              [--configs "before:llm_batch=512;after:llm_batch=512,llm_flash_attn=true"]
                              [--out benchmarks/results/ttft.json]

Ingests the bundled articles into a temp data dir. For each configuration (settings overrides,
``name:key=value,key=value``; configurations separated by ``;``), in one process on one machine:

1. the model's rates here: prompt processing (tokens/s) on a fixed 600-token prompt evaluated from
   an empty cache (best of 3), and generation (tokens/s over 48 tokens);
2. every question of the set asked through ``QABot`` (generative, with its history), recording
   time to sources, time to first token, total time, the prompt's tokens and the tokens the
   model's cache did not already hold;
3. per answer written by the model, its floor = prompt tokens / measured prompt rate, and
   TTFT / floor.

4. the share of each prompt llama.cpp's cache already held, and TTFT and total p50 as ratios of
   the first configuration, measured in the same run.

Prints a markdown table (processor and load average named) and writes JSON. Goals: issue 11,
TTFT p50 <= 1.3x its floor; issue 29, TTFT p50 <= 0.5x and total p50 <= 0.6x today's configuration
(put it first), at answers no worse (docs/benchmarks.md#prompt-size-against-answer-quality-issue-29-2026-12-08).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.speed import processor_name  # noqa: E402
from qa_bot.runtime import configure_offline_runtime  # noqa: E402
from qa_bot.settings import Settings  # noqa: E402

PROBE_TOKENS = 600
PROBE_TEXT = ("NATO foreign ministers met in Brussels on Tuesday to discuss the alliance's partnerships in the "
              "Mediterranean, and officials said Israel would open an office at the headquarters. ")
DEFAULT_CONFIGS = "default:"


def parse_configs(text: str) -> list[tuple[str, dict[str, str]]]:
    configs = []
    for part in filter(None, (p.strip() for p in text.split(";"))):
        name, _, assignments = part.partition(":")
        overrides = dict(a.split("=", 1) for a in filter(None, assignments.split(",")))
        configs.append((name, overrides))
    return configs


def model_rates(chat) -> dict[str, float]:
    """Prompt and generation tokens/s of the loaded llama.cpp model, from an empty cache."""
    llama = chat._llama
    tokens = llama.tokenize((PROBE_TEXT * 40).encode())[:PROBE_TOKENS]
    best = 0.0
    with chat._lock:
        for _ in range(3):
            llama.reset()
            t0 = time.perf_counter()
            llama.eval(tokens)
            best = max(best, len(tokens) / (time.perf_counter() - t0))
        generated, t0 = 0, time.perf_counter()
        for _ in llama.generate(tokens, temp=0.0, reset=False):
            generated += 1
            if generated >= 48:
                break
        gen_rate = generated / (time.perf_counter() - t0)
        llama.reset()
    return {"prompt_tokens_per_s": round(best, 1), "generation_tokens_per_s": round(gen_rate, 2)}


def markdown_table(first: str, rows: list[dict], cols: list[tuple[str, str]]) -> str:
    """Rows as a markdown table: the ``first`` key, then ``cols`` (key, label); a missing value is a dash."""
    lines = ["| " + " | ".join([first] + [label for _, label in cols]) + " |", "|---" * (len(cols) + 1) + "|"]
    for r in rows:
        lines.append(f"| {r[first]} | " + " | ".join("–" if r.get(k) is None else str(r[k]) for k, _ in cols) + " |")
    return "\n".join(lines)


def write_json(path: Path | None, summary: dict) -> None:
    if path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(summary, indent=2) + "\n")


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    return round(values[min(len(values) - 1, int(round(q * (len(values) - 1))))], 3)


def run_config(name: str, overrides: dict[str, str], data_dir: Path, questions: list[dict]) -> dict:
    from qa_bot.components import Components
    from qa_bot.pipeline import QABot

    settings = Settings(data_dir=data_dir, mode="generative", **overrides)
    bot = QABot(settings, Components(settings))
    chat = bot.components.llm()
    rates = model_rates(chat)
    chat.warm_up()  # as the UI does at start: the system prompt is in the cache before the first question
    rows = []
    for q in questions:
        answer = bot.ask(q["question"], q.get("history") or [])
        rows.append({"id": q["id"], "ttft_s": answer.ttft_s, "latency_s": answer.latency_s,
                     "sources_s": answer.sources_s, "prompt_tokens": answer.prompt_tokens,
                     "prompt_tokens_evaluated": answer.prompt_tokens_evaluated, "refused": answer.refused,
                     "mode": answer.mode})
    written = [r for r in rows if r["prompt_tokens"]]
    floors = [r["prompt_tokens"] / rates["prompt_tokens_per_s"] for r in written]
    ratios = [r["ttft_s"] / f for r, f in zip(written, floors) if r["ttft_s"]]
    return {
        "config": name, "overrides": overrides, **rates,
        "answers": len(rows), "written_by_model": len(written),
        "sources_p50_s": pct([r["sources_s"] for r in rows if r["sources_s"] is not None], 0.5),
        "ttft_p50_s": pct([r["ttft_s"] for r in written], 0.5),
        "floor_p50_s": pct(floors, 0.5),
        "ttft_over_floor_p50": pct(ratios, 0.5),
        "prompt_tokens_p50": pct([r["prompt_tokens"] for r in written], 0.5),
        "evaluated_tokens_p50": pct([r["prompt_tokens_evaluated"] for r in written
                                     if r["prompt_tokens_evaluated"] is not None], 0.5),
        "reused_share_p50": pct([1 - r["prompt_tokens_evaluated"] / r["prompt_tokens"] for r in written
                                 if r["prompt_tokens_evaluated"] is not None], 0.5),
        "total_p50_s": pct([r["latency_s"] for r in rows], 0.5),
        "total_p95_s": pct([r["latency_s"] for r in rows], 0.95),
        "rows": rows,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--questions", type=Path, default=REPO / "data" / "eval" / "seed_questions.jsonl")
    parser.add_argument("--limit", type=int, default=0, help="first N questions (0 = all)")
    parser.add_argument("--configs", default=DEFAULT_CONFIGS)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()

    questions = [json.loads(line) for line in args.questions.read_text(encoding="utf-8").splitlines() if line.strip()]
    questions = questions[: args.limit] if args.limit else questions
    load_start = os.getloadavg()[0]
    results = []
    with tempfile.TemporaryDirectory(prefix="qa-bot-ttft-") as tmp:
        data_dir = Path(tmp)
        settings = Settings(data_dir=data_dir)
        configure_offline_runtime(settings)
        os.symlink(Settings().data_dir / "models", data_dir / "models")  # the assembled GGUFs, not copied
        from qa_bot.components import Components

        report = Components(settings).ingestor.ingest([settings.articles_dir], metadata_path=settings.articles_metadata,
                                                      progress=False)
        assert not report.errors, report.summary()
        for name, overrides in parse_configs(args.configs):
            print(f"config {name}: {overrides}", file=sys.stderr, flush=True)
            results.append(run_config(name, overrides, data_dir, questions))
    summary = {"processor": processor_name(), "threads": os.cpu_count(),
               "load_average_1min": [round(load_start, 2), round(os.getloadavg()[0], 2)],
               "questions": str(args.questions), "configs": results}
    cols = [("prompt_tokens_per_s", "prompt tok/s"), ("generation_tokens_per_s", "gen tok/s"),
            ("prompt_tokens_p50", "prompt tokens p50"), ("evaluated_tokens_p50", "evaluated p50"),
            ("sources_p50_s", "sources p50 s"), ("floor_p50_s", "floor p50 s"), ("ttft_p50_s", "TTFT p50 s"),
            ("ttft_over_floor_p50", "TTFT/floor p50"), ("total_p50_s", "total p50 s"), ("total_p95_s", "total p95 s"),
            ("reused_share_p50", "reused share p50"), ("ttft_ratio", "TTFT p50 ÷ first"), ("total_ratio", "total p50 ÷ first")]
    for r in results:  # against the first configuration, measured in this run
        r["ttft_ratio"] = round(r["ttft_p50_s"] / results[0]["ttft_p50_s"], 3) if r["ttft_p50_s"] else None
        r["total_ratio"] = round(r["total_p50_s"] / results[0]["total_p50_s"], 3) if r["total_p50_s"] else None
    print(f"\n{summary['processor']}, {summary['threads']} cores, load {summary['load_average_1min']}")
    print(markdown_table("config", results, cols))
    write_json(args.out, summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
