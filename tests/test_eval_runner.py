"""The eval runner with fake bots: outputs, errors, interrupt + resume, concurrency, CLI."""

from __future__ import annotations

import argparse
import json
import threading
from pathlib import Path

import pytest

from qa_bot.answer import Answer, AnswerSentence, Citation
from qa_bot.evaluation import cli
from qa_bot.evaluation.dataset import EvalRecord, Evidence
from qa_bot.evaluation.runner import EvalConfig, run_eval
from qa_bot.evaluation.summary import format_summary
from qa_bot.settings import Settings
from vectorstore.documents import Chunk, ScoredChunk


class FakeBot:
    """Answers from a script; can raise on chosen questions to simulate failures."""

    def __init__(self, answers: dict[str, str] | None = None, *, fail_on: dict[int, BaseException] | None = None):
        self.answers = answers or {}
        self.fail_on = fail_on or {}
        self.asked: list[str] = []
        self.retrieve_calls: list[tuple[str, int | None]] = []
        self._lock = threading.Lock()

    def _chunks(self, question: str) -> list[ScoredChunk]:
        return [
            ScoredChunk(Chunk(f"art_a.txt#{i}", "art_a.txt", f"Evidence about {question}.", 0, 10), 1.0 - i / 10)
            for i in range(3)
        ]

    def retrieve(self, question, history=None, k=None):
        self.retrieve_calls.append((question, k))
        return f"standalone: {question}", self._chunks(question)[: k or 3]

    def ask(self, question, history=None, mode=None):
        with self._lock:
            self.asked.append(question)
            n = len(self.asked)
        if n in self.fail_on:
            raise self.fail_on[n]
        text = self.answers.get(question, "")
        refused = text == ""
        chunk = self._chunks(question)[0].chunk
        cites = [] if refused else [Citation(1, "art_a.txt", "Title A", "Pub", "2023-10-01", chunk.chunk_id,
                                             0, 10, chunk.text, True)]
        sents = [] if refused else [AnswerSentence(text, [1], supported_by=[1], supported=True)]
        return Answer(
            question=question, answer=text or "I don't know.", refused=refused, citations=cites,
            sentences=sents, retrieved=[{"source": "art_a.txt", "chunk_id": chunk.chunk_id, "score": 0.9,
                                         "text": chunk.text}],
            standalone_question=question, mode=mode or "generative", latency_s=0.5, ttft_s=0.1,
        )


def _records(n: int = 5) -> list[EvalRecord]:
    return [
        EvalRecord(id=f"q{i}", question=f"Question {i}?", reference_answer="Google",
                   reference_sources=["art_a"], evidence=[Evidence("art_a", f"about Question {i}?")],
                   question_type="t1" if i % 2 else "t2")
        for i in range(n)
    ]


def _lines(path: Path) -> list[dict]:
    return [json.loads(l) for l in path.read_text(encoding="utf-8").splitlines()]


def test_run_writes_all_outputs_and_records_errors(tmp_path: Path) -> None:
    recs = _records(4)
    bot = FakeBot({r.question: "It is Google [1]." for r in recs}, fail_on={2: RuntimeError("backend down")})
    out = run_eval(bot, recs, tmp_path / "run", EvalConfig(k=5), progress=False, warn=None)
    rows = _lines(tmp_path / "run" / "results.jsonl")
    assert [r["id"] for r in rows] == ["q0", "q1", "q2", "q3"]
    assert rows[1]["error"] == "RuntimeError: backend down" and rows[1]["metrics"]["correct"] is False
    ok = rows[0]
    for key in ("id", "question", "question_type", "reference_answer", "answer", "refused", "citations",
                "retrieved", "standalone_question", "latency_s", "ttft_s", "error", "metrics"):
        assert key in ok
    assert ok["citations"][0]["verified"] is True and ok["citations"][0]["snippet"]
    assert set(ok["retrieved"][0]) == {"source", "chunk_id", "score"}
    assert ok["metrics"]["correct"] is True and ok["metrics"]["hit@4"] is True
    assert ok["metrics"]["evidence_recall@5"] == 1.0 and ok["metrics"]["checker_kept_share"] == 1.0
    # the fake's chunk text is "Evidence about Question 0?", which holds the gold evidence sentence
    assert ok["metrics"]["citation_source_precision"] == 1.0 and ok["metrics"]["citation_span_precision"] == 1.0
    assert ok["evidence"] == [{"article_id": "art_a", "text": "about Question 0?"}]
    assert "citation_precision" not in ok["metrics"]

    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["counts"]["evaluated"] == 4 and summary["counts"]["errors"] == 1
    assert summary["metrics"]["correct"] == {"mean": 0.75, "n": 4}
    assert set(summary["by_type"]) == {"t1", "t2"}
    assert summary["config"]["k"] == 5 and summary["latency"]["latency_s"]["n"] == 3
    assert (tmp_path / "run" / "report.html").is_file()
    csv_text = (tmp_path / "run" / "results.csv").read_text()
    assert csv_text.splitlines()[0].startswith("id,question_type,question,reference,answer")
    assert len(csv_text.strip().splitlines()) == 5
    assert out.evaluated == 4 and not out.interrupted


class MarkerBot(FakeBot):
    """The model's own marker pointed at another article; the repaired citation is the gold one."""

    def ask(self, question, history=None, mode=None):
        answer = super().ask(question, history=history, mode=mode)
        for s in answer.sentences:
            s.model_citations = [2]
            s.model_cited = [{"source": "art_z.txt", "chunk_id": "art_z.txt#0", "start": 0, "end": 10}]
            s.repaired = True
        return answer


def test_gold_citation_metrics_reach_summary_csv_and_console(tmp_path: Path) -> None:
    recs = _records(2)
    bot = MarkerBot({r.question: "It is Google [1]." for r in recs})
    out = run_eval(bot, recs, tmp_path, EvalConfig(k=5), progress=False, warn=None)
    m = out.summary["metrics"]
    assert m["citation_source_precision"] == {"mean": 1.0, "n": 2}
    assert m["citation_span_recall"] == {"mean": 1.0, "n": 2}
    assert m["model_marker_source_precision"] == {"mean": 0.0, "n": 2}  # before repair: wrong article
    assert m["model_marker_source_recall"] == {"mean": 0.0, "n": 2}
    assert m["checker_kept_share"] == {"mean": 1.0, "n": 2}
    assert "citation_precision" not in m and "source_precision" not in m
    row = _lines(tmp_path / "results.jsonl")[0]
    assert row["sentences"][0]["model_cited"][0]["source"] == "art_z.txt" and row["sentences"][0]["repaired"]
    header = (tmp_path / "results.csv").read_text().splitlines()[0].split(",")
    assert {"citation_source_precision", "citation_span_precision", "model_marker_source_precision",
            "checker_kept_share"} <= set(header) and "citation_precision" not in header
    text = format_summary(out.summary)
    assert "Citations vs gold articles:" in text and "The model's own markers (before repair):" in text
    assert "Runtime checker's verdicts (not a correctness measure):" in text
    assert text.index("Runtime checker's verdicts") < text.index("checker_kept_share")


def test_interrupt_then_resume_does_not_redo_done_questions(tmp_path: Path) -> None:
    recs = _records(5)
    answers = {r.question: "Google [1]." for r in recs}
    first = FakeBot(answers, fail_on={3: KeyboardInterrupt()})
    out = run_eval(first, recs, tmp_path, EvalConfig(), progress=False, warn=None)
    assert out.interrupted
    assert [r["id"] for r in _lines(tmp_path / "results.jsonl")] == ["q0", "q1"]
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["interrupted"] is True and summary["counts"]["remaining"] == 3
    assert (tmp_path / "report.html").is_file()

    second = FakeBot(answers)
    out = run_eval(second, recs, tmp_path, EvalConfig(), resume=True, progress=False, warn=None)
    assert second.asked == ["Question 2?", "Question 3?", "Question 4?"]
    assert out.resumed == 2 and out.evaluated == 3 and not out.interrupted
    ids = [r["id"] for r in _lines(tmp_path / "results.jsonl")]
    assert sorted(ids) == ["q0", "q1", "q2", "q3", "q4"] and len(ids) == 5
    assert json.loads((tmp_path / "summary.json").read_text())["counts"]["evaluated"] == 5


def test_resume_ignores_truncated_last_line_and_retries_errors(tmp_path: Path) -> None:
    recs = _records(4)
    answers = {r.question: "Google" for r in recs}
    run_eval(FakeBot(answers, fail_on={2: ValueError("x")}), recs[:3], tmp_path, EvalConfig(),
             progress=False, warn=None)
    path = tmp_path / "results.jsonl"
    with path.open("a") as f:
        f.write('{"id": "q3", "question": "Quest')  # crash mid-write
    bot = FakeBot(answers)
    run_eval(bot, recs, tmp_path, EvalConfig(), resume=True, progress=False, warn=None)
    assert bot.asked == ["Question 1?", "Question 3?"]  # q1 had errored, q3 was truncated
    rows = _lines(path)  # every line parses again
    latest = {r["id"]: r for r in rows}
    assert sorted(latest) == ["q0", "q1", "q2", "q3"] and latest["q1"]["error"] is None


def test_existing_results_without_resume_is_refused(tmp_path: Path) -> None:
    recs = _records(1)
    run_eval(FakeBot(), recs, tmp_path, EvalConfig(), progress=False, warn=None)
    with pytest.raises(FileExistsError):
        run_eval(FakeBot(), recs, tmp_path, EvalConfig(), progress=False, warn=None)


def test_retrieval_only_uses_retrieve_with_k(tmp_path: Path) -> None:
    recs = _records(2)
    bot = FakeBot()
    run_eval(bot, recs, tmp_path, EvalConfig(k=2, retrieval_only=True), progress=False, warn=None)
    assert bot.asked == [] and bot.retrieve_calls == [("Question 0?", 2), ("Question 1?", 2)]
    row = _lines(tmp_path / "results.jsonl")[0]
    assert row["answer"] is None and row["standalone_question"] == "standalone: Question 0?"
    assert len(row["retrieved"]) == 2 and row["metrics"]["hit@2"] is True
    assert "correct" not in row["metrics"] and row["metrics"]["evidence_recall@2"] == 1.0


def test_concurrency_writes_every_row_once(tmp_path: Path) -> None:
    recs = _records(20)
    bot = FakeBot({r.question: "Google" for r in recs}, fail_on={7: RuntimeError("flaky")})
    out = run_eval(bot, recs, tmp_path, EvalConfig(concurrency=4), progress=False, warn=None)
    rows = _lines(tmp_path / "results.jsonl")
    assert sorted(r["id"] for r in rows) == sorted(r.id for r in recs)
    assert sum(1 for r in rows if r["error"]) == 1
    assert [r["id"] for r in out.rows] == [r.id for r in recs]  # summary rows in dataset order


def _args(**kw) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    argv = [str(kw.pop("questions"))] if "questions" in kw else []
    for key, value in kw.items():
        flag = "-k" if key == "k" else "--" + key.replace("_", "-")
        argv += [flag] if value is True else [flag, str(value)]
    return parser.parse_args(argv + ["--no-progress"])


def test_cli_run_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    qfile = tmp_path / "q.jsonl"
    qfile.write_text(
        json.dumps({"id": "a", "question": "Who?", "answer": "Google"}) + "\n"
        + "not json\n"
        + json.dumps({"id": "b", "question": "Null?", "answer": "Insufficient information."}) + "\n"
        + json.dumps({"id": "c", "question": "Third?", "answer": "x"}) + "\n"
    )
    seen: list[Settings] = []

    def make_bot(settings: Settings) -> FakeBot:
        seen.append(settings)
        return FakeBot({"Who?": "Google [1]."})

    settings = Settings(data_dir=tmp_path / "data")
    out = tmp_path / "out"
    code = cli.run(_args(questions=qfile, out=out, k=7, limit=2, mode="extractive"), settings, make_bot)
    assert code == 0
    assert seen[0].k == 7 and seen[0].mode == "extractive"
    captured = capsys.readouterr()
    assert f"{qfile}:2: invalid JSON" in captured.err
    assert "Evaluated 2/2 questions" in captured.out and str(out / "report.html") in captured.out
    summary = json.loads((out / "summary.json").read_text())
    assert summary["counts"]["skipped_lines"] == 1 and summary["config"]["mode"] == "extractive"
    assert summary["metrics"]["correct"]["mean"] == 1.0  # a answered, b refused
    assert [r["id"] for r in _lines(out / "results.jsonl")] == ["a", "b"]


def test_cli_interrupt_exit_code_and_default_out(tmp_path: Path) -> None:
    qfile = tmp_path / "q.jsonl"
    qfile.write_text("".join(json.dumps({"question": f"Q{i}?"}) + "\n" for i in range(3)))
    settings = Settings(data_dir=tmp_path / "data")
    code = cli.run(_args(questions=qfile), settings, lambda: FakeBot(fail_on={2: KeyboardInterrupt()}))
    assert code == 130
    runs = list((tmp_path / "data" / "eval").iterdir())
    assert len(runs) == 1 and len(_lines(runs[0] / "results.jsonl")) == 1
    # --resume without --out picks the latest run up
    bot = FakeBot()
    assert cli.run(_args(questions=qfile, resume=True), settings, lambda: bot) == 0
    assert bot.asked == ["Q1?", "Q2?"]


def test_cli_rejects_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    assert cli.run(_args(questions=tmp_path / "missing.jsonl"), settings, FakeBot) == 2
    empty = tmp_path / "empty.jsonl"
    empty.write_text("{}\n")
    assert cli.run(_args(questions=empty), settings, FakeBot) == 2
    assert "no usable questions" in capsys.readouterr().err


class FakeBotWithK(FakeBot):
    """Like QABot.ask, takes k; answers in the mode the pipeline fell back to."""

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.ks: list[int | None] = []

    def ask(self, question, history=None, mode=None, k=None, filters=None):
        self.ks.append(k)
        answer = super().ask(question, history, mode)
        answer.mode = "extractive"
        return answer


def test_k_is_passed_to_ask_when_supported_and_actual_mode_recorded(tmp_path: Path) -> None:
    bot = FakeBotWithK({"Question 0?": "Google"})
    out = run_eval(bot, _records(2), tmp_path, EvalConfig(k=8, mode="generative"), progress=False, warn=None)
    assert bot.ks == [8, 8]
    assert [r["mode"] for r in _lines(tmp_path / "results.jsonl")] == ["extractive", "extractive"]
    assert out.summary["counts"]["modes"] == {"extractive": 2}


def test_history_is_passed_as_pairs(tmp_path: Path) -> None:
    seen = []

    class Recorder(FakeBot):
        def ask(self, question, history=None, mode=None):
            seen.append(history)
            return super().ask(question, history, mode)

    recs = _records(2)
    recs[0].history = [("Who?", "Google.")]
    run_eval(Recorder(), recs, tmp_path, EvalConfig(), progress=False, warn=None)
    assert seen == [[("Who?", "Google.")], None]


def test_interrupt_with_concurrency_keeps_finished_rows(tmp_path: Path) -> None:
    recs = _records(12)
    answers = {r.question: "Google" for r in recs}
    out = run_eval(FakeBot(answers, fail_on={5: KeyboardInterrupt()}), recs, tmp_path,
                   EvalConfig(concurrency=3), progress=False, warn=None)
    assert out.interrupted
    first = [r["id"] for r in _lines(tmp_path / "results.jsonl")]
    assert 2 <= len(first) < 12 and len(set(first)) == len(first)  # 5th call needs 2 finished
    bot = FakeBot(answers)
    out = run_eval(bot, recs, tmp_path, EvalConfig(concurrency=3), resume=True, progress=False, warn=None)
    assert not out.interrupted and len(bot.asked) == 12 - len(first)
    assert not set(bot.asked) & {f"Question {i[1:]}?" for i in first}
    assert sorted(r["id"] for r in _lines(tmp_path / "results.jsonl")) == sorted(r.id for r in recs)
