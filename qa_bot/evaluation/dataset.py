"""Read evaluation questions from JSONL or CSV into one record shape.

Datasets come from different places (our seed set, MultiHop-RAG, hand-made CSVs)
with slightly different field names, so everything is normalised here once and the
rest of the evaluation code only sees :class:`EvalRecord`. A bad line must not kill
a long run: it is reported as ``FILE:LINE: reason``, skipped and counted.
"""

from __future__ import annotations

import csv
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, TextIO

from qa_bot.evaluation.console import STDERR
from qa_bot.evaluation.metrics import normalize_answer
from qa_bot.history import normalise_history

UNANSWERABLE_TYPES = frozenset({"null_query", "unanswerable"})
_TRUE = frozenset({"true", "1", "yes", "y", "t"})
_FALSE = frozenset({"false", "0", "no", "n", "f"})


class RecordError(ValueError):
    """A record that cannot be used; the message is the reason shown to the user."""


@dataclass
class Evidence:
    """A sentence from a gold article that a good retriever should surface."""

    article_id: str
    text: str


@dataclass
class EvalRecord:
    """One question to evaluate, with whatever references the dataset provides."""

    id: str
    question: str
    history: list[tuple[str, str]] = field(default_factory=list)
    reference_answer: str | None = None
    reference_sources: list[str] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    question_type: str | None = None
    answerable: bool = True
    accept: list[list[str]] = field(default_factory=list)
    line: int = 0  # where it came from, for messages


@dataclass
class SkippedLine:
    """A line that was reported and left out of the run."""

    file: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"


@dataclass
class Dataset:
    """The usable records plus what was skipped, so summaries can count both."""

    path: str
    records: list[EvalRecord]
    skipped: list[SkippedLine] = field(default_factory=list)


def default_id(question: str) -> str:
    """A stable id so results of the same question line up across runs."""
    return "q_" + hashlib.sha1(question.encode("utf-8")).hexdigest()[:10]


# --------------------------------------------------------------------------- fields


def _is_blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def _maybe_json(v: Any, name: str) -> Any:
    """CSV cells hold JSON for structured fields; JSONL already has real values."""
    if isinstance(v, str):
        t = v.strip()
        if t[:1] and t[0] in "[{":
            try:
                return json.loads(t)
            except json.JSONDecodeError as exc:
                raise RecordError(f"{name}: invalid JSON ({exc.msg})") from None
    return v


def _text(v: Any, name: str) -> str | None:
    if _is_blank(v):
        return None
    if isinstance(v, bool) or not isinstance(v, (str, int, float)):
        raise RecordError(f"{name} must be a string, got {type(v).__name__}")
    return str(v).strip()


def _history(v: Any) -> list[tuple[str, str]]:
    """Accept ``[[user, assistant], ...]`` or chat messages ``[{role, content}, ...]``."""
    v = _maybe_json(v, "history")
    if _is_blank(v):
        return []
    if not isinstance(v, list):
        raise RecordError(f"history must be a list, got {type(v).__name__}")
    for i, turn in enumerate(v):
        if isinstance(turn, dict):
            if not isinstance(turn.get("content"), str):
                raise RecordError(f"history[{i}].content must be a string")
        elif not isinstance(turn, str) and not (isinstance(turn, (list, tuple)) and len(turn) == 2
                                                and all(isinstance(x, str) for x in turn)):
            raise RecordError(f"history[{i}] must be a [user, assistant] pair of strings, or a question")
    try:
        return normalise_history(v)
    except ValueError as exc:
        raise RecordError(str(exc)) from None


def _sources(v: Any, name: str) -> list[str]:
    v = _maybe_json(v, name)
    if _is_blank(v):
        return []
    if isinstance(v, str):
        return [s.strip() for s in v.split(";") if s.strip()]
    if not isinstance(v, list) or not all(isinstance(s, str) for s in v):
        raise RecordError(f"{name} must be a list of strings")
    return [s.strip() for s in v if s.strip()]


def _evidence(v: Any) -> list[Evidence]:
    v = _maybe_json(v, "evidence")
    if _is_blank(v):
        return []
    if not isinstance(v, list):
        raise RecordError(f"evidence must be a list, got {type(v).__name__}")
    out: list[Evidence] = []
    for i, e in enumerate(v):
        if isinstance(e, str):
            out.append(Evidence("", e))
            continue
        if not isinstance(e, dict):
            raise RecordError(f"evidence[{i}] must be an object with article_id and text")
        text = e.get("text", e.get("fact"))
        art = e.get("article_id", e.get("source", ""))
        if not isinstance(text, str) or not isinstance(art, str):
            raise RecordError(f"evidence[{i}] needs string article_id and text")
        if text.strip():
            out.append(Evidence(art, text))
    return out


def _accept(v: Any) -> list[list[str]]:
    """Alternatives, each a list of keywords that must all appear in a correct answer."""
    v = _maybe_json(v, "accept")
    if _is_blank(v):
        return []
    if isinstance(v, str):  # CSV: "kw1, kw2; other" = two alternatives
        return [[k.strip() for k in alt.split(",") if k.strip()] for alt in v.split(";") if alt.strip()]
    if not isinstance(v, list):
        raise RecordError("accept must be a list of keyword lists")
    out: list[list[str]] = []
    for i, alt in enumerate(v):
        if isinstance(alt, str):
            alt = [alt]
        if not isinstance(alt, list) or not all(isinstance(k, str) for k in alt):
            raise RecordError(f"accept[{i}] must be a list of strings")
        kws = [k.strip() for k in alt if k.strip()]
        if kws:
            out.append(kws)
    return out


def _bool(v: Any, name: str) -> bool | None:
    if _is_blank(v):
        return None
    if isinstance(v, bool):
        return v
    if isinstance(v, str) and v.strip().lower() in _TRUE | _FALSE:
        return v.strip().lower() in _TRUE
    if isinstance(v, int) and v in (0, 1):
        return bool(v)
    raise RecordError(f"{name} must be true or false, got {v!r}")


def parse_record(obj: Any, line: int = 0) -> EvalRecord:
    """Turn one raw JSON object (or CSV row) into an :class:`EvalRecord`.

    Raises :class:`RecordError` with a human-readable reason when unusable.
    """
    if not isinstance(obj, dict):
        raise RecordError(f"expected a JSON object, got {type(obj).__name__}")
    question = obj.get("question")
    if question is None:
        raise RecordError("missing 'question'")
    if not isinstance(question, str):
        raise RecordError(f"question must be a string, got {type(question).__name__}")
    question = question.strip()
    if not question:
        raise RecordError("empty 'question'")

    rid = _text(obj.get("id"), "id") or default_id(question)
    ref = _text(obj.get("reference_answer"), "reference_answer")
    if ref is None:
        ref = _text(obj.get("answer"), "answer")
    sources = _sources(obj.get("reference_sources"), "reference_sources")
    if not sources:
        sources = _sources(obj.get("supporting_article_ids"), "supporting_article_ids")
    qtype = _text(obj.get("question_type"), "question_type")
    answerable = _bool(obj.get("answerable"), "answerable")
    if answerable is None:
        answerable = not (
            (ref is not None and normalize_answer(ref) == "insufficient information")
            or (qtype or "").lower() in UNANSWERABLE_TYPES
        )
    return EvalRecord(
        id=rid,
        question=question,
        history=_history(obj.get("history")),
        reference_answer=ref,
        reference_sources=sources,
        evidence=_evidence(obj.get("evidence")),
        question_type=qtype,
        answerable=answerable,
        accept=_accept(obj.get("accept")),
        line=line,
    )


# --------------------------------------------------------------------------- files


def _jsonl_objects(f: TextIO) -> Iterator[tuple[int, Any, str | None]]:
    for n, raw in enumerate(f, start=1):
        if not raw.strip():
            continue
        try:
            yield n, json.loads(raw), None
        except json.JSONDecodeError as exc:
            yield n, None, f"invalid JSON ({exc.msg} at column {exc.colno})"


def _csv_objects(f: TextIO, delimiter: str) -> Iterator[tuple[int, Any, str | None]]:
    reader = csv.DictReader(f, delimiter=delimiter)
    start = 2  # line 1 is the header
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield start, None, f"invalid CSV ({exc})"
            start = reader.line_num + 1
            continue
        if None in row:
            yield start, None, "more cells than header columns"
        elif not any((v or "").strip() for v in row.values()):
            pass  # blank row
        else:
            yield start, {k.strip(): v for k, v in row.items() if k is not None}, None
        start = reader.line_num + 1


def load_dataset(path: str | Path, *, warn: TextIO | None = STDERR) -> Dataset:
    """Load questions from ``.jsonl`` / ``.csv`` / ``.tsv`` (by extension).

    Malformed lines are written to ``warn`` as ``FILE:LINE: reason`` and skipped;
    duplicate ids are skipped too, since results are keyed by id.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    records: list[EvalRecord] = []
    skipped: list[SkippedLine] = []
    seen: dict[str, int] = {}
    with path.open(encoding="utf-8-sig", newline="") as f:
        if suffix in (".csv", ".tsv"):
            objects = _csv_objects(f, "\t" if suffix == ".tsv" else ",")
        else:
            objects = _jsonl_objects(f)
        for line, obj, err in objects:
            if err is None:
                try:
                    rec = parse_record(obj, line)
                except RecordError as exc:
                    err = str(exc)
                else:
                    if rec.id in seen:
                        err = f"duplicate id {rec.id!r} (first on line {seen[rec.id]})"
                    else:
                        seen[rec.id] = line
                        records.append(rec)
                        continue
            skip = SkippedLine(str(path), line, err)
            skipped.append(skip)
            if warn is not None:
                print(skip, file=warn)
    return Dataset(str(path), records, skipped)
