"""Compare two runs: metric deltas and the questions whose outcome flipped.

Averages hide regressions that cancel out, so besides the deltas we list every
question that went correct→incorrect (or back) and refused↔answered. Metrics are
recomputed from ``results.jsonl`` on the questions both runs share, so a partial
or resumed run is still compared like for like.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from qa_bot.evaluation.console import STDERR
from qa_bot.evaluation.metrics import aggregate, latency_stats, metric_order_key
from qa_bot.evaluation.results_io import read_results, results_path


@dataclass
class Flip:
    """One question whose outcome differs between the runs."""

    id: str
    question: str
    before: Any
    after: Any


@dataclass
class Delta:
    name: str
    a: float | None
    b: float | None
    n_a: int
    n_b: int

    @property
    def change(self) -> float | None:
        return None if self.a is None or self.b is None else self.b - self.a


@dataclass
class Comparison:
    run_a: str
    run_b: str
    common: int
    only_a: int
    only_b: int
    deltas: list[Delta] = field(default_factory=list)
    correct_flips: list[Flip] = field(default_factory=list)
    refusal_flips: list[Flip] = field(default_factory=list)


def _stats(rows: list[dict]) -> dict[str, tuple[float | None, int]]:
    out = {name: (m["mean"], m["n"]) for name, m in aggregate(r.get("metrics") or {} for r in rows).items()}
    for key, label in (("latency_s", "latency"), ("ttft_s", "ttft")):
        lat = latency_stats(r.get(key) for r in rows if not r.get("error"))
        out[f"{label}_p50"] = (lat["p50"], lat["n"])
        out[f"{label}_p95"] = (lat["p95"], lat["n"])
    out["errors"] = (float(sum(1 for r in rows if r.get("error"))), len(rows))
    return out


def compare_runs(run_a: str | Path, run_b: str | Path, *, warn: TextIO | None = STDERR) -> Comparison:
    """Deltas A → B over the shared question ids, plus flipped questions."""
    rows_a = read_results(run_a, warn=warn)
    rows_b = read_results(run_b, warn=warn)
    for run, rows in ((run_a, rows_a), (run_b, rows_b)):
        if not rows:
            raise FileNotFoundError(f"no results in {results_path(run)}")
    by_b = {r["id"]: r for r in rows_b}
    ids_a = {r["id"] for r in rows_a}
    common_a = [r for r in rows_a if r["id"] in by_b]
    common_b = [by_b[r["id"]] for r in common_a]

    sa, sb = _stats(common_a), _stats(common_b)
    names = sorted(dict.fromkeys([*sa, *sb]), key=metric_order_key)
    deltas = [Delta(n, sa.get(n, (None, 0))[0], sb.get(n, (None, 0))[0],
                    sa.get(n, (None, 0))[1], sb.get(n, (None, 0))[1]) for n in names]

    correct_flips, refusal_flips = [], []
    for ra, rb in zip(common_a, common_b):
        ca, cb = (ra.get("metrics") or {}).get("correct"), (rb.get("metrics") or {}).get("correct")
        if ca is not None and cb is not None and bool(ca) != bool(cb):
            correct_flips.append(Flip(ra["id"], ra.get("question", ""), bool(ca), bool(cb)))
        fa, fb = ra.get("refused"), rb.get("refused")
        if fa is not None and fb is not None and bool(fa) != bool(fb):
            refusal_flips.append(Flip(ra["id"], ra.get("question", ""), bool(fa), bool(fb)))
    correct_flips.sort(key=lambda f: f.after)  # regressions first
    return Comparison(
        run_a=str(results_path(run_a)),
        run_b=str(results_path(run_b)),
        common=len(common_a),
        only_a=len(ids_a - by_b.keys()),
        only_b=len(by_b.keys() - ids_a),
        deltas=deltas,
        correct_flips=correct_flips,
        refusal_flips=refusal_flips,
    )


def _v(x: float | None) -> str:
    return "-" if x is None else f"{x:.3f}"


def _short(text: str, n: int = 110) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[: n - 1] + "…"


def format_comparison(c: Comparison) -> str:
    """Human-readable comparison for the terminal."""
    lines = [
        f"A: {c.run_a}",
        f"B: {c.run_b}",
        f"{c.common} common questions (only in A: {c.only_a}, only in B: {c.only_b})",
        "",
        f"  {'metric':<22} {'A':>8} {'B':>8} {'B-A':>8}",
    ]
    for d in c.deltas:
        ch = d.change
        sign = "-" if ch is None else f"{ch:+.3f}"
        lines.append(f"  {d.name:<22} {_v(d.a):>8} {_v(d.b):>8} {sign:>8}")

    def flips(title: str, items: list[Flip], labels: tuple[str, str]) -> None:
        lines.append("")
        lines.append(f"{title}: {len(items)}")
        for f in items:
            arrow = f"{labels[0] if f.before else labels[1]} -> {labels[0] if f.after else labels[1]}"
            lines.append(f"  [{arrow}] {f.id}: {_short(f.question)}")

    flips("Correctness flips", c.correct_flips, ("correct", "incorrect"))
    flips("Refusal flips", c.refusal_flips, ("refused", "answered"))
    return "\n".join(lines)
