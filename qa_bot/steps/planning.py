"""Planning: what to search for. A follow-up becomes a standalone question; a two-part question, two parts.

Rules (``Settings.disabled_rules``): ``rewrite`` (off: a follow-up is searched as asked) and
``split`` (off: a two-part question is answered whole).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator

from prompts import chat_template
from qa_bot.citations import strip_markers
from qa_bot.injection import quote
from qa_bot.steps import Rules
from qa_bot.steps.events import StreamEvent, status
from qa_bot.steps.model import ModelAccess, wait_turn
from vectorstore.bm25 import tokenize

REFERRING = re.compile(
    r"\b(he|she|him|her|his|hers|they|them|their|theirs|it|its|this|that|these|those|there|then|the same|the other|"
    r"what about|how about|and what|also|else|former|latter)\b",
    re.IGNORECASE,
)
_PART_BREAK = re.compile(
    r"(?:,|;)?\s+and\s+(?=(?:who|what|when|where|which|why|how|whom|whose|in\s+what|in\s+which)\b)"
    r"|;\s+(?=\w)|\?\s+(?=[A-Z])",
    re.IGNORECASE,
)
MIN_PART_WORDS = 3
MAX_REWRITE_CHARS = 300


@dataclass(frozen=True)
class Plan:
    """The question as asked, as it can be searched alone, and the parts answered one by one."""

    question: str
    standalone: str
    parts: tuple[str, ...]


class Planner:
    """Turns a question and its conversation into a :class:`Plan`."""

    def __init__(self, rules: Rules, history_turns: int):
        self.rules = rules
        self.history_turns = history_turns

    def plan(self, question: str, turns: list[tuple[str, str]], model: ModelAccess | None) -> Iterator[StreamEvent]:
        """Rewrite a follow-up (with the model when there is one, after waiting its turn), then split; returns the Plan."""
        standalone = question
        if turns and self.rules.on("rewrite") and needs_rewrite(question):
            yield status("Understanding the follow-up...")
            llm = (yield from model.load()) if model is not None else None
            if llm is not None:
                with model.queue.join() as ticket:
                    yield from wait_turn(ticket)
                    standalone = self.standalone(question, turns, llm)
            else:
                standalone = self.standalone(question, turns, None)
        parts = split_question(standalone) if self.rules.on("split") else [standalone]
        return Plan(question, standalone, tuple(parts))

    def standalone(self, question: str, turns: list[tuple[str, str]], llm=None) -> str:
        """A question that can be searched without the conversation: the model's rewrite, else the cheap fallback."""
        rewritten = self._rewrite(llm, question, turns) if llm is not None else None
        return rewritten or f"{turns[-1][0].strip()} {question}"

    def _rewrite(self, llm, question: str, turns: list[tuple[str, str]]) -> str | None:
        history = "\n".join(f"User: {u}\nAssistant: {strip_markers(a)[:300]}" for u, a in turns[-self.history_turns :])
        try:
            messages = chat_template("rewrite", system=None).format_messages(history=quote(history),
                                                                             question=quote(question))
            text = llm.invoke(messages, max_tokens=48).content
        except Exception:
            return None
        text = str(text).strip().split("\n")[0].strip().strip('"').strip()
        text = re.sub(r"^(standalone question:\s*)", "", text, flags=re.IGNORECASE)
        if not text or len(text) > MAX_REWRITE_CHARS or len(text) < len(question) / 2 or not text.endswith("?"):
            return None
        return text


def needs_rewrite(question: str) -> bool:
    """A follow-up that refers back ("he", "that") or is too short to search on its own."""
    return bool(REFERRING.search(question)) or len(tokenize(question)) < 4


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
