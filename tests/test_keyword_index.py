"""The persisted keyword index against the real Chroma store and the real embedder.

After every change (ingest, a changed file, --prune, a deleted index directory,
an interrupted write pass, a damaged index) the next keyword search must equal
a search on an index rebuilt from scratch out of the store, and whatever had to
be rebuilt is said.
"""

from __future__ import annotations

import shutil
import uuid

import pytest

from conftest import ARTICLES

QUERIES = ["Herzog NATO Iran", "Stoltenberg alliance", "Hamas soldiers bodies", "Jerusalem Post", "missile strike"]


@pytest.fixture
def library(tmp_path):
    """Three of the bundled articles in a folder of their own (so tests can change and remove files)."""
    folder = tmp_path / "articles"
    folder.mkdir()
    for path in sorted(ARTICLES.glob("*.txt"))[:3]:
        shutil.copy(path, folder / path.name)
    return folder


def restart(components):
    """Components of a new process on the same data dir (same session embedder)."""
    from qa_bot.components import Components

    fresh = Components(components.settings)
    fresh.__dict__["embedder"] = components.embedder
    return fresh


def fresh_rebuild_hits(store, query: str, tmp_path) -> list[tuple[str, float]]:
    """What an index built from scratch out of the store's chunks answers."""
    from vectorstore.bm25 import KeywordIndex, KeywordState
    from vectorstore.keyword_sync import rebuild

    index = KeywordIndex(tmp_path / f"fresh-{uuid.uuid4().hex}")
    writer = index.writer()
    rebuild(writer, store.keyword_docs(), "test")
    writer.finish(KeywordState(0, 0))
    return index.search(query, 1000)


def assert_matches_fresh_rebuild(components, tmp_path) -> None:
    """Same matching chunks as a fresh rebuild, same best chunk, scores within 10 %.

    (Tantivy keeps a replaced chunk's term statistics until its segment merges, so
    scores after a replacement may differ slightly from a fresh build; the chunks may not.)
    """
    live = components.retriever.keyword_index()
    for query in QUERIES:
        got = live.search(query, 1000)
        want = fresh_rebuild_hits(components.store, query, tmp_path)
        assert {i for i, _ in got} == {i for i, _ in want}, query
        if want:
            assert got[0][0] == want[0][0] or got[0][1] == pytest.approx(want[0][1], rel=0.1), query
            assert dict(got) == pytest.approx(dict(want), rel=0.1), query


def test_ingest_writes_index_with_store_state(components, library, tmp_path):
    report = components.ingestor.ingest([library], progress=False)
    assert report.chunks_added > 0
    store = components.store
    state = store.keyword.read_state()
    assert (state.generation, state.chunks) == (store.generation(), store.count())
    assert_matches_fresh_rebuild(components, tmp_path)
    again = restart(components)
    assert again.retriever.keyword_index().count() == store.count()
    assert again.retriever.keyword_notice == ""  # current: opened, not rebuilt
    assert again.store.last_rebuild is None


def test_changed_file_replaces_its_chunks(components, library, tmp_path):
    components.ingestor.ingest([library], progress=False)
    target = sorted(library.glob("*.txt"))[0]
    text = target.read_text()
    word = next(w for w in ("Stoltenberg", "Herzog", "NATO") if w in text)
    target.write_text(text.replace(word, "Zorblax"))
    report = components.ingestor.ingest([library], progress=False)
    assert report.chunks_replaced > 0
    index = components.retriever.keyword_index()
    assert {components.store.get_chunks([i])[0].source_id for i, _ in index.search("Zorblax", 100)} == {target.name}
    old_hits = {components.store.get_chunks([i])[0].source_id for i, _ in index.search(word, 100)}
    assert target.name not in old_hits
    assert_matches_fresh_rebuild(components, tmp_path)


def test_prune_removes_deleted_files(components, library, tmp_path):
    components.ingestor.ingest([library], progress=False)
    gone = sorted(library.glob("*.txt"))[1]
    gone.unlink()
    report = components.ingestor.ingest([library], prune=True, progress=False)
    assert report.articles_pruned == 1
    sources = {c.chunk.source_id for q in QUERIES for c in components.retriever.search(q, k=20, method="bm25")}
    assert sources and gone.name not in sources
    assert_matches_fresh_rebuild(components, tmp_path)


def test_deleted_index_directory_is_rebuilt_and_said(components, library, tmp_path):
    components.ingestor.ingest([library], progress=False)
    shutil.rmtree(components.store.keyword.path)
    again = restart(components)
    results = again.retriever.search(QUERIES[0], k=3, method="bm25")
    assert results
    assert "rebuilt" in again.retriever.keyword_notice and "missing" in again.retriever.keyword_notice
    assert f"{again.store.count()} chunks" in again.retriever.keyword_notice
    assert_matches_fresh_rebuild(again, tmp_path)


def test_interrupted_write_pass_leaves_a_stale_index_that_is_rebuilt(components, library, tmp_path):
    """A writer that dies after changing the store never records the new generation."""
    components.ingestor.ingest([library], progress=False)
    victim = sorted(library.glob("*.txt"))[2].name
    with pytest.raises(RuntimeError, match="simulated crash"):
        with components.store.writing():
            components.store.collection.delete(where={"source": victim})  # the store changes ...
            raise RuntimeError("simulated crash")  # ... and the pass never completes
    again = restart(components)
    hits = again.retriever.search(QUERIES[0], k=20, method="bm25")
    assert "older than the store" in again.retriever.keyword_notice
    assert victim not in {c.chunk.source_id for c in hits}
    assert_matches_fresh_rebuild(again, tmp_path)


def test_damaged_index_is_rebuilt(components, library, tmp_path):
    components.ingestor.ingest([library], progress=False)
    (components.store.keyword.path / "tantivy" / "meta.json").write_text("{ not json")
    again = restart(components)
    assert again.retriever.search(QUERIES[0], k=3, method="bm25")
    assert "damaged" in again.retriever.keyword_notice
    assert_matches_fresh_rebuild(again, tmp_path)


def test_reindex_command_rebuilds_from_the_store(components, library, capsys):
    from qa_bot.cli import main

    components.ingestor.ingest([library], progress=False)
    n = components.store.count()
    assert main(["--data-dir", str(components.settings.data_dir), "reindex"]) == 0
    out = capsys.readouterr().out
    assert f"{n} chunks" in out and "rebuilt" in out


@pytest.mark.parametrize("filters", [
    dict(),  # the default: no reader comments
    dict(publisher="The Jerusalem Post"),
    dict(date_from="2023"),
    dict(date_to="2020-12-31"),
    dict(sources=["000_864da4a0ec9d2cba.txt", "002_05428a4874db11a2.txt"]),
    dict(include_comments=True),
])
def test_filters_run_in_the_index_as_the_filter_defines(seeded, filters):
    """Filtered keyword hits == the unfiltered hits that SearchFilters.accepts keeps (same order);
    dense search agrees with Chroma's own filtering."""
    from vectorstore.retrieval import SearchFilters

    f = SearchFilters(**filters)
    everything = SearchFilters(include_comments=True)
    for query in QUERIES:
        got = [c.chunk_id for c, _ in seeded.retriever.keyword_search(query, 1000, f)]
        every = seeded.retriever.keyword_search(query, 1000, everything)
        want = [c.chunk_id for c, _ in every if f.accepts(c)]
        assert got == want, (query, filters)
        assert [c.chunk_id for c, _ in seeded.retriever.keyword_search(query, 3, f)] == want[:3], (query, filters)
        vector = seeded.embedder.embed_query(query)
        for n in (2, 8):  # dense: the unfiltered-first shortcut returns what the filtered query does
            filtered = seeded.store.dense_search(vector, n, f.chroma_where())
            # the retriever's path: unfiltered ids from Chroma, filter fields from the keyword index
            _, via_index, _ = seeded.retriever.candidates(query, n, f, method="dense")
            assert [(c.chunk_id, round(s, 5)) for c, s in via_index] == [(c.chunk_id, round(s, 5)) for c, s in filtered]
            assert all(f.accepts(c) for c, _ in via_index)


def test_index_of_another_schema_is_rebuilt(components, library, tmp_path):
    """An index written by another version (other fields or options) is never read with this one's schema."""
    import tantivy

    components.ingestor.ingest([library], progress=False)
    data = components.store.keyword.path / "tantivy"
    shutil.rmtree(data)
    data.mkdir()
    sb = tantivy.SchemaBuilder()
    sb.add_text_field("chunk_id", stored=True, tokenizer_name="raw")
    sb.add_text_field("body", tokenizer_name="whitespace")
    old = tantivy.Index(sb.build(), path=str(data))
    writer = old.writer()
    writer.add_document(tantivy.Document(chunk_id="ghost", body="herzog nato iran"))
    writer.commit()
    writer.wait_merging_threads()
    again = restart(components)
    hits = again.retriever.search(QUERIES[0], k=3, method="bm25")
    assert hits and "another schema" in again.retriever.keyword_notice
    assert_matches_fresh_rebuild(again, tmp_path)


def test_store_changed_behind_the_index_is_noticed_while_running(components, library, tmp_path):
    """A chunk removed from Chroma by something that bypassed the index is never returned, and the
    running retriever rebuilds the index on its next check instead of using it."""
    components.ingestor.ingest([library], progress=False)
    retriever = components.retriever
    best = retriever.search(QUERIES[0], k=1, method="bm25")[0].chunk.chunk_id
    components.store.collection.delete(ids=[best])
    assert best not in [r.chunk.chunk_id for r in retriever.search(QUERIES[0], k=5, method="bm25")]
    retriever.search(QUERIES[0], k=5, method="bm25")  # the next query re-checks: count differs
    assert "chunk count differs" in retriever.keyword_notice
    assert_matches_fresh_rebuild(components, tmp_path)


@pytest.mark.parametrize("n", [1, 3, 5, 20])
def test_default_filter_shortcut_equals_the_filtered_query(tmp_path, n):
    """The no-comments filter tried on the top 2n first must give what the filtered query gives,
    also when the best matches are all comments (the shortcut falls back)."""
    from vectorstore.bm25 import KeywordDoc, KeywordIndex, KeywordState

    docs = [KeywordDoc(f"c{i}", f"s{i}", "comments", "P", "", 0, "alpha " * (3 + i % 4) + f"filler{i}") for i in range(25)]
    docs += [KeywordDoc(f"b{i}", f"t{i}", "body", "P", "", 0, "alpha " * (1 + i % 2) + f"words{i} more text") for i in range(8)]
    index = KeywordIndex(tmp_path / "k")
    writer = index.writer()
    writer.add(docs)
    writer.finish(KeywordState(1, len(docs)))
    section = {d.chunk_id: d.section for d in docs}
    everything = index.search("alpha", 1000)
    want = [(i, s) for i, s in everything if section[i] == "body"][:n]
    assert index.search("alpha", n, body_only=True) == want
    assert len(want) == min(n, 8)


def test_publishers_and_latest_date_come_from_the_index_as_from_the_store(seeded):
    chunks = seeded.store.all_chunks()
    assert seeded.retriever.publishers() == sorted({c.publisher for c in chunks if c.publisher})
    assert seeded.retriever.latest_date() == max(c.published_at for c in chunks if c.published_at)
    assert len(seeded.retriever.publishers()) >= 3


def test_lookup_gives_the_stored_fields_of_held_chunks_only(tmp_path):
    from vectorstore.bm25 import IndexedChunk, KeywordDoc, KeywordIndex, KeywordState

    docs = [KeywordDoc("a#0", "a", "body", "Reuters", "2021-03-04", 20210304, "alpha beta"),
            KeywordDoc("b#1", "b", "comments", "", "", 0, "gamma")]
    index = KeywordIndex(tmp_path / "k")
    writer = index.writer()
    writer.add(docs)
    writer.finish(KeywordState(1, len(docs)))
    got = index.lookup(["b#1", "nowhere#3", "a#0", "a#0"])
    assert got == {"a#0": IndexedChunk("a#0", "a", "body", "Reuters", "2021-03-04"),
                   "b#1": IndexedChunk("b#1", "b", "comments", "", "")}
    assert index.lookup([]) == {}


def test_search_returns_whole_chunks_with_their_true_similarity(seeded):
    """Candidates are stand-ins until chosen; what a search returns must be the stored chunk,
    with the cosine similarity of its stored vector, whichever side found it."""
    import numpy as np

    store = seeded.store
    for query in QUERIES[:4]:  # (the bundled articles never mention a "missile strike")
        q = np.asarray(seeded.embedder.embed_query(query), dtype=np.float32)
        for method in ("hybrid", "dense", "bm25"):
            results = seeded.retriever.search(query, k=8, method=method)
            assert results, (query, method)
            stored = dict((c.chunk_id, (c, v)) for c, v in store.get_chunks_and_vectors([r.chunk.chunk_id for r in results]))
            for r in results:
                chunk, vector = stored[r.chunk.chunk_id]
                assert r.chunk == chunk and r.chunk.text and r.chunk.start >= 0, (query, method, r.chunk.chunk_id)
                assert r.dense_similarity == pytest.approx(float(q @ vector), abs=1e-4), (query, method)


def test_dense_search_finds_chunks_the_keyword_index_does_not_hold_yet(components, library):
    """Another process's ingest writes Chroma before its keyword commit: its chunks must still be
    found by meaning, and filtered by their own metadata (read from Chroma, not guessed)."""
    from dataclasses import replace

    from vectorstore.store import _to_metadata

    components.ingestor.ingest([library], progress=False)
    retriever, store = components.retriever, components.store
    query = "Which country did the ambassador of Freedonia visit first?"
    retriever.search(query, k=3)  # the index is checked now; the next check is seconds away
    template = store.all_chunks()[0]
    late = [replace(template, chunk_id="late-body#0", source_id="late-body", text="The Freedonian ambassador visited Chile first."),
            replace(template, chunk_id="late-comment#0", source_id="late-comment", section="comments",
                    text="A reader: the Freedonian ambassador visited Peru first.")]
    vector = components.embedder.embed_query(query)
    store.collection.upsert(ids=[c.chunk_id for c in late], documents=[c.text for c in late],
                            embeddings=[list(vector)] * 2, metadatas=[_to_metadata(c, 1) for c in late])
    assert store.keyword.lookup([c.chunk_id for c in late]) == {}

    from vectorstore.retrieval import SearchFilters

    best = retriever.search(query, k=3, method="dense")
    assert best[0].chunk.chunk_id == "late-body#0" and best[0].chunk.text == late[0].text
    assert best[0].dense_similarity == pytest.approx(1.0, abs=1e-3)
    assert "late-comment#0" not in [r.chunk.chunk_id for r in best]  # comments are filtered out by default
    with_comments = retriever.search(query, k=3, method="dense", filters=SearchFilters(include_comments=True))
    assert {"late-body#0", "late-comment#0"} <= {r.chunk.chunk_id for r in with_comments}


@pytest.mark.parametrize("commit_every_s, visible_before_finish", [(0.0, True), (3600.0, False)])
def test_a_long_write_commits_at_the_configured_cadence(tmp_path, commit_every_s, visible_before_finish):
    """Readers see an unfinished ingest's chunks once per ``keyword_commit_seconds``, not before."""
    from vectorstore.bm25 import KeywordDoc, KeywordIndex, KeywordState

    path = tmp_path / "k"
    writer = KeywordIndex(path, commit_every_s=commit_every_s).writer()
    writer.add([KeywordDoc("a#0", "a", "body", "P", "", 0, "alpha beta")])
    writer.add([KeywordDoc("b#0", "b", "body", "P", "", 0, "alpha gamma")])
    reader = KeywordIndex(path)
    assert bool(reader.search("alpha", 10)) is visible_before_finish
    writer.finish(KeywordState(1, 2))
    reader.reload()
    assert {hit for hit, _ in reader.search("alpha", 10)} == {"a#0", "b#0"}


def test_the_commit_cadence_flows_from_the_settings_to_the_store(tmp_path):
    from qa_bot.components import Components
    from qa_bot.settings import Settings

    settings = Settings(data_dir=tmp_path, keyword_commit_seconds=7.5)
    assert Components(settings).store.keyword.commit_every_s == 7.5


def test_upsert_replaces_held_chunks_and_queues_no_delete_for_fresh_ones(tmp_path):
    """A replaced chunk is never doubled, whether its old version is committed or still pending;
    a chunk the index cannot hold queues no delete (Tantivy holds each queued delete in memory
    until the next commit)."""
    from vectorstore.bm25 import KeywordDoc, KeywordIndex, KeywordState

    def doc(chunk_id: str, text: str) -> KeywordDoc:
        return KeywordDoc(chunk_id, chunk_id.split("#")[0], "body", "P", "", 0, text)

    index = KeywordIndex(tmp_path / "k", commit_every_s=3600)
    writer = index.writer()
    deleted: list[str] = []
    real_delete = writer.delete_ids

    def recording_delete(ids) -> None:
        ids = list(ids)
        deleted.extend(ids)
        real_delete(ids)

    writer.delete_ids = recording_delete
    writer.upsert([doc("a#0", "alpha one"), doc("b#0", "alpha two")])
    assert deleted == []  # nothing held yet
    writer.commit()
    writer.upsert([doc("a#0", "alpha one again"), doc("c#0", "alpha three")])  # a#0 committed before
    writer.upsert([doc("c#0", "alpha three again")])  # c#0 pending, not committed
    assert deleted == ["a#0", "c#0"]
    writer.finish(KeywordState(1, 3))
    hits = [hit for hit, _ in index.search("alpha", 10)]
    assert sorted(hits) == ["a#0", "b#0", "c#0"]
    assert sorted(hit for hit, _ in index.search("again", 10)) == ["a#0", "c#0"]
