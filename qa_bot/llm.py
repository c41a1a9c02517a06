"""Chat models chosen by settings: embedded llama.cpp, any OpenAI-compatible endpoint, a fake for tests, or none.

Both backends are LangChain chat models, so the pipeline streams from either
the same way (``model.stream(messages)``).
"""

from __future__ import annotations

import threading
from typing import Any, Iterator

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import ConfigDict, PrivateAttr

from qa_bot.settings import Settings

_ROLES = {"human": "user", "ai": "assistant", "system": "system"}


class LlamaCppChat(BaseChatModel):
    """A GGUF model run in-process by llama-cpp-python, using the GGUF's own chat template."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    model_path: str
    n_ctx: int = 4096
    n_threads: int = 2
    n_batch: int = 512
    flash_attn: bool = False
    lookup_tokens: int = 0  # prompt-lookup decoding: tokens drafted from the prompt per step (0 = off)
    max_tokens: int = 256
    temperature: float = 0.0
    _llama: Any = PrivateAttr(default=None)
    _lock: Any = PrivateAttr(default_factory=threading.Lock)
    _load_lock: Any = PrivateAttr(default_factory=threading.Lock)
    _prompt: tuple[int, int] = PrivateAttr(default=(0, 0))  # (prompt tokens, of which reused from the cache)

    @property
    def _llm_type(self) -> str:
        return "llama-cpp"

    def load(self) -> None:
        """Load the GGUF once (a few seconds); safe to call from several threads."""
        with self._load_lock:
            if self._llama is not None:
                return
            from llama_cpp import Llama

            llama = Llama(
                model_path=self.model_path,
                n_ctx=self.n_ctx,
                n_threads=self.n_threads,
                n_threads_batch=self.n_threads,
                n_batch=self.n_batch,
                n_ubatch=self.n_batch,
                flash_attn=self.flash_attn,
                verbose=False,
            )
            if self.lookup_tokens:
                _draft_from_prompt(llama, self.lookup_tokens)
            self._llama = self._count_prompts(llama)

    def _count_prompts(self, llama: Any) -> Any:
        """Record each prompt's length and how much of it the KV cache already held.

        llama.cpp keeps the previous prompt's tokens in its cache and evaluates only what
        follows the longest common prefix (the fixed system prompt, when the previous call
        was an answer too); this reads that prefix the same way, so answers can report the
        prompt tokens really evaluated.
        """
        generate = llama.generate

        def counted(tokens, *args, **kwargs):
            tokens = list(tokens)
            reused = _common_prefix(llama._input_ids[: llama.n_tokens].tolist(), tokens)
            self._prompt = (len(tokens), min(reused, len(tokens) - 1))
            return generate(tokens, *args, **kwargs)

        llama.generate = counted
        return llama

    def warm_up(self) -> None:
        """Load the model and put the fixed system prompt in its cache, so the first answer pays neither."""
        from prompts import load_prompt

        self.load()
        with self._lock:
            self._llama.create_chat_completion(
                messages=[{"role": "system", "content": load_prompt("system")}, {"role": "user", "content": "Hello"}],
                max_tokens=1, temperature=0.0)

    def _payload(self, messages: list[BaseMessage], stop: list[str] | None, **kwargs: Any) -> dict:
        return dict(
            messages=[{"role": _ROLES.get(m.type, "user"), "content": str(m.content)} for m in messages],
            max_tokens=kwargs.get("max_tokens", self.max_tokens),
            temperature=self.temperature,
            stop=stop or None,
        )

    def _generate(self, messages, stop=None, run_manager: CallbackManagerForLLMRun | None = None, **kwargs) -> ChatResult:
        text = "".join(chunk.message.content for chunk in self._stream(messages, stop, run_manager, **kwargs))
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])

    def _stream(self, messages, stop=None, run_manager: CallbackManagerForLLMRun | None = None, **kwargs) -> Iterator[ChatGenerationChunk]:
        self.load()
        with self._lock:  # one llama.cpp context serves one generation at a time
            generated = 0
            for part in self._llama.create_chat_completion(stream=True, **self._payload(messages, stop, **kwargs)):
                delta = part["choices"][0]["delta"].get("content")
                if delta:
                    generated += 1  # a delta is one token, except where llama.cpp holds back a partial stop word
                    chunk = ChatGenerationChunk(message=AIMessageChunk(content=delta))
                    if run_manager:
                        run_manager.on_llm_new_token(delta, chunk=chunk)
                    yield chunk
            prompt, reused = self._prompt
        usage = {"input_tokens": prompt, "output_tokens": generated, "total_tokens": prompt + generated,
                 "input_token_details": {"cache_read": reused}}
        yield ChatGenerationChunk(message=AIMessageChunk(content="", usage_metadata=usage))


def _draft_from_prompt(llama: Any, tokens: int) -> None:
    """Prompt-lookup decoding: after the last token, guess the next ``tokens`` from where that pair of tokens
    last occurred in the prompt, and check the guesses in one batch (greedy: the text stays the model's own).

    llama-cpp-python turns on logits for every position once a draft model is set, the prompt's
    too (the output layer run for each of ~600 prompt tokens and their logits copied); only the
    short batches that check guesses need them, so only those get them here.
    """
    from llama_cpp.llama_speculative import LlamaPromptLookupDecoding

    llama.draft_model = LlamaPromptLookupDecoding(max_ngram_size=2, num_pred_tokens=tokens)
    set_batch = llama._batch.set_batch

    def set_batch_with_guesses(batch, n_past, logits_all):
        return set_batch(batch=batch, n_past=n_past, logits_all=logits_all or len(batch) <= tokens + 1)

    llama._batch.set_batch = set_batch_with_guesses


def _common_prefix(a: list[int], b: list[int]) -> int:
    """How many leading tokens two token lists share."""
    return next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))


def make_chat_model(settings: Settings) -> BaseChatModel | None:
    """The configured chat model; None for ``llm_backend = "none"`` (extractive answers only)."""
    match settings.llm_backend:
        case "llamacpp":
            from qa_bot.models import resolve_model_path

            return LlamaCppChat(
                model_path=str(resolve_model_path(settings)),
                n_ctx=settings.llm_context,
                n_threads=settings.llm_threads or settings.threads,
                n_batch=settings.llm_batch,
                flash_attn=settings.llm_flash_attn,
                lookup_tokens=settings.llm_lookup_tokens,
                max_tokens=settings.llm_max_tokens,
                temperature=settings.llm_temperature,
            )
        case "openai":
            from qa_bot.openai_chat import openai_chat_model

            return openai_chat_model(settings)
        case "fake":
            from qa_bot.fake_chat import SourceEchoChat

            return SourceEchoChat()
        case "none":
            return None
    raise ValueError(f"unknown llm_backend {settings.llm_backend!r}")


def describe(settings: Settings) -> str:
    """A short human label for the active backend (shown in the UI and reports)."""
    match settings.llm_backend:
        case "llamacpp":
            return f"llama.cpp: {settings.llm_model_path or settings.llm_model}"
        case "openai":
            return f"OpenAI-compatible: {settings.openai_model} at {settings.openai_base_url or 'api.openai.com'}"
        case "fake":
            return "fake (cites the source sentence closest to the question; for tests)"
        case _:
            return "none (extractive answers)"
