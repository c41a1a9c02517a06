"""Check free-standing claims against source texts: the engine behind ``qa-bot check-claims``.

A source may be a whole article: it is split into passages the way ingest chunks articles,
every passage is scored, and the best passage decides. The same scorer the answers use does
the scoring, so a benchmark of this command measures the product's own decision.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Sequence

import numpy as np

from qa_bot.citations import extract_markers
from vectorstore.chunking import chunk_article
from vectorstore.documents import Article

MAX_MARKER = 99  # any [n] a claim carries is a marker to remove
# (passages, claim) -> one score per passage
PassageScorer = Callable[[Sequence[str], str], np.ndarray]


@dataclass
class ClaimToCheck:
    id: str
    source: str
    claim: str


@dataclass
class ClaimVerdict:
    id: str
    score: float
    supported: bool
    passage: str

    def to_dict(self) -> dict:
        return {"id": self.id, "score": round(self.score, 6), "supported": self.supported, "passage": self.passage}


def read_claims(path: Path) -> tuple[list[ClaimToCheck], list[str]]:
    """The valid lines of a claims file, and one ``FILE:LINE: reason`` per bad line."""
    claims, errors = [], []
    with path.open(encoding="utf-8", errors="replace") as f:
        for number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            where = f"{path}:{number}"
            try:
                row = json.loads(line)
            except ValueError as exc:
                errors.append(f"{where}: not JSON ({exc.msg})")
                continue
            if not isinstance(row, dict):
                errors.append(f"{where}: expected an object with id, source and claim")
                continue
            missing = [k for k in ("source", "claim") if not isinstance(row.get(k), str) or not row[k].strip()]
            if missing:
                errors.append(f"{where}: missing or empty text field(s): {', '.join(missing)}")
                continue
            claims.append(ClaimToCheck(str(row.get("id", number)), row["source"], row["claim"]))
    return claims, errors


def split_source(text: str, count_tokens: Callable[[str], int], max_tokens: int, overlap_tokens: int) -> list[str]:
    """The passages ingest would store for this text."""
    chunks = chunk_article(Article(source_id="claim-source", text=text), count_tokens, max_tokens, overlap_tokens)
    return [c.text for c in chunks] or [text]


def check_claims(claims: Sequence[ClaimToCheck], split: Callable[[str], list[str]], scorer: PassageScorer,
                 threshold: float) -> Iterator[ClaimVerdict]:
    """One verdict per claim: its best passage's score against the threshold.

    Citation markers ("… [3].") are removed first, as the answer pipeline removes them before
    checking a sentence: they are pointers, not part of what is claimed.
    """
    for item in claims:
        passages = split(item.source)
        claim = extract_markers(item.claim, MAX_MARKER)[0] or item.claim
        scores = scorer(passages, claim)
        best = int(np.argmax(scores))
        score = float(scores[best])
        yield ClaimVerdict(item.id, score, score >= threshold, passages[best])
