"""Prompts, one file per prompt, loaded by name as LangChain prompt templates.

``prompts/<name>.txt`` holds a prompt's text; a ``{word}`` in it is a placeholder, any other
brace is literal. The templates are LangChain ``PromptTemplate``/``ChatPromptTemplate`` objects
(issue 12: each piece plugs into other LangChain applications). Values are inserted as plain
text: braces inside a question or an article are never read as placeholders.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from langchain_core.prompts import ChatPromptTemplate, PromptTemplate

_PLACEHOLDER_OR_BRACE = re.compile(r"(\{\w+\})|([{}])")


@lru_cache(maxsize=None)
def load_prompt(name: str) -> str:
    """The text of ``prompts/<name>.txt``; raises KeyError naming the missing prompt."""
    try:
        return resources.files(__name__).joinpath(f"{name}.txt").read_text(encoding="utf-8").strip("\n")
    except FileNotFoundError:
        raise KeyError(f"no prompt named '{name}' in the prompts package") from None


def f_string(text: str) -> str:
    """A prompt file's text as an f-string template: ``{word}`` stays a placeholder, other braces are doubled."""
    return _PLACEHOLDER_OR_BRACE.sub(lambda m: m.group(1) or m.group(2) * 2, text)


@lru_cache(maxsize=None)
def prompt_template(name: str) -> PromptTemplate:
    """``prompts/<name>.txt`` as a LangChain ``PromptTemplate`` (built once)."""
    from langchain_core.prompts import PromptTemplate

    return PromptTemplate.from_template(f_string(load_prompt(name)))


@lru_cache(maxsize=None)
def chat_template(user: str, system: str | None = "system", history: bool = False) -> ChatPromptTemplate:
    """A chat prompt: the ``system`` prompt, the conversation so far (the ``history`` messages), then ``user``.

    The conversation is a ``MessagesPlaceholder`` named ``history``, present only when asked for.
    """
    from langchain_core.prompts import ChatPromptTemplate, MessagesPlaceholder

    parts: list = []
    if system is not None:
        parts.append(("system", f_string(load_prompt(system))))
    if history:
        parts.append(MessagesPlaceholder("history"))
    parts.append(("human", f_string(load_prompt(user))))
    return ChatPromptTemplate.from_messages(parts)
