"""Answerers: write a draft answer with [n] markers from the numbered passages.

Three siblings: ``llm`` (the chat model, streamed), ``extractive`` (the best source
sentences, no model) and ``figures`` (the counts the articles state, for "how many"
questions whose articles disagree; rule ``figures``). :class:`Answerers` picks one.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Iterator

from qa_bot.citations import has_claims, is_not_found
from qa_bot.figures import Figure, distinct_values
from qa_bot.steps import Rules
from qa_bot.steps.events import StreamEvent, status
from qa_bot.steps.model import ModelAccess
from qa_bot.steps.retrieval import Evidence, Sourced
from vectorstore.retrieval import SearchFilters


@dataclass(frozen=True)
class Draft:
    """An answer before verification, and what writing it measured."""

    text: str  # sentences with [n] markers numbering ``passages``
    mode: str  # "generative" or "extractive"
    passages: list[Sourced]
    figures: list[Figure] = field(default_factory=list)  # the counts read for a "how many" question
    from_figures: bool = False  # written from ``figures`` (verified figure by figure)
    ttft_s: float | None = None  # seconds from the question to the first token
    queue_s: float = 0.0  # waiting behind other questions for the model
    prompt_tokens: int | None = None
    prompt_tokens_evaluated: int | None = None


class Answerers:
    """Chooses the answerer for a question: figures when the articles give different counts, else the model, else extraction."""

    def __init__(self, llm, extractive, figures):
        self.llm = llm
        self.extractive = extractive
        self.figures = figures  # None when the ``figures`` rule is off

    @classmethod
    def build(cls, settings, rules: Rules, components) -> "Answerers":
        from qa_bot.steps.answerers.extractive import ExtractiveAnswerer, SentenceRanker
        from qa_bot.steps.answerers.figures import FiguresAnswerer
        from qa_bot.steps.answerers.llm import LLMAnswerer

        ranker = SentenceRanker(lambda texts: components.embedder.embed(texts))
        return cls(LLMAnswerer(settings, rules, ranker), ExtractiveAnswerer(ranker, settings.min_relevance),
                   FiguresAnswerer(lambda: components.retriever) if rules.on("figures") else None)

    def answer(self, question: str, turns: list[tuple[str, str]], evidence: Evidence, model: ModelAccess,
               filters: SearchFilters | None, started: float) -> Iterator[StreamEvent]:
        """Stream the chosen answerer's work; returns its Draft."""
        figures = self.figures.read(question, filters) if self.figures else []
        if len(distinct_values(figures)) > 1:  # the articles disagree (or the count changed): say who says what, when
            return self.figures.draft(evidence.passages, figures, model.mode)
        llm = yield from model.load()
        if llm is None:
            draft = self.extractive.draft(question, evidence.passages, started)
            return replace(draft, figures=figures)
        draft = yield from self.llm.draft(model, question, turns, evidence.passages, started)
        bylines = " ".join(p.byline for p, _ in evidence.passages)
        if not has_claims(draft.text, question, bylines) and not is_not_found(draft.text):
            # The model produced no statement at all (empty, or only markers): fall back to extraction.
            yield status("The model gave no usable answer; quoting the best sources instead.")
            draft = replace(draft, text=self.extractive.draft(question, evidence.passages, started).text, mode="extractive")
        return replace(draft, figures=figures)

    def from_figures(self, draft: Draft) -> Draft | None:
        """The figures answer instead of a draft that counted something else (None when no figure was read)."""
        if not draft.figures or draft.from_figures:
            return None
        return self.figures.draft(draft.passages, draft.figures, draft.mode, measured=draft)


def since(started: float) -> float:
    return time.perf_counter() - started
