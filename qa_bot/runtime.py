"""Process-wide switches that keep every library offline and its files under the data dir.

This is the one place that writes environment variables, and it writes them
from settings before any library that reads them is imported.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import warnings

from qa_bot.settings import Settings

OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "ANONYMIZED_TELEMETRY": "False",
    "TOKENIZERS_PARALLELISM": "false",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "TRANSFORMERS_VERBOSITY": "error",
}


_M_ARENA_MAX = -8  # glibc's mallopt parameter number for the arena cap
MALLOC_ARENAS = 2


def limit_malloc_arenas(arenas: int = MALLOC_ARENAS) -> bool:
    """Cap glibc malloc's arenas (default: 8 per core); True when the cap was set.

    Chroma's, Tantivy's and the tokenizer's threads each get an arena, and memory freed in
    one stays there: a 10k-article ingest peaked at 557 MB with the default and 403 MB with
    2 arenas (docs/benchmarks.md, "Ingest memory"). Applies to arenas created after the call,
    so it runs first thing. ``MALLOC_ARENA_MAX`` in the environment wins; elsewhere than glibc
    this does nothing.
    """
    if os.environ.get("MALLOC_ARENA_MAX"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return bool(libc.mallopt(_M_ARENA_MAX, arenas))
    except (OSError, AttributeError):
        return False


def configure_offline_runtime(settings: Settings) -> None:
    """Force offline mode and point library caches/temp dirs into the data dir."""
    limit_malloc_arenas()
    for key, value in OFFLINE_ENV.items():
        os.environ[key] = value
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    gradio_tmp = settings.data_dir / "gradio-tmp"
    os.environ.setdefault("GRADIO_TEMP_DIR", str(gradio_tmp))
    warnings.filterwarnings("ignore", message=".*TRANSFORMERS_CACHE.*")
    logging.getLogger("chromadb.telemetry").setLevel(logging.CRITICAL)
    logging.getLogger("httpx").setLevel(logging.WARNING)
