"""The question-answering pipeline: plan, then for each part retrieve, gate, answer, verify, gate, assemble.

A yes/no question about what two or more named sources say is checked part by part instead
(``steps/comparisons.py``).

``QABot.ask_stream`` yields status lines, the sources and tokens while it works and ends
with the final :class:`Answer`; ``QABot.ask`` returns just the answer. The UI, the CLI and
the batch evaluation all call these. Each step is a module of ``qa_bot/steps/``; QABot
only orchestrates them. Rules a step applies can be switched off in ``Settings.disabled_rules``.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Iterator

from qa_bot.answer import Answer
from qa_bot.citations import Verifier
from qa_bot.components import Components
from qa_bot.history import History, normalise_history
from qa_bot.settings import Settings
from qa_bot.steps import Rules, assembly
from qa_bot.steps.answerers import Answerers
from qa_bot.steps.asked_fact import AskedFact
from qa_bot.steps.comparisons import Comparisons
from qa_bot.steps.events import StreamEvent, status
from qa_bot.steps.gates import Gates, Verdict
from qa_bot.steps.model import ModelAccess, drain
from qa_bot.steps.planning import Plan, Planner
from qa_bot.steps.retrieval import Retrieval, interleave
from qa_bot.steps.verification import Verification
from vectorstore.documents import ScoredChunk
from vectorstore.retrieval import SearchFilters

__all__ = ["QABot", "QuestionError", "StreamEvent", "validate_question"]
MAX_QUESTION_CHARS = 2000


class QuestionError(ValueError):
    """The question cannot be answered as asked (empty, too long, not text)."""


class QABot:
    """Answers questions about the ingested articles, with verified citations."""

    def __init__(self, settings: Settings, components: Components | None = None):
        self.settings = settings
        self.components = c = components or Components(settings)
        rules = Rules(settings.disabled_rules)
        self.planner = Planner(rules, settings.history_turns, settings.rewrite_prompt)
        self.retrieval = Retrieval(lambda: c.retriever, settings.context_chunks)
        self.gates = Gates(rules, settings.min_relevance, lambda: c.retriever.latest_date(), lambda: c.retriever.publishers())
        self.comparisons = Comparisons(rules, lambda: c.retriever, lambda: c.verifier, lambda: c.verifier_notice)
        self.answerers = Answerers.build(settings, rules, c)
        self.verification = Verification(rules, lambda: c.verifier, lambda: c.verifier_notice)
        self.asked_fact = AskedFact(rules)

    @property
    def verifier(self) -> Verifier:
        return self.components.verifier

    def ask(self, question: str, history: History | None = None, mode: str | None = None,
            k: int | None = None, filters: SearchFilters | None = None) -> Answer:
        events = list(self.ask_stream(question, history, mode, k, filters))
        return events[-1].answer

    def retrieve(self, question: str, history: History | None = None, k: int | None = None,
                 filters: SearchFilters | None = None) -> tuple[str, list[ScoredChunk]]:
        """The standalone question and the chunks ``ask`` retrieves for it (each part's, interleaved), no model."""
        plan = drain(self.planner.plan(validate_question(question), normalise_history(history), model=None))
        return plan.standalone, interleave([self.retrieval.search(p, k, filters).retrieved for p in plan.parts])

    def ask_stream(self, question: str, history: History | None = None, mode: str | None = None,
                   k: int | None = None, filters: SearchFilters | None = None) -> Iterator[StreamEvent]:
        started = time.perf_counter()
        question, turns = validate_question(question), normalise_history(history)
        model = ModelAccess(self.components, mode or self.settings.mode)
        plan = yield from self.planner.plan(question, turns, model)
        answer = yield from self._answer_plan(plan, turns, model, k, filters, started)
        yield StreamEvent("answer", answer=replace(answer, rewrite=plan.rewrite_note))

    def _answer_plan(self, plan: Plan, turns: list[tuple[str, str]], model: ModelAccess, k: int | None,
                     filters: SearchFilters | None, started: float) -> Iterator[StreamEvent]:
        """A comparison, a single question or its parts answered one by one; returns the Answer."""
        question = plan.question
        if (comparison := self.comparisons.plan(plan.standalone, filters)) is not None:
            return (yield from self.comparisons.answer(question, plan.standalone, comparison, k, filters, started))
        if len(plan.parts) == 1:
            return (yield from self._answer_part(question, plan.standalone, turns, model, k, filters, started))
        answers = []
        for i, part in enumerate(plan.parts):
            yield status(f"Part {i + 1} of {len(plan.parts)}: {part}")
            if i:
                yield StreamEvent("token", " ")
            answers.append((yield from self._answer_part(part, part, turns, model, k, filters, started)))
        return assembly.merge_parts(question, plan.standalone, plan.parts, answers, started)

    def _answer_part(self, asked: str, standalone: str, turns: list[tuple[str, str]], model: ModelAccess,
                     k: int | None, filters: SearchFilters | None, started: float) -> Iterator[StreamEvent]:
        """Retrieve, gate, answer, verify, gate and assemble one standalone question; returns its Answer."""
        yield status("Searching the articles...")
        evidence = self.retrieval.search(standalone, k, filters)
        trail = assembly.Trail(asked, standalone, model.mode, evidence.retrieved, started)
        if reason := self.gates.unheld_outlets(standalone):
            return assembly.refusal(trail, reason=reason)
        if not self.gates.open_before(standalone, evidence):
            return assembly.refusal(trail)
        trail = replace(trail, sources_s=time.perf_counter() - started)
        yield StreamEvent("sources", sources=assembly.source_cards(evidence.passages))
        draft = yield from self.answerers.answer(standalone, turns, evidence, model, filters, started)
        checked = yield from self.verification.check(draft, standalone)
        verdict = self.gates.after(standalone, checked.sentences)
        if verdict is Verdict.WRONG_COUNT and (figures := self.answerers.from_figures(draft)) is not None:
            draft, checked = figures, (yield from self.verification.check(figures, standalone))
            verdict = self.gates.after(standalone, checked.sentences)
        if verdict is not Verdict.ANSWER:
            return assembly.refusal(trail, draft, checked)
        if reason := self.asked_fact.missing(standalone, checked.sentences, draft.passages):
            return assembly.refusal(trail, draft, checked, reason=reason)
        return assembly.cited(trail, draft, checked)


def validate_question(question: object) -> str:
    """The question with its whitespace normalised; QuestionError when it cannot be answered as asked."""
    if not isinstance(question, str):
        raise QuestionError("the question must be text")
    question = " ".join(question.split())
    if not question:
        raise QuestionError("the question is empty")
    if len(question) > MAX_QUESTION_CHARS:
        raise QuestionError(f"the question is {len(question)} characters long; the limit is {MAX_QUESTION_CHARS}")
    if not any(ch.isalnum() for ch in question):
        raise QuestionError("the question has no words in it (only symbols or emoji)")
    return question
