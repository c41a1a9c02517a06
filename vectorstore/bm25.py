"""Keyword (BM25) index over chunk text plus its metadata header.

News questions are full of names and publishers, where exact-term matching
beats small dense models; indexing the "title | publisher | date" header lets
"as reported by TechCrunch" match the right articles.
"""

from __future__ import annotations

import re
from typing import Callable, Sequence

import numpy as np
from rank_bm25 import BM25Okapi

from vectorstore.documents import Chunk

_TOKEN = re.compile(r"[a-z0-9]+(?:[.'’][a-z0-9]+)*")
STOPWORDS = frozenset(
    """a an and are as at be been but by did do does for from had has have he her his how i if in into is it its
    me my not of on or our she so than that the their them then there these they this those to up was we were what
    when where which who whom whose why will with would you your about after also any can could during more most
    other over said says should such some very just only both each according article articles report reported""".split()
)


def tokenize(text: str) -> list[str]:
    """Lower-cased word tokens without stopwords; possessives folded ("NATO's" -> "nato")."""
    tokens = []
    for token in _TOKEN.findall(text.lower()):
        token = re.sub(r"['’]s$", "", token).replace("’", "'")
        if token and token not in STOPWORDS:
            tokens.append(token)
    return tokens


class BM25Index:
    """BM25 over a fixed list of chunks, rebuilt when the store changes."""

    def __init__(self, chunks: Sequence[Chunk], text_of: Callable[[Chunk], str]):
        self.chunks = list(chunks)
        corpus = [tokenize(text_of(c)) or ["_empty_"] for c in self.chunks]
        self._bm25 = BM25Okapi(corpus) if corpus else None

    def search(self, query: str, n: int, keep: Callable[[Chunk], bool] | None = None) -> list[tuple[Chunk, float]]:
        """Top-n chunks by BM25 score (only those with a positive score)."""
        terms = tokenize(query)
        if self._bm25 is None or not terms:
            return []
        scores = np.asarray(self._bm25.get_scores(terms))
        order = np.argsort(-scores)
        out: list[tuple[Chunk, float]] = []
        for i in order:
            if scores[i] <= 0 or len(out) >= n:
                break
            if keep is None or keep(self.chunks[i]):
                out.append((self.chunks[i], float(scores[i])))
        return out
