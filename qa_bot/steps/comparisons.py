"""Comparison step: a yes/no question about what two or more named sources say, answered part by part.

The engine is :mod:`qa_bot.comparison` (planning the parts, checking each in its publisher's
articles); this step decides when it applies (rule ``comparisons``, no publisher or article
filter chosen by the user) and turns its result into an :class:`Answer`. No model is used.
"""

from __future__ import annotations

import time
from typing import Callable, Iterator

from qa_bot.answer import Answer
from qa_bot.citations import Verifier, render_answer
from qa_bot.comparison import ComparisonPlan, answer_comparison, plan_comparison
from qa_bot.steps import Rules
from qa_bot.steps.assembly import number_citations, retrieved_row
from qa_bot.steps.events import StreamEvent, status
from qa_bot.steps.retrieval import to_passages
from vectorstore.retrieval import HybridRetriever, SearchFilters


class Comparisons:
    def __init__(self, rules: Rules, retriever: Callable[[], HybridRetriever], verifier: Callable[[], Verifier],
                 notice: Callable[[], str | None]):
        self.rules, self.retriever, self.verifier, self.notice = rules, retriever, verifier, notice

    def plan(self, question: str, filters: SearchFilters | None) -> ComparisonPlan | None:
        """The question's parts per named source, when it asks what two or more sources say."""
        if not self.rules.on("comparisons") or (filters is not None and (filters.publisher or filters.sources)):
            return None
        return plan_comparison(question, self.retriever().publishers())

    def answer(self, question: str, standalone: str, plan: ComparisonPlan, k: int | None,
               filters: SearchFilters | None, started: float) -> Iterator[StreamEvent]:
        yield status(f"Checking what each of {len(plan.parts) + len(plan.missing)} named sources says...")
        verifier = self.verifier()
        result = answer_comparison(plan, lambda q, f: self.retriever().search(q, k=k, filters=f),
                                   to_passages, verifier, filters)
        if notice := self.notice():
            yield status(notice)
        sentences, citations = number_citations(result.sentences, result.passages, result.support)
        latency = time.perf_counter() - started
        return Answer(question=question, answer=render_answer(sentences), standalone_question=standalone,
                      mode="comparison", refused=result.verdict == "refused", verifier=verifier.name,
                      retrieved=[retrieved_row(r) for r in result.retrieved], sentences=sentences,
                      citations=citations, latency_s=latency, ttft_s=latency)
