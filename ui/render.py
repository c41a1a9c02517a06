"""Pure functions that turn answers into safe HTML for the chat and the source panel.

Everything that comes from an article, a model or a user (titles, snippets,
answers, file names, questions) is passed through :func:`html.escape` before it
is put into markup, so an article containing ``<script>`` shows as text. The
only markup in the output is the fixed markup written here.

Citation anchors are namespaced by turn (``src-<turn>-<n>``): the inline ``[n]``
of the answer to turn 3 links to ``#src-3-n``, so links in older answers keep
pointing at their own sources (kept, collapsed, under the latest ones).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Iterable, Sequence

from qa_bot.answer import Answer, AnswerSentence, Citation

UPLOAD_KINDS = (".txt", ".md", ".html", ".htm", ".pdf", ".jsonl")
SNIPPET_PREVIEW_CHARS = 600  # closest (non-supporting) sources show this much of their chunk
_MARKER = re.compile(r"\[(\d{1,2})\]")
_UNVERIFIED = re.compile(r"\s*\[unverified\]", re.IGNORECASE)
REFUSED_HEAD = "The articles don't say: no source supports an answer."
_SAFE_URL = re.compile(r"^https?://[^\s\"'<>]+$", re.IGNORECASE)

APP_CSS = """
.qa-status { color: var(--body-text-color-subdued); font-style: italic; }
.qa-draft { white-space: pre-wrap; opacity: .85; }
.qa-cite { font-weight: 600; text-decoration: none; padding: 0 .1em; }
.qa-cite:hover { text-decoration: underline; }
.qa-unverified { background: rgba(245, 158, 11, .18); border-bottom: 2px dotted #d97706; }
.qa-flag { color: #b45309; font-size: .8em; font-weight: 600; }
.qa-refusal { border-left: 4px solid #d97706; padding-left: .6em; }
.qa-error { border-left: 4px solid #dc2626; padding-left: .6em; }
.qa-note { color: var(--body-text-color-subdued); font-size: .85em; }
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
@media (max-width: 640px) {
  #qa-chat { height: 60vh !important; max-height: 60vh !important; }
}
"""


def esc(value: object) -> str:
    """Text as HTML text (quotes escaped too, so it is safe inside attributes)."""
    return html.escape("" if value is None else str(value), quote=True)


def anchor_id(turn: int, n: int) -> str:
    return f"src-{turn}-{n}"


def _text_html(text: str) -> str:
    """Escaped text with newlines kept as line breaks."""
    return esc(text).replace("\n", "<br>")


def _pretty_status(text: str) -> str:
    return text[:-3] + "…" if text.endswith("...") else text


# --- chat messages --------------------------------------------------------------
def render_user(question: str) -> str:
    return _text_html(question)


def render_streaming(status: str, draft: str = "", notes: Sequence[str] = ()) -> str:
    """The assistant message while it is being produced: latest status line, notes and streamed text."""
    parts = [f'<div class="qa-note">{esc(n)}</div>' for n in notes]
    if status:
        parts.append(f'<div class="qa-status">{esc(_pretty_status(status))}</div>')
    if draft:
        parts.append(f'<div class="qa-draft">{esc(draft)}</div>')
    return "".join(parts) or '<div class="qa-status">…</div>'


def render_error(message: str) -> str:
    return f'<div class="qa-error"><strong>⚠ Cannot answer:</strong> {esc(message)}</div>'


def render_chat_error(message: str) -> str:
    """A question that got no answer, as the final chat message."""
    return render_error(message) + '<div class="qa-meta">not answered</div>'


def _cite_link(turn: int, n: int, title: str = "") -> str:
    tip = f' title="{esc(f"Source [{n}]: {title}")}"' if title else ""
    return f'<a class="qa-cite" href="#{anchor_id(turn, n)}"{tip}>[{n}]</a>'


def _sentence_html(sentence: AnswerSentence, turn: int, titles: dict[int, str]) -> str:
    """One sentence like ``render_answer`` writes it, with links for markers and a flag if unsupported."""
    body = sentence.text.rstrip()
    end = body[-1] if body and body[-1] in ".!?" else ""
    core = body[:-1] if end else body
    links = "".join(_cite_link(turn, n, titles.get(n, "")) for n in sentence.citations if n in titles)
    text = esc(core) + (" " + links if links else "")
    if not sentence.supported:
        return (f'<span class="qa-unverified" title="No source supports this sentence">{text} '
                f'<span class="qa-flag">[unverified]</span></span>{esc(end or ".")}')
    return text + esc(end or ".")


def render_answer_text(text: str, turn: int, citations: Iterable[Citation] = ()) -> str:
    """An answer string with ``[n]`` markers (as ``Answer.answer`` holds it) as safe HTML with links."""
    titles = {c.n: c.title or c.source for c in citations}
    escaped = _text_html(text)

    def link(match: re.Match) -> str:
        n = int(match.group(1))
        return _cite_link(turn, n, titles[n]) if n in titles else match.group(0)

    escaped = _MARKER.sub(link, escaped)
    return _UNVERIFIED.sub(' <span class="qa-flag qa-unverified">[unverified]</span>', escaped)


def render_answer(answer: Answer, turn: int, notes: Sequence[str] = ()) -> str:
    """The final assistant message: verified answer with linked markers, refusal or error marked."""
    parts = [f'<div class="qa-note">{esc(n)}</div>' for n in notes]
    if answer.error:
        parts.append(render_error(answer.error))
    elif answer.refused:
        closest = len(answer.closest_sources)
        see = (f' <span class="qa-note">({closest} closest source{"s" if closest != 1 else ""} shown — '
               f'not supporting)</span>') if closest else ""
        parts.append(f'<div class="qa-refusal"><strong>⚠</strong> {_text_html(answer.answer)}{see}</div>')
    else:
        titles = {c.n: c.title or c.source for c in answer.citations}
        if answer.sentences:
            body = " ".join(_sentence_html(s, turn, titles) for s in answer.sentences)
        else:
            body = render_answer_text(answer.answer, turn, answer.citations)
        parts.append(f'<div class="qa-answer">{body}</div>')
    parts.append(f'<div class="qa-meta">{esc(_meta_line(answer))}</div>')
    return "".join(parts)


def _meta_line(answer: Answer) -> str:
    bits = [answer.mode, f"{answer.latency_s:.1f} s"]
    if answer.refused:
        bits.append("refused: no supporting source")
    elif not answer.error:
        verified = sum(1 for c in answer.citations if c.verified)
        bits.append(f"{verified}/{len(answer.citations)} source{'s' if len(answer.citations) != 1 else ''} verified")
        unverified = sum(1 for s in answer.sentences if not s.supported)
        if unverified:
            bits.append(f"{unverified} unverified sentence{'s' if unverified != 1 else ''}")
    return " · ".join(bits)


# --- source panel ------------------------------------------------------------------
def highlight_snippet(snippet: str, highlight: str) -> str:
    """The snippet as escaped text with the supporting sentence wrapped in ``<mark>``."""
    snippet = snippet or ""
    highlight = (highlight or "").strip()
    if not highlight:
        return esc(snippet)
    start = snippet.find(highlight)
    end = start + len(highlight)
    if start < 0:  # same words, different spacing
        pattern = r"\s+".join(re.escape(w) for w in highlight.split())
        match = re.search(pattern, snippet)
        if not match:
            return f'<mark class="qa-hl">{esc(highlight)}</mark><br>… {esc(snippet)}'
        start, end = match.span()
    return f'{esc(snippet[:start])}<mark class="qa-hl">{esc(snippet[start:end])}</mark>{esc(snippet[end:])}'


def _safe_url(url: str) -> str:
    url = (url or "").strip()
    return url if _SAFE_URL.match(url) else ""


def _badge_tip(support: float, verifier: str) -> str:
    """What the badge's number is: the trained checker's probability, or the fallback's overlap score."""
    if verifier == "model":
        return f"support checker: P(supported) = {support:.2f}"
    return f"word-overlap score {support:.2f} (the trained support checker was not used)"


def render_citation(c: Citation, turn: int, closest: bool = False, verifier: str = "model",
                    reading: bool = False) -> str:
    """One source card: [n], title, publisher, date, file and span, badge, snippet with highlight.

    ``closest``: a source shown beside a refusal; ``reading``: a source the model is reading now,
    before its answer (and so before any check).
    """
    if closest or reading:
        badge = ('<span class="qa-badge qa-reading">being read</span>' if reading
                 else '<span class="qa-badge qa-warn">not supporting</span>')
        snippet = c.snippet if len(c.snippet) <= SNIPPET_PREVIEW_CHARS else c.snippet[:SNIPPET_PREVIEW_CHARS].rstrip() + " …"
        body = esc(snippet)
        ident = f"{anchor_id(turn, c.n)}-{'reading' if reading else 'closest'}"
    else:
        badge = (f'<span class="qa-badge qa-ok" title="{esc(_badge_tip(c.support, verifier))}">verified ✓</span>' if c.verified
                 else '<span class="qa-badge qa-warn">not verified</span>')
        body = highlight_snippet(c.snippet, c.highlight)
        ident = anchor_id(turn, c.n)
    url = _safe_url(c.url)
    link = f' · <a href="{esc(url)}" target="_blank" rel="noopener noreferrer">link</a>' if url else ""
    meta = (f'{esc(c.publisher or "unknown publisher")} · {esc(c.published_at or "undated")} · '
            f'<code>{esc(c.source)}</code> chars {int(c.start)}–{int(c.end)}{link} · {badge}')
    cls = "qa-source qa-closest" if closest else "qa-source qa-pending" if reading else "qa-source"
    return (f'<li id="{esc(ident)}" class="{cls}">'
            f'<div class="qa-source-title">[{int(c.n)}] {esc(c.title or c.source)}</div>'
            f'<div class="qa-source-meta">{meta}</div>'
            f'<blockquote class="qa-snippet">{body}</blockquote></li>')


def _turn_sources(answer: Answer, turn: int) -> str:
    if answer.refused:
        cards = "".join(render_citation(c, turn, closest=True) for c in answer.closest_sources)
        head = f'<p class="qa-refused-head">⚠ {esc(REFUSED_HEAD)}</p>'
        if not cards:
            return head + '<p class="qa-empty">No article came close to this question.</p>'
        return head + '<h4>Closest sources — not supporting</h4><ol class="qa-source-list">' + cards + "</ol>"
    if not answer.citations:
        return '<p class="qa-empty">This answer cites no source.</p>'
    cards = "".join(render_citation(c, turn, verifier=answer.verifier or "model") for c in answer.citations)
    return '<ol class="qa-source-list">' + cards + "</ol>"


def render_sources(turns: Sequence[tuple[int, Answer]], reading: "Reading | None" = None) -> str:
    """The source panel for a conversation: the latest answer's sources, earlier ones collapsed.

    With ``reading``, the newest entry is the question being answered now and the sources its
    answer is being written from; every finished answer is then an earlier one.
    """
    turns = [(t, a) for t, a in turns if not a.error]
    if not turns and reading is None:
        return empty_sources()
    if reading is not None:
        count = len(reading.sources)
        cards = "".join(render_citation(c, reading.turn, reading=True) for c in reading.sources)
        parts = [f'<div class="qa-sources" data-turn="{int(reading.turn)}" data-state="reading"><h3>Sources</h3>'
                 f'<p class="qa-q">for “{esc(reading.question)}” — reading {count} source{"s" if count != 1 else ""}; '
                 f'each is checked against the answer when it is written</p>'
                 f'<ol class="qa-source-list">{cards}</ol>']
        earlier = turns
    else:
        latest_turn, latest = turns[-1]
        parts = [f'<div class="qa-sources" data-turn="{int(latest_turn)}" data-state="answered"><h3>Sources</h3>'
                 f'<p class="qa-q">for “{esc(latest.question)}”</p>{_turn_sources(latest, latest_turn)}']
        earlier = turns[:-1]
    for turn, answer in reversed(earlier):
        count = len(answer.closest_sources if answer.refused else answer.citations)
        parts.append(f'<details class="qa-earlier"><summary>Earlier: “{esc(answer.question)}” '
                     f'({count} source{"s" if count != 1 else ""})</summary>{_turn_sources(answer, turn)}</details>')
    parts.append("</div>")
    return "".join(parts)


@dataclass
class Reading:
    """The question being answered now and the sources its answer is being written from."""

    turn: int
    question: str
    sources: Sequence[Citation]


def empty_sources() -> str:
    return ('<div class="qa-sources"><h3>Sources</h3><p class="qa-empty">Ask a question: the sources of the '
            'answer appear here, with the supporting sentence highlighted. Click an inline [n] to jump to its '
            'source.</p></div>')


# --- articles tab ------------------------------------------------------------------
LIBRARY_HEADERS = ["source", "title", "publisher", "date", "chunks"]
RESULT_HEADERS = ["file", "result", "chunks", "detail"]


def library_rows(articles: Iterable[dict]) -> list[list]:
    """Rows for the library table (plain values: the table shows them as text)."""
    return [[a.get("source", ""), a.get("title", ""), a.get("publisher", ""), a.get("published_at", "") or "undated",
             int(a.get("chunks", 0) or 0)] for a in articles]
