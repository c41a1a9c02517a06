"""Sources are reported before the answer is written, and a busy model puts later questions in line.

Real embedder and Chroma over the bundled articles; the chat model is a LangChain fake, so
these run in the fast suite.
"""

from __future__ import annotations

import re

import threading

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage

from qa_bot.components import Components
from qa_bot.pipeline import QABot

QUESTION = "Who said NATO's security guarantee does not apply to Israel?"
REPLY = ("NATO Secretary-General Jens Stoltenberg told Der Spiegel that the security guarantee does not apply "
         "to Israel [1].")


class GatedChat(GenericFakeChatModel):
    """A fake model that holds its first token until the test opens the gate."""

    gate: threading.Event
    started: threading.Event

    def _stream(self, *args, **kwargs):
        self.started.set()
        self.gate.wait(10)
        yield from super()._stream(*args, **kwargs)


def _bot(seeded, chat) -> QABot:
    settings = seeded.settings.with_overrides(mode="generative")
    components = Components(settings)
    components.__dict__.update(embedder=seeded.embedder, store=seeded.store, retriever=seeded.retriever)
    components._llm = chat
    return QABot(settings, components)


def _replies(n: int):
    return iter([AIMessage(content=REPLY) for _ in range(n)])


def test_sources_come_before_the_first_token(seeded):
    bot = _bot(seeded, GenericFakeChatModel(messages=_replies(1)))
    events = list(bot.ask_stream(QUESTION))
    kinds = [e.kind for e in events]
    assert "sources" in kinds and "token" in kinds
    assert kinds.index("sources") < kinds.index("token")
    shown = next(e for e in events if e.kind == "sources").sources
    assert [c.n for c in shown] == list(range(1, len(shown) + 1))  # numbered as the model reads them
    assert not any(c.verified for c in shown)  # nothing is checked before the answer exists
    assert "001_30abf332060f2f43.txt" in {c.source for c in shown}
    answer = events[-1].answer
    assert not answer.refused and answer.citations[0].verified
    assert 0 < answer.sources_s < answer.ttft_s <= answer.latency_s


def test_a_second_question_is_told_its_place_while_the_model_is_busy(seeded):
    gate, started = threading.Event(), threading.Event()
    bot = _bot(seeded, GatedChat(messages=_replies(2), gate=gate, started=started))
    first: list = []
    worker = threading.Thread(target=lambda: first.extend(bot.ask_stream(QUESTION)), daemon=True)
    worker.start()
    assert started.wait(30), "the first question never reached the model"
    second = bot.ask_stream("What did Stoltenberg tell Der Spiegel about Israel?")
    events = []
    for event in second:
        events.append(event)
        if event.kind == "status" and event.text.startswith("Waiting for the language model"):
            break
    else:
        pytest.fail("the second question was not told it is waiting")
    kinds = [e.kind for e in events]
    assert "sources" in kinds, "sources should be shown while waiting for the model"
    assert events[-1].text == "Waiting for the language model: 1 question ahead of yours."
    gate.set()
    events += list(second)
    worker.join(30)
    assert first[-1].answer is not None and not first[-1].answer.refused
    answer = events[-1].answer
    assert not answer.refused and answer.queue_s > 0


def test_every_answer_endpoint_lets_ui_concurrency_questions_in_at_once(seeded):
    """Gradio limits a concurrency group by its lowest limit: one endpoint left at the default (1)
    would make every question wait in Gradio's queue, unsearched and with no sources shown."""
    from ui.app import build_app

    settings = seeded.settings.with_overrides(ui_concurrency=6, llm_concurrency=1)
    demo = build_app(settings, QABot(settings, seeded))
    limits = {fn.api_name: fn.concurrency_limit for fn in demo.fns.values() if fn.concurrency_id == "answer"}
    # /chat, /ask and the example questions' chat handlers (one per button: chat_1, chat_2, ...)
    assert {"chat", "ask"} <= set(limits) and all(re.fullmatch(r"chat(_\d+)?|ask", name) for name in limits), limits
    assert len(limits) == 2 + settings.ui_examples, limits
    assert set(limits.values()) == {6}, limits
