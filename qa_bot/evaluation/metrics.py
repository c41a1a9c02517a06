"""Offline metrics: answer correctness, retrieval, citations, refusals, latency.

Pure functions over plain values (strings, lists, dicts) so they are easy to test
by hand and reuse from ``compare``. No LLM judge: every number here can be
recomputed from ``results.jsonl`` alone.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from typing import Any, Iterable, Mapping, Sequence

_MARKER = re.compile(r"\[\s*\d+(?:\s*[,;]\s*\d+)*\s*\]")  # [1], [1, 2]
_ARTICLES = frozenset({"a", "an", "the"})
_QUOTES = str.maketrans({"‘": "'", "’": "'", "‚": "'", "‛": "'", "′": "'",
                         "“": '"', "”": '"', "„": '"', "‟": '"', "″": '"',
                         "\u00a0": " "})


# --------------------------------------------------------------------------- text


def normalize_answer(s: str) -> str:
    """Lowercase, drop citation markers, punctuation and articles, squeeze spaces.

    Punctuation becomes a space (not nothing) so "Google's" still contains "google".
    """
    s = _MARKER.sub(" ", unicodedata.normalize("NFKC", s or "")).lower()
    s = "".join(" " if unicodedata.category(ch)[0] in "PS" else ch for ch in s)
    return " ".join(w for w in s.split() if w not in _ARTICLES)


def answer_tokens(s: str) -> list[str]:
    return normalize_answer(s).split()


def normalize_passage(s: str) -> str:
    """Whitespace- and quote-insensitive form, for finding evidence inside chunks."""
    s = unicodedata.normalize("NFKC", s or "").translate(_QUOTES)
    return " ".join(s.split()).casefold()


def normalize_source_id(source: str) -> str:
    """Basename without extension: ``art_1`` == ``art_1.txt`` == ``articles/art_1.txt``."""
    name = str(source or "").strip().replace("\\", "/").rsplit("/", 1)[-1]
    stem, dot, ext = name.rpartition(".")
    if dot and stem and ext.isalnum() and len(ext) <= 5:
        return stem
    return name


def _contains_phrase(haystack: str, needle: str) -> bool:
    """Word-boundary containment of normalised strings."""
    return bool(needle) and f" {needle} " in f" {haystack} "


# --------------------------------------------------------------------------- answers


def first_yes_no(text: str) -> str | None:
    """The first 'yes' or 'no' word of an answer, which is its verdict."""
    for w in answer_tokens(text):
        if w in ("yes", "no"):
            return w
    return None


def is_yes_no(reference: str | None) -> bool:
    return reference is not None and normalize_answer(reference) in ("yes", "no")


def exact_match(answer: str, reference: str) -> bool:
    """Normalised equality; for yes/no references the answer's first yes/no word decides."""
    if is_yes_no(reference):
        return first_yes_no(answer) == normalize_answer(reference)
    return normalize_answer(answer) == normalize_answer(reference)


def token_f1(answer: str, reference: str) -> float:
    """SQuAD-style bag-of-tokens F1."""
    a, r = answer_tokens(answer), answer_tokens(reference)
    if not a or not r:
        return float(a == r)
    common = sum((Counter(a) & Counter(r)).values())
    if common == 0:
        return 0.0
    p, rec = common / len(a), common / len(r)
    return 2 * p * rec / (p + rec)


def token_recall(answer: str, reference: str) -> float:
    """Share of the reference's tokens present in the answer (multiset)."""
    a, r = answer_tokens(answer), answer_tokens(reference)
    if not r:
        return 0.0
    return sum((Counter(a) & Counter(r)).values()) / len(r)


def lenient_match(answer: str, reference: str) -> bool:
    """MultiHop-RAG's rule: at least one shared (lower-cased) word."""
    return bool(set(answer_tokens(answer)) & set(answer_tokens(reference)))


def accept_match(answer: str, accept: Sequence[Sequence[str]]) -> bool:
    """True when some alternative has all its keywords in the answer."""
    a = f" {normalize_answer(answer)}"
    # keywords match at the start of a word, so "invit" accepts "invited" but "9" does not accept "29"
    return any(alt and all(f" {normalize_answer(k)}" in a for k in alt) for alt in accept)


def is_correct(
    answer: str,
    reference: str | None,
    *,
    answerable: bool,
    refused: bool,
    accept: Sequence[Sequence[str]] = (),
) -> bool | None:
    """Headline correctness; None when there is nothing to judge against.

    Unanswerable questions are correct only when refused. Answerable ones: accept
    keywords if given, else the yes/no verdict, else the reference contained in the
    answer or ≥ 80% of its tokens present.
    """
    if not answerable:
        return refused
    if refused:
        return False
    if accept:
        return accept_match(answer, accept)
    if reference is None or not normalize_answer(reference):
        return None
    if is_yes_no(reference):
        return exact_match(answer, reference)
    return _contains_phrase(normalize_answer(answer), normalize_answer(reference)) or (
        token_recall(answer, reference) >= 0.8
    )


def answer_metrics(
    answer: str,
    reference: str | None,
    *,
    answerable: bool,
    refused: bool,
    accept: Sequence[Sequence[str]] = (),
) -> dict[str, Any]:
    """correct / exact / f1 / lenient / accept for one question (None = not applicable).

    The string metrics only apply to answerable questions; a refusal scores zero on
    them so "There is no information" cannot pass as the verdict "no".
    """
    out: dict[str, Any] = {
        "correct": is_correct(answer, reference, answerable=answerable, refused=refused, accept=accept),
        "exact": None,
        "f1": None,
        "lenient": None,
        "accept": None,
    }
    if answerable:
        if reference is not None and normalize_answer(reference):
            out["exact"] = False if refused else exact_match(answer, reference)
            out["f1"] = 0.0 if refused else token_f1(answer, reference)
            out["lenient"] = False if refused else lenient_match(answer, reference)
        if accept:
            out["accept"] = False if refused else accept_match(answer, accept)
    return out


def refusal_metrics(*, refused: bool, answerable: bool) -> dict[str, Any]:
    """Per-question indicators whose means are the refusal metrics of the run."""
    return {
        "refusal_accuracy": refused != answerable,
        "refusal_recall": None if answerable else refused,
        "false_refusal_rate": refused if answerable else None,
    }


# --------------------------------------------------------------------------- retrieval


def evidence_found(evidence: str, chunk_texts: Iterable[str]) -> bool:
    """An evidence sentence counts as retrieved when some chunk contains it."""
    e = normalize_passage(evidence)
    return bool(e) and any(e in normalize_passage(t) for t in chunk_texts)


def retrieval_metrics(
    retrieved_sources: Sequence[str],
    retrieved_texts: Sequence[str],
    reference_sources: Sequence[str],
    evidence: Sequence[str],
    ks: Iterable[int],
) -> dict[str, Any]:
    """hit@k, recall@k, all_gold@k, evidence_recall@k and MRR for one ranked list.

    Source metrics need reference sources and evidence recall needs evidence; keys
    whose inputs are missing are None.
    """
    gold = {normalize_source_id(s) for s in reference_sources if s}
    ranked = [normalize_source_id(s) for s in retrieved_sources]
    out: dict[str, Any] = {}
    for k in sorted(set(ks)):
        top = set(ranked[:k])
        if gold:
            found = len(gold & top)
            out[f"hit@{k}"] = found > 0
            out[f"recall@{k}"] = found / len(gold)
            out[f"all_gold@{k}"] = found == len(gold)
        else:
            out[f"hit@{k}"] = out[f"recall@{k}"] = out[f"all_gold@{k}"] = None
        ev = [e for e in evidence if e and e.strip()]
        texts = list(retrieved_texts[:k])
        out[f"evidence_recall@{k}"] = (
            sum(evidence_found(e, texts) for e in ev) / len(ev) if ev else None
        )
    if gold:
        rank = next((i for i, s in enumerate(ranked, start=1) if s in gold), None)
        out["mrr"] = 1.0 / rank if rank else 0.0
    else:
        out["mrr"] = None
    return out


# --------------------------------------------------------------------------- citations


def _markers(values: Any) -> set[int]:
    out: set[int] = set()
    for x in values or []:
        try:
            out.add(int(x))
        except (TypeError, ValueError):
            pass
    return out


def citation_metrics(
    sentences: Sequence[Mapping[str, Any]],
    citations: Sequence[Mapping[str, Any]],
    *,
    refused: bool,
) -> dict[str, Any]:
    """ALCE-style precision/recall from the pipeline's own verifier outputs.

    precision = Σ|supported_by ∩ citations| / Σ|citations| over answer sentences;
    recall = share of answer sentences with ≥1 supporting citation. When a sentence
    lacks ``supported_by`` we fall back to its ``supported`` flag and the cited
    chunks' ``verified`` flags.
    """
    out: dict[str, Any] = {"citation_precision": None, "citation_recall": None, "citation_verified": None}
    if refused:
        return out
    verified = _markers(c.get("n") for c in citations if c.get("verified"))
    n_cites = n_supported_cites = n_sent = n_sent_supported = 0
    for s in sentences:
        if not str(s.get("text", "")).strip():
            continue
        cites = _markers(s.get("citations"))
        if s.get("supported_by") is not None:
            sup = _markers(s.get("supported_by")) & cites
        else:
            sup = cites & verified if s.get("supported") else set()
        n_cites += len(cites)
        n_supported_cites += len(sup)
        n_sent += 1
        n_sent_supported += bool(sup)
    if n_cites:
        out["citation_precision"] = n_supported_cites / n_cites
    if n_sent:
        out["citation_recall"] = n_sent_supported / n_sent
    if citations:
        out["citation_verified"] = sum(bool(c.get("verified")) for c in citations) / len(citations)
    return out


def source_metrics(cited_sources: Sequence[str], reference_sources: Sequence[str]) -> dict[str, Any]:
    """Cited article ids vs gold ones; a refusal citing nothing has recall 0."""
    gold = {normalize_source_id(s) for s in reference_sources if s}
    cited = {normalize_source_id(s) for s in cited_sources if s}
    if not gold:
        return {"source_precision": None, "source_recall": None}
    return {
        "source_precision": len(cited & gold) / len(cited) if cited else None,
        "source_recall": len(cited & gold) / len(gold),
    }


# --------------------------------------------------------------------------- aggregation


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear-interpolated percentile (q in 0..100), like numpy's default."""
    xs = sorted(float(v) for v in values)
    if not xs:
        return None
    pos = (len(xs) - 1) * q / 100.0
    lo, hi = math.floor(pos), math.ceil(pos)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def latency_stats(values: Iterable[float | None]) -> dict[str, Any]:
    xs = [float(v) for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
    return {
        "p50": percentile(xs, 50),
        "p95": percentile(xs, 95),
        "mean": sum(xs) / len(xs) if xs else None,
        "n": len(xs),
    }


def aggregate(per_question: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Mean of every metric over the questions where it applies (non-None), with n."""
    sums: dict[str, float] = {}
    counts: dict[str, int] = {}
    for m in per_question:
        for key, v in (m or {}).items():
            if v is None or not isinstance(v, (bool, int, float)):
                continue
            sums[key] = sums.get(key, 0.0) + float(v)
            counts[key] = counts.get(key, 0) + 1
    return {key: {"mean": sums[key] / counts[key], "n": counts[key]} for key in _ordered(sums)}


def metric_order_key(name: str) -> tuple[int, int, str]:
    """Stable, readable order: answers, refusals, retrieval by k, citations."""
    base, _, k = name.partition("@")
    try:
        idx = METRIC_ORDER.index(base)
    except ValueError:
        idx = len(METRIC_ORDER)
    return (idx, int(k) if k.isdigit() else 0, name)


def _ordered(names: Iterable[str]) -> list[str]:
    return sorted(names, key=metric_order_key)


METRIC_ORDER = [
    "correct", "exact", "f1", "lenient", "accept",
    "refusal_accuracy", "refusal_recall", "false_refusal_rate",
    "hit", "recall", "all_gold", "evidence_recall", "mrr",
    "citation_precision", "citation_recall", "citation_verified",
    "source_precision", "source_recall",
]
