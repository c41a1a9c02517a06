"""The embedder's candidate backends, timed once per machine, and the rule that picks one.

Candidates: ``fp32`` and ``bf16`` (torch, bf16 by CPU autocast), ``onnx`` (ONNX
Runtime on an export of the same packaged weights, fp32) and ``onnx-int8`` (that
export dynamically quantized: int8 per-channel weights on the MatMuls but the
FFN down-projections).
Which one is fastest depends on the CPU (bf16 is native with AVX-512-BF16/AMX
and emulated, several times slower, without it), so it is measured, never
guessed from CPU flags: :func:`measure_backends` times each on a fixed probe
batch and its vectors' cosine to fp32, :func:`choose_backend` (pure) keeps the
fastest accurate one, and :func:`select_backend` caches the measurements in a
JSON file keyed by a machine fingerprint so later starts skip the timing.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import math
import os
import platform
import random
import re
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Mapping, Sequence

import numpy as np

log = logging.getLogger(__name__)

BACKENDS = ("fp32", "bf16", "onnx", "onnx-int8")
REFERENCE = "fp32"
# Least cosine to the fp32 vector of the same probe text a candidate may have.
MIN_COSINE = {"fp32": 1.0, "bf16": 0.999, "onnx": 0.99, "onnx-int8": 0.99}
# Bump when the probe, the export or the quantization changes: old cache entries are then measured again.
PROBE_VERSION = 1
CACHE_FILE = "backend.json"

Encode = Callable[[list[str]], np.ndarray]

_PROBE_SENTENCES = [
    "The central bank raised its benchmark interest rate by a quarter of a percentage point on Wednesday.",
    "Officials said the decision reflected persistent inflation in housing and services.",
    "Shares of the chipmaker fell eight percent after it cut its revenue forecast for the fourth quarter.",
    "The company blamed weaker demand for personal computers and a slowdown in data center spending.",
    "Rescue teams searched through the night for survivors after the earthquake struck the coastal region.",
    "The health ministry reported that more than two hundred people had been taken to hospitals.",
    "In the final minutes, the striker scored his second goal to give the visitors a narrow victory.",
    "The coach told reporters that the team had struggled with injuries throughout the season.",
    "Lawmakers passed the spending bill late on Friday, averting a government shutdown by a few hours.",
    "The measure funds federal agencies through the end of January and includes disaster relief.",
    "A federal judge ruled that the merger could proceed, rejecting the regulator's request to block it.",
    "Analysts expect the combined company to control nearly a third of the domestic market.",
    "The streaming service announced price increases for its premium plans starting next month.",
    "Subscribers in Europe and Asia will see smaller increases than those in the United States.",
    "Researchers found that the new battery design retained ninety percent of its capacity after a thousand cycles.",
    "The startup plans to begin commercial production at a factory in Nevada next year.",
    "Prosecutors told the jury that the former executive had misled investors about the firm's finances.",
    "Defense lawyers argued that their client relied on the advice of accountants and had no intent to deceive.",
    "The airline cancelled hundreds of flights as a winter storm swept across the northeast.",
    "Travelers were advised to check the status of their flights before leaving for the airport.",
]


def probe_texts(count: int = 32, words: int = 170, seed: int = 0) -> list[str]:
    """``count`` news-like texts of about ``words`` words (roughly one 200-word-piece chunk), the same every call."""
    rng = random.Random(seed)
    texts = []
    for _ in range(count):
        parts: list[str] = []
        while sum(len(p.split()) for p in parts) < words:
            parts.append(rng.choice(_PROBE_SENTENCES))
        texts.append(" ".join(parts))
    return texts


# --- choosing (pure) -------------------------------------------------------------


def choose_backend(
    candidates: Mapping[str, Mapping], allowed: Iterable[str] = BACKENDS, min_cosine: Mapping[str, float] = MIN_COSINE
) -> tuple[str, dict[str, str]]:
    """The fastest allowed candidate whose vectors stay close enough to fp32, and why each other one lost.

    ``candidates`` maps a backend to its measurement: ``chunks_per_s`` and
    ``min_cosine`` (to fp32) or ``error``. Ties go to the earlier backend in
    :data:`BACKENDS` (fp32 first). fp32 is the reference and always qualifies.
    """
    allowed = [b for b in BACKENDS if b in set(allowed)]
    reasons: dict[str, str] = {}
    passing: list[tuple[float, int, str]] = []
    for order, name in enumerate(allowed):
        m = candidates.get(name)
        if m is None:
            reasons[name] = "not measured"
        elif m.get("error"):
            reasons[name] = f"failed: {m['error']}"
        elif not _positive(m.get("chunks_per_s")):
            reasons[name] = "no timing"
        elif name != REFERENCE and not (_finite(m.get("min_cosine")) and m["min_cosine"] >= min_cosine[name]):
            reasons[name] = f"cosine to fp32 {_fmt(m.get('min_cosine'))} < {min_cosine[name]}"
        else:
            passing.append((-float(m["chunks_per_s"]), order, name))
    if not passing:
        raise RuntimeError(f"no usable embedding backend among {allowed}: {reasons}")
    passing.sort()
    best = passing[0][2]
    for _, _, name in passing[1:]:
        reasons[name] = f"slower ({candidates[name]['chunks_per_s']:.1f} vs {candidates[best]['chunks_per_s']:.1f} chunks/s)"
    return best, reasons


def _finite(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _positive(x) -> bool:
    return _finite(x) and x > 0


def _fmt(x) -> str:
    return f"{x:.4f}" if _finite(x) else str(x)


def describe(candidates: Mapping[str, Mapping]) -> str:
    """One line of timings and cosines, for the log and the benchmark."""
    parts = []
    for name in BACKENDS:
        m = candidates.get(name)
        if m is None:
            continue
        if m.get("error"):
            parts.append(f"{name} error ({m['error']})")
        else:
            parts.append(f"{name} {m['chunks_per_s']:.1f} chunks/s cos {_fmt(m.get('min_cosine'))}")
    return "; ".join(parts)


# --- measuring ---------------------------------------------------------------------


def measure_backends(
    names: Sequence[str],
    make_encoder: Callable[[str], Encode],
    texts: Sequence[str],
    warmup: Sequence[str],
    rounds: int = 2,
) -> dict[str, dict]:
    """Time each backend on ``texts`` (best of ``rounds``, interleaved) and take its least cosine to fp32.

    fp32 is always measured, as the reference. A backend that errors, or whose
    vectors are too far from fp32, is not timed again; nor is one more than
    twice as slow as the best after the first round.
    """
    order = [REFERENCE] + [n for n in dict.fromkeys(names) if n != REFERENCE]
    texts, warmup = list(texts), list(warmup)
    encoders: dict[str, Encode] = {}
    results: dict[str, dict] = {}
    reference: np.ndarray | None = None
    for _ in range(rounds):
        best = max((r["chunks_per_s"] for r in results.values() if "chunks_per_s" in r), default=0.0)
        for name in order:
            r = results.get(name)
            if r is not None and (r.get("error") or r["min_cosine"] < MIN_COSINE[name] or r["chunks_per_s"] * 2 < best):
                continue
            try:
                if name not in encoders:
                    t0 = time.perf_counter()
                    encoders[name] = make_encoder(name)
                    prepare_s = time.perf_counter() - t0
                    warm = encoders[name](warmup)
                t0 = time.perf_counter()
                vectors = encoders[name](texts)
                seconds = time.perf_counter() - t0
            except Exception as exc:  # noqa: BLE001 - any failure just disqualifies the candidate
                if name == REFERENCE:
                    raise
                log.info("embedding backend %s skipped: %s: %s", name, type(exc).__name__, exc)
                results[name] = {"error": f"{type(exc).__name__}: {exc}"[:300]}
                continue
            if r is None:
                both = np.vstack([warm, vectors]).astype(np.float32)
                if name == REFERENCE:
                    reference = both
                    cosine = 1.0
                else:
                    cosine = float(np.min(np.sum(reference * both, axis=1)))
                    cosine = cosine if math.isfinite(cosine) else -1.0
                r = results[name] = {"min_cosine": cosine, "prepare_s": round(prepare_s, 2)}
                if cosine < MIN_COSINE[name]:
                    log.info("embedding backend %s skipped: cosine to fp32 %.4f < %s", name, cosine, MIN_COSINE[name])
            if "seconds" not in r or seconds < r["seconds"]:
                r["seconds"] = round(seconds, 4)
                r["chunks_per_s"] = round(len(texts) / seconds, 2)
    return results


# --- the per-machine cache ----------------------------------------------------------


def machine_fingerprint(model_path: str, threads: int) -> dict:
    """What the timings depend on: CPU, its flags, library versions, thread count, model."""
    info: dict[str, str] = {}
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text(errors="replace").splitlines():
            key, _, value = line.partition(":")
            info.setdefault(key.strip().lower(), value.strip())  # the first processor's
    cpu = info.get("model name") or platform.processor() or platform.machine()
    flags = " ".join(sorted((info.get("flags") or info.get("features") or "").split()))
    import torch

    try:
        import onnxruntime

        ort_version = onnxruntime.__version__
    except ImportError:
        ort_version = None
    return {
        "cpu": cpu,
        "cpu_flags_sha256": hashlib.sha256(flags.encode()).hexdigest()[:16],
        "torch": torch.__version__,
        "onnxruntime": ort_version,
        "threads": threads,
        "model_path": str(model_path),
        "probe_version": PROBE_VERSION,
    }


def fingerprint_key(fingerprint: Mapping) -> str:
    return hashlib.sha256(json.dumps(fingerprint, sort_keys=True).encode()).hexdigest()[:16]


def read_cache(path: Path, key: str) -> dict[str, dict]:
    """The cached measurements for this machine, or {} when absent, for another machine, or unreadable."""
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text())
        entry = data["machines"].get(key)
        if entry is None:
            return {}
        candidates = entry["candidates"]
        for name, m in candidates.items():
            if name not in BACKENDS or not isinstance(m, dict):
                raise ValueError(f"bad candidate {name!r}")
            if not m.get("error") and not (_positive(m.get("chunks_per_s")) and _finite(m.get("min_cosine"))):
                raise ValueError(f"bad measurement for {name!r}")
        return {name: dict(m) for name, m in candidates.items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        log.warning("ignoring unreadable embedding backend cache %s (%s); measuring again", path, exc)
        return {}


def write_cache(path: Path, key: str, fingerprint: Mapping, candidates: Mapping, chosen: str, reasons: Mapping) -> None:
    """Record this machine's measurements (other machines' entries kept), atomically."""
    data: dict = {"version": 1, "machines": {}}
    with contextlib.suppress(OSError, ValueError, TypeError, AttributeError):
        old = json.loads(path.read_text())
        if isinstance(old.get("machines"), dict):
            data["machines"] = old["machines"]
    data["machines"][key] = {
        "fingerprint": dict(fingerprint),
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "chosen": chosen,
        "reasons": dict(reasons),
        "candidates": dict(candidates),
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        with os.fdopen(fd, "w") as fh:
            json.dump(data, fh, indent=2, sort_keys=True)
        os.replace(tmp, path)
    except OSError as exc:
        log.warning("could not write the embedding backend cache %s: %s", path, exc)


@dataclass
class Selection:
    backend: str
    source: str  # "forced", "cache" or "measured"
    candidates: dict[str, dict] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)


def select_backend(
    allowed: Sequence[str],
    fingerprint: Mapping,
    cache_path: Path | None,
    measure: Callable[[list[str]], dict[str, dict]],
) -> Selection:
    """The fastest accurate allowed backend by this machine's cached measurements, measuring what is missing."""
    key = fingerprint_key(fingerprint)
    cached = read_cache(cache_path, key) if cache_path else {}
    missing = [b for b in allowed if b not in cached]
    measured = measure(missing) if missing else {}
    candidates = {**cached, **measured}
    chosen, reasons = choose_backend(candidates, allowed)
    source = "measured" if measured else "cache"
    if measured and cache_path:
        write_cache(cache_path, key, fingerprint, candidates, chosen, reasons)
    log.info("embedding backend %s (%s): %s", chosen, source, describe(candidates))
    return Selection(chosen, source, candidates, reasons)


# --- the backends -------------------------------------------------------------------


def torch_encoder(model, batch_size: int, bf16: bool) -> Encode:
    """SentenceTransformer.encode, in bf16 CPU autocast or plain fp32."""
    import torch

    def encode(texts: list[str]) -> np.ndarray:
        ctx = torch.autocast("cpu", dtype=torch.bfloat16) if bf16 else contextlib.nullcontext()
        with torch.inference_mode(), ctx:
            vectors = model.encode(
                texts, batch_size=batch_size, convert_to_numpy=True, normalize_embeddings=True, show_progress_bar=False
            )
        return np.asarray(vectors, dtype=np.float32)

    return encode


def onnx_files(model, model_path: str, cache_dir: Path, int8: bool) -> Path:
    """The ONNX export (and its int8 version) of the loaded model, made once and kept in ``cache_dir``."""
    import torch

    weights = sorted(Path(model_path).glob("*.safetensors")) + sorted(Path(model_path).glob("*.bin"))
    stamp = [str(model_path), torch.__version__, PROBE_VERSION] + [[w.name, w.stat().st_size] for w in weights]
    key = hashlib.sha256(json.dumps(stamp).encode()).hexdigest()[:12]
    fp32_path = cache_dir / f"minilm-{key}-fp32.onnx"
    int8_path = cache_dir / f"minilm-{key}-int8.onnx"
    if not fp32_path.is_file():
        _export_onnx(model, fp32_path)
    if not int8:
        return fp32_path
    if not int8_path.is_file():
        _quantize_int8(fp32_path, int8_path)
    return int8_path


def _pooled_module(transformer):
    """Transformer -> masked mean pooling -> L2 normalisation, as one module to export."""
    import torch

    class Pooled(torch.nn.Module):
        def __init__(self, hf):
            super().__init__()
            self.hf = hf

        def forward(self, input_ids, attention_mask, token_type_ids):
            hidden = self.hf(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, dim=-1)

    return Pooled(transformer).eval()


_ONNX_INPUTS = ["input_ids", "attention_mask", "token_type_ids"]


def _check_pipeline(model) -> None:
    """The export reproduces Transformer + mean Pooling (+ Normalize); refuse any other module stack."""
    from sentence_transformers.models import Normalize, Pooling, Transformer

    modules = list(model)
    ok = (
        len(modules) in (2, 3)
        and isinstance(modules[0], Transformer)
        and isinstance(modules[1], Pooling)
        and _pooling_mode(modules[1]) == "mean"
        and (len(modules) == 2 or isinstance(modules[2], Normalize))
    )
    if not ok:
        raise ValueError(f"ONNX export supports Transformer + mean Pooling only, not {[type(m).__name__ for m in modules]}")


def _pooling_mode(pooling) -> str | None:
    mode = getattr(pooling, "pooling_mode", None)  # sentence-transformers >= 6
    if isinstance(mode, str):
        return mode
    on = [k for k, v in pooling.get_config_dict().items() if k.startswith("pooling_mode_") and v]
    return "mean" if on == ["pooling_mode_mean_tokens"] else ",".join(on) or None


def _export_onnx(model, out: Path) -> None:
    import torch

    _check_pipeline(model)
    out.parent.mkdir(parents=True, exist_ok=True)
    module = _pooled_module(model[0].auto_model)
    sample = model.tokenizer(["an example sentence", "and a second, longer one to pad"], padding=True, return_tensors="pt")
    args = tuple(sample[k] if k in sample else torch.zeros_like(sample["input_ids"]) for k in _ONNX_INPUTS)
    tmp = out.with_suffix(".tmp")
    axes = {k: {0: "batch", 1: "sequence"} for k in _ONNX_INPUTS} | {"embedding": {0: "batch"}}
    with warnings.catch_warnings(), torch.inference_mode():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            module, args, str(tmp), input_names=_ONNX_INPUTS, output_names=["embedding"],
            dynamic_axes=axes, opset_version=17, dynamo=False,
        )
    os.replace(tmp, out)


class _QuietRoot(logging.Filter):
    """The quantizer reports every tensor it leaves alone on the root logger; keep only its errors."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.ERROR


def _quantize_int8(src: Path, out: Path) -> None:
    """Dynamic int8, per-channel weights, on the MatMuls except each layer's FFN down-projection.

    Quantizing those too (or per tensor, or the embeddings) drifted probe texts to
    cosine 0.986 (0.95 per tensor) to fp32; leaving the six down-projections in
    fp32 kept it at >= 0.992 for most of the int8 speed-up.
    """
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    keep_fp32 = [n.name for n in onnx.load(str(src), load_external_data=False).graph.node
                 if n.op_type == "MatMul" and re.search(r"layer\.\d+/output/dense/", n.name)]
    tmp = out.with_suffix(".tmp")
    quiet = _QuietRoot()
    logging.getLogger().addFilter(quiet)
    try:
        quantize_dynamic(str(src), str(tmp), weight_type=QuantType.QInt8, per_channel=True,
                         op_types_to_quantize=["MatMul"], nodes_to_exclude=keep_fp32)
    finally:
        logging.getLogger().removeFilter(quiet)
    os.replace(tmp, out)


def onnx_encoder(path: Path, tokenizer, max_seq_length: int, batch_size: int, threads: int) -> Encode:
    """ONNX Runtime on an exported model: longest-first batches, padded per batch, like SentenceTransformer.encode."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    if threads:
        options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    wanted = [i.name for i in session.get_inputs()]

    def encode(texts: list[str]) -> np.ndarray:
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        rows: list[np.ndarray] = []
        for lo in range(0, len(order), batch_size):
            batch = [texts[i].strip() for i in order[lo : lo + batch_size]]
            enc = tokenizer(batch, padding=True, truncation=True, max_length=max_seq_length, return_tensors="np")
            feed = {k: np.asarray(enc[k], dtype=np.int64) if k in enc else np.zeros_like(enc["input_ids"], dtype=np.int64) for k in wanted}
            rows.append(session.run(None, feed)[0])
        vectors = np.vstack(rows).astype(np.float32)
        out = np.empty_like(vectors)
        out[order] = vectors
        return out

    return encode
