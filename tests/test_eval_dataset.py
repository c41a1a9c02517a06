"""Parsing of evaluation datasets (JSONL, CSV, MultiHop-RAG)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from qa_bot.evaluation.dataset import default_id, load_dataset, parse_record
from qa_bot.evaluation.metrics import normalize_source_id

MULTIHOP = Path("/work/shared/eval/multihop-rag/questions.jsonl")


def _write_jsonl(path: Path, items: list) -> Path:
    lines = [x if isinstance(x, str) else json.dumps(x) for x in items]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_jsonl_fields_and_defaults(tmp_path: Path) -> None:
    path = _write_jsonl(tmp_path / "q.jsonl", [
        {"question": "Who won?", "answer": "Google", "supporting_article_ids": ["art_1", "art_2"],
         "evidence": [{"article_id": "art_1", "text": "Google won."}], "question_type": "inference_query"},
        {"id": "x2", "question": "What about it?", "reference_answer": "Insufficient information."},
        {"id": "x3", "question": "Null?", "question_type": "null_query", "answer": "something"},
        {"id": "x4", "question": "Explicit", "answerable": False, "reference_answer": "Yes",
         "reference_sources": ["a.txt"], "accept": [["foo", "bar"], ["baz"]]},
    ])
    ds = load_dataset(path, warn=None)
    assert ds.skipped == []
    a, b, c, d = ds.records
    assert a.id == default_id("Who won?") and a.id.startswith("q_") and len(a.id) == 12
    assert a.reference_answer == "Google"
    assert a.reference_sources == ["art_1", "art_2"]
    assert a.evidence[0].article_id == "art_1" and a.evidence[0].text == "Google won."
    assert a.answerable is True
    assert b.answerable is False  # "insufficient information" reference
    assert c.answerable is False  # null_query type
    assert d.answerable is False and d.reference_sources == ["a.txt"]
    assert d.accept == [["foo", "bar"], ["baz"]]


def test_both_history_forms_normalise_to_pairs(tmp_path: Path) -> None:
    pairs = [["Who is SBF?", "The FTX founder."], ["And Ellison?", "Alameda's CEO."]]
    messages = [
        {"role": "user", "content": "Who is SBF?"},
        {"role": "assistant", "content": "The FTX founder."},
        {"role": "user", "content": "And Ellison?"},
        {"role": "assistant", "content": "Alameda's CEO."},
    ]
    path = _write_jsonl(tmp_path / "h.jsonl", [
        {"id": "a", "question": "q1", "history": pairs},
        {"id": "b", "question": "q2", "history": messages},
    ])
    a, b = load_dataset(path, warn=None).records
    expected = [("Who is SBF?", "The FTX founder."), ("And Ellison?", "Alameda's CEO.")]
    assert a.history == expected
    assert b.history == expected


def test_history_without_the_earlier_answers(tmp_path: Path) -> None:
    path = _write_jsonl(tmp_path / "q.jsonl", [
        {"id": "a", "question": "Where does he work?", "history": ["Who is Tommy Steiner?"]},
        {"id": "b", "question": "Where does he work?", "history": [["Who is Tommy Steiner?", ""]]},
        {"id": "c", "question": "Where does he work?", "history": [{"role": "user", "content": "Who is Tommy Steiner?"}]},
        {"id": "d", "question": "q", "history": [7]},
    ])
    dataset = load_dataset(path, warn=None)
    assert [r.history for r in dataset.records] == [[("Who is Tommy Steiner?", "")]] * 3
    assert len(dataset.skipped) == 1 and "history[0]" in dataset.skipped[0].reason


def test_csv_with_json_and_semicolon_cells(tmp_path: Path) -> None:
    path = tmp_path / "q.csv"
    path.write_text(
        "id,question,reference_answer,reference_sources,history,evidence,answerable,question_type\n"
        'c1,Who?,Google,art_1;001_abc.txt,"[[""hi"", ""hello""]]",'
        '"[{""article_id"": ""art_1"", ""text"": ""Google did it.""}]",,inference_query\n'
        'c2,Nobody knows?,,"[""art_9""]",'
        '"[{""role"": ""user"", ""content"": ""u""}, {""role"": ""assistant"", ""content"": ""a""}]",,false,\n',
        encoding="utf-8",
    )
    ds = load_dataset(path, warn=None)
    assert ds.skipped == []
    c1, c2 = ds.records
    assert c1.reference_sources == ["art_1", "001_abc.txt"]
    assert c1.history == [("hi", "hello")]
    assert c1.evidence[0].text == "Google did it."
    assert c1.answerable is True and c1.question_type == "inference_query"
    assert c2.reference_sources == ["art_9"]
    assert c2.history == [("u", "a")]
    assert c2.answerable is False
    assert c2.reference_answer is None and c2.question_type is None


def test_malformed_jsonl_lines_are_reported_and_skipped(tmp_path: Path) -> None:
    path = _write_jsonl(tmp_path / "bad.jsonl", [
        {"id": "ok1", "question": "Fine?"},  # line 1
        "{not json",  # 2
        "[1, 2]",  # 3
        {"id": "nq"},  # 4
        {"id": "eq", "question": "   "},  # 5
        {"id": "ht", "question": "q", "history": "oops"},  # 6
        {"id": "ev", "question": "q", "evidence": [42]},  # 7
        {"id": "ok1", "question": "Duplicate id"},  # 8
        {"id": "ok2", "question": "Also fine", "answerable": "maybe"},  # 9
        {"id": "ok3", "question": "Still fine"},  # 10
    ])
    err = io.StringIO()
    ds = load_dataset(path, warn=err)
    assert [r.id for r in ds.records] == ["ok1", "ok3"]
    assert [s.line for s in ds.skipped] == [2, 3, 4, 5, 6, 7, 8, 9]
    out = err.getvalue().splitlines()
    assert len(out) == 8
    assert out[0].startswith(f"{path}:2: invalid JSON")
    assert out[1].startswith(f"{path}:3: expected a JSON object")
    assert out[2] == f"{path}:4: missing 'question'"
    assert out[3] == f"{path}:5: empty 'question'"
    assert out[4].startswith(f"{path}:6: history")
    assert "duplicate id" in out[6]


def test_malformed_csv_row_reports_its_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        "id,question,history\n"
        "a,First?,\n"
        'b,,\n'
        'c,Third?,"[[""only one""]]"\n'
        "d,Fourth?,\n",
        encoding="utf-8",
    )
    err = io.StringIO()
    ds = load_dataset(path, warn=err)
    assert [r.id for r in ds.records] == ["a", "d"]
    assert [s.line for s in ds.skipped] == [3, 4]
    assert err.getvalue().splitlines()[0] == f"{path}:3: empty 'question'"
    assert err.getvalue().splitlines()[1].startswith(f"{path}:4: history[0]")


def test_parse_record_coerces_numeric_id_and_answer() -> None:
    r = parse_record({"id": 7, "question": "How many?", "answer": 42})
    assert r.id == "7" and r.reference_answer == "42"


@pytest.mark.parametrize(
    "source, expected",
    [
        ("art_057be352", "art_057be352"),
        ("art_057be352.txt", "art_057be352"),
        ("articles/art_057be352.txt", "art_057be352"),
        ("C:\\data\\001_30abf332060f2f43.txt", "001_30abf332060f2f43"),
    ],
)
def test_normalize_source_id(source: str, expected: str) -> None:
    assert normalize_source_id(source) == expected


@pytest.mark.skipif(not MULTIHOP.is_file(), reason="MultiHop-RAG subset not available")
def test_multihop_file_loads_as_is() -> None:
    err = io.StringIO()
    ds = load_dataset(MULTIHOP, warn=err)
    assert err.getvalue() == ""
    assert len(ds.records) == 200 and ds.skipped == []
    unanswerable = [r for r in ds.records if not r.answerable]
    assert len(unanswerable) == 40
    assert {r.question_type for r in unanswerable} == {"null_query"}
    answerable = [r for r in ds.records if r.answerable]
    assert all(r.reference_sources and r.reference_answer for r in answerable)
    first = ds.records[0]
    assert first.id == "q_783f947b55" and first.reference_answer == "Google"
    assert first.reference_sources == ["art_057be352", "art_43fb1994", "art_87c7d402"]
    assert len(first.evidence) == 3
    assert sum(len(r.evidence) for r in ds.records) == 454
