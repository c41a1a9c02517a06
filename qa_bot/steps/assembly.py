"""Assembly: the final :class:`Answer` from the verified sentences, a refusal, or the answers to each part."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Sequence

from prompts import load_prompt
from qa_bot.answer import Answer, AnswerSentence, Citation, cited_chunk
from qa_bot.citations import VERIFIED, render_answer
from qa_bot.steps.answerers import Draft
from qa_bot.steps.retrieval import Sourced
from qa_bot.steps.verification import Checked
from vectorstore.documents import ScoredChunk

CLOSEST_SOURCES = 3  # listed (as not supporting) beside a refusal


@dataclass(frozen=True)
class Trail:
    """What every answer to one question (or part) records, whatever its outcome."""

    question: str  # as asked (or the part)
    standalone: str  # as searched
    mode: str
    retrieved: Sequence[ScoredChunk]
    started: float  # time.perf_counter() when the question arrived
    sources_s: float | None = None  # when the sources were known and shown


def cited(trail: Trail, draft: Draft, checked: Checked) -> Answer:
    """The answer: verified sentences, markers renumbered 1..m in order of use, one citation per cited passage."""
    sentences, citations = number_citations(checked.sentences, draft.passages, checked.support)
    return _answer(trail, draft, checked, sentences=sentences, citations=citations, answer=render_answer(sentences),
                   fill_ttft=draft.from_figures)


def refusal(trail: Trail, draft: Draft | None = None, checked: Checked | None = None, reason: str = "") -> Answer:
    """"The articles don't say" (and why, when known), with the closest sources listed as not supporting."""
    text = f"{load_prompt('refusal')} {reason}".strip()
    return _answer(trail, draft, checked, refused=True, answer=text,
                   sentences=[AnswerSentence(text=text, supported=True, support=1.0)],
                   closest_sources=[citation(i, r, verified=False)
                                    for i, r in enumerate(trail.retrieved[:CLOSEST_SOURCES], start=1)])


def _answer(trail: Trail, draft: Draft | None, checked: Checked | None, fill_ttft: bool = True, **fields) -> Answer:
    """An Answer with the trail's and the draft's records; no first token (a refusal, figures) counts as the end."""
    latency = time.perf_counter() - trail.started
    measured = {} if draft is None else dict(queue_s=draft.queue_s, prompt_tokens=draft.prompt_tokens,
                                             prompt_tokens_evaluated=draft.prompt_tokens_evaluated)
    ttft = draft.ttft_s if draft is not None else None
    return Answer(question=trail.question, standalone_question=trail.standalone,
                  mode=draft.mode if draft is not None else trail.mode,
                  retrieved=[retrieved_row(r) for r in trail.retrieved], sources_s=trail.sources_s,
                  latency_s=latency, ttft_s=latency if ttft is None and fill_ttft else ttft,
                  verifier=checked.verifier if checked is not None else "", **measured, **fields)


def source_cards(passages: Sequence[Sourced]) -> list[Citation]:
    """The passages as the UI shows them before the answer exists: numbered as the model reads them, unverified."""
    return [citation(p.n, scored, verified=False) for p, scored in passages]


def merge_parts(question: str, standalone: str, parts: Sequence[str], answers: Sequence[Answer],
                started: float) -> Answer:
    """One answer from the answers to each part: sentences in order, citations renumbered and shared."""
    merged = Answer(question=question, answer="", standalone_question=standalone, mode=answers[0].mode,
                    ttft_s=next((a.ttft_s for a in answers if a.ttft_s is not None), None))
    by_chunk: dict[str, int] = {}
    seen_rows: set[str] = set()
    for part, answer in zip(parts, answers):
        merged.retrieved += [r for r in answer.retrieved if r["chunk_id"] not in seen_rows]
        seen_rows |= {r["chunk_id"] for r in answer.retrieved}
        if answer.refused:
            merged.sentences.append(AnswerSentence(text=f"The articles don't answer: {part}", supported=True, support=1.0))
            merged.closest_sources += answer.closest_sources[:1]
            continue
        renumber: dict[int, int] = {}
        for c in answer.citations:
            if c.chunk_id not in by_chunk:
                by_chunk[c.chunk_id] = len(merged.citations) + 1
                merged.citations.append(replace(c, n=by_chunk[c.chunk_id]))
            renumber[c.n] = by_chunk[c.chunk_id]
        for s in answer.sentences:
            s.citations = [renumber[n] for n in s.citations]
            s.supported_by = [renumber[n] for n in s.supported_by]
            merged.sentences.append(s)
    merged.refused = all(a.refused for a in answers)
    merged.answer = load_prompt("refusal") if merged.refused else render_answer(merged.sentences)
    merged.latency_s = time.perf_counter() - started
    return merged


def retrieved_row(r: ScoredChunk) -> dict:
    c = r.chunk
    return {"source": c.source_id, "chunk_id": c.chunk_id, "score": round(r.score, 6),
            "similarity": None if r.dense_similarity is None else round(r.dense_similarity, 4),
            "title": c.title, "publisher": c.publisher, "published_at": c.published_at,
            "start": c.start, "end": c.end, "text": c.text}


def citation(n: int, r: ScoredChunk, verified: bool, support: float = 0.0, highlight: str = "") -> Citation:
    c = r.chunk
    return Citation(n=n, source=c.source_id, title=c.title, publisher=c.publisher, published_at=c.published_at,
                    chunk_id=c.chunk_id, start=c.start, end=c.end, snippet=c.text, verified=verified,
                    support=round(support, 4), highlight=highlight, url=c.url)


def number_citations(sentences: list[AnswerSentence], passages: Sequence[Sourced], support: dict[int, tuple[float, str]]
                     ) -> tuple[list[AnswerSentence], list[Citation]]:
    """Renumber cited passages 1..m in order of first use and build their citations."""
    by_n = {p.n: scored for p, scored in passages}
    order: dict[int, int] = {}
    for s in sentences:
        for n in s.citations:
            order.setdefault(n, len(order) + 1)
    for s in sentences:
        s.citations = [order[n] for n in s.citations]
        s.supported_by = [order[n] for n in s.supported_by if n in order]
        s.model_cited = [cited_chunk(by_n[n].chunk) for n in s.model_citations if n in by_n]
    levels: dict[int, str] = {}
    for s in sentences:  # a passage's level: the best of the sentences it supports
        for n in s.supported_by:
            if s.level and levels.get(n) != VERIFIED:
                levels[n] = s.level
    citations = []
    for old, new in order.items():
        score, best = support.get(old, (0.0, ""))
        citations.append(replace(citation(new, by_n[old], verified=old in support, support=score, highlight=best),
                                 level=levels.get(new, VERIFIED if old in support else "")))
    return sentences, citations
