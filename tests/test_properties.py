"""Property tests (hypothesis): chunk spans map back to the text and lose none of it; citation
parsing and repair never crash, never cite a passage that was not retrieved, never drop a sentence.
"""

from __future__ import annotations

import hashlib
import re

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qa_bot.citations import Passage, Verifier, extract_markers, split_answer, verify_and_repair
from vectorstore.bm25 import tokenize
from vectorstore.chunking import chunk_article
from vectorstore.documents import Article

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

WORDS = ["NATO", "Israel", "office", "Brussels", "said", "the", "minister", "2016", "28", "veto", "Dr.", "U.S.",
         "e.g.", "talks", "Turkey", "€40m", "“quoted”", "Ünïcode", "x" * 40, "3.5", "member", "(aside)", "—"]
SEPARATORS = [" ", " ", " ", ". ", "! ", "? ", "\n", "\n\n", ", ", "; ", "... ", ".\n\n", "\t"]


@st.composite
def article_texts(draw) -> str:
    n = draw(st.integers(min_value=0, max_value=300))
    parts = [draw(st.sampled_from(WORDS)) + draw(st.sampled_from(SEPARATORS)) for _ in range(n)]
    return draw(st.sampled_from(["", "  ", "\n"])) + "".join(parts)


def _words(text: str) -> int:
    return len(text.split())


@FAST
@given(text=article_texts(), max_tokens=st.integers(8, 120), overlap=st.integers(0, 30),
       comments_at=st.one_of(st.none(), st.floats(0.1, 0.9)))
def test_chunk_spans_map_back_and_lose_no_text(text, max_tokens, overlap, comments_at):
    sections = []
    if comments_at is not None and text.strip():
        cut = int(len(text) * comments_at)
        sections = [(cut, len(text), "comments")]
    article = Article(source_id="a.txt", text=text, sections=sections)
    article.content_hash = "h"
    chunks = chunk_article(article, _words, max_tokens, min(overlap, max_tokens // 2))
    covered = np.zeros(len(text), dtype=bool)
    for i, c in enumerate(chunks):
        assert c.index == i and 0 <= c.start < c.end <= len(text)
        assert c.text == text[c.start : c.end]  # the span is the text
        covered[c.start : c.end] = True
    lost = "".join(ch for ch, seen in zip(text, covered) if not seen and not ch.isspace())
    assert lost == ""  # no text falls between chunks
    assert len({c.chunk_id for c in chunks}) == len(chunks)


def _fake_embed(texts):
    """Bag of hashed words: similar word sets, similar vectors (deterministic, no model)."""
    out = np.zeros((len(texts), 64))
    for i, t in enumerate(texts):
        for w in tokenize(t):
            out[i, int(hashlib.md5(w.encode()).hexdigest(), 16) % 64] += 1
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.where(norms == 0, 1, norms)


VERIFIER = Verifier(_fake_embed, threshold=0.45)
CLAIM_WORDS = ["NATO", "Israel", "opened", "office", "Brussels", "2016", "Turkey", "lifted", "veto", "Herzog",
               "met", "Stoltenberg", "28", "members", "Paris", "1999", "blue", "quietly"]
MARKERS = ["", "", " [1]", " [2]", " [1][2]", " [3]", " [7]", " [0]", " [1, 2]", " [source 2]", " [99]", "[", "]", " []"]
PASSAGE_TEXTS = [
    "Israel opened an office at NATO headquarters in Brussels in 2016. NATO had 28 members then.",
    "Turkey lifted its veto on Israel in 2016 after the two reconciled.",
    "Herzog met Stoltenberg in Brussels.",
]


@st.composite
def model_answers(draw) -> str:
    sentences = []
    for _ in range(draw(st.integers(0, 6))):
        words = draw(st.lists(st.sampled_from(CLAIM_WORDS), min_size=0, max_size=10))
        end = draw(st.sampled_from([".", "!", "?", "", ".."]))
        sentences.append(" ".join(words) + draw(st.sampled_from(MARKERS)) + end)
    noise = draw(st.text(alphabet="[]0123456789 .,\n", max_size=12))
    return " ".join(sentences) + noise


@FAST
@given(raw=model_answers(), n_passages=st.integers(0, 3), question=st.sampled_from(["", "When did Israel open an office?",
                                                                                    "Is Turkey a member?"]))
def test_citation_repair_never_crashes_never_cites_unretrieved_never_drops_a_sentence(raw, n_passages, question):
    passages = [Passage(n=i + 1, text=t) for i, t in enumerate(PASSAGE_TEXTS[:n_passages])]
    sentences, support = verify_and_repair(raw, passages, VERIFIER, question)
    numbers = {p.n for p in passages}
    for s in sentences:
        assert set(s.citations) <= numbers and set(s.supported_by) <= numbers
        assert set(s.citations) <= set(s.supported_by)  # a marker shown is a marker checked
        assert s.supported == bool(s.supported_by) or not s.citations
    assert set(support) <= numbers
    # every sentence with words in it comes out, in order, with its text (markers aside)
    expected = [text for text, _ in (extract_markers(x, max(numbers, default=0)) for x in split_answer(raw)) if text]
    assert [s.text for s in sentences] == expected


@FAST
@given(raw=model_answers())
def test_splitting_keeps_every_word(raw):
    kept = set(tokenize(" ".join(split_answer(raw))))
    assert set(tokenize(re.sub(r"\[[^\]]*\]", " ", raw))) <= kept | {"source"}
