"""Turn files into raw article records, with a clear reason for every file that can't be read.

Supported: .txt, .md, .html/.htm (main text via trafilatura), .pdf (pypdf),
.jsonl (one article per line: ``text`` plus metadata fields) and directories
(recursive). One bad file or line never stops the rest: it becomes a
:class:`LoadError` naming the file (and line) and the reason.
"""

from __future__ import annotations

import json
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
    """Expand paths (files or directories, recursively) into files to load, in a stable order."""
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            yield LoadError(str(path), "no such file or directory")
        elif path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                if any(part.startswith(".") for part in child.relative_to(path).parts):
                    continue  # hidden files and folders (.git, .DS_Store)
                if child.suffix.lower() in SUPPORTED_SUFFIXES:
                    yield child
        else:
            yield path


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


def decode_text(data: bytes) -> str:
    """Decode bytes as UTF-8, else a detected encoding; reject binary data."""
    head = data[:8192]
    if b"\x00" in head and not (head.startswith(b"\xff\xfe") or head.startswith(b"\xfe\xff")):
        raise UnreadableFile("binary file (contains NUL bytes), not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        from charset_normalizer import from_bytes

        best = from_bytes(data).best()
        if best is None:
            raise UnreadableFile("not UTF-8 and no text encoding could be detected") from None
        text = str(best)
    control = sum(1 for ch in text[:8192] if ord(ch) < 32 and ch not in "\n\r\t\f")
    if text and control / min(len(text), 8192) > 0.05:
        raise UnreadableFile("binary file (too many control characters), not text")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _load_html(path: Path, html: str) -> RawDocument:
    import trafilatura

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
    except (PdfReadError, ValueError, KeyError, TypeError) as exc:
        raise UnreadableFile(f"unreadable PDF: {exc}") from None
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
