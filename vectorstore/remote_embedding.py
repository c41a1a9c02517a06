"""Embeddings from an OpenAI-compatible ``/v1/embeddings`` server (vLLM, Ollama, llama.cpp, Infinity, TEI).

For a server that embeds for several UI processes, or a GPU box. Chunks are still sized with
the packaged MiniLM tokenizer (a conservative stand-in: a server's model decides its own limit).
Vectors are normalised here, so cosine search behaves as with the local model. Its identity
(``openai:<model>``) is recorded in the store like the local model's: a store made by one is
refused by the other.
"""

from __future__ import annotations

from functools import cached_property
from typing import Callable, Sequence

import numpy as np

from vectorstore import embedding_backends as eb
from vectorstore.embedding import Embedder, default_model_path, tokenizer_file_counter


class EmbeddingServerError(RuntimeError):
    """The embeddings server is down or answered with an error; the message names its URL."""


class RemoteEmbedder(Embedder):
    """The :class:`Embedder` interface over HTTP: batched requests, retries with backoff, clear errors."""

    def __init__(self, base_url: str, model: str, api_key: str = "not-needed", timeout_s: float = 60.0,
                 max_retries: int = 2, batch_size: int = 64, tokenizer_path: str | None = None):
        super().__init__(tokenizer_path or default_model_path(), batch_size=batch_size, backend="fp32")
        self.base_url = base_url.rstrip("/")
        self.remote_model = model
        self.api_key = api_key
        self.timeout_s = timeout_s
        self.max_retries = max_retries

    @cached_property
    def client(self):
        from openai import OpenAI  # retries connection errors, 408/409/429 and 5xx with exponential backoff

        return OpenAI(base_url=self.base_url, api_key=self.api_key, timeout=self.timeout_s,
                      max_retries=self.max_retries)

    @property
    def selection(self) -> eb.Selection:
        return eb.Selection("openai", "forced")

    @cached_property
    def identity(self) -> str:
        return f"openai:{self.remote_model}"

    @cached_property
    def dimension(self) -> int:  # type: ignore[override]
        return int(self.encode_with("openai", ["dimension probe"]).shape[1])

    def tokenizer_counter(self) -> Callable[[str], int]:
        """Word pieces of the packaged MiniLM tokenizer (its tokenizer.json only; the model is not loaded)."""
        return tokenizer_file_counter(self.model_path)

    def encode_with(self, backend: str, texts: Sequence[str]) -> np.ndarray:
        rows: list[list[float]] = []
        texts = list(texts)
        for start in range(0, len(texts), self.batch_size):
            rows += self._request(texts[start:start + self.batch_size])
        vectors = np.asarray(rows, dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.where(norms == 0, 1.0, norms)

    def _request(self, batch: list[str]) -> list[list[float]]:
        import openai

        where = f"the embeddings server at {self.base_url}"
        try:
            response = self.client.embeddings.create(model=self.remote_model, input=batch, encoding_format="float")
        except openai.APIConnectionError as exc:
            raise EmbeddingServerError(f"cannot reach {where}: {exc.__cause__ or exc}") from None
        except openai.APIStatusError as exc:
            raise EmbeddingServerError(f"{where} answered {exc.status_code}: {_short(exc.message)}") from None
        data = sorted(response.data, key=lambda d: d.index)
        if len(data) != len(batch):
            raise EmbeddingServerError(f"{where} returned {len(data)} vectors for {len(batch)} texts")
        return [d.embedding for d in data]


def _short(text: str, limit: int = 200) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit] + "…"
