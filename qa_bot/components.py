"""Builds the bot's parts from settings, once, lazily (nothing heavy loads until used)."""

from __future__ import annotations

import logging
import threading
from functools import cached_property

from qa_bot.queueing import GenerationQueue
from qa_bot.settings import Settings

log = logging.getLogger(__name__)


class Components:
    """The embedder, store, retriever, ingestor and LLM chosen by one Settings object."""

    def __init__(self, settings: Settings, llm=None):
        """``llm``: a chat model already loaded, to share one model between stores (benchmarks)."""
        self.settings = settings
        self._llm_lock = threading.Lock()
        self._llm = llm
        # the line questions wait in for the language model (llm_concurrency answers at a time)
        self.generation_queue = GenerationQueue(settings.llm_concurrency)
        self.verifier_notice = ""  # set when the verifier falls back from the trained checker

    @cached_property
    def embedder(self):
        from vectorstore.embedding import Embedder

        s = self.settings
        if s.embedding_backend == "openai":
            from vectorstore.remote_embedding import RemoteEmbedder

            return RemoteEmbedder(s.embedding_base_url or "", s.embedding_model, api_key=s.embedding_api_key,
                                  timeout_s=s.openai_timeout_s, max_retries=s.openai_max_retries,
                                  batch_size=s.embed_batch_size, tokenizer_path=s.embedder_path)
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

        return ChunkStore(self.settings.store_config())

    @cached_property
    def retriever(self):
        from vectorstore.retrieval import HybridRetriever

        return HybridRetriever(self.store, self.embedder, self.settings.retrieval_config())

    @cached_property
    def langchain_retriever(self):
        """The same retriever as a LangChain ``BaseRetriever`` (Documents), for other LangChain applications."""
        from vectorstore.langchain_retriever import HybridLangChainRetriever

        return HybridLangChainRetriever(retriever=self.retriever)

    @cached_property
    def ingestor(self):
        from vectorstore.ingest import Ingestor

        return Ingestor(self.settings.ingest_config(), self.store, self.embedder)

    @cached_property
    def verifier(self):
        """The citation verifier: the trained support checker, or the overlap blend when it is off or unusable.

        ``verifier_notice`` says why the fallback is in use, so the UI and CLI can tell the user.
        """
        from qa_bot.checking.model import CheckerUnavailable, SupportChecker
        from qa_bot.citations import ASSERTION_CHECKS, Verifier
        from qa_bot.steps import Rules

        s = self.settings
        rules = Rules(s.disabled_rules)
        checker, weight, threshold = None, 1.0, s.support_threshold
        if s.verifier in ("model", "combined"):
            try:
                loaded = SupportChecker(s.checker_path, threads=s.threads,
                                        threshold=s.checker_threshold if s.verifier == "model" else None,
                                        precision=s.checker_precision).load()
                if s.verifier == "combined":
                    weight, threshold = loaded.combined(s.checker_weight, s.checker_threshold)
                checker = loaded
            except CheckerUnavailable as exc:
                self.verifier_notice = f"Support checker unavailable ({exc}); citations are checked by word overlap instead."
                log.warning(self.verifier_notice)
        return Verifier(self.embedder.embed, threshold, checker=checker, rules=s.checker_rules,
                        clause_support=rules.on("clause_support"),
                        premises_skipped=rules.on("question_premises"), checker_weight=weight,
                        checks=[c for c in ASSERTION_CHECKS if rules.on(c)],
                        verified_threshold=s.verified_threshold if checker is None or weight < 1.0 else None)

    def llm(self):
        """The chat model for the configured backend, or None when answering is extractive-only."""
        with self._llm_lock:
            if self._llm is None:
                from qa_bot.llm import make_chat_model

                model = make_chat_model(self.settings)
                if model is not None and self.settings.llm_replay_cache:
                    model = replaying(model, self.settings)
                if hasattr(model, "load"):
                    model.load()  # pay the model load here, while the UI says "Loading the language model"
                self._llm = model
            return self._llm

    def llm_loaded(self) -> bool:
        return self._llm is not None


def replaying(model, settings: Settings):
    """The chat model behind a replay cache (benchmarks: unchanged prompts cost nothing)."""
    from qa_bot.llm import describe
    from qa_bot.llm_cache import ReplayCache, ReplayingChatModel

    identity = {"model": describe(settings), "max_tokens": settings.llm_max_tokens, "context": settings.llm_context}
    return ReplayingChatModel(model, ReplayCache(settings.llm_replay_cache), identity)
