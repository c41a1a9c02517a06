"""Planning: what to search for. A follow-up becomes a standalone question; a two-part question, two parts.

Rules (``Settings.disabled_rules``): ``rewrite`` (off: a follow-up is searched as asked) and
``split`` (off: a two-part question is answered whole).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Iterator

from prompts import chat_template
from qa_bot.citations import strip_markers
from qa_bot.injection import quote
from qa_bot.steps import Rules
from qa_bot.steps.events import StreamEvent, status
from qa_bot.steps.followups import REFERRING, fallback_standalone, needs_rewrite, rewrite_problem
from qa_bot.steps.model import ModelAccess, wait_turn
from vectorstore.bm25 import tokenize

_PART_BREAK = re.compile(
    r"(?:,|;)?\s+and\s+(?=(?:who|what|when|where|which|why|how|whom|whose|in\s+what|in\s+which)\b)"
    r"|;\s+(?=\w)|\?\s+(?=[A-Z])",
    re.IGNORECASE,
)
MIN_PART_WORDS = 3
REWRITE_TOKENS = 48
REWRITE_ANSWER_CHARS = 300
# which prompt rewrites a follow-up (Settings.rewrite_prompt), chosen by benchmarks/followups.py
# (docs/benchmarks.md#follow-up-questions-issue-27): its file, and the system prompt in front or not. "guided"
# puts the answers' system prompt first, so the rewrite and the answer after it both find it in llama.cpp's
# cache; "tagged" is the prompt until issue 27, kept as the benchmark's baseline.
REWRITE_PROMPTS = {"guided": ("rewrite", "system"), "tagged": ("rewrite_tagged", None)}
_LABEL = re.compile(r"^\W*(?:(?:standalone|rewritten|new|next)\s+)?question\s*:\s*", re.IGNORECASE)
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Plan:
    """The question as asked, as it can be searched alone, and the parts answered one by one."""

    question: str
    standalone: str
    parts: tuple[str, ...]
    rewrite_note: str = ""  # how a follow-up became ``standalone``: "", "rewritten", "fallback (<why>)"


class Planner:
    """Turns a question and its conversation into a :class:`Plan`."""

    def __init__(self, rules: Rules, history_turns: int, prompt: str = "guided"):
        if prompt not in REWRITE_PROMPTS:
            raise ValueError(f"unknown rewrite prompt {prompt!r}; choose one of {', '.join(REWRITE_PROMPTS)}")
        self.rules = rules
        self.history_turns = history_turns
        self.prompt = prompt

    def plan(self, question: str, turns: list[tuple[str, str]], model: ModelAccess | None) -> Iterator[StreamEvent]:
        """Rewrite a follow-up (with the model when there is one, after waiting its turn), then split; returns the Plan."""
        standalone, note = question, ""
        if turns and self.rules.on("rewrite") and needs_rewrite(question):
            yield status("Understanding the follow-up...")
            llm = (yield from model.load()) if model is not None else None
            if llm is not None:
                with model.queue.join() as ticket:
                    yield from wait_turn(ticket)
                    standalone, note = self.rewrite(question, turns, llm)
            else:
                standalone, note = self.rewrite(question, turns, None)
            if standalone != question:
                yield StreamEvent("searched", standalone)
        parts = split_question(standalone) if self.rules.on("split") else [standalone]
        return Plan(question, standalone, tuple(parts), note)

    def rewrite(self, question: str, turns: list[tuple[str, str]], llm=None) -> tuple[str, str]:
        """The standalone question and how it was made: the model's rewrite if it passes
        :func:`rewrite_problem`, else :func:`fallback_standalone` (the rejection logged)."""
        if llm is None:
            return fallback_standalone(question, turns), "fallback (no model)"
        text = self.ask_model(llm, question, turns)
        problem = "the model failed" if text is None else rewrite_problem(question, turns, text)
        if problem is None:
            return text, "rewritten" if text != question else ""
        fallback = fallback_standalone(question, turns)
        log.info("follow-up rewrite rejected (%s): %r -> %r; searching %r", problem, question, text, fallback)
        return fallback, f"fallback ({problem})"

    def messages(self, question: str, turns: list[tuple[str, str]]) -> list:
        """The rewrite prompt (``self.prompt``) for the conversation's last turns."""
        name, system = REWRITE_PROMPTS[self.prompt]
        lines = []
        for user, assistant in turns[-self.history_turns :]:
            lines.append(f"User: {user}")
            if assistant.strip() or self.prompt == "tagged":  # "tagged" exactly as it was, for comparisons
                lines.append(f"Assistant: {strip_markers(assistant)[:REWRITE_ANSWER_CHARS]}")
        return chat_template(name, system=system).format_messages(history=quote("\n".join(lines)),
                                                                  question=quote(question))

    def ask_model(self, llm, question: str, turns: list[tuple[str, str]]) -> str | None:
        """The model's rewrite, its first line without quotes or a "Standalone question:" label; None on failure."""
        try:
            text = llm.invoke(self.messages(question, turns), max_tokens=REWRITE_TOKENS).content
        except Exception:
            log.exception("follow-up rewrite failed")
            return None
        lines = [line for line in str(text).strip().split("\n") if line.strip()]
        text = _LABEL.sub("", lines[0].strip() if lines else "").strip().strip('"“”').strip()
        return text


def split_question(question: str) -> list[str]:
    """Split "Who was X, and in what year did Y?" into questions answered one by one.

    A small model given two questions answers one; each part gets its own retrieval,
    generation and verification. A part that refers back ("and what did he say?") keeps
    the question whole.
    """
    pieces = [p.strip(" ,;") for p in _PART_BREAK.split(question) if p and p.strip(" ,;?")]
    if len(pieces) < 2 or any(len(tokenize(p)) < 1 or len(p.split()) < MIN_PART_WORDS for p in pieces):
        return [question]
    parts = []
    for i, piece in enumerate(pieces):
        name = re.search(r"(?<!^)\b[A-Z]", piece)
        pronoun = REFERRING.search(piece)
        if i and pronoun and not (name and name.start() < pronoun.start()):
            return [question]  # "...and what did he say?" needs the first part: answer it whole
        piece = piece[:1].upper() + piece[1:]
        parts.append(piece if piece.endswith("?") else piece.rstrip(".") + "?")
    return parts
