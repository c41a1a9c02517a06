"""Verification: every sentence of a draft is checked against the passages by the one verifier.

A model's or extractive draft goes through ``qa_bot.citations.verify_and_repair`` (rules
``citation_repair`` and ``joint_support``); a figures draft has each figure checked as an
answer to the question ("29 members does NATO have" against the passage the 29 comes from),
so a figure that counts something else is dropped, and none left means a refusal.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterator

from qa_bot.answer import AnswerSentence
from qa_bot.citations import Claim, Verifier, is_not_found, verify_and_repair
from qa_bot.figures import count_claim, figure_sentences
from qa_bot.steps import Rules
from qa_bot.steps.answerers import Draft
from qa_bot.steps.events import StreamEvent, status


@dataclass(frozen=True)
class Checked:
    """The draft's sentences with the markers verification kept, and per passage its best (support, sentence)."""

    sentences: list[AnswerSentence]
    support: dict[int, tuple[float, str]]
    verifier: str  # "model" (the trained checker) or "overlap"


class Verification:
    def __init__(self, rules: Rules, verifier: Callable[[], Verifier], notice: Callable[[], str]):
        self.rules = rules
        self.verifier = verifier  # built on first use (it may load the trained checker)
        self.notice = notice  # why the verifier fell back to word overlap, if it did

    def check(self, draft: Draft, question: str) -> Iterator[StreamEvent]:
        """Verify a draft (reporting progress); returns :class:`Checked`."""
        yield status("Checking citations...")
        verifier = self.verifier()
        if self.notice():
            yield status(self.notice())
        if draft.from_figures:
            return Checked(*check_figures(question, draft, verifier), verifier.name)
        sentences, support = verify_and_repair(draft.text, [p for p, _ in draft.passages], verifier, question,
                                               repair=self.rules.on("citation_repair"),
                                               joint=self.rules.on("joint_support"))
        return Checked([s for s in sentences if not is_not_found(s.text)], support, verifier.name)


def check_figures(question: str, draft: Draft, verifier: Verifier
                  ) -> tuple[list[AnswerSentence], dict[int, tuple[float, str]]]:
    """Keep the figures the verifier accepts as answers to the question; one sentence per figure, cited."""
    numbers = {scored.chunk.chunk_id: p.n for p, scored in draft.passages}
    by_n = {p.n: p for p, _ in draft.passages}
    passages = [by_n[numbers[f.scored.chunk.chunk_id]] for f in draft.figures]
    claims = [Claim(scored=count_claim(question, f.value), asserted=count_claim(question, f.value)) for f in draft.figures]
    scores, _ = verifier.support_matrix(claims, list(by_n.values()))
    column = {n: j for j, n in enumerate(by_n)}
    score = [float(scores[i, column[p.n]]) for i, p in enumerate(passages)]
    kept = [(f, s) for f, s in zip(draft.figures, score) if s >= verifier.threshold]
    if not kept:
        return [], {}
    support = {numbers[f.scored.chunk.chunk_id]: (s, f.sentence) for f, s in kept}
    sentences = [AnswerSentence(text=f"{text}.", citations=[n] if n else [], supported_by=[n] if n else [],
                                supported=True, support=round(support[n][0], 4) if n else 1.0,
                                level=verifier.level(support[n][0]) if n else "")
                 for text, n in figure_sentences(question, [f for f, _ in kept], numbers)]
    return sentences, support
