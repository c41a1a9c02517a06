"""Builds the bot's parts from settings, once, lazily (nothing heavy loads until used)."""

from __future__ import annotations

import threading
from functools import cached_property

from qa_bot.settings import Settings


class Components:
    """The embedder, store, retriever, ingestor and LLM chosen by one Settings object."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._llm_lock = threading.Lock()
        self._llm = None

    @cached_property
    def embedder(self):
        from vectorstore.embedding import Embedder

        s = self.settings
        return Embedder(
            s.embedder_path,
            batch_size=s.embed_batch_size,
            bf16=s.embed_bf16,
            threads=s.threads,
            backend=s.embed_backend,
            cache_dir=s.data_dir / "embedder",
        )

    @cached_property
    def store(self):
        from vectorstore.store import ChunkStore

        return ChunkStore(self.settings)

    @cached_property
    def retriever(self):
        from vectorstore.retrieval import HybridRetriever

        return HybridRetriever(self.store, self.embedder, self.settings)

    @cached_property
    def ingestor(self):
        from vectorstore.ingest import Ingestor

        return Ingestor(self.settings, self.store, self.embedder)

    def llm(self):
        """The chat model for the configured backend, or None when answering is extractive-only."""
        with self._llm_lock:
            if self._llm is None:
                from qa_bot.llm import make_chat_model

                model = make_chat_model(self.settings)
                if hasattr(model, "load"):
                    model.load()  # pay the model load here, while the UI says "Loading the language model"
                self._llm = model
            return self._llm

    def llm_loaded(self) -> bool:
        return self._llm is not None
