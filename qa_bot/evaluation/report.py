"""A single self-contained HTML page for a run: numbers, two charts, and the failures.

No JavaScript, no external CSS or fonts, charts as hand-written inline SVG, so the
file can be mailed or opened offline. Every piece of text from the data (questions,
answers, snippets) goes through ``html.escape`` because it may contain markup.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from qa_bot.evaluation.metrics import gold_articles, metric_group, normalize_source_id
from qa_bot.evaluation.summary import run_mode

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

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;color:#1f2328;background:#fff}
h1{margin:0 0 4px}h2{margin-top:32px;border-bottom:1px solid #d0d7de;padding-bottom:4px}
.muted{color:#656d76;font-size:90%}.scroll{overflow-x:auto}
table{border-collapse:collapse;font-size:14px;margin:8px 0}
th,td{border:1px solid #d0d7de;padding:4px 8px;vertical-align:top;text-align:left}
th{background:#f6f8fa}td.num{text-align:right;font-variant-numeric:tabular-nums}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin:12px 0}
.card{border:1px solid #d0d7de;border-radius:6px;padding:10px 14px;min-width:120px}
.card .v{font-size:26px;font-weight:600}.card .l{color:#656d76;font-size:13px}
.fail td{max-width:420px;overflow-wrap:anywhere;white-space:pre-wrap}
.snip{border-left:3px solid #d0d7de;padding-left:6px;margin:4px 0}
.snip.ok{border-color:#1a7f37}.snip.bad{border-color:#cf222e}
.tag{display:inline-block;border-radius:4px;padding:0 5px;font-size:12px;background:#eaeef2}
.tag.err{background:#ffebe9;color:#cf222e}.tag.ref{background:#fff8c5}
svg text{font-family:inherit;font-size:11px;fill:#1f2328}
"""


def _e(v: Any) -> str:
    return escape("" if v is None else str(v))


def _num(v: Any, pct: bool = False) -> str:
    if v is None:
        return "&ndash;"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, (int, float)):
        return f"{100 * v:.1f}%" if pct else f"{v:.3f}"
    return _e(v)


def _expand(names: Iterable[str], k: Any) -> list[str]:
    return [n.format(k=k) for n in names]


# --------------------------------------------------------------------------- SVG


def svg_histogram(values: Sequence[float], *, bins: int = 20, width: int = 640,
                  height: int = 220, unit: str = "s") -> str:
    """Inline SVG histogram; bars carry <title> tooltips with range and count."""
    xs = [float(v) for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
    if not xs:
        return '<p class="muted">No latency values.</p>'
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
    parts = [f'<svg width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="histogram">']
    for i, c in enumerate(counts):
        h = ph * c / top if top else 0
        x, y = ml + i * bw, mt + ph - h
        a, b = lo + i * step, lo + (i + 1) * step
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(bw - 1, 1):.1f}" height="{h:.1f}" fill="#0969da">'
            f'<title>{a:.2f}{_e(unit)} - {b:.2f}{_e(unit)}: {c}</title></rect>'
        )
    parts.append(f'<line x1="{ml}" y1="{mt + ph}" x2="{ml + pw}" y2="{mt + ph}" stroke="#656d76"/>')
    parts.append(f'<line x1="{ml}" y1="{mt}" x2="{ml}" y2="{mt + ph}" stroke="#656d76"/>')
    for frac in (0, 0.25, 0.5, 0.75, 1):
        x = ml + pw * frac
        parts.append(f'<text x="{x:.1f}" y="{height - 10}" text-anchor="middle">'
                     f'{lo + (hi - lo) * frac:.2f}{_e(unit)}</text>')
    parts.append(f'<text x="{ml - 4}" y="{mt + 8}" text-anchor="end">{top}</text>')
    parts.append(f'<text x="{ml - 4}" y="{mt + ph}" text-anchor="end">0</text>')
    parts.append("</svg>")
    return "".join(parts)


def svg_bars(items: Sequence[tuple[str, float | None, int]], *, width: int = 640) -> str:
    """Horizontal bars of shares in [0, 1], labelled with percentage and n."""
    items = [(label, v, n) for label, v, n in items if v is not None]
    if not items:
        return '<p class="muted">Nothing to plot.</p>'
    row, label_w, right = 26, 170, 110
    height = row * len(items) + 10
    pw = width - label_w - right
    parts = [f'<svg width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="bar chart">']
    for i, (label, v, n) in enumerate(items):
        y = 5 + i * row
        w = pw * max(0.0, min(1.0, v))
        parts.append(f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end">{_e(label)}</text>')
        parts.append(f'<rect x="{label_w}" y="{y + 3}" width="{pw}" height="16" fill="#eaeef2"/>')
        parts.append(f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="16" fill="#1a7f37">'
                     f'<title>{_e(label)}: {100 * v:.1f}% (n={n})</title></rect>')
        parts.append(f'<text x="{label_w + pw + 6}" y="{y + 15}">{100 * v:.1f}% (n={n})</text>')
    parts.append("</svg>")
    return "".join(parts)


# --------------------------------------------------------------------------- sections


def _config_table(summary: Mapping[str, Any]) -> str:
    cfg = dict(summary.get("config") or {})
    counts = summary.get("counts") or {}
    rows = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in {**cfg, **counts}.items())
    return f"<table>{rows}</table>"


def _cards(summary: Mapping[str, Any]) -> str:
    metrics, k = summary.get("metrics") or {}, (summary.get("config") or {}).get("k")
    out = []
    for name in _expand(CARDS, k):
        if name in metrics:
            m = metrics[name]
            out.append(f'<div class="card"><div class="v">{_num(m["mean"], pct=True)}</div>'
                       f'<div class="l">{_e(name)} (n={m["n"]})</div></div>')
    lat = (summary.get("latency") or {}).get("latency_s") or {}
    if lat.get("n"):
        out.append(f'<div class="card"><div class="v">{lat["p50"]:.2f}s</div>'
                   f'<div class="l">latency p50 (p95 {lat["p95"]:.2f}s)</div></div>')
    return f'<div class="cards">{"".join(out)}</div>'


def _metrics_table(summary: Mapping[str, Any]) -> str:
    rows = ["<tr><th>metric</th><th>mean</th><th>n</th></tr>"]
    group = None
    for name, m in (summary.get("metrics") or {}).items():
        if metric_group(name) != group:
            group = metric_group(name)
            note = GROUP_NOTES.get(group)
            rows.append(f'<tr><th colspan="3">{_e(group)}'
                        + (f'<br><span class="muted">{_e(note)}</span>' if note else "") + "</th></tr>")
        rows.append(f'<tr><td>{_e(name)}</td><td class="num">{_num(m["mean"])}</td>'
                    f'<td class="num">{m["n"]}</td></tr>')
    for key in ("latency_s", "ttft_s"):
        lat = (summary.get("latency") or {}).get(key) or {}
        if lat.get("n"):
            rows.append(f'<tr><td>{key} p50 / p95</td><td class="num">{lat["p50"]:.2f} / '
                        f'{lat["p95"]:.2f}</td><td class="num">{lat["n"]}</td></tr>')
    return f"<table>{''.join(rows)}</table>"


def _type_table(summary: Mapping[str, Any]) -> str:
    by_type = summary.get("by_type") or {}
    k = (summary.get("config") or {}).get("k")
    cols = [c for c in _expand(TYPE_COLUMNS, k)
            if any(c in (b.get("metrics") or {}) for b in by_type.values())]
    head = "<tr><th>question type</th><th>count</th>" + "".join(f"<th>{_e(c)}</th>" for c in cols)
    head += "<th>latency p50</th></tr>"
    body = []
    for t, b in by_type.items():
        m = b.get("metrics") or {}
        cells = "".join(
            f'<td class="num" title="n={m[c]["n"]}">{_num(m[c]["mean"])}</td>' if c in m else "<td></td>"
            for c in cols
        )
        p50 = ((b.get("latency") or {}).get("latency_s") or {}).get("p50")
        body.append(f'<tr><td>{_e(t)}</td><td class="num">{b.get("count", 0)}</td>{cells}'
                    f'<td class="num">{"" if p50 is None else f"{p50:.2f}s"}</td></tr>')
    return f'<div class="scroll"><table>{head}{"".join(body)}</table></div>'


def _correctness_chart(summary: Mapping[str, Any]) -> tuple[str, str]:
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
    return metric, svg_bars(items)


def _is_failure(row: Mapping[str, Any], k: Any) -> bool:
    m = row.get("metrics") or {}
    if row.get("error"):
        return True
    if m.get("correct") is not None:
        return not m["correct"]
    return m.get(f"hit@{k}") is False


def _snippets(row: Mapping[str, Any]) -> str:
    out = []
    gold = gold_articles(row.get("reference_sources") or [],
                         (str(e.get("article_id") or "") for e in row.get("evidence") or []))
    for c in row.get("citations") or []:
        snip = str(c.get("snippet") or "")
        if len(snip) > SNIPPET_CHARS:
            snip = snip[:SNIPPET_CHARS] + "…"
        cls = "ok" if c.get("verified") else "bad"
        best = f'<br><mark>{_e(c["highlight"])}</mark>' if c.get("highlight") else ""
        off_gold = bool(gold) and normalize_source_id(str(c.get("source") or "")) not in gold
        tag = '<span class="tag err">not a gold article</span> ' if off_gold else ""
        out.append(
            f'<div class="snip {cls}"><b>[{_e(c.get("n"))}] {_e(c.get("source"))}</b> {tag}'
            f'<span class="muted">{_e(c.get("title"))} {_e(c.get("published_at"))}'
            f'{"" if c.get("verified") else " (checker: unverified)"}</span>{best}<br>{_e(snip)}</div>'
        )
    if not out:
        retrieved = ", ".join(str(r.get("source")) for r in (row.get("retrieved") or [])[:10])
        out.append(f'<span class="muted">no citations; retrieved: {_e(retrieved) or "nothing"}</span>')
    return "".join(out)


def _brief_metrics(row: Mapping[str, Any], k: Any) -> str:
    """The few numbers that say why a question failed."""
    m = row.get("metrics") or {}
    parts = [f"mode {row.get('mode')}"] if row.get("mode") else []
    for name in ("f1", "accept", f"hit@{k}", f"recall@{k}", "citation_source_precision", "citation_span_precision"):
        if m.get(name) is not None:
            v = m[name]
            parts.append(f"{name} {('yes' if v else 'no') if isinstance(v, bool) else f'{v:.2f}'}")
    return " · ".join(parts)


def _failures(rows: Sequence[Mapping[str, Any]], k: Any) -> str:
    fails = [r for r in rows if _is_failure(r, k)]
    if not fails:
        return "<p>No failures.</p>"
    note = ""
    if len(fails) > MAX_FAILURES:
        note = f'<p class="muted">Showing the first {MAX_FAILURES} of {len(fails)} failures.</p>'
    body = ["<tr><th>question</th><th>reference</th><th>answer</th><th>cited snippets</th></tr>"]
    for r in fails[:MAX_FAILURES]:
        tags = []
        if r.get("refused"):
            tags.append('<span class="tag">refused</span>')
        if not r.get("answerable", True):
            tags.append('<span class="tag">unanswerable</span>')
        if r.get("error"):
            tags.append(f'<span class="tag err">error: {_e(r["error"])}</span>')
        sources = "; ".join(r.get("reference_sources") or [])
        ref_sources = f'<br><span class="tag ref">{_e(sources)}</span>' if sources else ""
        body.append(
            "<tr>"
            f'<td><span class="muted">{_e(r.get("id"))} · {_e(r.get("question_type"))}</span><br>'
            f'{_e(r.get("question"))}</td>'
            f'<td>{_e(r.get("reference_answer"))}'
            f"{ref_sources}</td>"
            f'<td>{" ".join(tags)}{"<br>" if tags else ""}{_e(r.get("answer"))}'
            f'<br><span class="muted">{_e(_brief_metrics(r, k))}</span></td>'
            f"<td>{_snippets(r)}</td>"
            "</tr>"
        )
    return f'{note}<table class="fail">{"".join(body)}</table>'


def render_report(summary: Mapping[str, Any], rows: Sequence[Mapping[str, Any]]) -> str:
    """The whole page as a string."""
    cfg = summary.get("config") or {}
    k = cfg.get("k")
    metric, chart = _correctness_chart(summary)
    lat = [r.get("latency_s") for r in rows if not r.get("error")]
    status = ' <span class="tag err">interrupted</span>' if summary.get("interrupted") else ""
    return "".join([
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">",
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">",
        f"<title>qa-bot eval · {_e(cfg.get('dataset'))}</title><style>{CSS}</style></head><body>",
        f"<h1>qa-bot evaluation{status}</h1>",
        f'<p class="muted">{_e(summary.get("created_at"))} · dataset {_e(cfg.get("dataset"))} · '
        f'{_e(run_mode(cfg))} · k {_e(k)} · model {_e(cfg.get("model"))}</p>',
        _cards(summary),
        "<h2>Metrics</h2>", _metrics_table(summary),
        "<h2>By question type</h2>", _type_table(summary),
        f"<h2>{_e(metric)} by question type</h2>", chart,
        "<h2>Latency</h2>", svg_histogram(lat),
        "<h2>Failures</h2>", _failures(rows, k),
        "<h2>Run</h2>", _config_table(summary),
        "</body></html>\n",
    ])


def write_report(summary: Mapping[str, Any], rows: Sequence[Mapping[str, Any]], path: str | Path) -> Path:
    """Write report.html and return its path."""
    path = Path(path)
    path.write_text(render_report(summary, rows), encoding="utf-8")
    return path
