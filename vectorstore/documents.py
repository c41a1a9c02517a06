"""The records that flow through ingestion and retrieval."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class Article:
    """One cleaned article, ready to chunk.

    ``text`` is the cleaned article text; chunk offsets index into it.
    ``sections`` lists (start, end, name) spans of ``text`` that are not the
    article's own voice (for example ``comments``), kept but marked.
    """

    source_id: str  # file name (or jsonl id): what citations name
    text: str
    title: str = ""
    publisher: str = ""
    author: str = ""
    published_at: str = ""  # ISO date (YYYY-MM-DD or full timestamp) or ""
    url: str = ""
    path: str = ""  # where it was loaded from
    content_hash: str = ""
    sections: list[tuple[int, int, str]] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)  # boilerplate removed, for reports

    def metadata(self) -> dict[str, str]:
        return {
            "source": self.source_id,
            "title": self.title,
            "publisher": self.publisher,
            "author": self.author,
            "published_at": self.published_at,
            "url": self.url,
            "path": self.path,
            "article_hash": self.content_hash,
        }


@dataclass
class Chunk:
    """A span of an article's cleaned text, the unit of retrieval and citation."""

    chunk_id: str
    source_id: str
    text: str
    start: int
    end: int
    section: str = "body"  # "body" or a marked section such as "comments"
    title: str = ""
    publisher: str = ""
    author: str = ""
    published_at: str = ""
    url: str = ""
    path: str = ""
    article_hash: str = ""
    index: int = 0  # position in its article

    def to_dict(self) -> dict:
        return asdict(self)

    def header(self) -> str:
        """Metadata line indexed with the text so questions naming a publisher or date match."""
        parts = [p for p in (self.title, self.publisher, self.published_at[:10]) if p]
        return " | ".join(parts)


def index_text(chunk: Chunk, with_header: bool = True) -> str:
    """What is embedded and keyword-indexed for a chunk: its metadata header and text."""
    header = chunk.header() if with_header else ""
    return f"{header}\n{chunk.text}" if header else chunk.text


@dataclass
class ScoredChunk:
    """A retrieved chunk with its fused score and the ranks that produced it."""

    chunk: Chunk
    score: float
    dense_rank: int | None = None
    bm25_rank: int | None = None
    dense_similarity: float | None = None
    bm25_score: float | None = None

    def to_dict(self) -> dict:
        d = self.chunk.to_dict()
        d.update(
            score=round(self.score, 6),
            dense_rank=self.dense_rank,
            bm25_rank=self.bm25_rank,
            dense_similarity=None if self.dense_similarity is None else round(self.dense_similarity, 4),
            bm25_score=None if self.bm25_score is None else round(self.bm25_score, 4),
        )
        return d
