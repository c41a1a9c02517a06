"""How long a library's example questions take to make, and which candidates were kept (issue 30).

    python benchmarks/library_examples.py FOLDER [--metadata FILE.jsonl] [--mode generative|extractive]
                                          [--count 3] [--out benchmarks/results/library_examples.json]

Ingests FOLDER into a temp data dir, then makes the examples exactly as the UI does (``ExampleQuestions``:
candidates written by the model from the newest articles' leads, or the bundled demo's own, each asked and kept
only when answered with a verified citation) and reports the time, the kept questions and the rejected ones with
why, the processor named.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.followups import cpu  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--metadata", type=Path, default=None)
    parser.add_argument("--mode", choices=["generative", "extractive"], default="generative")
    parser.add_argument("--count", type=int, default=3)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)

    from qa_bot.examples import ExampleQuestions
    from qa_bot.llm import describe
    from qa_bot.models import assemble_model
    from qa_bot.pipeline import QABot
    from qa_bot.runtime import configure_offline_runtime
    from qa_bot.settings import Settings

    with tempfile.TemporaryDirectory() as tmp:
        overrides = {"llm_backend": "none"} if args.mode == "extractive" else \
            {"llm_backend": "llamacpp", "llm_model_path": assemble_model(Settings())}
        settings = Settings(data_dir=Path(tmp), mode=args.mode, ui_examples=args.count, **overrides)
        configure_offline_runtime(settings)
        bot = QABot(settings)
        report = bot.components.ingestor.ingest([args.folder], metadata_path=args.metadata, progress=False)
        rows = bot.components.store.articles()
        examples = ExampleQuestions(bot, args.count, lambda: args.mode, describe(settings), settings.data_dir)
        if args.mode == "generative":
            bot.components.llm()  # the model's load is not the examples' cost
        t0 = time.perf_counter()
        kept = examples.refresh(rows, wait=True).questions
        seconds = time.perf_counter() - t0
        cache = json.loads((settings.data_dir / "examples.json").read_text(encoding="utf-8"))
    result = {"processor": cpu(), "folder": str(args.folder), "articles": report.articles, "mode": args.mode,
              "count": args.count, "seconds": round(seconds, 1), "kept": kept, "rejected": cache["rejected"]}
    print(f"{report.articles} articles, {args.mode}, on {result['processor']}: {len(kept)} of {args.count} examples "
          f"in {seconds:.1f} s, {len(cache['rejected'])} candidates rejected")
    for q in kept:
        print(f"  kept: {q}")
    for r in cache["rejected"]:
        print(f"  rejected ({r['why']}): {r['question']}")
    if args.out:
        args.out.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
