"""Separate a news page's article from the page furniture around it.

Scraped news text carries things that are not the article's own claims:
subscription pitches ("Dear Reader ..."), "Related Content" lists, cookie
notices, photo-credit captions repeated two or three times, "Previous
article / Next article" links, and reader comments. Furniture is dropped;
reader comments are kept but marked as a ``comments`` section so they are
never cited as what the article says.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Whole lines that are page furniture.
_DROP_LINE = re.compile(
    r"""^(
        cookie\s+settings | accept\s+(all\s+)?cookies | we\s+use\s+cookies.* | manage\s+cookies
      | loading\s+facebook\s+comments.* | comments\s+are\s+closed\.? | leave\s+a\s+(comment|reply).*
      | \d+\s+minutes?\s+read\.? | published:\s*(updated:?)? | updated:
      | (previous|next)\s+article.* | share\s+(this|on).{0,40} | advertisement | sponsored\s+content
      | sign\s+up\s+for\s+(our|the).{0,80}newsletter.* | subscribe\s+(now|today|to\s+our).{0,80}
      | click\s+here\s+to\s+.{0,80} | follow\s+us\s+on\s+.{0,60} | photo\s+credit:.* | image\s+credit:.*
    )$""",
    re.IGNORECASE | re.VERBOSE,
)
_CREDIT = re.compile(r"\((photo\s+)?credit:[^)]*\)\s*$|^\(?(photo\s+)?credit:.*$", re.IGNORECASE)
_PITCH_START = re.compile(r"^(dear\s+reader|dear\s+readers|support\s+(our|independent)\s+journalism)\b", re.IGNORECASE)
# After an opener, a pitch speaks to the reader as the publication ("we ask you", "help us") or sells ("$5 a month").
_ADDRESS = re.compile(r"\b(you|your|we|our|us)\b", re.IGNORECASE)
_SELLING = re.compile(r"subscri|paywall|donat|\$\s?\d|\bper\s+(month|year)\b", re.IGNORECASE)
_QUOTED = re.compile(r"[“\"][^”\"]*[”\"]")
_TRAILER = re.compile(
    r"^(related\s+(content|articles|stories|posts)|recommended(\s+for\s+you)?|more\s+(from|on)\s+.{0,40}|read\s+more:?|you\s+may\s+also\s+like|most\s+popular)$",
    re.IGNORECASE,
)
_NUMBERED = re.compile(r"^\s*\d{1,3}\.\s+\S")
_COMMENT_MARKER = re.compile(
    r"comments\s+are\s+closed|loading\s+facebook\s+comments|leave\s+a\s+(comment|reply)|^\d+\s+comments?$|^comments$",
    re.IGNORECASE,
)
_BULLET = re.compile(r"^\s*[•·▪●\-*]\s+")


@dataclass
class CleanedText:
    text: str
    sections: list[tuple[int, int, str]] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)


def clean_article(raw: str) -> CleanedText:
    """Return the article text with furniture removed and comments marked."""
    lines = [line.rstrip() for line in raw.replace("\r\n", "\n").split("\n")]
    keep = [True] * len(lines)
    dropped: list[str] = []

    def drop(i: int) -> None:
        if keep[i]:
            keep[i] = False
            if lines[i].strip():
                dropped.append(lines[i].strip())

    _drop_pitch_blocks(lines, drop)
    _drop_trailer(lines, drop)
    comment_lines = _find_comment_block(lines)
    captions = [_CREDIT.sub("", line.strip()).strip() for line in lines if _CREDIT.search(line.strip())]
    captions = [c for c in captions if c]
    for i, line in enumerate(lines):
        s = line.strip()
        if not s or i in comment_lines:
            continue
        if _DROP_LINE.match(s) or _COMMENT_MARKER.search(s) and len(s) < 60 or _CREDIT.search(s):
            drop(i)
        elif any(s == c or (len(s) > 30 and c.startswith(s)) for c in captions):
            drop(i)  # the caption repeated without its credit
    body = [lines[i].strip() if not _BULLET.match(lines[i]) else lines[i].strip() for i in range(len(lines)) if keep[i] and i not in comment_lines]
    text = _join_paragraphs(body)
    sections: list[tuple[int, int, str]] = []
    comments = [lines[i].strip() for i in sorted(comment_lines) if lines[i].strip()]
    if comments:
        start = len(text) + 2 if text else 0
        block = "\n\n".join(comments)
        text = f"{text}\n\n{block}" if text else block
        sections.append((start, len(text), "comments"))
    return CleanedText(text=text, sections=sections, dropped=dropped)


def _join_paragraphs(lines: list[str]) -> str:
    """Join kept lines; blank runs collapse to one paragraph break."""
    out: list[str] = []
    blank = False
    for line in lines:
        if not line:
            blank = bool(out)
            continue
        if out:
            out.append("\n\n" if blank else "\n")
        out.append(line)
        blank = False
    return "".join(out)


def _drop_pitch_blocks(lines: list[str], drop) -> None:
    """Drop 'Dear Reader' style appeals: the opener and the pitch lines after it."""
    i = 0
    while i < len(lines):
        if _PITCH_START.match(lines[i].strip()):
            drop(i)
            j = i + 1
            misses = 0
            while j < len(lines) and misses < 2:
                s = lines[j].strip()
                if not s:
                    j += 1
                    continue
                if _is_pitch_line(s) or _BULLET.match(lines[j]) or _looks_like_signature(s):
                    drop(j)
                    misses = 0
                else:
                    misses += 1
                    if misses == 1 and len(s) < 160 and j + 1 < len(lines) and _is_pitch_line(" ".join(lines[j + 1 : j + 4])):
                        drop(j)  # a short pitch line sandwiched between pitch lines
                        misses = 0
                j += 1
            i = j
        else:
            i += 1


def _is_pitch_line(s: str) -> bool:
    """A line of an appeal: it addresses the reader outside any quotation, or sells something."""
    return bool(_ADDRESS.search(_QUOTED.sub("", s)) or _SELLING.search(s))


def _looks_like_signature(s: str) -> bool:
    """'Jane Doe, CEO, Example Group' or 'The Editors' style sign-off lines."""
    if len(s) < 40 and re.match(r"^[A-Z][\w.\-’']+(\s+[A-Z][\w.\-’']+){0,3}$", s):
        return True
    return bool(re.match(r"^[A-Z][\w.\-’']+(\s+[A-Z][\w.\-’']+){1,3},\s*[\w\- ]+(,\s*[\w\- ]+)?$", s)) and len(s) < 90


def _drop_trailer(lines: list[str], drop) -> None:
    """'Related Content' and similar headers in the last part of a page start furniture to the end."""
    total = sum(len(line) for line in lines) or 1
    seen = 0
    for i, line in enumerate(lines):
        seen += len(line)
        if _TRAILER.match(line.strip()) and seen / total > 0.5:
            for j in range(i, len(lines)):
                drop(j)
            return


def _find_comment_block(lines: list[str]) -> set[int]:
    """Numbered reader comments: a run of numbered paragraphs followed by a comments marker."""
    marker_at = next((i for i in range(len(lines) - 1, -1, -1) if _COMMENT_MARKER.search(lines[i].strip())), None)
    if marker_at is None:
        return set()
    block: set[int] = set()
    i = marker_at - 1
    while i >= 0:
        s = lines[i].strip()
        if not s or _COMMENT_MARKER.search(s):
            i -= 1
            continue
        if _NUMBERED.match(lines[i]):
            block.add(i)
            i -= 1
            continue
        break
    return block if len(block) >= 2 else set()
