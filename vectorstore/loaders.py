"""Turn files into raw article records, with a clear reason for every file that can't be read.

Supported: .txt, .md, .html/.htm (main text via trafilatura), .pdf (pypdf),
.jsonl (one article per line: ``text`` plus metadata fields) and directories
(recursive). One bad file or line never stops the rest: it becomes a
:class:`LoadError` naming the file (and line) and the reason.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

SUPPORTED_SUFFIXES = {".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".jsonl"}
METADATA_FIELDS = ("title", "source", "publisher", "author", "published_at", "url")


@dataclass
class RawDocument:
    """Text as read from disk, before cleaning."""

    source_id: str
    text: str
    path: str
    meta: dict[str, str] = field(default_factory=dict)
    is_html: bool = False


@dataclass
class LoadError:
    """Why one file (or one line of a .jsonl file) was not ingested."""

    path: str
    reason: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.reason}"


class UnreadableFile(Exception):
    """Raised inside a loader; turned into a LoadError by :func:`load_file`."""


def iter_input_files(paths: Iterable[str | Path]) -> Iterator[Path | LoadError]:
    """Expand paths (files or directories, recursively) into files to load, in a stable order.

    Inside a folder, symlinks are followed only to files within that folder: a link out
    of it, a broken link or a link loop gets its own error line; linked folders are not
    entered (their files are reached by their real path or not at all).
    """
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            yield from _walk(path)
        elif not path.exists():
            reason = "broken symlink or symlink loop" if path.is_symlink() else "no such file or directory"
            yield LoadError(str(path), reason)
        else:
            yield path


def _walk(root: Path) -> Iterator[Path | LoadError]:
    base = root.resolve()
    for dirpath, dirnames, filenames in os.walk(root):  # never follows linked folders
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))  # hidden folders (.git)
        here = Path(dirpath)
        for name in sorted(filenames + [d for d in dirnames if (here / d).is_symlink()]):
            child = here / name
            if name.startswith(".") or child.suffix.lower() not in SUPPORTED_SUFFIXES:
                continue
            if child.is_symlink():
                try:
                    target = child.resolve(strict=True)
                except (OSError, RuntimeError):
                    yield LoadError(str(child), "broken symlink or symlink loop; skipped")
                    continue
                if not target.is_relative_to(base):
                    yield LoadError(str(child), f"symlink points outside the ingested folder (to {target}); skipped")
                    continue
                if not target.is_file():
                    continue  # a linked folder inside the folder: its files are walked where they are
            elif not child.is_file():
                continue  # sockets, fifos, devices
            yield child


def load_file(path: Path, max_bytes: int) -> tuple[list[RawDocument], list[LoadError]]:
    """Load one file into raw documents; never raises for bad input."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        supported = ", ".join(sorted(SUPPORTED_SUFFIXES))
        return [], [LoadError(str(path), f"unsupported file type '{suffix or '(none)'}' (supported: {supported})")]
    try:
        size = path.stat().st_size
        if size == 0:
            raise UnreadableFile("empty file")
        if size > max_bytes:
            raise UnreadableFile(
                f"file is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.1f} MB cap "
                "(raise QA_BOT_MAX_FILE_MB to allow it)"
            )
        data = path.read_bytes()
        if suffix == ".pdf":
            return [_load_pdf(path, data)], []
        text = decode_text(data)
        if suffix == ".jsonl":
            return _load_jsonl(path, text)
        if suffix in (".html", ".htm"):
            return [_load_html(path, text)], []
        if not text.strip():
            raise UnreadableFile("file holds only whitespace")
        return [RawDocument(source_id=path.name, text=text, path=str(path))], []
    except UnreadableFile as exc:
        return [], [LoadError(str(path), str(exc))]
    except OSError as exc:
        return [], [LoadError(str(path), f"cannot read file: {exc.strerror or exc}")]
    except Exception as exc:  # a parser choking on hostile bytes: this file fails, the rest go on
        return [], [LoadError(str(path), f"could not be parsed ({type(exc).__name__}: {exc})")]


def decode_text(data: bytes) -> str:
    """Decode bytes as UTF-8, else a detected encoding; reject binary data."""
    head = data[:8192]
    if b"\x00" in head and not (head.startswith(b"\xff\xfe") or head.startswith(b"\xfe\xff")):
        raise UnreadableFile("binary file (contains NUL bytes), not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        from charset_normalizer import from_bytes

        matches = from_bytes(data)
        best = matches.best()
        if best is None:
            raise UnreadableFile("not UTF-8 and no text encoding could be detected") from None
        # Short Western text fits several code pages equally well; on a tie, take Windows-1252,
        # the web's default (the first tie is arbitrary: Latin-1 "Señor" came out as cp1250 "Seńor").
        tied = [m for m in matches if (m.chaos, m.coherence) == (best.chaos, best.coherence)]
        text = str(next((m for m in tied if m.encoding == "cp1252"), best))
    control = sum(1 for ch in text[:8192] if ord(ch) < 32 and ch not in "\n\r\t\f")
    if text and control / min(len(text), 8192) > 0.05:
        raise UnreadableFile("binary file (too many control characters), not text")
    return text.replace("\r\n", "\n").replace("\r", "\n")


_HIDDEN = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden|font-size\s*:\s*0(?![.\d]*[1-9])", re.IGNORECASE)


def visible_html(html: str) -> str:
    """The page without elements a reader never sees (hidden attribute, display:none, ...).

    Text hidden from readers is a classic place to plant instructions for AI systems;
    it is not the article.
    """
    import lxml.html

    try:
        tree = lxml.html.fromstring(html)
    except Exception:  # lxml refuses empty or odd documents: let trafilatura judge the page as it is
        return html
    hidden = [el for el in tree.iter() if isinstance(el.tag, str) and (
        el.get("hidden") is not None or el.get("aria-hidden", "").lower() == "true"
        or _HIDDEN.search(el.get("style", "")))]
    for el in hidden:
        if el.getparent() is not None:
            el.drop_tree()
    return lxml.html.tostring(tree, encoding="unicode")


def _load_html(path: Path, html: str) -> RawDocument:
    import trafilatura

    html = visible_html(html)
    doc = trafilatura.bare_extraction(html, include_comments=False, include_tables=True, with_metadata=True)
    text = getattr(doc, "text", None) if doc is not None else None
    if not text or not text.strip():
        raise UnreadableFile("HTML page has no extractable main text")
    meta = {}
    for key, attr in (("title", "title"), ("author", "author"), ("published_at", "date"), ("url", "url"), ("publisher", "sitename")):
        value = getattr(doc, attr, None)
        if value:
            meta[key] = str(value)
    if meta.get("title") and not text.startswith(meta["title"]):
        text = f"{meta['title']}\n\n{text}"
    return RawDocument(source_id=path.name, text=text, path=str(path), meta=meta, is_html=True)


def _load_pdf(path: Path, data: bytes) -> RawDocument:
    import io

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise UnreadableFile("PDF is encrypted")
        pages = [page.extract_text() or "" for page in reader.pages]
    except UnreadableFile:
        raise
    except Exception as exc:  # pypdf raises many kinds on damaged files (PdfReadError, ValueError, KeyError, ...)
        reason = "truncated or damaged" if isinstance(exc, PdfReadError) else type(exc).__name__
        raise UnreadableFile(f"unreadable PDF ({reason}: {exc})") from None
    text = "\n\n".join(p.strip() for p in pages if p.strip())
    if not text.strip():
        raise UnreadableFile("PDF has no extractable text (scanned images?)")
    meta = {}
    info = reader.metadata
    if info and info.title:
        meta["title"] = str(info.title)
    if info and info.author:
        meta["author"] = str(info.author)
    return RawDocument(source_id=path.name, text=text, path=str(path), meta=meta)


def _load_jsonl(path: Path, text: str) -> tuple[list[RawDocument], list[LoadError]]:
    docs: list[RawDocument] = []
    errors: list[LoadError] = []
    for lineno, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            errors.append(LoadError(str(path), f"invalid JSON ({exc.msg})", lineno))
            continue
        if not isinstance(record, dict):
            errors.append(LoadError(str(path), "line is not a JSON object", lineno))
            continue
        body = record.get("text") or record.get("body") or record.get("content")
        if not isinstance(body, str) or not body.strip():
            errors.append(LoadError(str(path), "no non-empty 'text' field", lineno))
            continue
        source_id = str(record.get("id") or f"{path.name}#{lineno}")
        meta = {k: str(record[k]) for k in METADATA_FIELDS if record.get(k)}
        docs.append(RawDocument(source_id=source_id, text=body, path=f"{path}:{lineno}", meta=meta))
    if not docs and not errors:
        errors.append(LoadError(str(path), "no articles in file"))
    return docs, errors


def load_metadata_manifest(path: Path) -> tuple[dict[str, dict[str, str]], list[LoadError]]:
    """Read a JSONL manifest of article metadata, keyed by file name and by id."""
    table: dict[str, dict[str, str]] = {}
    errors: list[LoadError] = []
    try:
        lines = path.read_text(encoding="utf-8").split("\n")
    except (OSError, UnicodeDecodeError) as exc:
        return {}, [LoadError(str(path), f"cannot read metadata manifest: {exc}")]
    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            if not isinstance(record, dict):
                raise ValueError("line is not a JSON object")
        except ValueError as exc:
            errors.append(LoadError(str(path), f"invalid metadata line: {exc}", lineno))
            continue
        meta = {k: str(record[k]) for k in METADATA_FIELDS if record.get(k)}
        for key in (record.get("file"), record.get("id")):
            if key:
                table[Path(str(key)).name] = meta
                table[Path(str(key)).stem] = meta
    return table, errors


def lookup_metadata(table: dict[str, dict[str, str]], doc: RawDocument) -> dict[str, str]:
    """Find a document's manifest entry by file name, id or file stem."""
    for key in (doc.source_id, Path(doc.source_id).stem, Path(doc.path.split(":")[0]).name):
        if key in table:
            return table[key]
    return {}
