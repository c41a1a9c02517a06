"""The hybrid retriever as a LangChain BaseRetriever, on the bundled articles with the real embedder and Chroma."""

from __future__ import annotations

import pytest
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import RunnableLambda

from vectorstore.langchain_retriever import HybridLangChainRetriever
from vectorstore.retrieval import SearchFilters

QUESTIONS = [
    "Who said NATO's security guarantee does not apply to Israel?",
    "Turkey veto Mavi Marmara",
    "Did Trump say {the US} would pull out of NATO?",
]


def _spans(docs: list[Document]) -> list[tuple]:
    return [(d.id, d.metadata["chunk_id"], d.metadata["source_id"], d.metadata["start"], d.metadata["end"])
            for d in docs]


def _expected(results) -> list[tuple]:
    return [(r.chunk.chunk_id, r.chunk.chunk_id, r.chunk.source_id, r.chunk.start, r.chunk.end) for r in results]


def test_components_expose_the_same_retriever_as_a_langchain_one(seeded):
    retriever = seeded.langchain_retriever
    assert isinstance(retriever, BaseRetriever)
    assert retriever.retriever is seeded.retriever
    assert seeded.langchain_retriever is retriever  # built once


@pytest.mark.parametrize("question", QUESTIONS)
def test_invoke_returns_the_hybrid_ranking_as_documents(seeded, question):
    docs = seeded.langchain_retriever.invoke(question)
    results = seeded.retriever.search(question)
    assert len(docs) == len(results) == seeded.settings.retrieval_config().k
    assert _spans(docs) == _expected(results)
    for doc, r in zip(docs, results):
        c = r.chunk
        assert doc.page_content == c.text
        assert {k: doc.metadata[k] for k in ("title", "publisher", "published_at", "url")} == \
            {"title": c.title, "publisher": c.publisher, "published_at": c.published_at, "url": c.url}
        assert type(doc.metadata["score"]) is float and doc.metadata["score"] == pytest.approx(r.score)


def test_top_document_is_the_der_spiegel_quote(seeded):
    top = seeded.langchain_retriever.invoke(QUESTIONS[0])[0]
    assert top.metadata["source_id"] == "001_30abf332060f2f43.txt"
    assert "Der Spiegel" in top.page_content


def test_k_filters_and_method_are_passed_on(seeded):
    q = "Israel NATO office"
    filters = SearchFilters(publisher="the times of israel")
    narrowed = HybridLangChainRetriever(retriever=seeded.retriever, k=3, filters=filters, method="bm25")
    docs = narrowed.invoke(q)
    assert _spans(docs) == _expected(seeded.retriever.search(q, k=3, filters=filters, method="bm25"))
    assert docs and {d.metadata["source_id"] for d in docs} == {"002_05428a4874db11a2.txt"}
    none = HybridLangChainRetriever(retriever=seeded.retriever, filters=SearchFilters(date_from="2030-01-01"))
    assert none.invoke(q) == []


def test_works_in_an_lcel_chain(seeded):
    def numbered(docs: list[Document]) -> str:
        return "\n".join(f"[{i}] {d.metadata['publisher']}: {d.page_content[:40]}" for i, d in enumerate(docs, 1))

    chain = HybridLangChainRetriever(retriever=seeded.retriever, k=2) | RunnableLambda(numbered)
    text = chain.invoke(QUESTIONS[0])
    top = seeded.retriever.search(QUESTIONS[0], k=2)
    assert text == "\n".join(f"[{i}] {r.chunk.publisher}: {r.chunk.text[:40]}" for i, r in enumerate(top, 1))
    assert chain.batch(QUESTIONS[:2]) == [chain.invoke(q) for q in QUESTIONS[:2]]
