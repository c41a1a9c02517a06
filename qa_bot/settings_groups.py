"""Settings grouped by concern, for TOML files and profiles.

The settings object stays flat (``settings.llm_backend``: one name per knob, the same as its
``QA_BOT_LLM_BACKEND`` variable), but people read and write configuration by concern. A TOML
file may therefore use sections, one per group, with the group's prefix left out::

    [llm]
    backend = "openai"          # = llm_backend
    openai_base_url = "http://127.0.0.1:8081/v1"

    [store]
    mode = "http"               # = store_mode

Flat top-level keys (``llm_backend = "openai"``) keep working. An unknown section or key is an
error naming the file and the closest known name: a typo must not silently leave a default.
Profiles are TOML files shipped in ``qa_bot/profiles/`` (``QA_BOT_PROFILE`` or ``--profile``).
"""

from __future__ import annotations

import difflib
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any, Iterable, Mapping

# Every settings field belongs to exactly one group (tests/test_settings_groups.py checks it).
GROUPS: dict[str, tuple[str, ...]] = {
    "store": ("data_dir", "articles_dir", "articles_metadata", "store_mode", "store_path", "store_host",
              "store_port", "store_ssl", "store_token", "store_token_header", "collection", "keyword_index_path",
              "keyword_commit_seconds"),
    "ingest": ("max_file_mb", "chunk_tokens", "chunk_overlap_tokens", "embed_batch_size", "embed_backend",
               "embed_bf16", "embedder_path", "embedding_backend", "embedding_base_url", "embedding_model",
               "embedding_api_key", "device", "threads"),
    "retrieval": ("k", "candidates", "fusion", "rrf_k", "bm25_weight", "dense_weight", "max_chunks_per_article",
                  "publisher_boost", "same_article_decay", "metadata_in_index", "context_chunks"),
    "answering": ("mode", "history_turns", "rewrite_prompt", "min_relevance", "passage_words", "prompt_sources",
                  "answer_prompt", "disabled_rules"),
    "llm": ("llm_backend", "llm_model", "llm_model_path", "llm_context", "llm_max_tokens", "llm_temperature",
            "llm_replay_cache", "llm_concurrency", "llm_threads", "llm_batch", "llm_flash_attn", "llm_lookup_tokens",
            "openai_base_url", "openai_model", "openai_api_key", "openai_timeout_s", "openai_max_retries"),
    "verifier": ("verifier", "support_threshold", "verified_threshold", "checker_path", "checker_threshold", "checker_weight", "checker_rules",
                 "checker_precision"),
    "ui": ("ui_host", "ui_port", "ui_auth", "ui_max_upload_mb", "ui_concurrency", "ui_examples"),
}
# Inside a section these prefixes may be left out: [llm] backend = llm_backend, [verifier] threshold = checker_threshold.
SHORT_PREFIXES: dict[str, tuple[str, ...]] = {
    "store": ("store_",), "llm": ("llm_",), "verifier": ("checker_",), "ui": ("ui_",),
}
GROUP_OF: dict[str, str] = {name: group for group, names in GROUPS.items() for name in names}
PROFILES_PACKAGE = "qa_bot.profiles"


class ConfigFileError(ValueError):
    """A TOML file that names a section or key qa-bot does not have."""


def short_name(group: str, field: str) -> str:
    """The key a field has inside its group's section."""
    for prefix in SHORT_PREFIXES.get(group, ()):
        if field.startswith(prefix):
            return field[len(prefix):]
    return field


def _suggest(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def flatten(data: Mapping[str, Any], origin: str) -> dict[str, Any]:
    """A TOML document, sectioned or flat, as flat field names; unknown names are an error."""
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if key in GROUPS and isinstance(value, Mapping):
            for inner, inner_value in value.items():
                field = _field_in_group(key, inner, origin)
                flat[field] = inner_value
        elif key in GROUP_OF:
            flat[key] = value
        else:
            raise ConfigFileError(f"{origin}: unknown setting '{key}'{_suggest(key, [*GROUP_OF, *GROUPS])}; "
                                  f"sections are {', '.join(f'[{g}]' for g in GROUPS)}")
    return flat


def _field_in_group(group: str, key: str, origin: str) -> str:
    names = GROUPS[group]
    if key in names:
        return key
    for prefix in SHORT_PREFIXES.get(group, ()):
        if prefix + key in names:
            return prefix + key
    known = [short_name(group, n) for n in names]
    where = f" (it belongs in [{GROUP_OF[key]}])" if key in GROUP_OF else _suggest(key, known)
    raise ConfigFileError(f"{origin}: [{group}] has no setting '{key}'{where}; it has: {', '.join(known)}")


def read_toml(path: Path) -> dict[str, Any]:
    """A settings file as flat field names, with errors that name the file."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigFileError(f"{path}: not valid TOML ({exc})") from None
    return flatten(data, str(path))


def profile_names() -> list[str]:
    """The profiles shipped with qa-bot."""
    return sorted(p.name[:-5] for p in resources.files(PROFILES_PACKAGE).iterdir() if p.name.endswith(".toml"))


def read_profile(name: str) -> dict[str, Any]:
    """A shipped profile as flat field names; an unknown name is an error listing the known ones."""
    resource = resources.files(PROFILES_PACKAGE).joinpath(f"{name}.toml")
    if not resource.is_file():
        raise ConfigFileError(f"no profile named '{name}'{_suggest(name, profile_names())}; "
                              f"profiles: {', '.join(profile_names())}")
    data = tomllib.loads(resource.read_text(encoding="utf-8"))
    return flatten(data, f"profile {name}")


def grouped(values: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Flat settings values as ``{group: {short key: value}}``, in the groups' order."""
    return {group: {short_name(group, n): values[n] for n in names if n in values} for group, names in GROUPS.items()}


def to_toml(values: Mapping[str, Any]) -> str:
    """Settings values as a sectioned TOML document (unset values as comments), e.g. for ``qa-bot config``."""
    import tomlkit

    doc = tomlkit.document()
    for group, items in grouped(values).items():
        table = tomlkit.table()
        for key, value in items.items():
            if value is None:
                table.add(tomlkit.comment(f"{key} = (not set)"))
            else:
                table.add(key, str(value) if isinstance(value, Path) else value)
        doc.add(group, table)
    return tomlkit.dumps(doc)
