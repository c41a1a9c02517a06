"""Comparing two runs: deltas and flipped questions."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from qa_bot.evaluation import cli
from qa_bot.evaluation.compare import compare_runs, format_comparison
from qa_bot.settings import Settings


def _row(qid: str, correct: bool, refused: bool, f1: float, latency: float) -> dict:
    return {
        "id": qid, "question": f"Question {qid}?", "refused": refused, "latency_s": latency,
        "ttft_s": None, "error": None, "metrics": {"correct": correct, "f1": f1},
    }


def _run(path: Path, rows: list[dict], truncated_tail: str = "") -> Path:
    path.mkdir(parents=True)
    text = "".join(json.dumps(r) + "\n" for r in rows) + truncated_tail
    (path / "results.jsonl").write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def runs(tmp_path: Path) -> tuple[Path, Path]:
    a = _run(tmp_path / "a", [
        _row("q1", True, False, 1.0, 1.0),
        _row("q2", False, False, 0.0, 2.0),
        _row("q3", True, True, 0.0, 3.0),
        _row("q4", True, False, 0.5, 4.0),
        _row("only_a", True, False, 1.0, 1.0),
    ])
    b = _run(tmp_path / "b", [
        _row("q1", False, True, 0.0, 1.0),  # correct -> incorrect, answered -> refused
        _row("q2", True, False, 1.0, 2.0),  # incorrect -> correct
        _row("q3", True, False, 0.0, 3.0),  # refused -> answered, still correct
        _row("q4", True, False, 0.5, 8.0),
    ], truncated_tail='{"id": "q5", "quest')
    return a, b


def test_compare_deltas_and_flips(runs: tuple[Path, Path]) -> None:
    a, b = runs
    c = compare_runs(a, b / "results.jsonl", warn=None)
    assert (c.common, c.only_a, c.only_b) == (4, 1, 0)
    d = {x.name: x for x in c.deltas}
    assert d["correct"].a == pytest.approx(0.75) and d["correct"].b == pytest.approx(0.75)
    assert d["correct"].change == pytest.approx(0.0)
    assert d["f1"].change == pytest.approx((1.5 - 1.5) / 4)
    assert d["latency_p50"].a == pytest.approx(2.5) and d["latency_p50"].b == pytest.approx(2.5)
    assert d["latency_p95"].change == pytest.approx(7.25 - 3.85)  # [1,2,3,8] vs [1,2,3,4]
    assert [(f.id, f.before, f.after) for f in c.correct_flips] == [("q1", True, False), ("q2", False, True)]
    assert sorted((f.id, f.before, f.after) for f in c.refusal_flips) == [
        ("q1", False, True), ("q3", True, False)]


def test_format_comparison_lists_flips_with_question_text(runs: tuple[Path, Path]) -> None:
    text = format_comparison(compare_runs(*runs, warn=None))
    assert "4 common questions (only in A: 1, only in B: 0)" in text
    assert "Correctness flips: 2" in text and "Refusal flips: 2" in text
    assert "[correct -> incorrect] q1: Question q1?" in text
    assert "[incorrect -> correct] q2: Question q2?" in text
    assert "[refused -> answered] q3: Question q3?" in text
    assert "[answered -> refused] q1: Question q1?" in text
    assert text.index("[correct -> incorrect] q1") < text.index("[incorrect -> correct] q2")
    line = next(l for l in text.splitlines() if l.strip().startswith("latency_p95"))
    assert line.split()[-1] == "+3.400"


def test_cli_compare_prints_and_returns_zero(runs: tuple[Path, Path], tmp_path: Path,
                                             capsys: pytest.CaptureFixture) -> None:
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    args = parser.parse_args(["--compare", str(runs[0]), str(runs[1])])

    def no_bot() -> object:
        raise AssertionError("compare must not build a bot")

    assert cli.run(args, Settings(data_dir=tmp_path), no_bot) == 0
    assert "Correctness flips: 2" in capsys.readouterr().out
    args = parser.parse_args(["--compare", str(runs[0]), str(tmp_path / "nope")])
    assert cli.run(args, Settings(data_dir=tmp_path), no_bot) == 2


def test_compare_reads_old_verifier_metrics_under_checker_names(tmp_path: Path) -> None:
    old = dict(_row("q1", True, False, 1.0, 1.0), metrics={"correct": True, "citation_precision": 1.0})
    new = dict(_row("q1", True, False, 1.0, 1.0), metrics={"correct": True, "checker_kept_share": 0.5,
                                                          "citation_source_precision": 0.0})
    c = compare_runs(_run(tmp_path / "old", [old]), _run(tmp_path / "new", [new]), warn=None)
    d = {x.name: x for x in c.deltas}
    assert "citation_precision" not in d
    assert (d["checker_kept_share"].a, d["checker_kept_share"].b) == (1.0, 0.5)
    assert (d["citation_source_precision"].a, d["citation_source_precision"].b) == (None, 0.0)
