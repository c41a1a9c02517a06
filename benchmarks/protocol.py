"""The cost of serving the model over HTTP: embedded llama.cpp vs the ``openai`` backend to llama_cpp.server.

    python benchmarks/protocol.py [--model qwen2.5-coder-1.5b] [--limit N] [--out benchmarks/results/protocol.json]

Ingests the bundled articles into a temp data dir, starts ``python -m llama_cpp.server`` on 127.0.0.1
with the same GGUF, context, batch and thread count the embedded backend uses, then asks every seed
question (generative, with its history) through two ``QABot``s in one process, alternating question
by question (embedded, then served) so that drift in the machine's load falls on both alike. Only
one model computes at any moment. Reports time to first token and total time, p50 and p95, the
ratio served / embedded (goal, issue 10: <= 1.1x), and how many answers came out identical.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from benchmarks.speed import processor_name  # noqa: E402
from benchmarks.ttft import pct  # noqa: E402
from qa_bot.runtime import configure_offline_runtime  # noqa: E402
from qa_bot.settings import Settings  # noqa: E402
from servers import Server, free_port  # noqa: E402


def summarise(rows: list[dict]) -> dict:
    written = [r for r in rows if r["ttft_s"]]
    return {"answers": len(rows), "written_by_model": len(written),
            "ttft_p50_s": pct([r["ttft_s"] for r in written], 0.5), "ttft_p95_s": pct([r["ttft_s"] for r in written], 0.95),
            "total_p50_s": pct([r["latency_s"] for r in rows], 0.5), "total_p95_s": pct([r["latency_s"] for r in rows], 0.95)}


def warm_up(chat) -> None:
    """The system prompt evaluated once, the same way for both backends (never a benchmark question)."""
    if hasattr(chat, "warm_up"):
        chat.warm_up()
        return
    from langchain_core.messages import HumanMessage, SystemMessage

    from prompts import load_prompt

    chat.invoke([SystemMessage(load_prompt("system")), HumanMessage("Hello")], max_tokens=1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--questions", type=Path, default=REPO / "data" / "eval" / "seed_questions.jsonl")
    parser.add_argument("--model", default="qwen2.5-coder-1.5b")
    parser.add_argument("--limit", type=int, default=0, help="first N questions (0 = all)")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    questions = [json.loads(line) for line in args.questions.read_text(encoding="utf-8").splitlines() if line.strip()]
    questions = questions[: args.limit] if args.limit else questions
    load_start = os.getloadavg()[0]

    from qa_bot.components import Components
    from qa_bot.models import assemble_model
    from qa_bot.pipeline import QABot

    with tempfile.TemporaryDirectory(prefix="qa-bot-protocol-") as tmp:
        data_dir = Path(tmp)
        base = Settings(data_dir=data_dir, mode="generative", llm_model=args.model)
        configure_offline_runtime(base)
        os.symlink(Settings().data_dir / "models", data_dir / "models")  # the assembled GGUFs, not copied
        report = Components(base).ingestor.ingest([base.articles_dir], metadata_path=base.articles_metadata,
                                                  progress=False)
        assert not report.errors, report.summary()
        model_path = assemble_model(base, args.model)
        threads = str(base.llm_threads or base.threads or os.cpu_count() or 1)
        port = free_port()
        server = Server([sys.executable, "-m", "llama_cpp.server", "--model", str(model_path), "--model_alias", args.model,
                         "--host", "127.0.0.1", "--port", str(port), "--n_ctx", str(base.llm_context),
                         "--n_batch", str(base.llm_batch), "--n_ubatch", str(base.llm_batch),
                         "--n_threads", threads, "--n_threads_batch", threads,
                         "--logits_all", "False", "--flash_attn", str(base.llm_flash_attn), "--verbose", "False"],
                        f"http://127.0.0.1:{port}/v1/models", data_dir / "server.log").start(timeout=300)
        try:
            bots = {
                "embedded": QABot(base, Components(base)),
                "openai": QABot(served := base.model_copy(update={
                    "llm_backend": "openai", "openai_base_url": f"http://127.0.0.1:{port}/v1", "openai_model": args.model}),
                    Components(served)),
            }
            for bot in bots.values():  # as the UI does at start: the system prompt is in the model's cache
                warm_up(bot.components.llm())
            rows: dict[str, list[dict]] = {name: [] for name in bots}
            answers: dict[str, list[str]] = {name: [] for name in bots}
            for q in questions:
                for name, bot in bots.items():
                    answer = bot.ask(q["question"], q.get("history") or [])
                    rows[name].append({"id": q["id"], "ttft_s": answer.ttft_s, "latency_s": answer.latency_s,
                                       "mode": answer.mode})
                    answers[name].append(answer.answer)
                print(f"  {q['id']}: " + ", ".join(f"{n} {rows[n][-1]['latency_s']:.1f}s" for n in bots),
                      file=sys.stderr, flush=True)
        finally:
            server.stop()
    result = {name: summarise(r) for name, r in rows.items()}
    emb, srv = result["embedded"], result["openai"]
    result["ratio_ttft_p50"] = round(srv["ttft_p50_s"] / emb["ttft_p50_s"], 3)
    result["ratio_total_p50"] = round(srv["total_p50_s"] / emb["total_p50_s"], 3)
    result["ratio_total_mean"] = round(statistics.mean(r["latency_s"] for r in rows["openai"])
                                       / statistics.mean(r["latency_s"] for r in rows["embedded"]), 3)
    result["identical_answers"] = sum(a == b for a, b in zip(answers["embedded"], answers["openai"]))
    summary = {"processor": processor_name(), "threads": os.cpu_count(), "model": args.model,
               "load_average_1min": [round(load_start, 2), round(os.getloadavg()[0], 2)],
               "questions": len(questions), **result, "rows": rows}
    print(json.dumps({k: v for k, v in summary.items() if k != "rows"}, indent=2))
    if args.out:
        args.out.write_text(json.dumps(summary, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
