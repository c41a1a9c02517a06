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
    if is_yes_no(reference):
        # yes-bias: the share of yes/no questions answered "yes", printed beside the reference share
        out["yes_share"] = (not refused) and first_yes_no(answer) == "yes"
        out["reference_yes_share"] = normalize_answer(reference) == "yes"
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
#
# Three groups are measured against the gold data (articles and evidence sentences of the
# dataset), independent of the pipeline's citation checker; a fourth reports the checker's own
# verdicts, which are not a measure of correctness (the pipeline keeps only citations its
# checker accepted, so they are near 1.0 by construction).

SPAN_MIN_SHARE = 0.5  # an evidence sentence cut by a chunk boundary still counts with half its words inside
_WORD = re.compile(r"\w+")


def gold_articles(reference_sources: Iterable[str], evidence_articles: Iterable[str] = ()) -> set[str]:
    """The question's gold article ids: reference sources plus the articles of its evidence."""
    return {normalize_source_id(s) for s in (*reference_sources, *evidence_articles) if s}


def source_metrics(cited_sources: Sequence[str], gold: Iterable[str], *, prefix: str) -> dict[str, Any]:
    """Cited articles vs gold ones, keys ``{prefix}_precision`` and ``{prefix}_recall``.

    precision = share of the citations (one source per cited chunk) whose article is gold;
    recall = share of gold articles cited at least once. No gold: both None. Nothing
    cited (e.g. a refusal): precision None, recall 0.
    """
    gold = {normalize_source_id(s) for s in gold if s}
    cited = [normalize_source_id(s) for s in cited_sources if s]
    if not gold:
        return {f"{prefix}_precision": None, f"{prefix}_recall": None}
    return {
        f"{prefix}_precision": sum(s in gold for s in cited) / len(cited) if cited else None,
        f"{prefix}_recall": len(gold & set(cited)) / len(gold),
    }


def _longest_run(needle: Sequence[str], haystack: Sequence[str]) -> int:
    """Length of the longest run of consecutive ``needle`` words found in ``haystack``."""
    best, prev = 0, [0] * (len(needle) + 1)
    for word in haystack:
        cur = [0] * (len(needle) + 1)
        for j, w in enumerate(needle, start=1):
            if w == word:
                cur[j] = prev[j - 1] + 1
                best = max(best, cur[j])
        prev = cur
    return best


def evidence_in_snippet(evidence: str, snippet: str, *, min_share: float = SPAN_MIN_SHARE) -> bool:
    """The evidence sentence is inside the snippet (whitespace-, quote- and case-insensitive).

    A sentence cut by the chunk boundary counts when a run of at least ``min_share`` of its
    words appears consecutively in the snippet; scattered shared words do not count.
    """
    e, t = normalize_passage(evidence), normalize_passage(snippet)
    if not e:
        return False
    if e in t:
        return True
    words = _WORD.findall(e)
    return bool(words) and _longest_run(words, _WORD.findall(t)) >= min_share * len(words)


def span_metrics(
    citations: Sequence[Mapping[str, Any]],
    evidence: Sequence[tuple[str, str]],
) -> dict[str, Any]:
    """Cited snippets vs the gold evidence sentences, as (article id, sentence) pairs.

    span precision = share of citations whose snippet holds a gold evidence sentence of the
    same article; span recall = share of evidence sentences held by some cited snippet of
    their article. An evidence sentence without an article id may be in any article. No
    gold evidence: both None. Nothing cited: precision None, recall 0.
    """
    gold = [(normalize_source_id(a), t) for a, t in evidence if t and t.strip()]
    if not gold:
        return {"citation_span_precision": None, "citation_span_recall": None}
    cites = [(normalize_source_id(str(c.get("source") or "")), str(c.get("snippet") or "")) for c in citations]
    held = [[(not art or art == src) and evidence_in_snippet(text, snip) for art, text in gold]
            for src, snip in cites]
    return {
        "citation_span_precision": sum(any(row) for row in held) / len(held) if held else None,
        "citation_span_recall": sum(any(col) for col in zip(*held)) / len(gold) if held else 0.0,
    }


def model_marker_sources(sentences: Sequence[Mapping[str, Any]]) -> list[str]:
    """One source per chunk the model's own [n] markers pointed at (before repair), in order."""
    chunks: dict[Any, str] = {}
    for s in sentences:
        for c in s.get("model_cited") or []:
            key = c.get("chunk_id") or (c.get("source"), c.get("start"), c.get("end"))
            chunks.setdefault(key, str(c.get("source") or ""))
    return list(chunks.values())


def _markers(values: Any) -> set[int]:
    out: set[int] = set()
    for x in values or []:
        try:
            out.add(int(x))
        except (TypeError, ValueError):
            pass
    return out


LEVEL_METRICS = {"verified": "verified_gold_precision", "partly supported": "partly_gold_precision"}


def level_metrics(sentences: Sequence[Mapping[str, Any]], citations: Sequence[Mapping[str, Any]], gold: Iterable[str],
                  *, answerable: bool) -> dict[str, Any]:
    """How often each support level shown to the user is right, by the gold data.

    For each level (verified, partly supported): the share of the answer's sentences at that level
    whose cited articles include a gold one. On an unanswerable question no sentence can be right
    (whatever it cites, it answers what the articles do not say), so each counts as wrong. None
    when the answer has no sentence at that level, or the question has no gold articles.
    """
    gold = {normalize_source_id(x) for x in gold if x}
    source_of = {c.get("n"): normalize_source_id(str(c.get("source") or "")) for c in citations}
    out: dict[str, Any] = {}
    for level, name in LEVEL_METRICS.items():
        rated = [x for x in sentences if x.get("level") == level and x.get("citations")]
        if not rated or (answerable and not gold):
            out[name] = None
        elif not answerable:
            out[name] = 0.0
        else:
            out[name] = sum(any(source_of.get(n) in gold for n in x["citations"]) for x in rated) / len(rated)
    return out


def checker_metrics(
    sentences: Sequence[Mapping[str, Any]],
    citations: Sequence[Mapping[str, Any]],
    *,
    refused: bool,
) -> dict[str, Any]:
    """The runtime checker's own verdicts (not a measure of correctness).

    checker_kept_share = Σ|supported_by ∩ citations| / Σ|citations| over answer sentences;
    checker_supported_sentences = share of answer sentences with ≥1 citation the checker
    accepted; checker_verified_citations = share of citations flagged ``verified``. When a
    sentence lacks ``supported_by`` we fall back to its ``supported`` flag and the cited
    chunks' ``verified`` flags.
    """
    out: dict[str, Any] = {
        "checker_kept_share": None, "checker_supported_sentences": None, "checker_verified_citations": None,
    }
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
        out["checker_kept_share"] = n_supported_cites / n_cites
    if n_sent:
        out["checker_supported_sentences"] = n_sent_supported / n_sent
    if citations:
        out["checker_verified_citations"] = sum(bool(c.get("verified")) for c in citations) / len(citations)
    return out


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
    """Stable, readable order: the groups of ``METRIC_GROUPS``, retrieval by k."""
    base, _, k = name.partition("@")
    try:
        idx = METRIC_ORDER.index(base)
    except ValueError:
        idx = len(METRIC_ORDER)
    return (idx, int(k) if k.isdigit() else 0, name)


def _ordered(names: Iterable[str]) -> list[str]:
    return sorted(names, key=metric_order_key)


METRIC_GROUPS: list[tuple[str, list[str]]] = [
    ("Answers", ["correct", "exact", "f1", "lenient", "accept"]),
    ("Yes/no questions: share answered yes, beside the reference share", ["yes_share", "reference_yes_share"]),
    ("Refusals", ["refusal_accuracy", "refusal_recall", "false_refusal_rate"]),
    ("Retrieval", ["hit", "recall", "all_gold", "evidence_recall", "mrr"]),
    ("Citations vs gold articles", ["citation_source_precision", "citation_source_recall"]),
    ("Cited spans vs gold evidence", ["citation_span_precision", "citation_span_recall"]),
    ("Support levels vs gold articles (share right, per level shown)", ["verified_gold_precision", "partly_gold_precision"]),
    ("The model's own markers (before repair)", ["model_marker_source_precision", "model_marker_source_recall"]),
    ("Runtime checker's verdicts (not a correctness measure)",
     ["checker_kept_share", "checker_supported_sentences", "checker_verified_citations"]),
]
METRIC_ORDER = [name for _, names in METRIC_GROUPS for name in names]
# Names in runs written before the gold-based citation metrics: the checker's verdicts were
# reported as if they were citation precision and recall.
LEGACY_NAMES = {
    "citation_precision": "checker_kept_share",
    "citation_recall": "checker_supported_sentences",
    "citation_verified": "checker_verified_citations",
}
OTHER_GROUP = "Other"


def metric_group(name: str) -> str:
    """The heading a metric is shown under (``hit@4`` is under Retrieval)."""
    base = name.partition("@")[0]
    return next((title for title, names in METRIC_GROUPS if base in names), OTHER_GROUP)
