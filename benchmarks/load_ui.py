"""Load test of the web UI: N simultaneous conversations against the ``/ask`` endpoint.

Each conversation runs in its own thread with its own ``gradio_client.Client``
and asks two turns: a question, then a follow-up that sends the first turn as
history. Every request must succeed (no exception, no ``error`` in the answer).

    python benchmarks/load_ui.py --url http://127.0.0.1:7860/ --conversations 8 --mode extractive
    python benchmarks/load_ui.py --launch --conversations 8 --mode generative

``--launch`` starts the UI in this process on a free port, over a temp data dir
holding the bundled articles, so the benchmark is one command. The result is
printed and written as JSON (``--out``).
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

CONVERSATIONS = [
    ("Who said NATO's security guarantee does not apply to Israel?", "Why does it not apply?"),
    ("What did Herzog tell NATO about Iran?", "Where did he say it?"),
    ("How many members did NATO have in 2016?", "And in 2018?"),
    ("When did NATO accept Israel's official representative?", "Who had blocked it before?"),
    ("Why did Turkey block Israel's cooperation with NATO?", "When did that change?"),
    ("Where will Israel open a permanent office at NATO?", "Who invited Israel to open it?"),
    ("What did Volker Beck ask about Stoltenberg's statement?", "Which party does he belong to?"),
    ("What threats did Herzog say NATO allies face?", "What did Stoltenberg say about his visit?"),
]


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def run_conversation(url: str, auth, index: int, mode: str, k: int, barrier: threading.Barrier, results: list) -> None:
    from gradio_client import Client

    question, follow_up = CONVERSATIONS[index % len(CONVERSATIONS)]
    try:
        client = Client(url, auth=auth, verbose=False)
    except Exception as exc:
        barrier.wait()
        results.append({"conversation": index, "turn": 0, "error": f"connect: {type(exc).__name__}: {exc}"})
        return
    barrier.wait()  # every conversation starts at the same moment
    history: list[list[str]] = []
    for turn, text in enumerate((question, follow_up), start=1):
        t0 = time.perf_counter()
        row = {"conversation": index, "turn": turn, "question": text}
        try:
            answer = client.predict(text, json.dumps(history), mode, k, api_name="/ask")
            row.update(latency_s=time.perf_counter() - t0, error=answer.get("error"), refused=answer.get("refused"),
                       mode=answer.get("mode"), citations=len(answer.get("citations") or []),
                       ttft_s=answer.get("ttft_s"), answer=(answer.get("answer") or "")[:160])
            if not answer.get("answer") and not row["error"]:
                row["error"] = "empty answer"
            history.append([text, answer.get("answer") or ""])
        except Exception as exc:
            row.update(latency_s=time.perf_counter() - t0, error=f"{type(exc).__name__}: {exc}")
        results.append(row)


def start_ui(mode: str, llm_concurrency: int):
    """Serve the UI in this process over a temp data dir with the bundled articles; return its URL."""
    from qa_bot.runtime import configure_offline_runtime
    from qa_bot.settings import Settings

    model_path = None
    if mode == "generative":
        from qa_bot.models import assemble_model

        model_path = assemble_model(Settings())  # reuse the repo data dir's GGUF, no 1 GB copy per run
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    data_dir = Path(tempfile.mkdtemp(prefix="qa-bot-load-"))
    settings = Settings(data_dir=data_dir, ui_host="127.0.0.1", ui_port=port, ui_auth=None,
                        llm_model_path=model_path, llm_concurrency=llm_concurrency)
    configure_offline_runtime(settings)
    from qa_bot.pipeline import QABot
    from ui.app import launch

    bot = QABot(settings)
    report = bot.components.ingestor.ingest([REPO / "data" / "articles"], metadata_path=REPO / "data" / "articles.meta.jsonl",
                                            progress=False)
    print(report.summary(), file=sys.stderr)
    demo = launch(settings, bot, block=False)
    return f"http://127.0.0.1:{port}/", demo, settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="a running qa-bot UI, e.g. http://127.0.0.1:7860/")
    parser.add_argument("--launch", action="store_true", help="start the UI in-process (temp data dir, bundled articles)")
    parser.add_argument("--conversations", type=int, default=8)
    parser.add_argument("--mode", choices=["extractive", "generative"], default="extractive")
    parser.add_argument("--k", type=int, default=0, help="chunks to retrieve (0 = the server's default)")
    parser.add_argument("--llm-concurrency", type=int, default=1, help="with --launch: settings.llm_concurrency")
    parser.add_argument("--auth", help="user:password when the UI has basic auth")
    parser.add_argument("--no-warmup", action="store_true", help="do not send one untimed request first")
    parser.add_argument("--out", type=Path, help="JSON result file (default benchmarks/results/load_ui_<mode>.json)")
    args = parser.parse_args(argv)
    if bool(args.url) == args.launch:
        parser.error("give exactly one of --url or --launch")

    demo = None
    url = args.url
    if args.launch:
        url, demo, settings = start_ui(args.mode, args.llm_concurrency)
    auth = tuple(args.auth.split(":", 1)) if args.auth else None
    try:
        warmup_s = None
        if not args.no_warmup:  # loads the embedder, the BM25 index and (generative) the model
            from gradio_client import Client

            t0 = time.perf_counter()
            Client(url, auth=auth, verbose=False).predict("What is NATO?", "[]", args.mode, args.k, api_name="/ask")
            warmup_s = round(time.perf_counter() - t0, 2)
            print(f"warm-up request: {warmup_s:.1f}s", file=sys.stderr)

        results: list[dict] = []
        barrier = threading.Barrier(args.conversations + 1)
        threads = [threading.Thread(target=run_conversation, args=(url, auth, i, args.mode, args.k, barrier, results))
                   for i in range(args.conversations)]
        for t in threads:
            t.start()
        barrier.wait()
        t0 = time.perf_counter()
        for t in threads:
            t.join()
        wall = time.perf_counter() - t0
    finally:
        if demo is not None:
            demo.close()

    latencies = [r["latency_s"] for r in results if "latency_s" in r]
    errors = [r for r in results if r.get("error")]
    summary = {
        "url": url,
        "launched": bool(args.launch),
        "mode": args.mode,
        "conversations": args.conversations,
        "turns_per_conversation": 2,
        "llm_concurrency": args.llm_concurrency if args.launch else None,
        "count": len(results),
        "completed": len(results) - len(errors),
        "errors": len(errors),
        "error_messages": [f"conversation {r['conversation']} turn {r['turn']}: {r['error']}" for r in errors][:20],
        "refused": sum(1 for r in results if r.get("refused")),
        "latency_s": {
            "p50": round(percentile(latencies, 50), 2),
            "p95": round(percentile(latencies, 95), 2),
            "max": round(max(latencies, default=0.0), 2),
            "mean": round(statistics.fmean(latencies), 2) if latencies else 0.0,
        },
        "wall_s": round(wall, 2),
        "throughput_answers_per_min": round(len(results) / wall * 60, 1) if wall else 0.0,
        "warmup_s": warmup_s,
        "requests": sorted(results, key=lambda r: (r["conversation"], r["turn"])),
    }
    out = args.out or REPO / "benchmarks" / "results" / f"load_ui_{args.mode}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    brief = {k: v for k, v in summary.items() if k != "requests"}
    print(json.dumps(brief, indent=2, ensure_ascii=False))
    print(f"written: {out}", file=sys.stderr)
    expected = args.conversations * 2
    return 0 if not errors and len(results) == expected else 1


if __name__ == "__main__":
    sys.exit(main())
