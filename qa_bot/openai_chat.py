"""The ``openai`` backend: any OpenAI-compatible server (llama_cpp.server, vLLM, Ollama, OpenAI).

LangChain's ``ChatOpenAI`` streams; the OpenAI client under it retries connection
errors, 408/409/429 and 5xx with exponential backoff and jitter (``max_retries``),
and bounds every request by ``timeout``. What this module adds: a server that is
down, too slow or answers an error becomes one :class:`ModelServerError` naming
its URL, instead of a traceback from deep inside the client.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

from langchain_openai import ChatOpenAI

from qa_bot.settings import Settings


class ModelServerError(RuntimeError):
    """The model server could not answer; the message is one line and names the URL."""


@contextmanager
def _as_server_error(url: str) -> Iterator[None]:
    import openai

    try:
        yield
    except openai.APITimeoutError as exc:
        raise ModelServerError(f"the model server at {url} did not answer in time ({exc})") from None
    except openai.APIConnectionError as exc:
        cause = exc.__cause__ or exc
        raise ModelServerError(f"cannot reach the model server at {url}: {type(cause).__name__}: {cause}") from None
    except openai.APIStatusError as exc:
        detail = str(exc).splitlines()[0][:300]
        raise ModelServerError(f"the model server at {url} answered HTTP {exc.status_code}: {detail}") from None


class OpenAICompatibleChat(ChatOpenAI):
    """``ChatOpenAI`` whose failures are one-line errors naming the server."""

    def _url(self) -> str:
        return self.openai_api_base or "https://api.openai.com/v1"

    def _stream(self, *args: Any, **kwargs: Any):
        with _as_server_error(self._url()):
            yield from super()._stream(*args, **kwargs)

    def _generate(self, *args: Any, **kwargs: Any):
        with _as_server_error(self._url()):
            return super()._generate(*args, **kwargs)


def openai_chat_model(settings: Settings) -> OpenAICompatibleChat:
    """The chat model for ``llm_backend = "openai"``."""
    if not settings.openai_base_url and settings.openai_api_key == "not-needed":
        raise ValueError("the openai backend needs QA_BOT_OPENAI_BASE_URL (or a real QA_BOT_OPENAI_API_KEY)")
    return OpenAICompatibleChat(
        base_url=settings.openai_base_url,
        model=settings.openai_model,
        api_key=settings.openai_api_key,
        temperature=settings.llm_temperature,
        max_tokens=settings.llm_max_tokens,
        streaming=True,
        timeout=settings.openai_timeout_s,
        max_retries=settings.openai_max_retries,
    )
