"""20,000 tiny files: all ingested, each one searchable, and peak memory does not grow with the file count."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
RUN = (  # the CLI in a child process that reports its own peak RSS on the way out
    "import resource, sys\n"
    "from qa_bot.cli import main\n"
    "try:\n    main()\n"
    "finally:\n    print('PEAK_KB', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
)


def _tiny_files(root: Path, n: int) -> None:
    for i in range(n):
        folder = root / f"d{i // 100:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"note-{i:05d}.txt").write_text(f"Ferry note {i}: the ferry Zelda-{i} left pier {i % 50} at dawn.\n")


def _ingest(data: Path, folder: Path) -> tuple[dict, int]:
    env = dict(os.environ, QA_BOT_DATA_DIR=str(data), PYTHONPATH=str(REPO), HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    out = subprocess.run([sys.executable, "-c", RUN, "ingest", str(folder), "--json", "--quiet"], env=env, cwd=REPO,
                         capture_output=True, text=True, timeout=3000)
    assert out.returncode == 0, out.stderr[-3000:]
    peak_kb = int(re.search(r"PEAK_KB (\d+)", out.stderr).group(1))
    return json.loads(out.stdout), peak_kb


@pytest.mark.slow
def test_twenty_thousand_tiny_files(tmp_path):
    small, large = tmp_path / "small", tmp_path / "large"
    _tiny_files(small, 2_000)
    _tiny_files(large, 20_000)
    report_small, peak_small = _ingest(tmp_path / "data-small", small)
    report, peak = _ingest(tmp_path / "data-large", large)
    assert report_small["articles"] == 2_000
    assert report["files"] == 20_000 and report["articles"] == 20_000 and not report["errors"]
    assert report["chunks_added"] == 20_000
    # ten times the files, not ten times the memory: the peak is the model and the store, not the file list
    assert peak < peak_small * 1.5 + 100_000, (peak_small, peak)
    print(f"peak RSS: {peak_small / 1024:.0f} MB for 2,000 files, {peak / 1024:.0f} MB for 20,000; "
          f"ingest {report['seconds']:.0f} s")
