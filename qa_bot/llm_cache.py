"""Replay cache for chat-model answers, so quality ablations do not pay for unchanged prompts.

Greedy decoding (temperature 0) returns the same text for the same messages, so a benchmark
that switches one step off only needs the model for the prompts that step changes. The cache
key is the model's identity, its decoding settings and the exact messages; a hit replays the
stored text and usage. Timings from a run with the cache are meaningless (the eval run records
that it was on), and it refuses a model that samples (temperature > 0). Off unless
``llm_replay_cache`` names a file.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from pathlib import Path
from typing import Any, Iterator

from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage


class ReplayCache:
    """A SQLite file of (key -> answer text, usage) shared by the processes of one benchmark."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(self.path), check_same_thread=False, timeout=30)
        self._db.execute("CREATE TABLE IF NOT EXISTS answers (key TEXT PRIMARY KEY, text TEXT, usage TEXT)")
        self._db.commit()
        self.hits = self.misses = 0

    def get(self, key: str) -> tuple[str, dict | None] | None:
        with self._lock:
            row = self._db.execute("SELECT text, usage FROM answers WHERE key = ?", (key,)).fetchone()
        if row is None:
            self.misses += 1
            return None
        self.hits += 1
        return row[0], json.loads(row[1]) if row[1] else None

    def put(self, key: str, text: str, usage: dict | None) -> None:
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO answers VALUES (?, ?, ?)",
                             (key, text, json.dumps(usage) if usage else None))
            self._db.commit()


def cache_key(identity: dict, messages: list[BaseMessage], kwargs: dict) -> str:
    payload = {"model": identity, "kwargs": {k: kwargs[k] for k in sorted(kwargs)},
               "messages": [[m.type, str(m.content)] for m in messages]}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


class ReplayingChatModel:
    """Wraps a chat model: ``stream`` and ``invoke`` replay cached answers, everything else passes through."""

    def __init__(self, model: Any, cache: ReplayCache, identity: dict):
        if float(getattr(model, "temperature", 0.0) or 0.0) > 0:
            raise ValueError("llm_replay_cache needs greedy decoding (llm_temperature 0): a sampling model's "
                             "answers are not reproducible")
        self._model, self._cache, self._identity = model, cache, identity

    def __getattr__(self, name: str) -> Any:
        return getattr(self._model, name)

    def stream(self, messages: list[BaseMessage], **kwargs: Any) -> Iterator[AIMessageChunk]:
        key = cache_key(self._identity, messages, kwargs)
        hit = self._cache.get(key)
        if hit is not None:
            text, usage = hit
            yield AIMessageChunk(content=text, usage_metadata=usage)
            return
        parts, usage = [], None
        for chunk in self._model.stream(messages, **kwargs):
            parts.append(str(chunk.content))
            usage = getattr(chunk, "usage_metadata", None) or usage
            yield chunk
        self._cache.put(key, "".join(parts), dict(usage) if usage else None)

    def invoke(self, messages: list[BaseMessage], **kwargs: Any) -> AIMessage:
        key = cache_key(self._identity, messages, kwargs)
        hit = self._cache.get(key)
        if hit is not None:
            return AIMessage(content=hit[0])
        message = self._model.invoke(messages, **kwargs)
        self._cache.put(key, str(message.content), None)
        return message
