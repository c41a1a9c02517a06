"""kill -9 in the middle of an ingest or an eval run: nothing half-written is searchable, nothing is lost.

Each case runs the real CLI in a subprocess that SIGKILLs itself at a named point
(``QA_BOT_CRASH_AT``, see vectorstore/faults.py), then checks the store from a fresh
process, runs the same command again, and compares with a run that never crashed.
Assertions are on what search returns, so they hold whatever index sits behind it.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ARTICLES = REPO / "data" / "articles"
META = REPO / "data" / "articles.meta.jsonl"
PROBE = Path(__file__).with_name("store_probe.py")

pytestmark = pytest.mark.slow


def _env(data_dir: Path, crash_at: str | None = None) -> dict:
    # The embedding backend is pinned: with "auto" each fresh data dir times the backends again and may choose
    # another one (CI on 504b344: the reference and the recovered store differed by 5.1e-3 in one score), which is
    # the tuner's noise, not a crash's damage.
    env = dict(os.environ, QA_BOT_DATA_DIR=str(data_dir), PYTHONPATH=str(REPO), QA_BOT_LLM_BACKEND="none",
               QA_BOT_EMBED_BACKEND="fp32", HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    env.pop("QA_BOT_CRASH_AT", None)
    if crash_at:
        env["QA_BOT_CRASH_AT"] = crash_at
    return env


def qa_bot(data_dir: Path, *args: str, crash_at: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "qa_bot.cli", *args], env=_env(data_dir, crash_at), cwd=REPO,
                          capture_output=True, text=True, timeout=900)


def ingest(data_dir: Path, folder: Path, crash_at: str | None = None) -> subprocess.CompletedProcess:
    return qa_bot(data_dir, "ingest", str(folder), "--metadata", str(META), "--quiet", crash_at=crash_at)


def probe(data_dir: Path) -> dict:
    out = subprocess.run([sys.executable, str(PROBE), str(data_dir)], env=_env(data_dir), cwd=REPO,
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


TOP_K = 5
# How far two stores' scores for the same chunk may drift: an article re-embedded in another batch after a kill
# gets vectors that differ in the 4th decimal (padding changes the kernels' shapes), so near-ties can swap.
SCORE_TOLERANCE = 0.005


def assert_same_hits(got: dict, want: dict) -> None:
    """Each query finds the same top chunks in both stores; only hits tied within the tolerance at the cut-off may swap.

    A chunk scored clearly above the k-th hit in one store must be in the other's top k, and a chunk found by both
    must score the same there (within the tolerance): a lost or misranked chunk fails, a near-tie does not.
    """
    assert got.keys() == want.keys()
    for query in want:
        g, w = dict(got[query]), dict(want[query])
        for chunk in g.keys() & w.keys():
            assert abs(g[chunk] - w[chunk]) <= SCORE_TOLERANCE, (query, chunk, g[chunk], w[chunk])
        for mine, other in ((got[query], want[query]), (want[query], got[query])):
            cut = mine[TOP_K - 1][1]
            top_other = {chunk for chunk, _ in other[:TOP_K]}
            for chunk, score in mine[:TOP_K]:
                assert chunk in top_other or score - cut <= SCORE_TOLERANCE, (query, chunk, score, cut)


def test_the_hit_comparison_tells_a_near_tie_from_a_lost_hit() -> None:
    want = {"q": [["a", 0.9], ["b", 0.8], ["c", 0.7], ["d", 0.6], ["e", 0.5], ["f", 0.499]]}
    near_tie = {"q": [["a", 0.9], ["b", 0.8], ["c", 0.7], ["d", 0.6], ["f", 0.5005], ["e", 0.4995]]}
    assert_same_hits(near_tie, want)
    lost = {"q": [["a", 0.9], ["b", 0.8], ["d", 0.6], ["e", 0.5], ["f", 0.499], ["c", 0.3]]}
    with pytest.raises(AssertionError):
        assert_same_hits(lost, want)
    drifted = {"q": [["a", 0.9], ["b", 0.8], ["c", 0.75], ["d", 0.6], ["e", 0.5]]}
    with pytest.raises(AssertionError):
        assert_same_hits(drifted, want)


def assert_every_version_whole(state: dict) -> None:
    """No half-written article: each stored version of each article has all its chunks, 0..n-1."""
    for source, versions in state["chunks"].items():
        for digest, indexes in versions.items():
            assert indexes == list(range(state["expected"][source][digest])), (source, digest, indexes)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("corpus")
    for f in sorted(ARTICLES.iterdir()):
        shutil.copy(f, folder / f.name)
    return folder


@pytest.fixture(scope="module")
def reference_dir(tmp_path_factory, corpus):
    """A data dir left by an ingest that never crashed."""
    data = tmp_path_factory.mktemp("reference")
    out = ingest(data, corpus)
    assert out.returncode == 0, out.stderr[-2000:]
    return data


@pytest.fixture(scope="module")
def reference(reference_dir):
    return probe(reference_dir)


@pytest.mark.parametrize("point", [
    "ingest:embedding",  # vectors being computed, nothing written yet
    "ingest:embedded",  # vectors computed, nothing written yet
    "ingest:upserted:1",  # the batch's new chunks written in Chroma, nothing old removed, keyword index not committed
    "ingest:article-done:3",  # three articles done, two not
    "store:keyword-commit",  # Chroma complete, the keyword index's commit not made: it is behind the store
])
def test_killed_ingest_leaves_whole_articles_and_the_next_run_completes_it(tmp_path, corpus, reference, point):
    data = tmp_path / "data"
    crashed = ingest(data, corpus, crash_at=point)
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr[-2000:]
    after_crash = probe(data)  # the store opens
    assert_every_version_whole(after_crash)
    assert set(after_crash["ids"]) <= set(reference["ids"])  # nothing half-made or foreign
    done = ingest(data, corpus)
    assert done.returncode == 0, done.stderr[-2000:]
    completed = probe(data)
    assert completed["ids"] == reference["ids"]
    assert_same_hits(completed["search"], reference["search"])


def test_killed_update_keeps_the_old_version_searchable_until_the_new_one_is_whole(tmp_path, corpus):
    data, changed = tmp_path / "data", tmp_path / "changed"
    shutil.copytree(corpus, changed)
    assert ingest(data, changed).returncode == 0
    before = probe(data)
    name = "002_05428a4874db11a2.txt"
    (changed / name).write_text((changed / name).read_text() + "\nThe office opened its doors in a ceremony "
                                "attended by the Valdoria delegation.\n")
    crashed = ingest(data, changed, crash_at="ingest:upserted:1")  # new version written, old not yet removed
    assert crashed.returncode == -signal.SIGKILL
    mid = probe(data)
    assert_every_version_whole(mid)
    assert len(mid["chunks"][name]) == 2  # old and new, each whole: nothing of the article lost
    assert set(before["ids"]) <= set(mid["ids"])
    assert ingest(data, changed).returncode == 0
    # the counterfactual: the same two ingests, never killed (a store built in another order can break
    # score ties differently, so "equal to a fresh ingest of the new files" would test insertion order)
    uncrashed = tmp_path / "uncrashed"
    assert ingest(uncrashed, corpus).returncode == 0 and ingest(uncrashed, changed).returncode == 0
    final, expected = probe(data), probe(uncrashed)
    assert len(final["chunks"][name]) == 1
    assert final["ids"] == expected["ids"]
    # the same chunks found for every query; near-equal scores may swap places between a store whose
    # articles were re-embedded after the kill and one that never was (it happened at the 5th hit in CI)
    assert_same_hits(final["search"], expected["search"])


QUESTIONS = REPO / "data" / "eval" / "seed_questions.jsonl"


def _eval(data: Path, out: Path, *extra: str, crash_at: str | None = None) -> subprocess.CompletedProcess:
    return qa_bot(data, "eval", str(QUESTIONS), "--out", str(out), "--limit", "12", "--mode", "extractive",
                  "--no-progress", *extra, crash_at=crash_at)


@pytest.mark.parametrize("point,concurrency", [
    ("eval:row-written:5", "1"),  # killed right after the 5th row reached the file
    ("eval:mid-row:8", "1"),  # killed with the 8th row half written
    ("eval:mid-row:6", "3"),  # the same with three questions in flight
])
def test_killed_eval_resumes_with_no_question_lost_or_answered_twice(tmp_path, reference_dir, point, concurrency):
    out = tmp_path / "run"
    crashed = _eval(reference_dir, out, "--concurrency", concurrency, crash_at=point)
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr[-2000:]
    resumed = _eval(reference_dir, out, "--concurrency", concurrency, "--resume")
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    lines = (out / "results.jsonl").read_text(encoding="utf-8").splitlines()
    ids = [json.loads(line)["id"] for line in lines]  # every line whole
    wanted = [json.loads(line)["id"] for line in QUESTIONS.read_text(encoding="utf-8").splitlines()[:12]]
    assert sorted(ids) == sorted(wanted)  # each question exactly once
