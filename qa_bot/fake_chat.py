"""A deterministic fake chat model (``llm_backend = "fake"``), so the generative pipeline has fast tests.

It is LangChain's ``GenericFakeChatModel`` (which streams a reply word by word) whose reply
is computed from the prompt instead of taken from a list:

- asked to answer from numbered sources, it repeats the source sentence sharing most
  words with the question, cited with that source's number ("… [2]"); with no such
  sentence it says the sources do not say;
- asked to rewrite a follow-up, it puts the first name of the previous question in place of
  the follow-up's first pronoun ("When did he say it?" -> "When did Stoltenberg say it?").

It reads the prompts the pipeline sends (``prompts/answer.txt``, ``prompts/source.txt``,
``prompts/rewrite.txt`` or ``rewrite_tagged.txt``); it is a stand-in for testing the pipeline's logic, not a model.
"""

from __future__ import annotations

import re
from typing import Any, Iterator

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import Field

from vectorstore.bm25 import tokenize
from vectorstore.chunking import sentence_texts

_SOURCE = re.compile(r"^Source \[(\d+)\] \([^\n]*?\): (.*)$", re.MULTILINE)
_QUESTION = re.compile(r"^Question: (.*)$", re.MULTILINE)
_REWRITE = re.compile(r"Conversation:\n(.*)\n\nLast question: (.*)\n\nStandalone question:"  # prompts/rewrite.txt
                      r"|<conversation>\n(.*)\n</conversation>\n\n<question>(.*)</question>", re.DOTALL)  # rewrite_tagged
_PRONOUN = re.compile(r"\b(he|she|him|her|they|them|it|this|that)\b", re.IGNORECASE)
_NAME = re.compile(r"(?<!^)\b([A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+)*)")
NOT_FOUND = "The sources do not say."


class SourceEchoChat(GenericFakeChatModel):
    """Replies computed from the prompt; every call sees its messages recorded in ``prompts`` (for tests)."""

    messages: Iterator[AIMessage | str] = Field(default_factory=lambda: iter(()))
    prompts: list[str] = Field(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "source-echo-fake"

    def _generate(self, messages: list[BaseMessage], stop=None, run_manager=None, **kwargs: Any) -> ChatResult:
        prompt = str(messages[-1].content) if messages else ""
        self.prompts.append("\n\n".join(str(m.content) for m in messages))
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=reply(prompt)))])


def reply(prompt: str) -> str:
    """What the fake model answers to one prompt."""
    rewrite = _REWRITE.search(prompt)
    if rewrite:
        history, question = (rewrite.group(1), rewrite.group(2)) if rewrite.group(2) else rewrite.group(3, 4)
        return rewritten(history, question)
    question = _QUESTION.search(prompt)
    wanted = set(tokenize(question.group(1))) if question else set()
    best, best_shared = "", 0
    for n, text in _SOURCE.findall(prompt):
        for sentence in sentence_texts(text.replace(" ... ", " ")):
            shared = len(wanted & set(tokenize(sentence)))
            if shared > best_shared:
                best, best_shared = f"{sentence.strip().rstrip('.')} [{n}].", shared
    return best or NOT_FOUND


def rewritten(history: str, question: str) -> str:
    """The follow-up with its first pronoun replaced by the first name of the previous question."""
    users = re.findall(r"^User: (.*)$", history, re.MULTILINE)
    name = _NAME.search(users[-1]) if users else None
    if not name:
        return question
    if _PRONOUN.search(question):
        return _PRONOUN.sub(name.group(1), question, count=1)
    return f"{question.rstrip('?')} about {name.group(1)}?"
