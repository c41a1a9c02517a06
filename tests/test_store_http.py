"""Store mode http against a real ``chroma run`` on 127.0.0.1: same answers as embedded mode, and a
server that stops mid-ingest gives a clear error and loses nothing once it is back."""

from __future__ import annotations

import shutil
from collections import Counter

import pytest

from conftest import ARTICLES, ARTICLES_META
from servers import chroma_server, free_port

pytestmark = pytest.mark.slow

QUERIES = ["What did Herzog tell NATO about Iran?", "Will NATO defend Israel in a war with Iran?",
           "Hamas holding bodies of IDF soldiers"]


@pytest.fixture
def chroma(tmp_path):
    port = free_port()
    server = chroma_server(tmp_path / "chroma-server", port, tmp_path / "chroma.log").start()
    yield server, port
    server.stop()


def http_components(make_settings, embedder, port, **overrides):
    from qa_bot.components import Components

    comps = Components(make_settings(**{"store_mode": "http", "store_port": port, **overrides}))
    comps.__dict__["embedder"] = embedder
    return comps


def spans(store) -> Counter:
    """Every stored chunk as (article, start, end): a duplicate shows as a count above 1."""
    return Counter((c.source_id, c.start, c.end) for c in store.all_chunks())


def test_http_mode_finds_and_answers_as_embedded_mode(seeded, chroma, make_settings, embedder):
    from qa_bot.pipeline import QABot

    _, port = chroma
    http = http_components(make_settings, embedder, port)
    report = http.ingestor.ingest([ARTICLES], metadata_path=ARTICLES_META, progress=False)
    assert not report.errors and report.chunks_added == seeded.store.count() == http.store.count()
    assert str(http.store.keyword.path).endswith(f"127.0.0.1-{port}/articles")
    for q in QUERIES:
        for method in ("hybrid", "dense", "bm25"):
            want = [r.chunk.chunk_id for r in seeded.retriever.search(q, k=5, method=method)]
            got = [r.chunk.chunk_id for r in http.retriever.search(q, k=5, method=method)]
            assert got == want, (q, method)
    settings = http.settings.with_overrides(llm_backend="none", mode="extractive")
    http_bot = QABot(settings, http)
    local_bot = QABot(seeded.settings.with_overrides(llm_backend="none", mode="extractive"), seeded)
    for q in QUERIES[:2]:
        got, want = http_bot.ask(q), local_bot.ask(q)
        assert got.answer == want.answer and not got.refused
        assert [c.source for c in got.citations] == [c.source for c in want.citations]


def test_server_stopped_mid_ingest_then_rerun_completes(chroma, make_settings, embedder, tmp_path):
    from vectorstore.store import StoreUnavailable

    server, port = chroma
    library = tmp_path / "articles"
    shutil.copytree(ARTICLES, library)
    http = http_components(make_settings, embedder, port)
    writes = []
    real_add = http.store.add

    def add_then_crash(chunks, vectors):
        real_add(chunks, vectors)
        writes.append(chunks[0].source_id)
        if len(writes) == 1:
            server.kill()  # the server dies after a batch of articles is written, before the pass completes

    http.store.add = add_then_crash
    with pytest.raises(StoreUnavailable, match=rf"Chroma server at http://127.0.0.1:{port}"):
        http.ingestor.ingest([library], metadata_path=ARTICLES_META, progress=False)
    assert len(writes) == 1

    server.start()
    again = http_components(make_settings, embedder, port)
    report = again.ingestor.ingest([library], metadata_path=ARTICLES_META, progress=False)
    assert not report.errors and report.chunks_skipped > 0  # what was written before the crash is kept

    embedded = http_components(make_settings, embedder, port, store_mode="embedded",
                               data_dir=tmp_path / "embedded-data")
    embedded.ingestor.ingest([library], metadata_path=ARTICLES_META, progress=False)
    got, want = spans(again.store), spans(embedded.store)
    assert got == want and max(got.values()) == 1  # no missing and no duplicate chunk
    assert again.retriever.keyword_index().count() == again.store.count()
    for q in QUERIES:
        assert [r.chunk.chunk_id for r in again.retriever.search(q, k=5)] == \
               [r.chunk.chunk_id for r in embedded.retriever.search(q, k=5)]


def test_server_down_is_one_line_naming_the_url(monkeypatch, tmp_path, capsys):
    from qa_bot.cli import main

    port = free_port()  # nothing listens here
    monkeypatch.setenv("QA_BOT_STORE_MODE", "http")
    monkeypatch.setenv("QA_BOT_STORE_PORT", str(port))
    assert main(["--data-dir", str(tmp_path / "d"), "search", "Iran"]) == 3
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"qa-bot: cannot reach the Chroma server at http://127.0.0.1:{port}")
    assert len(err.splitlines()) == 1 and "Traceback" not in err
