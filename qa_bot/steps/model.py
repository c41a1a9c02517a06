"""The chat model as one question uses it: loaded at most once, and only in its turn in the model's line."""

from __future__ import annotations

from typing import Iterator

from qa_bot.queueing import GenerationQueue, Ticket, describe_place
from qa_bot.steps.events import StreamEvent, status


class ModelAccess:
    """The chat model for one question in ``mode``; the mode falls back to "extractive" when there is no model."""

    def __init__(self, components, mode: str):
        self.components = components
        self.mode = mode
        self.llm = None

    @property
    def queue(self) -> GenerationQueue:
        return self.components.generation_queue

    def load(self) -> Iterator[StreamEvent]:
        """Load the chat model if needed (saying so); returns it, or None when answering is extractive."""
        if self.mode != "generative" or self.llm is not None:
            return self.llm
        if not self.components.llm_loaded():
            yield status("Loading the language model...")
        try:
            self.llm = self.components.llm()
        except Exception as exc:  # missing model or backend: answer extractively, say why
            yield status(f"Language model unavailable ({exc}); answering extractively.")
        if self.llm is None:
            self.mode = "extractive"
        return self.llm


def wait_turn(ticket: Ticket) -> Iterator[StreamEvent]:
    """Tell the user their place in line while other questions are being answered."""
    for place in ticket.wait():
        yield status(describe_place(place))


def drain(steps: Iterator[StreamEvent]):
    """Run a step without reporting its events; returns what the step returns."""
    while True:
        try:
            next(steps)
        except StopIteration as done:
            return done.value
