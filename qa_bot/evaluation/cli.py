"""``qa-bot eval``: argument definitions and the command body.

The main CLI owns the parser and the settings; it calls :func:`add_arguments` on
its ``eval`` sub-parser and :func:`run` with a factory for the bot, so building
the (slow) bot happens only when a run actually needs it.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import inspect
import sys
from pathlib import Path
from typing import Callable

from qa_bot.evaluation.compare import compare_runs, format_comparison
from qa_bot.evaluation.dataset import load_dataset
from qa_bot.evaluation.results_io import RESULTS_FILE
from qa_bot.evaluation.runner import EvalConfig, run_eval
from qa_bot.evaluation.summary import format_summary
from qa_bot.settings import REPO_ROOT, Settings

DEFAULT_QUESTIONS = REPO_ROOT / "data" / "eval" / "seed_questions.jsonl"
EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``eval`` options to a (sub-)parser."""
    parser.add_argument(
        "questions", nargs="?", default=None, metavar="QUESTIONS",
        help=f"questions file, .jsonl or .csv (default: {DEFAULT_QUESTIONS.relative_to(REPO_ROOT)})",
    )
    parser.add_argument("--out", type=Path, default=None, metavar="DIR",
                        help="output directory (default: <data_dir>/eval/<timestamp>)")
    parser.add_argument("--split", choices=["dev", "test"], default=None,
                        help="the held-out protocol (docs/benchmarks.md): dev = the first half of the file's "
                             "questions, test = the second half; tune on dev only")
    parser.add_argument("--types", default=None, metavar="T1,T2",
                        help="only questions of these question_type values (comma-separated)")
    parser.add_argument("--limit", type=int, default=None, metavar="N", help="only the first N questions (of the split)")
    parser.add_argument("--concurrency", type=int, default=1, metavar="N",
                        help="questions in flight at once (useful with OpenAI-compatible servers)")
    parser.add_argument("--retrieval-only", action="store_true",
                        help="only retrieve; score retrieval, skip answer metrics")
    parser.add_argument("--mode", choices=["generative", "extractive"], default=None,
                        help="answering mode (default: from settings)")
    parser.add_argument("--resume", action="store_true",
                        help="continue the run in --out (default: the latest run), skipping done ids")
    parser.add_argument("-k", type=int, default=None, dest="k", metavar="K",
                        help="chunks to retrieve (default: from settings)")
    parser.add_argument("--compare", nargs=2, metavar=("RUN_A", "RUN_B"), default=None,
                        help="compare two runs (dirs or results.jsonl) instead of evaluating")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def split_records(records: list, split: str | None) -> list:
    """The development (first half) or test (second half) questions of a file, in file order.

    One fixed rule, so every run and every engineer reports the same test questions.
    """
    if split is None:
        return records
    half = (len(records) + 1) // 2
    return records[:half] if split == "dev" else records[half:]


def model_name(settings: Settings) -> str:
    """What produced the answers, for the run config."""
    if settings.llm_backend == "openai":
        return settings.openai_model
    if settings.llm_backend == "llamacpp":
        return settings.llm_model_path.name if settings.llm_model_path else settings.llm_model
    return settings.llm_backend  # "fake" or "none"


def _latest_run(root: Path) -> Path | None:
    runs = [p.parent for p in root.glob(f"*/{RESULTS_FILE}")] if root.is_dir() else []
    return max(runs, key=lambda p: (p / RESULTS_FILE).stat().st_mtime, default=None)


def resolve_out_dir(out: Path | None, settings: Settings, *, resume: bool) -> Path:
    """--out, or for --resume the latest run, or a fresh timestamped directory."""
    if out is not None:
        return Path(out)
    root = Path(settings.data_dir) / "eval"
    if resume:
        latest = _latest_run(root)
        if latest is not None:
            return latest
    base = root / _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    path, n = base, 1
    while path.exists():
        path, n = base.with_name(f"{base.name}-{n}"), n + 1
    return path


def _build_bot(make_bot: Callable[..., object], settings: Settings) -> object:
    """Pass the eval's settings (-k, --mode applied) if the factory accepts them."""
    try:
        params = inspect.signature(make_bot).parameters.values()
    except (TypeError, ValueError):
        return make_bot()
    takes_arg = any(
        p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL) for p in params
    )
    return make_bot(settings) if takes_arg else make_bot()


def _error(msg: str) -> int:
    print(f"qa-bot eval: error: {msg}", file=sys.stderr)
    return EXIT_USAGE


def run(args: argparse.Namespace, settings: Settings, make_bot: Callable[[], object]) -> int:
    """Run ``qa-bot eval`` and return the exit code (130 when interrupted)."""
    if getattr(args, "compare", None):
        try:
            comparison = compare_runs(*args.compare)
        except (FileNotFoundError, OSError) as exc:
            return _error(str(exc))
        print(format_comparison(comparison))
        return EXIT_OK

    if args.limit is not None and args.limit < 1:
        return _error("--limit must be at least 1")
    if args.concurrency < 1:
        return _error("--concurrency must be at least 1")
    if args.k is not None and args.k < 1:
        return _error("-k must be at least 1")
    questions = Path(args.questions) if args.questions else DEFAULT_QUESTIONS
    if not questions.is_file():
        return _error(f"questions file not found: {questions}")

    dataset = load_dataset(questions)
    records = split_records(dataset.records, getattr(args, "split", None))
    if getattr(args, "types", None):
        wanted = {t.strip() for t in args.types.split(",") if t.strip()}
        records = [r for r in records if r.question_type in wanted]
    records = records[: args.limit] if args.limit else records
    if not records:
        return _error(f"no usable questions in {questions}")

    k = args.k or settings.k
    mode = args.mode or settings.mode
    run_settings = settings.with_overrides(k=k, mode=mode)
    out_dir = resolve_out_dir(args.out, settings, resume=args.resume)
    config = EvalConfig(
        mode=mode,
        k=k,
        retrieval_only=args.retrieval_only,
        concurrency=args.concurrency,
        model=model_name(settings),
        dataset=str(questions),
        limit=args.limit,
        split=getattr(args, "split", None),
        types=getattr(args, "types", None),
        extra={
            "backend": settings.llm_backend,
            "candidates": settings.candidates,
            "context_chunks": settings.context_chunks,
            "min_relevance": settings.min_relevance,
            "support_threshold": settings.support_threshold,
            # answers replayed from a cache: quality comparable, timings not
            "llm_replay_cache": str(settings.llm_replay_cache) if settings.llm_replay_cache else None,
            "disabled_rules": list(settings.disabled_rules),  # an ablation run says which rules were off
        },
    )
    if (out_dir / RESULTS_FILE).is_file() and not args.resume and (out_dir / RESULTS_FILE).stat().st_size:
        return _error(f"{out_dir / RESULTS_FILE} already has results; use --resume or another --out")

    print(f"Evaluating {len(records)} questions from {questions} -> {out_dir}", file=sys.stderr)
    bot = _build_bot(make_bot, run_settings)
    outcome = run_eval(
        bot,
        records,
        out_dir,
        config,
        resume=args.resume,
        skipped_lines=len(dataset.skipped),
        progress=not getattr(args, "no_progress", False),
    )
    print(format_summary(outcome.summary, report_path=str(outcome.report_path)))
    return EXIT_INTERRUPTED if outcome.interrupted else EXIT_OK
