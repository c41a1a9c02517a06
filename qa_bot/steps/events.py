"""What the pipeline reports while it works (status lines, the sources, tokens, the answer)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from qa_bot.answer import Answer, Citation


@dataclass
class StreamEvent:
    """What the pipeline reports while it works.

    ``sources``: the passages the answer will be written from (numbered as the model sees
    them, not yet verified), sent as soon as retrieval is done so they can be shown at once.
    ``searched``: a follow-up was rewritten; ``text`` is the question searched for, shown to the
    user so a wrong rewrite is visible at once.
    """

    kind: Literal["status", "searched", "sources", "token", "answer"]
    text: str = ""
    answer: Answer | None = None
    sources: list[Citation] = field(default_factory=list)


def status(text: str) -> StreamEvent:
    return StreamEvent("status", text)
