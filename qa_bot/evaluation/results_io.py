"""Reading and writing ``results.jsonl`` (the run's source of truth) and ``results.csv``.

Rows are appended and flushed one at a time so Ctrl-C or a crash loses at most
the question in flight, and ``--resume`` can pick up from whatever is on disk.
"""

from __future__ import annotations

import csv
import json
import os
import threading
from pathlib import Path
from typing import Any, Iterable, Mapping, TextIO

from qa_bot.evaluation.console import STDERR
from qa_bot.evaluation.metrics import LEGACY_NAMES, metric_order_key
from vectorstore.faults import crash_point

RESULTS_FILE = "results.jsonl"


def results_path(run: str | Path) -> Path:
    """A run is named by its directory or its results.jsonl."""
    p = Path(run)
    return p / RESULTS_FILE if p.is_dir() or p.suffix != ".jsonl" else p


class ResultsWriter:
    """Appends one JSON line per finished question, flushed immediately, thread-safe."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        repair_tail(self.path)
        self._lock = threading.Lock()
        self._f = self.path.open("a", encoding="utf-8")

    def write(self, row: Mapping[str, Any]) -> None:
        line = json.dumps(row, ensure_ascii=False, default=str) + "\n"
        with self._lock:
            if os.environ.get("QA_BOT_CRASH_AT", "").startswith("eval:mid-row"):  # a row cut off by a crash
                self._f.write(line[: len(line) // 2])
                self._f.flush()
                crash_point("eval:mid-row")
                line = line[len(line) // 2 :]
            self._f.write(line)
            self._f.flush()
            crash_point("eval:row-written")

    def close(self) -> None:
        with self._lock:
            if not self._f.closed:
                self._f.close()

    def __enter__(self) -> "ResultsWriter":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def repair_tail(path: Path) -> bool:
    """Drop a half-written last line so appending starts on a fresh line.

    Returns True when something was cut off.
    """
    if not path.is_file():
        return False
    data = path.read_bytes()
    if not data or data.endswith(b"\n"):
        return False
    cut = data.rfind(b"\n") + 1
    tail = data[cut:]
    try:
        json.loads(tail.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        with path.open("r+b") as f:
            f.truncate(cut)
        return True
    with path.open("ab") as f:  # complete row that only lacks its newline
        f.write(b"\n")
    return False


def read_results(path: str | Path, *, warn: TextIO | None = STDERR) -> list[dict]:
    """Rows of a results file, last one per id winning; a truncated last line is ignored.

    Metrics of older runs are read under their current names (see ``LEGACY_NAMES``).
    """
    path = results_path(path)
    if not path.is_file():
        return []
    lines = path.read_text(encoding="utf-8", errors="replace").split("\n")
    by_id: dict[str, dict] = {}
    for n, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            row = json.loads(raw)
        except json.JSONDecodeError:
            row = None
        if not isinstance(row, dict) or "id" not in row:
            if n < len(lines) and warn is not None:  # the last line may just be cut off
                print(f"{path}:{n}: unreadable result line, ignored", file=warn)
            continue
        if isinstance(row.get("metrics"), dict):
            row["metrics"] = {LEGACY_NAMES.get(k, k): v for k, v in row["metrics"].items()}
        by_id.pop(str(row["id"]), None)  # keep file order of the latest version
        by_id[str(row["id"])] = row
    return list(by_id.values())


CSV_COLUMNS = [
    "id", "question_type", "question", "reference", "answer", "answerable", "refused",
]
CSV_TAIL = [
    "cited_sources", "retrieved_sources", "reference_sources", "latency_s", "ttft_s", "error",
]


def _cell(v: Any) -> Any:
    if v is None:
        return ""
    if isinstance(v, float):
        return round(v, 4)
    if isinstance(v, (list, dict)):
        return json.dumps(v, ensure_ascii=False)
    return v


def write_results_csv(rows: Iterable[Mapping[str, Any]], path: str | Path) -> None:
    """A flat table for spreadsheets: one row per question, one column per metric."""
    rows = list(rows)
    metric_names = sorted({k for r in rows for k in (r.get("metrics") or {})}, key=metric_order_key)
    with Path(path).open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(CSV_COLUMNS + metric_names + CSV_TAIL)
        for r in rows:
            m = r.get("metrics") or {}
            flat = {
                "id": r.get("id"),
                "question_type": r.get("question_type"),
                "question": r.get("question"),
                "reference": r.get("reference_answer"),
                "answer": r.get("answer"),
                "answerable": r.get("answerable"),
                "refused": r.get("refused"),
                "cited_sources": ";".join(
                    dict.fromkeys(str(c.get("source", "")) for c in r.get("citations") or [])
                ),
                "retrieved_sources": ";".join(str(x.get("source", "")) for x in r.get("retrieved") or []),
                "reference_sources": ";".join(r.get("reference_sources") or []),
                "latency_s": r.get("latency_s"),
                "ttft_s": r.get("ttft_s"),
                "error": r.get("error"),
            }
            w.writerow(
                [_cell(flat[c]) for c in CSV_COLUMNS]
                + [_cell(m.get(name)) for name in metric_names]
                + [_cell(flat[c]) for c in CSV_TAIL]
            )
