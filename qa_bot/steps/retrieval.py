"""Retrieval: the chunks found for a question, and the numbered passages an answer is written and checked from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

from qa_bot.citations import Passage
from qa_bot.injection import instructs_ai
from vectorstore.chunking import sentence_texts
from vectorstore.documents import ScoredChunk
from vectorstore.retrieval import HybridRetriever, SearchFilters, index_text

Sourced = tuple[Passage, ScoredChunk]  # a numbered passage and the chunk it comes from


@dataclass(frozen=True)
class Evidence:
    """What retrieval found: every chunk (ranked) and the first ``context_chunks`` as numbered passages."""

    retrieved: list[ScoredChunk]
    passages: list[Sourced]


class Retrieval:
    """Searches the store (the hybrid retriever) and numbers the passages the answer may cite."""

    def __init__(self, retriever: Callable[[], HybridRetriever], context_chunks: int):
        self.retriever = retriever  # built on first use
        self.context_chunks = context_chunks

    def search(self, question: str, k: int | None = None, filters: SearchFilters | None = None) -> Evidence:
        retrieved = self.retriever().search(question, k=k, filters=filters)
        return Evidence(retrieved, to_passages(retrieved[: self.context_chunks]))


def to_passages(chunks: Sequence[ScoredChunk], first: int = 1) -> list[Sourced]:
    """Numbered passages; verification sees each chunk's header too, so its date and publisher count as support.

    A sentence telling AI systems what to say is an instruction, not the article's reporting:
    it is left out of the evidence (never out of the stored article).
    """
    passages = []
    for i, c in enumerate(chunks, start=first):
        sentences = sentence_texts(c.chunk.text)
        evidence = [s for s in sentences if not instructs_ai(s)]
        text = index_text(c.chunk) if len(evidence) == len(sentences) else "\n".join([c.chunk.header(), *evidence])
        passages.append((Passage(n=i, text=text, sentences=evidence or [""],
                                 byline=f"{c.chunk.publisher} {c.chunk.published_at}",
                                 withheld=[s for s in sentences if instructs_ai(s)]), c))
    return passages


def interleave(rankings: Sequence[Sequence[ScoredChunk]]) -> list[ScoredChunk]:
    """Several parts' rankings as one: first of each part, then second of each ..., each chunk once."""
    merged: list[ScoredChunk] = []
    seen: set[str] = set()
    for rank in range(max((len(r) for r in rankings), default=0)):
        for ranking in rankings:
            if rank < len(ranking) and ranking[rank].chunk.chunk_id not in seen:
                seen.add(ranking[rank].chunk.chunk_id)
                merged.append(ranking[rank])
    return merged
