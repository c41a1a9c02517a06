"""The embedder's backend is the fastest accurate one by measurement, forced when asked, cached per machine."""

from __future__ import annotations

import json
import random
import time

import numpy as np
import pytest

from conftest import ARTICLES
from vectorstore import embedding_backends as eb
from vectorstore.embedding import Embedder


def m(speed: float, cosine: float = 1.0) -> dict:
    return {"chunks_per_s": speed, "min_cosine": cosine, "seconds": 32 / speed}


FINGERPRINT = {"cpu": "Test CPU", "cpu_flags_sha256": "0" * 16, "torch": "x", "onnxruntime": "y", "threads": 2,
               "model_path": "/m", "probe_version": eb.PROBE_VERSION}


class FakeMeasure:
    """Stands in for timing the backends: returns given measurements and records what it was asked."""

    def __init__(self, results: dict[str, dict]):
        self.results = results
        self.calls: list[list[str]] = []

    def __call__(self, names: list[str]) -> dict[str, dict]:
        self.calls.append(list(names))
        return {n: self.results[n] for n in ["fp32", *names] if n in self.results}


# --- the pure choice -------------------------------------------------------------------


def test_emulated_bf16_ten_times_slower_is_not_chosen():
    # the AVX2-only EPYC case: bf16 agrees with fp32 but is emulated and much slower
    chosen, reasons = eb.choose_backend({"fp32": m(8.6), "bf16": m(0.86, 0.9999)}, allowed=["fp32", "bf16"])
    assert chosen == "fp32"
    assert "slower" in reasons["bf16"]


def test_fastest_int8_with_poor_cosine_is_not_chosen():
    candidates = {"fp32": m(8.6), "bf16": m(9.0, 0.9999), "onnx": m(12.0, 0.99999), "onnx-int8": m(30.0, 0.95)}
    chosen, reasons = eb.choose_backend(candidates)
    assert chosen == "onnx"
    assert "cosine" in reasons["onnx-int8"]


def test_bf16_needs_its_stricter_cosine():
    chosen, reasons = eb.choose_backend({"fp32": m(10.0), "bf16": m(20.0, 0.998)})
    assert chosen == "fp32" and "0.999" in reasons["bf16"]


def test_failed_or_unmeasured_candidates_are_skipped_with_a_reason():
    candidates = {"fp32": m(10.0), "onnx": {"error": "RuntimeError: no export"}, "onnx-int8": m(50.0, float("nan"))}
    chosen, reasons = eb.choose_backend(candidates)
    assert chosen == "fp32"
    assert "no export" in reasons["onnx"] and "cosine" in reasons["onnx-int8"] and reasons["bf16"] == "not measured"


def test_disallowed_bf16_is_never_chosen_even_when_fastest():
    chosen, _ = eb.choose_backend({"fp32": m(10.0), "bf16": m(40.0, 0.99999)}, allowed=["fp32", "onnx", "onnx-int8"])
    assert chosen == "fp32"


@pytest.mark.parametrize("seed", range(200))
def test_never_a_slower_backend_over_a_faster_accurate_one(seed):
    rng = random.Random(seed)
    candidates = {"fp32": m(rng.uniform(1, 50))}
    for name in eb.BACKENDS[1:]:
        if rng.random() < 0.15:
            candidates[name] = {"error": "boom"}
        else:
            candidates[name] = m(rng.uniform(0.5, 60), rng.choice([0.94, 0.985, 0.9985, 0.9995, 0.99999]))
    allowed = [b for b in eb.BACKENDS if b == "fp32" or rng.random() < 0.8]
    chosen, _ = eb.choose_backend(candidates, allowed)
    accurate = [n for n in allowed if "error" not in candidates[n] and candidates[n]["min_cosine"] >= eb.MIN_COSINE[n]]
    assert chosen in accurate
    assert candidates[chosen]["chunks_per_s"] == max(candidates[n]["chunks_per_s"] for n in accurate)


# --- the per-machine cache ---------------------------------------------------------------


def test_cached_measurements_are_reused_without_timing(tmp_path):
    cache = tmp_path / "backend.json"
    first = FakeMeasure({"fp32": m(10.0), "bf16": m(5.0, 0.9999), "onnx": m(14.0), "onnx-int8": m(20.0, 0.995)})
    sel = eb.select_backend(eb.BACKENDS, FINGERPRINT, cache, first)
    assert (sel.backend, sel.source) == ("onnx-int8", "measured") and len(first.calls) == 1
    stored = json.loads(cache.read_text())
    entry = stored["machines"][eb.fingerprint_key(FINGERPRINT)]
    assert entry["chosen"] == "onnx-int8" and entry["candidates"]["bf16"]["chunks_per_s"] == 5.0

    def must_not_time(names):
        raise AssertionError(f"timed {names} again despite the cache")

    again = eb.select_backend(eb.BACKENDS, FINGERPRINT, cache, must_not_time)
    assert (again.backend, again.source) == ("onnx-int8", "cache")


def test_another_machine_measures_again_and_keeps_both(tmp_path):
    cache = tmp_path / "backend.json"
    eb.select_backend(eb.BACKENDS, FINGERPRINT, cache, FakeMeasure({"fp32": m(10.0), "bf16": m(30.0, 0.9999)}))
    other = {**FINGERPRINT, "cpu": "AMD EPYC", "cpu_flags_sha256": "1" * 16}
    measure = FakeMeasure({"fp32": m(8.6), "bf16": m(1.6, 0.9999)})
    sel = eb.select_backend(["fp32", "bf16"], other, cache, measure)
    assert sel.backend == "fp32" and measure.calls == [["fp32", "bf16"]]
    assert len(json.loads(cache.read_text())["machines"]) == 2
    assert eb.select_backend(["fp32", "bf16"], FINGERPRINT, cache, must_fail).backend == "bf16"


def must_fail(names):
    raise AssertionError("should have come from the cache")


@pytest.mark.parametrize("content", [
    "{not json",
    "[]",
    '{"machines": {"KEY": {"candidates": {"fp32": {"chunks_per_s": "fast"}}}}}',
    '{"machines": {"KEY": {"candidates": {"quantum": {"chunks_per_s": 5, "min_cosine": 1}}}}}',
    '{"machines": {"KEY": {"nothing": 1}}}',
])
def test_corrupt_cache_is_ignored_and_measured_again(tmp_path, content):
    cache = tmp_path / "backend.json"
    cache.write_text(content.replace("KEY", eb.fingerprint_key(FINGERPRINT)))
    measure = FakeMeasure({"fp32": m(10.0), "bf16": m(12.0, 0.9999), "onnx": m(11.0), "onnx-int8": m(9.0, 0.995)})
    sel = eb.select_backend(eb.BACKENDS, FINGERPRINT, cache, measure)
    assert sel.backend == "bf16" and sel.source == "measured" and len(measure.calls) == 1
    assert eb.read_cache(cache, eb.fingerprint_key(FINGERPRINT))["bf16"]["chunks_per_s"] == 12.0


def test_only_candidates_missing_from_the_cache_are_measured(tmp_path):
    cache = tmp_path / "backend.json"
    eb.select_backend(["fp32", "onnx", "onnx-int8"], FINGERPRINT, cache, FakeMeasure({"fp32": m(10.0), "onnx": m(12.0), "onnx-int8": m(3.0, 0.995)}))
    measure = FakeMeasure({"fp32": m(10.0), "bf16": m(25.0, 0.9999)})
    sel = eb.select_backend(eb.BACKENDS, FINGERPRINT, cache, measure)
    assert measure.calls == [["bf16"]] and sel.backend == "bf16"


# --- the Embedder and the settings ---------------------------------------------------------


def test_forced_backend_is_honoured_without_measuring(tmp_path, monkeypatch):
    monkeypatch.setattr(eb, "measure_backends", must_fail)
    monkeypatch.setattr(eb, "select_backend", must_fail)
    for name in eb.BACKENDS:
        emb = Embedder(backend=name, cache_dir=tmp_path)
        assert emb.backend == name and emb.selection.source == "forced"
    with pytest.raises(ValueError):
        Embedder(backend="bf16", bf16=False)
    with pytest.raises(ValueError):
        Embedder(backend="int4")


def test_embed_bf16_false_keeps_auto_off_bf16(tmp_path, monkeypatch):
    monkeypatch.setattr(eb, "machine_fingerprint", lambda *a: FINGERPRINT)
    emb = Embedder(bf16=False, cache_dir=tmp_path)
    emb._thread_count = lambda: 2
    measure = FakeMeasure({"fp32": m(10.0), "bf16": m(40.0, 0.99999), "onnx": m(11.0), "onnx-int8": m(3.0, 0.999)})
    emb._measure = measure
    assert emb.backend == "onnx"
    assert "bf16" not in measure.calls[0]


def test_settings_reach_the_embedder(make_settings, monkeypatch):
    from qa_bot.components import Components

    s = make_settings(embed_backend="onnx-int8", embed_bf16=False, embed_batch_size=8)
    emb = Components(s).embedder
    assert (emb.requested_backend, emb.want_bf16, emb.batch_size) == ("onnx-int8", False, 8)
    assert emb.cache_dir == s.data_dir / "embedder"
    monkeypatch.setenv("QA_BOT_EMBED_BACKEND", "fp32")
    assert make_settings().embed_backend == "fp32"
    with pytest.raises(ValueError):
        make_settings(embed_backend="fp16")


def test_measure_backends_times_scores_and_skips_failures():
    rng = np.random.default_rng(0)
    texts, warm = [f"text {i}" for i in range(6)], ["w1", "w2"]
    base = rng.normal(size=(8, 16))
    unit = lambda x: (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)  # noqa: E731
    calls: dict[str, int] = {}

    def make(name):
        if name == "bf16":
            raise RuntimeError("autocast unsupported")
        noise = {"fp32": 0.0, "onnx": 1e-4, "onnx-int8": 1.0}[name]

        def encode(batch):
            calls[name] = calls.get(name, 0) + 1
            time.sleep(0.01)  # equal costs, so none is "twice as slow" by timer jitter
            rows = base[:2] if batch == warm else base[2:]
            return unit(rows + noise * rng.normal(size=rows.shape))

        return encode

    res = eb.measure_backends(["onnx", "bf16", "onnx-int8"], make, texts, warm, rounds=3)
    assert res["fp32"]["min_cosine"] == 1.0 and res["onnx"]["min_cosine"] > 0.999
    assert res["onnx-int8"]["min_cosine"] < 0.99 and "autocast unsupported" in res["bf16"]["error"]
    assert all(res[n]["chunks_per_s"] > 0 for n in ("fp32", "onnx", "onnx-int8"))
    assert calls["onnx-int8"] == 2  # warm-up + one timed round; inaccurate, so not timed again
    assert calls["fp32"] == calls["onnx"] == 4
    assert eb.choose_backend(res)[0] in ("fp32", "onnx")


def test_probe_is_deterministic_and_chunk_sized():
    a, b = eb.probe_texts(), eb.probe_texts()
    assert a == b and len(a) == 32 and len(set(a)) > 20
    assert all(160 <= len(t.split()) <= 210 for t in a)


# --- the real model --------------------------------------------------------------------------


@pytest.mark.slow  # CLI processes or a model run; kept out of make test-fast, run by make test
def test_chosen_backend_agrees_with_fp32_on_real_text(embedder, tmp_path):
    """Measure all four backends on a short probe, then check the pick on article text it was not measured on."""
    emb = Embedder(cache_dir=tmp_path, probe=eb.probe_texts(count=8), threads=embedder.threads)
    emb.__dict__["model"] = embedder.model  # share the session's loaded model
    sel = emb.selection
    assert sel.source == "measured" and set(sel.candidates) == set(eb.BACKENDS)
    assert sel.backend == eb.choose_backend(sel.candidates)[0]
    words = " ".join(p.read_text() for p in sorted(ARTICLES.glob("*.txt"))).split()
    texts = [" ".join(words[i : i + 150]) for i in range(0, min(len(words), 4000), 400)] + ["Who runs FTX?"]
    cosine = np.sum(emb.embed(texts) * emb.encode_with("fp32", texts), axis=1)
    assert cosine.min() >= 0.99, (sel.backend, cosine.min())
    assert (tmp_path / eb.CACHE_FILE).is_file()


def test_short_texts_are_embedded_once_and_long_ones_every_time(monkeypatch):
    """An answer embeds its sources' sentences for the excerpt and again for verification: once is enough."""
    from vectorstore import embedding as emb

    calls: list[list[str]] = []

    def fake_encode(self, backend, texts):
        calls.append(list(texts))
        return np.array([[float(len(t)), 1.0] for t in texts], dtype=np.float32)

    monkeypatch.setattr(emb.Embedder, "encode_with", fake_encode)
    monkeypatch.setattr(emb.Embedder, "backend", property(lambda self: "fp32"))
    e = emb.Embedder(backend="fp32")
    long_text = "word " * 200
    first = e.embed(["a sentence", "another one", "a sentence", long_text])
    second = e.embed(["another one", "a third", long_text])
    assert calls == [["a sentence", "another one", long_text], ["a third", long_text]]
    assert first.shape == (4, 2) and np.array_equal(first[0], first[2]) and np.array_equal(second[0], first[1])
