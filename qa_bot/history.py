"""Conversation history in the shapes callers send it, normalised to (user, assistant) pairs."""

from __future__ import annotations

from typing import Any, Sequence, Union

History = Sequence[Union[tuple[str, str], list[str], dict[str, Any]]]


def normalise_history(history: History | None) -> list[tuple[str, str]]:
    """Accept ``[[user, assistant], ...]``, ``[{"role": ..., "content": ...}, ...]`` or plain strings
    (earlier questions without their answers, as a questions file may give them).

    Raises ValueError with the position of the first turn it cannot read.
    """
    if not history:
        return []
    turns: list[tuple[str, str]] = []
    pending_user: str | None = None
    for i, item in enumerate(history):
        if isinstance(item, dict):
            role, content = item.get("role"), _text(item.get("content"))
            if role == "user":
                if pending_user is not None:
                    turns.append((pending_user, ""))
                pending_user = content
            elif role == "assistant":
                turns.append((pending_user or "", content))
                pending_user = None
            elif role != "system":
                raise ValueError(f"history turn {i + 1}: unknown role {role!r}")
        elif isinstance(item, (list, tuple)) and len(item) == 2:
            turns.append((_text(item[0]), _text(item[1])))
        elif isinstance(item, str):
            turns.append((item, ""))
        else:
            raise ValueError(f"history turn {i + 1}: expected [user, assistant], {{role, content}} or a question")
    if pending_user is not None:
        turns.append((pending_user, ""))
    return [(u, a) for u, a in turns if u or a]


def _text(value: Any) -> str:
    """Message content as plain text (Gradio may send lists of parts)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return " ".join(_text(v.get("text") if isinstance(v, dict) else v) for v in value)
    if isinstance(value, dict):
        return _text(value.get("text") or value.get("content"))
    return str(value)
