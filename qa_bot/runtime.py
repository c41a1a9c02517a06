"""Process-wide switches that keep every library offline and its files under the data dir.

This is the one place that writes environment variables, and it writes them
from settings before any library that reads them is imported.
"""

from __future__ import annotations

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


def configure_offline_runtime(settings: Settings) -> None:
    """Force offline mode and point library caches/temp dirs into the data dir."""
    for key, value in OFFLINE_ENV.items():
        os.environ[key] = value
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    gradio_tmp = settings.data_dir / "gradio-tmp"
    os.environ.setdefault("GRADIO_TEMP_DIR", str(gradio_tmp))
    warnings.filterwarnings("ignore", message=".*TRANSFORMERS_CACHE.*")
    logging.getLogger("chromadb.telemetry").setLevel(logging.CRITICAL)
    logging.getLogger("httpx").setLevel(logging.WARNING)
