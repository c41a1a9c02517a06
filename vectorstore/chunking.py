"""Sentence-aware chunking that remembers exactly where each chunk came from.

Chunks are packed from whole sentences up to a word-piece budget (under the
embedder's 256 limit), overlap by trailing sentences, never cross a section
boundary (article body vs. reader comments), and satisfy
``chunk.text == article.text[chunk.start:chunk.end]``.
"""

from __future__ import annotations

import hashlib
import re
from typing import Callable

from vectorstore.documents import Article, Chunk

_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "sen", "rep", "gov", "gen", "col", "lt", "sgt", "st", "jr", "sr",
    "inc", "corp", "co", "ltd", "vs", "etc", "no", "jan", "feb", "mar", "apr", "jun", "jul", "aug",
    "sep", "sept", "oct", "nov", "dec", "u.s", "u.k", "u.n", "e.g", "i.e", "a.m", "p.m",
}
_SENTENCE_END = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s+[\"'“‘(\[]?[A-Z0-9])|\n+")


def split_sentences(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Sentence spans (start, end) within text[start:end], whitespace trimmed."""
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    cursor = start
    for match in _SENTENCE_END.finditer(text, start, end):
        if match.group(0)[0] == "." and _is_abbreviation(text, match.start()):
            continue
        _append_trimmed(text, cursor, match.end(), spans)
        cursor = match.end()
    _append_trimmed(text, cursor, end, spans)
    return spans


def sentence_texts(text: str) -> list[str]:
    """The sentences of a text as strings (the whole text when it has no sentence break)."""
    return [text[s:e] for s, e in split_sentences(text)] or [text]


def _is_abbreviation(text: str, dot: int) -> bool:
    word = re.search(r"([\w.]+)$", text[max(0, dot - 12) : dot])
    if not word:
        return False
    token = word.group(1).lower().strip(".")
    return token in _ABBREVIATIONS or len(token) == 1


def _append_trimmed(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        spans.append((start, end))


def chunk_article(
    article: Article,
    count_tokens: Callable[[str], int],
    max_tokens: int,
    overlap_tokens: int,
) -> list[Chunk]:
    """Split an article into overlapping, sentence-aligned chunks with exact spans."""
    chunks: list[Chunk] = []
    for seg_start, seg_end, section in _segments(article):
        units = _bounded_units(article.text, split_sentences(article.text, seg_start, seg_end), count_tokens, max_tokens)
        for start, end in _pack(units, max_tokens, overlap_tokens):
            index = len(chunks)
            text = article.text[start:end]
            digest = hashlib.sha1(f"{article.content_hash}|{start}|{end}".encode()).hexdigest()[:16]
            chunks.append(
                Chunk(
                    chunk_id=f"{digest}-{index}",
                    source_id=article.source_id,
                    text=text,
                    start=start,
                    end=end,
                    section=section,
                    title=article.title,
                    publisher=article.publisher,
                    author=article.author,
                    published_at=article.published_at,
                    url=article.url,
                    path=article.path,
                    article_hash=article.content_hash,
                    index=index,
                )
            )
    return chunks


def _segments(article: Article) -> list[tuple[int, int, str]]:
    """Body spans between marked sections, plus the marked sections themselves."""
    out: list[tuple[int, int, str]] = []
    cursor = 0
    for start, end, name in sorted(article.sections):
        if start > cursor:
            out.append((cursor, start, "body"))
        out.append((start, end, name))
        cursor = end
    if cursor < len(article.text):
        out.append((cursor, len(article.text), "body"))
    return out


def _bounded_units(
    text: str, spans: list[tuple[int, int]], count_tokens: Callable[[str], int], max_tokens: int
) -> list[tuple[int, int, int]]:
    """Sentences with their token counts; sentences over budget are cut at word boundaries."""
    units: list[tuple[int, int, int]] = []
    for start, end in spans:
        n = count_tokens(text[start:end])
        if n <= max_tokens:
            units.append((start, end, n))
            continue
        words = [(m.start(), m.end()) for m in re.finditer(r"\S+", text[start:end])]
        piece_start = 0
        while piece_start < len(words):
            lo, hi = piece_start + 1, len(words)
            while lo < hi:  # longest run of words that fits
                mid = (lo + hi + 1) // 2
                if count_tokens(text[start + words[piece_start][0] : start + words[mid - 1][1]]) <= max_tokens:
                    lo = mid
                else:
                    hi = mid - 1
            s, e = start + words[piece_start][0], start + words[lo - 1][1]
            units.append((s, e, count_tokens(text[s:e])))
            piece_start = lo
    return units


def _pack(units: list[tuple[int, int, int]], max_tokens: int, overlap_tokens: int) -> list[tuple[int, int]]:
    """Greedy packing of sentence units into spans, repeating trailing sentences as overlap."""
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(units):
        total = 0
        j = i
        while j < len(units) and (j == i or total + units[j][2] + 1 <= max_tokens):
            total += units[j][2] + 1
            j += 1
        spans.append((units[i][0], units[j - 1][1]))
        if j >= len(units):
            break
        back, carried = j, 0
        while back - 1 > i and carried + units[back - 1][2] <= overlap_tokens:
            back -= 1
            carried += units[back][2]
        i = back
    return spans
