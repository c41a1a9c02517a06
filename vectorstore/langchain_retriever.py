"""The hybrid retriever as a LangChain ``BaseRetriever``, so it plugs into other LangChain applications.

Issue 12: LangChain stays the framework, and each piece of the bot is a LangChain part. The
pipeline keeps calling :meth:`HybridRetriever.search` (it needs the scores and ranks); this
adapter serves the same ranking as ``Document`` objects for chains, agents and tools.
"""

from __future__ import annotations

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever

from vectorstore.documents import ScoredChunk
from vectorstore.retrieval import HybridRetriever, Method, SearchFilters


class HybridLangChainRetriever(BaseRetriever):
    """``retriever.invoke(question)``: the hybrid retriever's k best chunks, in its order, as Documents."""

    retriever: HybridRetriever
    k: int | None = None  # None: the retriever's configured k
    filters: SearchFilters | None = None
    method: Method = "hybrid"

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        results = self.retriever.search(query, k=self.k, filters=self.filters, method=self.method)
        return [to_document(r) for r in results]


def to_document(result: ScoredChunk) -> Document:
    """A retrieved chunk as a Document: its text, and where it comes from (article, span, score) as metadata."""
    c = result.chunk
    return Document(
        id=c.chunk_id,
        page_content=c.text,
        metadata={"chunk_id": c.chunk_id, "source_id": c.source_id, "title": c.title, "publisher": c.publisher,
                  "published_at": c.published_at, "url": c.url, "start": c.start, "end": c.end,
                  "score": float(result.score)},
    )
