"""The extractive answerer: the best-matching source sentences, each cited (no language model)."""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from qa_bot.steps.answerers import Draft, since
from qa_bot.steps.retrieval import Sourced
from vectorstore.bm25 import tokenize

EXTRACTIVE_SENTENCES = 2
MIN_SENTENCE_WORDS = 5
SEMANTIC_WEIGHT = 0.6


class SentenceRanker:
    """How well sentences match a question: embedding similarity blended with shared words."""

    def __init__(self, embed: Callable[[Sequence[str]], np.ndarray]):
        self.embed = embed

    def scores(self, question: str, sentences: Sequence[str]) -> np.ndarray:
        vectors = self.embed([question, *sentences])
        semantic = vectors[1:] @ vectors[0]
        q_words = set(tokenize(question))
        lexical = np.array([len(q_words & set(tokenize(s))) / (len(q_words) or 1) for s in sentences])
        return SEMANTIC_WEIGHT * semantic + (1 - SEMANTIC_WEIGHT) * lexical


class ExtractiveAnswerer:
    """Quotes the two sentences of the passages closest to the question (at least ``min_relevance``)."""

    def __init__(self, ranker: SentenceRanker, min_relevance: float):
        self.ranker = ranker
        self.min_relevance = min_relevance

    def draft(self, question: str, passages: Sequence[Sourced], started: float) -> Draft:
        return Draft(text=self.quote(question, passages), mode="extractive", passages=list(passages), ttft_s=since(started))

    def quote(self, question: str, passages: Sequence[Sourced]) -> str:
        candidates = [(p.n, s) for p, _ in passages for s in p.sentences if len(s.split()) >= MIN_SENTENCE_WORDS]
        if not candidates:
            return ""
        scores = self.ranker.scores(question, [s for _, s in candidates])
        picked, seen = [], set()
        for i in np.argsort(-scores):
            if scores[i] < self.min_relevance:
                break
            n, sentence = candidates[i]
            if sentence in seen:
                continue
            seen.add(sentence)
            picked.append(f"{sentence.rstrip()} [{n}]")
            if len(picked) >= EXTRACTIVE_SENTENCES:
                break
        return " ".join(picked)
