"""The LLM answerer: the chat model writes the answer from numbered sources, streamed token by token.

Rule ``choice_hint``: an "A or B?" question gets "say which of the options" in the prompt.
"""

from __future__ import annotations

import time
from typing import Iterator, Sequence

import numpy as np

from prompts import chat_template, prompt_template
from qa_bot.citations import is_choice_question, is_yes_no_question, strip_markers
from qa_bot.injection import quote
from qa_bot.steps import Rules
from qa_bot.steps.answerers import Draft, since
from qa_bot.steps.answerers.extractive import SentenceRanker
from qa_bot.steps.events import StreamEvent, status
from qa_bot.steps.model import ModelAccess, wait_turn
from qa_bot.steps.retrieval import Sourced
from vectorstore.bm25 import tokenize

MIN_WINDOW_WORDS = 15  # room left in a source's budget worth filling with part of a long sentence
HISTORY_CHARS = 500


class LLMAnswerer:
    """Prompts the model with the passages (their sentences closest to the question) and streams its answer."""

    def __init__(self, settings, rules: Rules, ranker: SentenceRanker):
        self.history_turns = settings.history_turns
        self.passage_words = settings.passage_words
        self.prompt = settings.answer_prompt
        self.prompt_sources = settings.prompt_sources
        self.rules = rules
        self.ranker = ranker

    def draft(self, model: ModelAccess, question: str, turns: list[tuple[str, str]], passages: Sequence[Sourced],
              started: float) -> Iterator[StreamEvent]:
        """Stream the model's answer after waiting for its turn; returns the Draft with its timings and prompt size.

        The model sees the first ``prompt_sources`` passages; the draft keeps them all, so the
        verifier and the source panel see what retrieval found either way.
        """
        measured: dict = {"ttft_s": None, "prompt_tokens": None, "prompt_tokens_evaluated": None}
        queued = time.perf_counter()
        parts: list[str] = []
        with model.queue.join() as ticket:
            yield from wait_turn(ticket)
            queue_s = time.perf_counter() - queued
            yield status("Writing the answer...")
            for chunk in model.llm.stream(self.messages(question, turns, self.shown(passages))):
                usage = getattr(chunk, "usage_metadata", None)
                if usage:  # the whole prompt, and the part the model's cache did not already hold
                    measured["prompt_tokens"] = usage.get("input_tokens")
                    cached = (usage.get("input_token_details") or {}).get("cache_read")
                    measured["prompt_tokens_evaluated"] = None if cached is None else measured["prompt_tokens"] - cached
                if not chunk.content:
                    continue
                if measured["ttft_s"] is None:
                    measured["ttft_s"] = since(started)
                parts.append(str(chunk.content))
                yield StreamEvent("token", str(chunk.content))
        return Draft(text="".join(parts), mode="generative", passages=list(passages), queue_s=queue_s, **measured)

    def shown(self, passages: Sequence[Sourced]) -> Sequence[Sourced]:
        """The passages the model is shown: the first ``prompt_sources`` (all when None)."""
        return passages[: self.prompt_sources]

    def messages(self, question: str, turns: list[tuple[str, str]], passages: Sequence[Sourced]) -> list:
        """System prompt, the conversation's last turns, then the question and its sources (prompts/answer*.txt)."""
        from langchain_core.messages import AIMessage, HumanMessage

        history = []
        for user, assistant in turns[-self.history_turns :]:
            history += [HumanMessage(user[:HISTORY_CHARS]), AIMessage(strip_markers(assistant)[:HISTORY_CHARS])]
        return chat_template(self.prompt, history=True).format_messages(
            history=history, sources=self.source_block(question, passages), question=quote(question),
            hint=self.hint(question))

    def hint(self, question: str) -> str:
        """How to open the answer, for the question shapes a small model gets wrong."""
        if is_yes_no_question(question):
            return "Start your answer with Yes or No, then say why."
        if self.rules.on("choice_hint") and is_choice_question(question):
            return "Say in one full sentence which of the options the sources support, and why."
        return ""

    def source_block(self, question: str, passages: Sequence[Sourced]) -> str:
        """Numbered sources for the prompt (prompts/source.txt), one block per passage."""
        template = prompt_template("source")
        excerpts = self.excerpts(question, passages)
        return "\n\n".join(template.format(**source_values(sourced, excerpt))
                            for sourced, excerpt in zip(passages, excerpts))

    def excerpts(self, question: str, passages: Sequence[Sourced]) -> list[str]:
        """Each passage's sentences shown to the model: the ``passage_words`` closest to the question."""
        return [self.best_sentences(question, [s for s in passage.sentences if s] or ["(no usable text)"],
                                    self.passage_words) for passage, _ in passages]

    def best_sentences(self, question: str, sentences: Sequence[str], budget_words: int) -> str:
        """The sentences of a chunk that best match the question, in their original order."""
        if sum(len(s.split()) for s in sentences) <= budget_words:
            return " ".join(sentences)
        scores = self.ranker.scores(question, sentences)
        chosen: dict[int, str] = {}
        used = 0
        for i in np.argsort(-scores):
            words = len(sentences[i].split())
            if not used and words > 2 * budget_words:  # one sentence twice the budget: its best part only
                chosen[int(i)] = best_window(question, sentences[i], budget_words)
                break
            if used and used + words > budget_words:
                if budget_words - used >= MIN_WINDOW_WORDS:  # a long sentence: show its part that matches best
                    chosen[int(i)] = best_window(question, sentences[i], budget_words - used)
                    break
                continue
            chosen[int(i)] = sentences[i]
            used += words
            if used >= budget_words:
                break
        return " ... ".join(chosen[i] for i in sorted(chosen))


def source_values(sourced: Sourced, excerpt: str) -> dict[str, object]:
    """One source's placeholders: its number, header and the excerpt shown."""
    passage, scored = sourced
    c = scored.chunk
    date = f", {c.published_at[:10]}" if c.published_at else ", undated"
    return dict(n=passage.n, title=quote(c.title or c.source_id), publisher=quote(c.publisher or c.source_id),
                date=quote(date), text=quote(excerpt))


def best_window(question: str, sentence: str, size: int) -> str:
    """The run of ``size`` words of a sentence holding most of the question's words, marked as cut."""
    words = sentence.split()
    wanted = set(tokenize(question))
    hits = [1 if set(tokenize(w)) & wanted else 0 for w in words]
    best = max(range(max(len(words) - size, 0) + 1), key=lambda start: sum(hits[start : start + size]))
    window = " ".join(words[best : best + size])
    return f"{'… ' if best else ''}{window}{' …' if best + size < len(words) else ''}"
