"""report.html: exists, self-contained, escapes everything from the data."""

from __future__ import annotations

from html import escape
from html.parser import HTMLParser
from pathlib import Path

from qa_bot.evaluation.report import render_report, svg_bars, svg_histogram, write_report
from qa_bot.evaluation.summary import build_summary

EVIL = "<script>alert('x')</script>"


def _rows() -> list[dict]:
    return [
        {
            "id": "q1", "question": f"Why {EVIL}?", "question_type": "inference_query",
            "answerable": True, "reference_answer": f"ref {EVIL}", "reference_sources": ["art_<b>"],
            "answer": f"Because {EVIL} [1].", "refused": False,
            "citations": [{"n": 1, "source": "art_1.txt", "title": EVIL, "published_at": "2023-10-01",
                           "snippet": f"snippet {EVIL} <img src=https://evil.example/x.png>",
                           "verified": False}],
            "retrieved": [{"source": "art_1.txt", "chunk_id": "c1", "score": 0.5}],
            "latency_s": 1.5, "ttft_s": 0.2, "error": None,
            "metrics": {"correct": False, "exact": False, "f1": 0.2, "hit@4": True},
        },
        {
            "id": "q2", "question": "Fine?", "question_type": "null_query", "answerable": False,
            "reference_answer": "Insufficient information.", "reference_sources": [],
            "answer": "I don't know.", "refused": True, "citations": [], "retrieved": [],
            "latency_s": 0.5, "ttft_s": None, "error": None,
            "metrics": {"correct": True, "refusal_recall": True},
        },
        {
            "id": "q3", "question": "Crashed?", "question_type": "inference_query", "answerable": True,
            "reference_answer": "x", "answer": "", "refused": False, "citations": [], "retrieved": [],
            "latency_s": 0.1, "ttft_s": None, "error": f"RuntimeError: {EVIL}",
            "metrics": {"correct": False},
        },
    ]


class _Tags(HTMLParser):
    """Collects the real tags of a page (escaped text does not produce any)."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags.append((tag, dict(attrs)))


def _tags(html: str) -> list[tuple[str, dict]]:
    parser = _Tags()
    parser.feed(html)
    return parser.tags


def _summary(rows: list[dict]) -> dict:
    return build_summary(rows, config={"mode": "generative", "k": 4, "model": EVIL, "dataset": "d.jsonl"})


def test_report_is_written_self_contained_and_escaped(tmp_path: Path) -> None:
    rows = _rows()
    path = write_report(_summary(rows), rows, tmp_path / "report.html")
    html = path.read_text(encoding="utf-8")
    assert path.is_file() and html.startswith("<!DOCTYPE html>")
    assert "<script" not in html.lower()
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    assert "snippet &lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &lt;img src=" in html
    assert "art_&lt;b&gt;" in html
    tags = _tags(html)
    names = {t for t, _ in tags}
    assert not names & {"script", "img", "link", "iframe", "object", "embed"}
    for tag, attrs in tags:  # nothing loaded from elsewhere
        for key in ("src", "href"):
            assert not str(attrs.get(key) or "").lower().startswith(("http:", "https:", "//")), (tag, attrs)
        assert not any(k.startswith("on") for k in attrs), (tag, attrs)
    assert "@import" not in html and "url(" not in html
    assert "<style>" in html


def test_report_has_charts_tables_and_failures() -> None:
    rows = _rows()
    html = render_report(_summary(rows), rows)
    assert html.count("<svg") == 2  # latency histogram + correctness by type
    assert "By question type" in html and "inference_query" in html and "null_query" in html
    fails = html.split("<h2>Failures</h2>", 1)[1]
    assert "q1" in fails and "q3" in fails and "Fine?" not in fails  # q2 was correct
    assert "snippet &lt;script&gt;" in fails and "RuntimeError" in fails


def test_retrieval_only_report_charts_hit_rate() -> None:
    rows = [dict(r, answer=None, refused=None, metrics={"hit@4": i == 0}) for i, r in enumerate(_rows()[:2])]
    html = render_report(_summary(rows), rows)
    assert "<h2>hit@4 by question type</h2>" in html


def test_svg_helpers() -> None:
    svg = svg_histogram([0.5, 1.0, 1.0, 4.0], bins=4)
    assert svg.startswith("<svg") and svg.count("<rect") == 4 and ": 2</title>" in svg
    assert "No latency" in svg_histogram([])
    bars = svg_bars([("a<b", 0.5, 2), ("none", None, 0)])
    assert "a&lt;b" in bars and "50.0% (n=2)" in bars and "none" not in bars


def test_report_groups_citation_metrics_and_labels_the_checker() -> None:
    rows = _rows()
    rows[0]["metrics"].update({
        "citation_source_precision": 0.0, "citation_source_recall": 0.0, "citation_span_precision": 0.0,
        "citation_span_recall": 0.0, "model_marker_source_precision": 1.0, "model_marker_source_recall": 1.0,
        "checker_kept_share": 1.0, "checker_supported_sentences": 1.0,
    })
    html = render_report(_summary(rows), rows)
    table = html.split("<h2>Metrics</h2>", 1)[1].split("<h2>", 1)[0]
    titles = ["Citations vs gold articles", "Cited spans vs gold evidence",
              "The model's own markers (before repair)", "Runtime checker's verdicts (not a correctness measure)"]
    positions = [table.index(escape(t)) for t in titles]
    assert positions == sorted(positions)
    assert escape("runtime checker's own verdicts (not a measure of correctness)") in table
    assert positions[3] < table.index("checker_kept_share")  # listed under the checker's heading
    assert "citation_precision" not in html
    fails = html.split("<h2>Failures</h2>", 1)[1]
    assert "not a gold article" in fails  # art_1.txt is not the gold art_<b>
    assert "citation_source_precision 0.00" in fails
