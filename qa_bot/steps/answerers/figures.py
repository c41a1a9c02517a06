"""The figures answerer: for "how many" questions, every count the articles state, with its date (rule ``figures``).

The counts are read by rule (``qa_bot/figures.py``), not generated; verification then checks each
figure as an answer to the question (``qa_bot.steps.verification``), like every other answer.
"""

from __future__ import annotations

from typing import Callable, Sequence

from qa_bot.figures import Figure, counted_phrase, find_figures
from qa_bot.steps.answerers import Draft
from qa_bot.steps.retrieval import Sourced, to_passages
from vectorstore.retrieval import HybridRetriever, SearchFilters

FIGURE_CHUNKS = 20  # chunks searched for the figures a "how many" question asks about


class FiguresAnswerer:
    def __init__(self, retriever: Callable[[], HybridRetriever]):
        self.retriever = retriever  # built on first use

    def read(self, question: str, filters: SearchFilters | None) -> list[Figure]:
        """The counts the articles give for what a "how many" question counts (none for other questions)."""
        if not counted_phrase(question):  # not a "how many" question: spare the wider search
            return []
        return find_figures(question, self.retriever().search(question, k=FIGURE_CHUNKS, filters=filters))

    def draft(self, passages: Sequence[Sourced], figures: Sequence[Figure], mode: str,
              measured: Draft | None = None) -> Draft:
        """A draft of the figures; a figure's chunk that is not among the passages becomes the next passage."""
        passages = list(passages)
        numbered = {scored.chunk.chunk_id for _, scored in passages}
        for f in figures:
            if f.scored.chunk.chunk_id not in numbered:
                passages += to_passages([f.scored], first=len(passages) + 1)
                numbered.add(f.scored.chunk.chunk_id)
        base = measured or Draft(text="", mode=mode, passages=passages)
        return Draft(text="", mode=base.mode, passages=passages, figures=list(figures), from_figures=True,
                     ttft_s=base.ttft_s, queue_s=base.queue_s, prompt_tokens=base.prompt_tokens,
                     prompt_tokens_evaluated=base.prompt_tokens_evaluated)
