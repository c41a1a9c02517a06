"""Shared fixtures: real embedder, real Chroma in a temp dir, settings pointing there."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
ARTICLES = REPO / "data" / "articles"
ARTICLES_META = REPO / "data" / "articles.meta.jsonl"
sys.path.insert(0, str(REPO))

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")


@pytest.fixture(scope="session")
def embedder():
    from vectorstore.embedding import Embedder

    return Embedder(cache_dir=REPO / ".qa-bot-data" / "embedder")  # the default data dir's: measured once per machine


@pytest.fixture
def make_settings(tmp_path):
    """Settings with a private data dir; keyword overrides go straight to Settings."""
    from qa_bot.settings import Settings

    def make(**overrides):
        overrides.setdefault("data_dir", tmp_path / "data")
        return Settings(**overrides)

    return make


@pytest.fixture
def components(make_settings, embedder):
    """Components on a fresh, empty store in a temp dir, sharing the session's embedder."""
    from qa_bot.components import Components

    comps = Components(make_settings())
    comps.__dict__["embedder"] = embedder
    return comps


@pytest.fixture(scope="session")
def seeded(tmp_path_factory, embedder):
    """Components over the bundled articles (ingested once per session, with their manifest)."""
    from qa_bot.components import Components
    from qa_bot.settings import Settings

    comps = Components(Settings(data_dir=tmp_path_factory.mktemp("seeded")))
    comps.__dict__["embedder"] = embedder
    report = comps.ingestor.ingest([ARTICLES], metadata_path=ARTICLES_META, progress=False)
    assert not report.errors, report.errors
    return comps


@pytest.fixture(scope="session")
def free_port():
    """A function returning a free 127.0.0.1 port, for tests that start a server."""
    import socket

    def pick() -> int:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]

    return pick


@pytest.fixture(scope="session")
def model_bot(tmp_path_factory, embedder):
    """A QABot with the real embedded LLM over the bundled articles (slow tests; built once per session)."""
    from qa_bot.components import Components
    from qa_bot.models import assemble_model
    from qa_bot.pipeline import QABot
    from qa_bot.settings import Settings

    model = assemble_model(Settings())  # assembled once in the default data dir, reused
    settings = Settings(data_dir=tmp_path_factory.mktemp("e2e"), llm_model_path=model)
    components = Components(settings)
    components.__dict__["embedder"] = embedder
    components.ingestor.ingest([ARTICLES], metadata_path=ARTICLES_META, progress=False)
    return QABot(settings, components)
