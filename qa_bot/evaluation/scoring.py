"""Apply the metrics to one question: decide which apply and feed them the right fields.

Kept apart from ``metrics`` (pure maths on plain values) and ``runner`` (calling the
bot) so the applicability rules live in one place.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from qa_bot.evaluation.dataset import EvalRecord
from qa_bot.evaluation import metrics as M

BASE_KS = (4, 10)


def retrieval_ks(k: int, n_retrieved: int = 0) -> list[int]:
    """k = 4 and 10 where the retrieved list allows, plus the run's k."""
    limit = max(k, n_retrieved)
    return sorted({x for x in (*BASE_KS, k) if 0 < x <= limit})


def score_question(
    record: EvalRecord,
    outcome: Mapping[str, Any],
    *,
    k: int,
    retrieval_only: bool = False,
    mode: str | None = None,
) -> dict[str, Any]:
    """All per-question metric values (None where a metric does not apply).

    ``outcome`` is the bot's answer as a dict (``Answer.to_dict()`` shape) whose
    ``retrieved`` items still carry their chunk ``text``; ``mode`` is the run's mode,
    used when the outcome does not say (a question that errored).
    """
    retrieved = list(outcome.get("retrieved") or [])
    metrics: dict[str, Any] = {}

    if record.answerable:
        metrics.update(
            M.retrieval_metrics(
                [str(r.get("source") or r.get("source_id") or "") for r in retrieved],
                [str(r.get("text") or "") for r in retrieved],
                record.reference_sources,
                [e.text for e in record.evidence],
                retrieval_ks(k, len(retrieved)),
            )
        )
    if retrieval_only:
        return metrics

    answer = str(outcome.get("answer") or "")
    refused = bool(outcome.get("refused"))
    citations = list(outcome.get("citations") or [])
    sentences = list(outcome.get("sentences") or [])
    metrics.update(
        M.answer_metrics(
            answer,
            record.reference_answer,
            answerable=record.answerable,
            refused=refused,
            accept=record.accept,
        )
    )
    metrics.update(M.refusal_metrics(refused=refused, answerable=record.answerable))
    metrics.update(gold_citation_metrics(record, citations, sentences, mode=outcome.get("mode") or mode))
    metrics.update(M.checker_metrics(sentences, citations, refused=refused))
    return metrics


def gold_citation_metrics(
    record: EvalRecord,
    citations: Sequence[Mapping[str, Any]],
    sentences: Sequence[Mapping[str, Any]],
    *,
    mode: str | None,
) -> dict[str, Any]:
    """Citations (after repair) and the model's own markers (before it) against the gold data.

    Unanswerable questions have no gold articles or evidence, so every value is None. The
    model's markers only exist for generated answers (mode ``generative``, or the tutorial ``baseline``).
    """
    gold = M.gold_articles(record.reference_sources, (e.article_id for e in record.evidence))
    evidence = [(e.article_id, e.text) for e in record.evidence]
    if not record.answerable:
        gold, evidence = set(), []
    out = M.source_metrics([str(c.get("source") or "") for c in citations], gold, prefix="citation_source")
    out.update(M.span_metrics(citations, evidence))
    model_gold = gold if mode in ("generative", "baseline") else set()
    out.update(M.source_metrics(M.model_marker_sources(sentences), model_gold, prefix="model_marker_source"))
    out.update(M.level_metrics(sentences, citations, gold, answerable=record.answerable))
    return out
