"""Run a bot over a dataset, writing one result line per question as it finishes.

The bot is passed in (anything with ``ask`` and ``retrieve``), so tests drive the
runner with fakes and the CLI with the real pipeline. A failing question is
recorded with its ``error`` and the run goes on; Ctrl-C stops the run but still
writes the summary and report for what is done.
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import sys
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Protocol, Sequence, TextIO

from tqdm import tqdm

from qa_bot.evaluation.console import STDERR
from qa_bot.evaluation.dataset import EvalRecord
from qa_bot.evaluation.report import write_report
from qa_bot.evaluation.results_io import RESULTS_FILE, ResultsWriter, read_results, write_results_csv
from qa_bot.evaluation.scoring import score_question
from qa_bot.evaluation.summary import build_summary

SUMMARY_FILE = "summary.json"
CSV_FILE = "results.csv"
REPORT_FILE = "report.html"


class Bot(Protocol):
    """What the runner needs from ``qa_bot.pipeline.QABot``."""

    def ask(self, question: str, history: list[tuple[str, str]] | None = None, mode: str | None = None) -> Any: ...

    def retrieve(self, question: str, history: list[tuple[str, str]] | None = None, k: int | None = None) -> tuple[str, list[Any]]: ...


@dataclass
class EvalConfig:
    """How the run was made; stored in summary.json so runs can be compared fairly."""

    mode: str = "generative"
    k: int = 5
    retrieval_only: bool = False
    concurrency: int = 1
    model: str = ""
    dataset: str = ""
    limit: int | None = None
    split: str | None = None  # "dev" / "test": which half of the questions file (held-out protocol)
    types: str | None = None  # only these question types (comma-separated)
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d.update(d.pop("extra"))
        return d


@dataclass
class RunOutcome:
    """What a run left behind."""

    out_dir: Path
    rows: list[dict]
    summary: dict
    interrupted: bool
    resumed: int  # rows already present before this run
    evaluated: int  # rows written by this run

    @property
    def report_path(self) -> Path:
        return self.out_dir / REPORT_FILE


# --------------------------------------------------------------------------- one question


def _as_dict(obj: Any) -> dict:
    if obj is None:
        return {}
    if isinstance(obj, Mapping):
        return dict(obj)
    if hasattr(obj, "to_dict"):
        return obj.to_dict()
    if dataclasses.is_dataclass(obj):
        return dataclasses.asdict(obj)
    raise TypeError(f"bot returned {type(obj).__name__}, expected an Answer")


def _retrieved_item(item: Any) -> dict:
    """ScoredChunk or dict -> {source, chunk_id, score, text}."""
    if hasattr(item, "chunk"):
        c = item.chunk
        return {"source": c.source_id, "chunk_id": c.chunk_id, "score": item.score, "text": c.text}
    d = _as_dict(item)
    return {
        "source": d.get("source") or d.get("source_id") or "",
        "chunk_id": d.get("chunk_id") or "",
        "score": d.get("score"),
        "text": d.get("text") or "",
    }


def _accepts_keyword(fn: Any, name: str) -> bool:
    """``QABot.ask`` takes ``k``; the minimal interface (and test fakes) may not."""
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    return name in params or any(p.kind is p.VAR_KEYWORD for p in params.values())


def _round(v: Any, nd: int = 4) -> Any:
    return round(v, nd) if isinstance(v, float) else v


def _citation_row(c: Mapping[str, Any]) -> dict:
    keys = ("n", "source", "title", "published_at", "chunk_id", "start", "end", "snippet", "verified", "level",
            "highlight")
    return {k: c.get(k) for k in keys}


def _sentence_row(s: Mapping[str, Any]) -> dict:
    return {k: s.get(k) for k in ("text", "citations", "supported_by", "supported", "support", "level", "repaired",
                                  "model_cited")}


def evaluate_one(bot: Bot, record: EvalRecord, config: EvalConfig) -> dict:
    """Ask (or only retrieve) one question and return its result row with metrics.

    Exceptions from the bot end up in ``error``; KeyboardInterrupt is not caught.
    """
    t0 = time.perf_counter()
    history = list(record.history) or None
    outcome: dict[str, Any] = {}
    error: str | None = None
    try:
        if config.retrieval_only:
            standalone, chunks = bot.retrieve(record.question, history=history, k=config.k)
            outcome = {"standalone_question": standalone, "retrieved": list(chunks)}
        else:
            extra = {"k": config.k} if _accepts_keyword(bot.ask, "k") else {}
            outcome = _as_dict(bot.ask(record.question, history=history, mode=config.mode, **extra))
            error = outcome.get("error") or None
        outcome["retrieved"] = [_retrieved_item(r) for r in outcome.get("retrieved") or []]
    except Exception as exc:  # one bad question must not end the run
        error = f"{type(exc).__name__}: {exc}"
        outcome = {}
    elapsed = time.perf_counter() - t0

    latency = outcome.get("latency_s")
    if not isinstance(latency, (int, float)) or latency <= 0:
        latency = elapsed
    metrics = score_question(record, outcome, k=config.k, retrieval_only=config.retrieval_only, mode=config.mode)
    return {
        "id": record.id,
        "question": record.question,
        "question_type": record.question_type,
        "answerable": record.answerable,
        "reference_answer": record.reference_answer,
        "reference_sources": record.reference_sources,
        "evidence": [{"article_id": e.article_id, "text": e.text} for e in record.evidence],
        "history_turns": len(record.history),
        "mode": "retrieval" if config.retrieval_only else (outcome.get("mode") or config.mode),
        "answer": None if config.retrieval_only else str(outcome.get("answer") or ""),
        "refused": None if config.retrieval_only else bool(outcome.get("refused")),
        "citations": [_citation_row(c) for c in outcome.get("citations") or []],
        "sentences": [_sentence_row(s) for s in outcome.get("sentences") or []],
        "retrieved": [
            {"source": r["source"], "chunk_id": r["chunk_id"], "score": _round(r["score"], 6)}
            for r in outcome.get("retrieved") or []
        ],
        "standalone_question": outcome.get("standalone_question") or "",
        "rewrite": outcome.get("rewrite") or "",
        "latency_s": _round(float(latency)),
        "ttft_s": _round(outcome.get("ttft_s")),
        "error": error,
        "metrics": {k: _round(v) for k, v in metrics.items()},
    }


# --------------------------------------------------------------------------- the run


def _warn_config_change(out_dir: Path, config: EvalConfig, warn: TextIO | None) -> None:
    path = out_dir / SUMMARY_FILE
    if warn is None or not path.is_file():
        return
    try:
        old = json.loads(path.read_text(encoding="utf-8")).get("config", {})
    except (OSError, json.JSONDecodeError):
        return
    new = config.as_dict()
    changed = [k for k in ("mode", "k", "retrieval_only", "model", "dataset") if k in old and old[k] != new[k]]
    if changed:
        diff = ", ".join(f"{k}: {old[k]!r} -> {new[k]!r}" for k in changed)
        print(f"warning: resuming with a different configuration ({diff})", file=warn)


def _iter_results(bot: Bot, todo: Sequence[EvalRecord], config: EvalConfig):
    """Yield rows in completion order; sequential or through a thread pool."""
    if config.concurrency <= 1:
        for rec in todo:
            yield evaluate_one(bot, rec, config)
        return
    pool = ThreadPoolExecutor(max_workers=config.concurrency, thread_name_prefix="eval")
    pending: set[Future] = set()
    queue = list(reversed(todo))
    try:
        while queue or pending:
            while queue and len(pending) < config.concurrency * 2:  # keep Ctrl-C cheap
                pending.add(pool.submit(evaluate_one, bot, queue.pop(), config))
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            failed = [f for f in done if f.exception() is not None]
            for fut in done:  # keep finished rows even when a sibling was interrupted
                if fut.exception() is None:
                    yield fut.result()
            if failed:
                raise failed[0].exception()
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def finalize(
    out_dir: Path,
    records: Sequence[EvalRecord],
    config: EvalConfig,
    *,
    skipped_lines: int = 0,
    interrupted: bool = False,
    warn: TextIO | None = STDERR,
) -> tuple[list[dict], dict]:
    """Write summary.json, results.csv and report.html from what results.jsonl holds."""
    order = {r.id: i for i, r in enumerate(records)}
    rows = [r for r in read_results(out_dir / RESULTS_FILE, warn=warn) if r.get("id") in order]
    rows.sort(key=lambda r: order[r["id"]])
    summary = build_summary(
        rows,
        config=config.as_dict(),
        n_questions=len(records),
        skipped_lines=skipped_lines,
        interrupted=interrupted,
    )
    (out_dir / SUMMARY_FILE).write_text(json.dumps(summary, indent=2, ensure_ascii=False), encoding="utf-8")
    write_results_csv(rows, out_dir / CSV_FILE)
    write_report(summary, rows, out_dir / REPORT_FILE)
    return rows, summary


def run_eval(
    bot: Bot,
    records: Sequence[EvalRecord],
    out_dir: str | Path,
    config: EvalConfig,
    *,
    resume: bool = False,
    skipped_lines: int = 0,
    progress: bool = True,
    warn: TextIO | None = STDERR,
) -> RunOutcome:
    """Evaluate ``records`` with ``bot`` into ``out_dir``.

    With ``resume`` the ids already in results.jsonl are skipped (rows that ended in
    an error are retried); without it an existing non-empty results file is an error,
    so two runs are never mixed by accident.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rpath = out_dir / RESULTS_FILE
    done: dict[str, dict] = {}
    if resume:
        _warn_config_change(out_dir, config, warn)
        done = {r["id"]: r for r in read_results(rpath, warn=warn) if not r.get("error")}
    elif rpath.is_file() and rpath.stat().st_size > 0:
        raise FileExistsError(f"{rpath} already has results; use --resume or another --out")

    todo = [r for r in records if r.id not in done]
    resumed = len(records) - len(todo)
    n_correct = sum(1 for r in records if (done.get(r.id) or {}).get("metrics", {}).get("correct"))
    evaluated = 0
    interrupted = False
    bar = tqdm(
        total=len(records), initial=resumed, desc="eval", unit="q",
        file=sys.stderr, disable=not progress, dynamic_ncols=True,
    )
    writer = ResultsWriter(rpath)
    try:
        for row in _iter_results(bot, todo, config):
            writer.write(row)
            evaluated += 1
            n_correct += bool(row["metrics"].get("correct"))
            bar.update(1)
            if not config.retrieval_only:
                bar.set_postfix(correct=f"{n_correct / (resumed + evaluated):.2f}", refresh=False)
    except KeyboardInterrupt:
        interrupted = True
        if warn is not None:
            print(f"\ninterrupted after {resumed + evaluated}/{len(records)} questions; "
                  f"continue with --resume --out {out_dir}", file=warn)
    finally:
        writer.close()
        bar.close()

    rows, summary = finalize(
        out_dir, records, config, skipped_lines=skipped_lines, interrupted=interrupted, warn=warn
    )
    return RunOutcome(out_dir, rows, summary, interrupted, resumed, evaluated)
