"""Pure functions that turn answers into safe HTML for the chat and the source panel.

The markup is in Jinja2 templates (``ui/templates/chat.html.j2``, ``sources.html.j2``)
rendered with autoescaping (:mod:`qa_bot.templating`): everything that comes from an
article, a model or a user (titles, snippets, answers, file names, questions) is
escaped, so an article containing ``<script>`` shows as text. The functions here
only prepare the values; the only markup in the output is the fixed markup of the
templates.

Citation anchors are namespaced by turn (``src-<turn>-<n>``): the inline ``[n]``
of the answer to turn 3 links to ``#src-3-n``, so links in older answers keep
pointing at their own sources (kept, collapsed, under the latest ones).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Iterable, Sequence

from qa_bot import templating
from qa_bot.answer import Answer, AnswerSentence, Citation
from qa_bot.citations import PARTLY, shown

UPLOAD_KINDS = (".txt", ".md", ".html", ".htm", ".pdf", ".jsonl")
SNIPPET_PREVIEW_CHARS = 600  # closest (non-supporting) sources show this much of their chunk
# a marker, or "[unverified]" with the spaces before it (not a line break: that is a <br> of its own)
_PIECE = re.compile(r"(?P<flag>[^\S\n]*\[unverified\])|\[(?P<n>\d{1,2})\]", re.IGNORECASE)
REFUSED_HEAD = "The articles don't say: no source supports an answer."
_SAFE_URL = re.compile(r"^https?://[^\s\"'<>]+$", re.IGNORECASE)

APP_CSS = """
.qa-status { color: var(--body-text-color-subdued); font-style: italic; }
.qa-draft { white-space: pre-wrap; opacity: .85; }
.qa-cite { font-weight: 600; text-decoration: none; padding: 0 .1em; }
.qa-cite:hover { text-decoration: underline; }
.qa-unverified { background: rgba(245, 158, 11, .18); border-bottom: 2px dotted #d97706; }
.qa-flag { color: #b45309; font-size: .8em; font-weight: 600; }
.qa-partly { background: rgba(245, 158, 11, .10); border-bottom: 1px dashed #d97706; }
.qa-left-out { color: var(--body-text-color-subdued); font-size: .85em; margin-top: .35em; }
.qa-left-out s { opacity: .8; }
.qa-refusal { border-left: 4px solid #d97706; padding-left: .6em; }
.qa-error { border-left: 4px solid #dc2626; padding-left: .6em; }
.qa-note { color: var(--body-text-color-subdued); font-size: .85em; }
.qa-searched { color: var(--body-text-color-subdued); font-size: .85em; margin-bottom: .3em; }
.qa-meta { color: var(--body-text-color-subdued); font-size: .8em; margin-top: .35em; }
.qa-sources { font-size: .95em; }
.qa-sources h3 { margin: .2em 0 .3em; font-size: 1.05em; }
.qa-sources .qa-q { color: var(--body-text-color-subdued); margin: 0 0 .4em; font-size: .9em; }
.qa-source { list-style: none; border: 1px solid var(--border-color-primary); border-radius: 8px;
  padding: .55em .75em; margin: .5em 0; scroll-margin-top: 1em; }
.qa-source:target { outline: 3px solid #f59e0b; background: rgba(245, 158, 11, .10); }
.qa-source:target mark.qa-hl { background: #f59e0b; }
.qa-source-list { padding: 0; margin: 0; }
.qa-source-title { font-weight: 600; }
.qa-source-meta { font-size: .85em; color: var(--body-text-color-subdued); margin: .15em 0; }
.qa-source-meta code { font-size: .95em; }
.qa-snippet { white-space: pre-wrap; font-size: .9em; margin: .4em 0 0; padding: .35em .6em;
  border-left: 3px solid var(--border-color-primary); }
mark.qa-hl { background: #fde68a; color: #111827; padding: 0 .1em; border-radius: 2px; }
.qa-badge { font-size: .78em; padding: .05em .5em; border-radius: 999px; white-space: nowrap; }
.qa-badge.qa-ok { background: #dcfce7; color: #166534; }
.qa-badge.qa-warn { background: #fef3c7; color: #92400e; }
.qa-badge.qa-reading { background: #e0e7ff; color: #3730a3; }
.qa-pending .qa-snippet { max-height: 9em; overflow: hidden; }
.qa-closest { border-style: dashed; opacity: .9; }
.qa-refused-head { color: #b45309; font-weight: 600; }
.qa-earlier { margin-top: .8em; }
.qa-earlier summary { cursor: pointer; color: var(--body-text-color-subdued); }
.qa-empty { color: var(--body-text-color-subdued); }
.qa-library-summary { font-size: .9em; color: var(--body-text-color-subdued); }
.qa-library-empty { border-left: 4px solid #2563eb; padding-left: .6em; color: var(--body-text-color); }
.qa-ingesting { color: #1d4ed8; font-weight: 600; }
.qa-examples-note { font-style: italic; }
@media (max-width: 640px) {
  #qa-chat { height: 60vh !important; max-height: 60vh !important; }
}
"""


def esc(value: object) -> str:
    """Text as HTML text (quotes escaped too, so it is safe inside attributes).

    The templates escape on their own; this is for code that puts text into HTML outside them.
    """
    return html.escape("" if value is None else str(value), quote=True)


def anchor_id(turn: int, n: int) -> str:
    return f"src-{turn}-{n}"


def _chat(macro: str, *args: object) -> str:
    return templating.call("ui", "chat.html.j2", macro, *args)


def _panel(macro: str, *args: object) -> str:
    return templating.call("ui", "sources.html.j2", macro, *args)


def _pretty_status(text: str) -> str:
    return text[:-3] + "…" if text.endswith("...") else text


# --- chat messages --------------------------------------------------------------
def render_user(question: str) -> str:
    return _chat("text_lines", "" if question is None else str(question))


def render_streaming(status: str, draft: str = "", notes: Sequence[str] = (), searched: str = "") -> str:
    """The assistant message while it is being produced: latest status line, notes, the question searched
    (when a follow-up was rewritten) and streamed text."""
    return _chat("streaming", _pretty_status(status) if status else status, draft, notes, searched)


def render_error(message: str) -> str:
    return _chat("error", message)


def render_chat_error(message: str) -> str:
    """A question that got no answer, as the final chat message."""
    return _chat("chat_error", message)


def _cite_link(turn: int, n: int, title: str = "") -> dict:
    return {"kind": "cite", "anchor": anchor_id(turn, n), "n": n, "title": title}


def _sentence(sentence: AnswerSentence, turn: int, titles: dict[int, str]) -> dict:
    """One sentence like ``render_answer`` writes it: links for markers, final punctuation kept."""
    body = sentence.text.rstrip()
    end = body[-1] if body and body[-1] in ".!?" else ""
    return {"core": body[:-1] if end else body, "end": end or ".", "supported": sentence.supported,
            "partly": sentence.level == PARTLY,
            "links": [_cite_link(turn, n, titles.get(n, "")) for n in sentence.citations if n in titles]}


def _answer_pieces(text: str, turn: int, titles: dict[int, str]) -> list[dict]:
    """The text cut at its ``[n]`` markers (those with a citation) and ``[unverified]`` flags."""
    pieces, done = [], 0
    for match in _PIECE.finditer(text):
        n = match.group("n")
        if n is not None and int(n) not in titles:
            continue  # a marker without a citation stays plain text
        pieces.append({"kind": "text", "text": text[done:match.start()]})
        pieces.append({"kind": "flag"} if n is None else _cite_link(turn, int(n), titles[int(n)]))
        done = match.end()
    pieces.append({"kind": "text", "text": text[done:]})
    return pieces


def render_answer_text(text: str, turn: int, citations: Iterable[Citation] = ()) -> str:
    """An answer string with ``[n]`` markers (as ``Answer.answer`` holds it) as safe HTML with links."""
    titles = {c.n: c.title or c.source for c in citations}
    return _chat("answer_text", _answer_pieces(text, turn, titles))


def render_answer(answer: Answer, turn: int, notes: Sequence[str] = ()) -> str:
    """The final assistant message: verified answer with linked markers, refusal or error marked."""
    titles = {c.n: c.title or c.source for c in answer.citations}
    searched = answer.standalone_question if answer.standalone_question != answer.question else ""
    view = {"notes": notes, "searched": searched, "error": answer.error, "refused": answer.refused, "text": answer.answer,
            "closest": len(answer.closest_sources), "meta": _meta_line(answer),
            "sentences": [_sentence(s, turn, titles) for s in answer.sentences if shown(s)],
            "left_out": [s.text for s in answer.sentences if not shown(s)],
            "pieces": [] if answer.sentences else _answer_pieces(answer.answer, turn, titles)}
    return _chat("answer", view)


def _meta_line(answer: Answer) -> str:
    bits = [answer.mode, f"{answer.latency_s:.1f} s"]
    if answer.refused:
        bits.append("refused: no supporting source")
    elif not answer.error:
        verified = sum(1 for c in answer.citations if c.verified and c.level != PARTLY)
        bits.append(f"{verified}/{len(answer.citations)} source{'s' if len(answer.citations) != 1 else ''} verified")
        partly = sum(1 for s in answer.sentences if s.level == PARTLY)
        if partly:
            bits.append(f"{partly} partly supported sentence{'s' if partly != 1 else ''}")
    return " · ".join(bits)


# --- source panel ------------------------------------------------------------------
def _highlight(snippet: str, highlight: str) -> dict:
    """Where the supporting sentence is in the snippet: the text before, the sentence, the text after."""
    snippet = snippet or ""
    highlight = (highlight or "").strip()
    if not highlight:
        return {"kind": "plain", "before": snippet}
    start = snippet.find(highlight)
    end = start + len(highlight)
    if start < 0:  # same words, different spacing
        pattern = r"\s+".join(re.escape(w) for w in highlight.split())
        match = re.search(pattern, snippet)
        if not match:
            return {"kind": "missing", "marked": highlight, "after": snippet}
        start, end = match.span()
    return {"kind": "found", "before": snippet[:start], "marked": snippet[start:end], "after": snippet[end:]}


def highlight_snippet(snippet: str, highlight: str) -> str:
    """The snippet as escaped text with the supporting sentence wrapped in ``<mark>``."""
    return _panel("snippet", _highlight(snippet, highlight))


def _safe_url(url: str) -> str:
    url = (url or "").strip()
    return url if _SAFE_URL.match(url) else ""


def _badge_tip(support: float, verifier: str) -> str:
    """What the badge's number is: the trained checker's probability, or the fallback's overlap score."""
    if verifier == "model":
        return f"support checker: P(supported) = {support:.2f}"
    if verifier == "combined":
        return f"support checker and word overlap combined: {support:.2f}"
    return f"word-overlap score {support:.2f} (the trained support checker was not used)"


def _card(c: Citation, turn: int, closest: bool = False, verifier: str = "model", reading: bool = False) -> dict:
    """What a source card shows (see ``render_citation``)."""
    if closest or reading:
        badge = "reading" if reading else "closest"
        snippet = c.snippet if len(c.snippet) <= SNIPPET_PREVIEW_CHARS else c.snippet[:SNIPPET_PREVIEW_CHARS].rstrip() + " …"
        body = {"kind": "plain", "before": snippet}
        ident = f"{anchor_id(turn, c.n)}-{'reading' if reading else 'closest'}"
    else:
        badge = ("partly supported" if c.level == PARTLY else "verified") if c.verified else "unverified"
        body = _highlight(c.snippet, c.highlight)
        ident = anchor_id(turn, c.n)
    return {"ident": ident, "cls": "qa-source qa-closest" if closest else "qa-source qa-pending" if reading else "qa-source",
            "n": int(c.n), "title": c.title or c.source, "publisher": c.publisher or "unknown publisher",
            "published_at": c.published_at or "undated", "source": c.source, "start": int(c.start), "end": int(c.end),
            "url": _safe_url(c.url), "badge": badge,
            "badge_tip": _badge_tip(c.support, verifier) if badge in ("verified", "partly supported") else "", "snippet": body}


def render_citation(c: Citation, turn: int, closest: bool = False, verifier: str = "model",
                    reading: bool = False) -> str:
    """One source card: [n], title, publisher, date, file and span, badge, snippet with highlight.

    ``closest``: a source shown beside a refusal; ``reading``: a source the model is reading now,
    before its answer (and so before any check).
    """
    return _panel("citation", _card(c, turn, closest, verifier, reading))


def _turn(answer: Answer, turn: int) -> dict:
    """One answer's entry in the panel: its question and cards."""
    if answer.refused:
        cards = [_card(c, turn, closest=True) for c in answer.closest_sources]
    else:
        cards = [_card(c, turn, verifier=answer.verifier or "model") for c in answer.citations]
    return {"turn": int(turn), "question": answer.question, "refused": answer.refused, "cards": cards}


def render_sources(turns: Sequence[tuple[int, Answer]], reading: "Reading | None" = None) -> str:
    """The source panel for a conversation: the latest answer's sources, earlier ones collapsed.

    With ``reading``, the newest entry is the question being answered now and the sources its
    answer is being written from; every finished answer is then an earlier one.
    """
    turns = [(t, a) for t, a in turns if not a.error]
    if not turns and reading is None:
        return empty_sources()
    now = None
    if reading is not None:
        now = {"turn": int(reading.turn), "question": reading.question,
               "cards": [_card(c, reading.turn, reading=True) for c in reading.sources]}
        earlier = turns
    else:
        earlier = turns[:-1]
    latest = None if reading is not None else _turn(turns[-1][1], turns[-1][0])
    return _panel("panel", now, latest, [_turn(a, t) for t, a in reversed(earlier)], REFUSED_HEAD)


@dataclass
class Reading:
    """The question being answered now and the sources its answer is being written from."""

    turn: int
    question: str
    sources: Sequence[Citation]


def empty_sources() -> str:
    return _panel("empty")


# --- the library, on the chat tab ---------------------------------------------------
def render_library_summary(summary, ingesting: str = "", examples_note: str = "") -> str:
    """What the library holds (a :class:`qa_bot.library.LibrarySummary`), an ingest in progress, or how to
    fill an empty library."""
    return templating.call("ui", "library.html.j2", "summary", summary, ingesting, examples_note)


def render_empty_library(ingesting: str = "") -> str:
    """The chat's answer while the library is empty: how to add articles, not a refusal."""
    from qa_bot.library import LibrarySummary

    return render_library_summary(LibrarySummary(articles=0, chunks=0), ingesting)


# --- articles tab ------------------------------------------------------------------
LIBRARY_HEADERS = ["source", "title", "publisher", "date", "chunks"]
RESULT_HEADERS = ["file", "result", "chunks", "detail"]


def library_rows(articles: Iterable[dict]) -> list[list]:
    """Rows for the library table (plain values: the table shows them as text)."""
    return [[a.get("source", ""), a.get("title", ""), a.get("publisher", ""), a.get("published_at", "") or "undated",
             int(a.get("chunks", 0) or 0)] for a in articles]
