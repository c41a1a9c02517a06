"""Prompt templates, one file per prompt, loaded by name."""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources


@lru_cache(maxsize=None)
def load_prompt(name: str) -> str:
    """The text of ``prompts/<name>.txt``; raises KeyError naming the missing prompt."""
    try:
        return resources.files(__name__).joinpath(f"{name}.txt").read_text(encoding="utf-8").strip("\n")
    except FileNotFoundError:
        raise KeyError(f"no prompt named '{name}' in the prompts package") from None


def render(name: str, **values: object) -> str:
    """Fill a prompt's {placeholders}; values are inserted as plain text, never re-parsed."""
    template = load_prompt(name)
    return re.sub(r"\{(\w+)\}", lambda m: str(values[m.group(1)]) if m.group(1) in values else m.group(0), template)
