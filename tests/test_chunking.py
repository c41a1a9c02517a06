"""Chunks are sentence-aligned, under the embedder's limit, overlapping, with exact spans."""

from __future__ import annotations

from pathlib import Path

import pytest

from vectorstore.chunking import chunk_article, split_sentences
from vectorstore.cleaning import clean_article
from vectorstore.documents import Article
from vectorstore.retrieval import index_text

ARTICLES = Path(__file__).resolve().parent.parent / "data" / "articles"


def _article(path: Path) -> Article:
    cleaned = clean_article(path.read_text(encoding="utf-8"))
    return Article(source_id=path.name, text=cleaned.text, sections=cleaned.sections, title="T", publisher="P",
                   published_at="2020-01-01", content_hash="h")


def test_split_sentences_handles_abbreviations():
    text = "Mr. Smith met Dr. Jones in the U.S. on Monday. They talked. “Good,” he said! Next?"
    spans = split_sentences(text)
    assert [text[s:e] for s, e in spans] == [
        "Mr. Smith met Dr. Jones in the U.S. on Monday.", "They talked.", "“Good,” he said!", "Next?"]


@pytest.mark.parametrize("path", sorted(ARTICLES.glob("*.txt")), ids=lambda p: p.name[:3])
def test_spans_exact_and_under_limit(path, embedder):
    count = embedder.tokenizer_counter()
    article = _article(path)
    chunks = chunk_article(article, count, max_tokens=200, overlap_tokens=40)
    assert chunks
    for chunk in chunks:
        assert chunk.text == article.text[chunk.start : chunk.end]
        assert count(index_text(chunk)) + 2 <= 256  # header + text + [CLS]/[SEP] fit the model
    covered = set()
    for chunk in chunks:
        covered.update(range(chunk.start, chunk.end))
    letters = {i for i, ch in enumerate(article.text) if not ch.isspace()}
    assert letters <= covered  # nothing of the article is lost


def test_chunks_overlap_and_respect_sections(embedder):
    article = _article(ARTICLES / "003_643e925b5d599b63.txt")
    chunks = chunk_article(article, embedder.tokenizer_counter(), max_tokens=60, overlap_tokens=20)
    body = [c for c in chunks if c.section == "body"]
    comments = [c for c in chunks if c.section == "comments"]
    assert body and comments
    start = article.sections[0][0]
    assert all(c.end <= start for c in body) and all(c.start >= start for c in comments)
    assert any(b.start < a.end for a, b in zip(body, body[1:]))  # consecutive chunks share text


def test_overlong_sentence_is_cut_at_word_boundaries(embedder):
    text = " ".join(f"word{i}" for i in range(600))
    article = Article(source_id="long.txt", text=text, content_hash="h")
    count = embedder.tokenizer_counter()
    chunks = chunk_article(article, count, max_tokens=100, overlap_tokens=10)
    assert len(chunks) > 3
    for c in chunks:
        assert count(c.text) <= 100 and c.text == text[c.start : c.end]
        assert not c.text.startswith(" ") and not c.text.endswith(" ")


def test_token_counter_counts_as_the_model_tokenizer_does_without_truncation(embedder):
    """The fast counter must agree with the model's own tokenizer, also past its 256-piece limit."""
    count = embedder.tokenizer_counter()
    tokenizer = embedder.model.tokenizer
    embedder.embed(["x " * 600])  # an encode that truncates, as every ingest does, must not cap the counter
    texts = ["", "NATO's 29-member alliance, said Jens Stoltenberg.", "Señor Müller – 2016/17 “quoted” 1,000,000 €",
             " ".join(["interoperability"] * 300)]
    for text in texts:
        assert count(text) == len(tokenizer(text, add_special_tokens=False, truncation=False)["input_ids"])
    assert count(texts[-1]) > 256
