"""Hybrid retrieval over the bundled articles with the real embedder and Chroma."""

from __future__ import annotations

import pytest

from vectorstore.retrieval import SearchFilters, diversify
from vectorstore.documents import Chunk, ScoredChunk


def test_der_spiegel_quote_is_top_result(seeded):
    results = seeded.retriever.search("Who said NATO's security guarantee does not apply to Israel?", k=5)
    top = results[0].chunk
    assert top.source_id == "001_30abf332060f2f43.txt"
    assert "Der Spiegel" in top.text


def test_each_method_returns_ranked_chunks(seeded):
    q = "Turkey veto Mavi Marmara"
    for method in ("dense", "bm25", "hybrid"):
        results = seeded.retriever.search(q, k=3, method=method)
        assert len(results) == 3
        assert [r.score for r in results] == sorted((r.score for r in results), reverse=True)
    assert seeded.retriever.search(q, k=1, method="bm25")[0].chunk.source_id == "004_f74d247cae532f0a.txt"


def test_publisher_and_date_filters(seeded):
    q = "Israel NATO office"
    only = seeded.retriever.search(q, k=5, filters=SearchFilters(publisher="the times of israel"))
    assert only and {r.chunk.source_id for r in only} == {"002_05428a4874db11a2.txt"}
    recent = seeded.retriever.search(q, k=5, filters=SearchFilters(date_from="2018-01-01"))
    assert recent and all(r.chunk.published_at >= "2018" for r in recent)
    old = seeded.retriever.search(q, k=5, filters=SearchFilters(date_to="2016"))
    assert old and all(r.chunk.published_at.startswith("2016") for r in old)
    none = seeded.retriever.search(q, k=5, filters=SearchFilters(date_from="2030-01-01"))
    assert none == []


def test_source_filter_and_comments_excluded(seeded):
    q = "Trump pull the US out of NATO"
    results = seeded.retriever.search(q, k=10, filters=SearchFilters(sources=["003_643e925b5d599b63.txt"]))
    assert results and all(r.chunk.source_id == "003_643e925b5d599b63.txt" for r in results)
    assert all(r.chunk.section == "body" for r in results)
    with_comments = seeded.retriever.search(q, k=10, filters=SearchFilters(include_comments=True))
    assert any(r.chunk.section == "comments" for r in with_comments)


def _scored(source: str, score: float) -> ScoredChunk:
    return ScoredChunk(chunk=Chunk(chunk_id=f"{source}{score}", source_id=source, text="", start=0, end=0), score=score)


def test_per_article_cap_then_top_up():
    ranked = [_scored("a", 0.9), _scored("a", 0.8), _scored("a", 0.7), _scored("b", 0.6), _scored("c", 0.5)]
    assert [s.chunk.source_id for s in diversify(ranked, 4, 2)] == ["a", "a", "b", "c"]
    assert [s.chunk.source_id for s in diversify(ranked[:3], 3, 1)] == ["a", "a", "a"]  # too few articles: top up


def test_filters_reject_bad_dates_instead_of_ignoring_them():
    import pytest

    assert SearchFilters(date_from="2018-06", date_to="2018").date_to == "2018"  # whole year 2018 ends after June
    for bad in ({"date_from": "16"}, {"date_to": "2018-13"}, {"date_from": "yesterday"}, {"date_from": "2019", "date_to": "2018"}):
        with pytest.raises(ValueError):
            SearchFilters(**bad)


@pytest.mark.parametrize("query", [
    "What did The Washington Post report?", "according to the post", "the post-war order",
    "as yahoo! finance put it", "9to5mac and #tech both said", "Washington Posts", "nothing named here",
    "AP and the AP News wire",
])
def test_publishers_named_in_a_query_as_one_search_per_name_finds_them(query):
    """Only names whose first word is in the query are tried; the result must equal trying every name."""
    import re

    from vectorstore.retrieval import HybridRetriever

    names = ["The Washington Post", "Washington Post", "The Post", "Yahoo! Finance", "9to5Mac", "#Tech", "AP",
             "AP News", "Reuters", ""]

    class Named(HybridRetriever):
        def publishers(self):
            return names

    retriever = Named.__new__(Named)
    retriever._publishers_by_first_word = None
    q = query.lower()
    want = {p.lower() for p in names if p and re.search(rf"\b{re.escape(p.lower())}\b", q)}
    assert retriever._publishers_named_in(query) == want
