"""Turn per-question rows into ``summary.json`` and the short text printed at the end."""

from __future__ import annotations

import datetime as _dt
from collections import Counter
from typing import Any, Iterable, Mapping

from qa_bot.evaluation.metrics import aggregate, latency_stats, metric_group

UNTYPED = "(none)"


def _latency(rows: list[Mapping[str, Any]]) -> dict[str, Any]:
    return {
        "latency_s": latency_stats(r.get("latency_s") for r in rows if not r.get("error")),
        "ttft_s": latency_stats(r.get("ttft_s") for r in rows if not r.get("error")),
    }


def _headline(metrics: Mapping[str, Mapping[str, Any]], latency: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {name: m["mean"] for name, m in metrics.items()}
    for key, short in (("latency_s", "latency"), ("ttft_s", "ttft")):
        out[f"{short}_p50"] = latency[key]["p50"]
        out[f"{short}_p95"] = latency[key]["p95"]
    return out


def build_summary(
    rows: Iterable[Mapping[str, Any]],
    *,
    config: Mapping[str, Any],
    n_questions: int | None = None,
    skipped_lines: int = 0,
    interrupted: bool = False,
) -> dict[str, Any]:
    """Headline metrics, per-question-type breakdown, counts and run config."""
    rows = list(rows)
    metrics = aggregate(r.get("metrics") or {} for r in rows)
    latency = _latency(rows)
    types: dict[str, list[Mapping[str, Any]]] = {}
    for r in rows:
        types.setdefault(r.get("question_type") or UNTYPED, []).append(r)
    by_type = {
        t: {
            "count": len(rs),
            "metrics": aggregate(r.get("metrics") or {} for r in rs),
            "latency": _latency(rs),
        }
        for t, rs in sorted(types.items())
    }
    n_questions = len(rows) if n_questions is None else n_questions
    return {
        "created_at": _dt.datetime.now().isoformat(timespec="seconds"),
        "interrupted": interrupted,
        "config": dict(config, skipped_lines=skipped_lines),
        "counts": {
            "questions": n_questions,
            "evaluated": len(rows),
            "remaining": max(0, n_questions - len(rows)),
            "skipped_lines": skipped_lines,
            "errors": sum(1 for r in rows if r.get("error")),
            "refused": sum(1 for r in rows if r.get("refused")),
            "answerable": sum(1 for r in rows if r.get("answerable", True)),
            "unanswerable": sum(1 for r in rows if not r.get("answerable", True)),
            "modes": dict(Counter(str(r.get("mode")) for r in rows if r.get("mode"))),
        },
        "headline": _headline(metrics, latency),
        "metrics": metrics,
        "latency": latency,
        "by_type": by_type,
    }


def run_mode(config: Mapping[str, Any]) -> str:
    """'retrieval only' or the answering mode, for headers."""
    return "retrieval only" if config.get("retrieval_only") else f"mode {config.get('mode')}"


def _fmt(v: Any) -> str:
    return "-" if v is None else f"{v:.3f}"


def format_summary(summary: Mapping[str, Any], *, report_path: str | None = None) -> str:
    """A few lines for the terminal; the full picture is in report.html."""
    c, cfg = summary["counts"], summary["config"]
    lines = [
        f"Evaluated {c['evaluated']}/{c['questions']} questions"
        f" ({c['errors']} errors, {c['skipped_lines']} skipped input lines)"
        f" - {run_mode(cfg)}, k {cfg.get('k')}, model {cfg.get('model')}"
        + (" [INTERRUPTED]" if summary.get("interrupted") else ""),
    ]
    modes = c.get("modes") or {}
    if cfg.get("mode") and any(m not in (cfg["mode"], "retrieval") for m in modes):
        lines.append(f"  note: answers were produced in modes {modes} (the pipeline fell back?)")
    group = None
    for name, m in summary["metrics"].items():
        if metric_group(name) != group:
            group = metric_group(name)
            lines.append(f"  {group}:")
        lines.append(f"    {name:<30} {_fmt(m['mean'])}  (n={m['n']})")
    for key, label in (("latency_s", "latency"), ("ttft_s", "ttft")):
        lat = summary["latency"][key]
        if lat["n"]:
            lines.append(f"  {label:<32} p50 {lat['p50']:.2f}s  p95 {lat['p95']:.2f}s  (n={lat['n']})")
    if len(summary["by_type"]) > 1:
        lines.append("  by question type:")
        for t, b in summary["by_type"].items():
            m = b["metrics"]
            hit = m.get(f"hit@{cfg.get('k')}") or next(
                (v for k, v in m.items() if k.startswith("hit@")), None
            )
            correct = "" if cfg.get("retrieval_only") else f"correct {_fmt((m.get('correct') or {}).get('mean'))}  "
            lines.append(f"    {t:<20} n={b['count']:<4} {correct}hit {_fmt(hit['mean'] if hit else None)}")
    if report_path:
        lines.append(f"Report: {report_path}")
    return "\n".join(lines)
