"""A single self-contained HTML page for a run: numbers, two charts, and the failures.

No JavaScript, no external CSS or fonts, charts as hand-written inline SVG, so the
file can be mailed or opened offline. The markup is in Jinja2 templates
(``templates/report.html.j2``, ``charts.svg.j2``, style sheet ``report.css``) rendered
with autoescaping (:mod:`qa_bot.templating`): every piece of text from the data
(questions, answers, snippets) is escaped because it may contain markup. This module
only prepares the values.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from qa_bot import templating
from qa_bot.evaluation.metrics import gold_articles, metric_group, normalize_source_id
from qa_bot.evaluation.summary import run_mode

_PACKAGE = "qa_bot.evaluation"
MAX_FAILURES = 300
SNIPPET_CHARS = 400

TYPE_COLUMNS = [
    "correct", "exact", "f1", "lenient", "accept", "refusal_accuracy",
    "hit@{k}", "recall@{k}", "all_gold@{k}", "evidence_recall@{k}", "mrr",
    "citation_source_precision", "citation_source_recall", "citation_span_precision", "citation_span_recall",
    "model_marker_source_precision", "model_marker_source_recall",
]
CARDS = ["correct", "exact", "f1", "refusal_accuracy", "hit@{k}", "recall@{k}",
         "citation_source_precision", "citation_span_precision"]
GROUP_NOTES = {
    "Citations vs gold articles":
        "Share of the answer's final citations (after the pipeline's repair) whose article is one of the "
        "question's gold articles; share of the gold articles cited at least once.",
    "Cited spans vs gold evidence":
        "Share of citations whose chunk holds a gold evidence sentence of the same article (at least half "
        "of its words in a row); share of the gold evidence sentences held by a cited chunk. Questions "
        "without gold evidence are left out.",
    "The model's own markers (before repair)":
        "The same as citations vs gold articles, over the chunks the LLM's own [n] markers pointed at "
        "before the checker repaired them (generated answers only): the difference is what repair adds.",
    "Runtime checker's verdicts (not a correctness measure)":
        "The runtime checker's own verdicts (not a measure of correctness): the pipeline keeps only the "
        "citations its checker accepted, so these are close to 1.0 by construction.",
}

def _num(v: Any, pct: bool = False) -> str | None:
    """A metric value as the tables show it (``None``: missing, shown as a dash)."""
    if v is None:
        return None
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, (int, float)):
        return f"{100 * v:.1f}%" if pct else f"{v:.3f}"
    return str(v)


def _expand(names: Iterable[str], k: Any) -> list[str]:
    return [n.format(k=k) for n in names]


def _charts(macro: str, view: Mapping[str, Any] | None) -> str:
    return templating.call(_PACKAGE, "charts.svg.j2", macro, view)


# --------------------------------------------------------------------------- SVG


def _histogram_view(values: Sequence[float], bins: int, width: int, height: int, unit: str) -> dict | None:
    xs = [float(v) for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
    if not xs:
        return None
    lo, hi = 0.0, max(xs)
    hi = hi if hi > lo else lo + 1.0
    step = (hi - lo) / bins
    counts = [0] * bins
    for x in xs:
        counts[min(bins - 1, int((x - lo) / step))] += 1
    top = max(counts)
    ml, mb, mt, mr = 40, 28, 10, 30
    pw, ph = width - ml - mr, height - mb - mt
    bw = pw / bins
    bars = []
    for i, c in enumerate(counts):
        h = ph * c / top if top else 0
        bars.append({"x": ml + i * bw, "y": mt + ph - h, "w": max(bw - 1, 1), "h": h,
                     "lo": lo + i * step, "hi": lo + (i + 1) * step, "count": c})
    ticks = [{"x": ml + pw * frac, "value": lo + (hi - lo) * frac} for frac in (0, 0.25, 0.5, 0.75, 1)]
    return {"width": width, "height": height, "unit": unit, "bars": bars, "ticks": ticks, "top": top,
            "ml": ml, "mt": mt, "bottom": mt + ph, "right": ml + pw}


def svg_histogram(values: Sequence[float], *, bins: int = 20, width: int = 640,
                  height: int = 220, unit: str = "s") -> str:
    """Inline SVG histogram; bars carry <title> tooltips with range and count."""
    return _charts("histogram", _histogram_view(values, bins, width, height, unit))


def _bars_view(items: Sequence[tuple[str, float | None, int]], width: int) -> dict | None:
    items = [(label, v, n) for label, v, n in items if v is not None]
    if not items:
        return None
    row, label_w, right = 26, 170, 110
    pw = width - label_w - right
    bars = [{"label": label, "value": v, "n": n, "y": 5 + i * row, "w": pw * max(0.0, min(1.0, v))}
            for i, (label, v, n) in enumerate(items)]
    return {"width": width, "height": row * len(items) + 10, "label_w": label_w, "pw": pw, "bars": bars}


def svg_bars(items: Sequence[tuple[str, float | None, int]], *, width: int = 640) -> str:
    """Horizontal bars of shares in [0, 1], labelled with percentage and n."""
    return _charts("bars", _bars_view(items, width))


# --------------------------------------------------------------------------- sections


def _run_rows(summary: Mapping[str, Any]) -> list[tuple[Any, Any]]:
    cfg = dict(summary.get("config") or {})
    counts = summary.get("counts") or {}
    return list({**cfg, **counts}.items())


def _cards(summary: Mapping[str, Any]) -> list[dict]:
    metrics, k = summary.get("metrics") or {}, (summary.get("config") or {}).get("k")
    return [{"value": _num(metrics[name]["mean"], pct=True), "name": name, "n": metrics[name]["n"]}
            for name in _expand(CARDS, k) if name in metrics]


def _latency_card(summary: Mapping[str, Any]) -> dict | None:
    lat = (summary.get("latency") or {}).get("latency_s") or {}
    return {"p50": f"{lat['p50']:.2f}", "p95": f"{lat['p95']:.2f}"} if lat.get("n") else None


def _metric_rows(summary: Mapping[str, Any]) -> list[dict]:
    rows = []
    group = None
    for name, m in (summary.get("metrics") or {}).items():
        if metric_group(name) != group:
            group = metric_group(name)
            rows.append({"kind": "group", "group": group, "note": GROUP_NOTES.get(group)})
        rows.append({"kind": "metric", "name": name, "mean": _num(m["mean"]), "n": m["n"]})
    for key in ("latency_s", "ttft_s"):
        lat = (summary.get("latency") or {}).get(key) or {}
        if lat.get("n"):
            rows.append({"kind": "metric", "name": f"{key} p50 / p95", "mean": f"{lat['p50']:.2f} / {lat['p95']:.2f}",
                         "n": lat["n"]})
    return rows


def _type_table(summary: Mapping[str, Any]) -> dict:
    by_type = summary.get("by_type") or {}
    k = (summary.get("config") or {}).get("k")
    cols = [c for c in _expand(TYPE_COLUMNS, k)
            if any(c in (b.get("metrics") or {}) for b in by_type.values())]
    rows = []
    for t, b in by_type.items():
        m = b.get("metrics") or {}
        p50 = ((b.get("latency") or {}).get("latency_s") or {}).get("p50")
        rows.append({"type": t, "count": b.get("count", 0), "p50": "" if p50 is None else f"{p50:.2f}s",
                     "cells": [{"n": m[c]["n"], "mean": _num(m[c]["mean"])} if c in m else None for c in cols]})
    return {"cols": cols, "rows": rows}


def _correctness_chart(summary: Mapping[str, Any]) -> tuple[str, dict | None]:
    by_type = summary.get("by_type") or {}
    k = (summary.get("config") or {}).get("k")
    metric = "correct"
    if not any("correct" in (b.get("metrics") or {}) for b in by_type.values()):
        metric = f"hit@{k}"  # retrieval-only run
    items = []
    for t, b in by_type.items():
        m = (b.get("metrics") or {}).get(metric)
        if m:
            items.append((t, m["mean"], m["n"]))
    return metric, _bars_view(items, 640)


def _is_failure(row: Mapping[str, Any], k: Any) -> bool:
    m = row.get("metrics") or {}
    if row.get("error"):
        return True
    if m.get("correct") is not None:
        return not m["correct"]
    return m.get(f"hit@{k}") is False


def _snippets(row: Mapping[str, Any]) -> list[dict]:
    out = []
    gold = gold_articles(row.get("reference_sources") or [],
                         (str(e.get("article_id") or "") for e in row.get("evidence") or []))
    for c in row.get("citations") or []:
        snip = str(c.get("snippet") or "")
        if len(snip) > SNIPPET_CHARS:
            snip = snip[:SNIPPET_CHARS] + "…"
        out.append({"n": c.get("n"), "source": c.get("source"), "title": c.get("title"),
                    "published_at": c.get("published_at"), "verified": bool(c.get("verified")),
                    "highlight": c.get("highlight") or "", "snippet": snip,
                    "off_gold": bool(gold) and normalize_source_id(str(c.get("source") or "")) not in gold})
    return out


def _brief_metrics(row: Mapping[str, Any], k: Any) -> str:
    """The few numbers that say why a question failed."""
    m = row.get("metrics") or {}
    parts = [f"mode {row.get('mode')}"] if row.get("mode") else []
    for name in ("f1", "accept", f"hit@{k}", f"recall@{k}", "citation_source_precision", "citation_span_precision"):
        if m.get(name) is not None:
            v = m[name]
            parts.append(f"{name} {('yes' if v else 'no') if isinstance(v, bool) else f'{v:.2f}'}")
    return " · ".join(parts)


def _failure(r: Mapping[str, Any], k: Any) -> dict:
    """One row of the failures table."""
    tags = []
    if r.get("refused"):
        tags.append({"cls": "tag", "text": "refused"})
    if not r.get("answerable", True):
        tags.append({"cls": "tag", "text": "unanswerable"})
    if r.get("error"):
        tags.append({"cls": "tag err", "text": f"error: {r['error']}"})
    searched = r.get("standalone_question") or ""
    return {"id": r.get("id"), "question_type": r.get("question_type"), "question": r.get("question"),
            "searched": searched if searched != r.get("question") else "",
            "reference_answer": r.get("reference_answer"),
            "reference_sources": "; ".join(r.get("reference_sources") or []), "tags": tags,
            "answer": r.get("answer"), "brief": _brief_metrics(r, k), "citations": _snippets(r),
            "retrieved": ", ".join(str(x.get("source")) for x in (r.get("retrieved") or [])[:10])}


def render_report(summary: Mapping[str, Any], rows: Sequence[Mapping[str, Any]]) -> str:
    """The whole page as a string."""
    cfg = summary.get("config") or {}
    k = cfg.get("k")
    metric, chart = _correctness_chart(summary)
    fails = [r for r in rows if _is_failure(r, k)]
    page = {
        "dataset": cfg.get("dataset"), "created_at": summary.get("created_at"), "run_mode": run_mode(cfg),
        "k": k, "model": cfg.get("model"), "interrupted": bool(summary.get("interrupted")),
        "cards": _cards(summary), "latency_card": _latency_card(summary), "metrics": _metric_rows(summary),
        "types": _type_table(summary), "chart_metric": metric, "chart": chart,
        "histogram": _histogram_view([r.get("latency_s") for r in rows if not r.get("error")], 20, 640, 220, "s"),
        "failures": [_failure(r, k) for r in fails[:MAX_FAILURES]], "failures_total": len(fails),
        "run": _run_rows(summary),
    }
    return templating.render(_PACKAGE, "report.html.j2", page=page)


def write_report(summary: Mapping[str, Any], rows: Sequence[Mapping[str, Any]], path: str | Path) -> Path:
    """Write report.html and return its path."""
    path = Path(path)
    path.write_text(render_report(summary, rows), encoding="utf-8")
    return path
