"""Loading every supported format, and a clear reason for every bad input."""

from __future__ import annotations

import json

import pytest

from vectorstore.loaders import iter_input_files, load_file, load_metadata_manifest

MB = 1_000_000


def _load(path, cap=5 * MB):
    return load_file(path, cap)


def test_txt_and_md(tmp_path):
    for name in ("a.txt", "b.md"):
        (tmp_path / name).write_text("Title line\n\nBody text here.", encoding="utf-8")
        docs, errors = _load(tmp_path / name)
        assert not errors
        assert docs[0].source_id == name and "Body text" in docs[0].text


def test_html_main_text_extracted(tmp_path):
    html = """<html><head><title>Big News Today</title></head><body>
    <nav><a href="/">Home</a> | <a href="/sports">Sports</a></nav>
    <article><h1>Big News Today</h1>
    <p>The city council approved a new budget for public libraries on Monday after a long debate.</p>
    <p>Council member Jane Roe said the funding would extend opening hours across all twelve branches.</p>
    </article><footer>Copyright 2024. Cookie settings.</footer></body></html>"""
    (tmp_path / "n.html").write_text(html, encoding="utf-8")
    docs, errors = _load(tmp_path / "n.html")
    assert not errors, errors
    assert "twelve branches" in docs[0].text
    assert "Sports" not in docs[0].text
    assert docs[0].meta.get("title") == "Big News Today"


def test_pdf(tmp_path):
    from reportlab.pdfgen import canvas

    path = tmp_path / "report.pdf"
    c = canvas.Canvas(str(path))
    c.drawString(72, 720, "The harbour authority reported record cargo volumes in 2023.")
    c.save()
    docs, errors = _load(path)
    assert not errors, errors
    assert "record cargo volumes" in docs[0].text


def test_jsonl_records_and_bad_lines(tmp_path):
    path = tmp_path / "batch.jsonl"
    lines = [
        json.dumps({"id": "x1", "text": "First article text.", "title": "One", "source": "Daily", "published_at": "2023-05-01"}),
        "{not json",
        json.dumps(["not", "an", "object"]),
        json.dumps({"id": "x2", "title": "no text"}),
        json.dumps({"id": "x3", "text": "Third article text."}),
    ]
    path.write_text("\n".join(lines), encoding="utf-8")
    docs, errors = _load(path)
    assert [d.source_id for d in docs] == ["x1", "x3"]
    assert docs[0].meta == {"title": "One", "source": "Daily", "published_at": "2023-05-01"}
    assert [e.line for e in errors] == [2, 3, 4]
    assert all(str(e).startswith(f"{path}:") for e in errors)


@pytest.mark.parametrize(
    "name,content,reason",
    [
        ("empty.txt", b"", "empty file"),
        ("blank.txt", b"   \n\n  ", "only whitespace"),
        ("bin.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4, "binary"),
        ("fake.pdf", b"%PDF-1.4 this is not really a pdf", "unreadable PDF"),
        ("notes.docx", b"PK\x03\x04", "unsupported file type"),
    ],
)
def test_bad_inputs_have_clear_reasons(tmp_path, name, content, reason):
    path = tmp_path / name
    path.write_bytes(content)
    docs, errors = _load(path)
    assert docs == []
    assert len(errors) == 1 and reason in errors[0].reason and errors[0].path == str(path)


def test_huge_file_rejected_by_cap(tmp_path):
    path = tmp_path / "huge.txt"
    path.write_text("word " * 300_000, encoding="utf-8")
    docs, errors = _load(path, cap=1 * MB)
    assert docs == [] and "over the 1.0 MB cap" in errors[0].reason


def test_non_utf8_is_detected(tmp_path):
    path = tmp_path / "latin1.txt"
    text = "Le ministre a déclaré que la coopération était très importante pour la sécurité régionale. " * 5
    path.write_bytes(text.encode("cp1252"))
    docs, errors = _load(path)
    assert not errors
    assert "coopération" in docs[0].text


def test_directories_recurse_and_skip_hidden(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / ".git").mkdir()
    (tmp_path / "a.txt").write_text("x")
    (tmp_path / "sub" / "b.md").write_text("y")
    (tmp_path / ".git" / "c.txt").write_text("z")
    (tmp_path / "image.png").write_bytes(b"\x89PNG")
    found = [p.name for p in iter_input_files([tmp_path, tmp_path / "missing.txt"]) if hasattr(p, "name")]
    errors = [e for e in iter_input_files([tmp_path / "missing.txt"])]
    assert found == ["a.txt", "b.md"]
    assert "no such file" in errors[0].reason


def test_metadata_manifest_by_file_and_id(tmp_path):
    path = tmp_path / "meta.jsonl"
    path.write_text(
        json.dumps({"id": "art_1", "file": "articles/art_1.txt", "source": "The Verge", "published_at": "2023-10-26T13:00:00+00:00"})
        + "\nnot json\n",
        encoding="utf-8",
    )
    table, errors = load_metadata_manifest(path)
    assert table["art_1.txt"]["source"] == "The Verge" and table["art_1"] is table["art_1.txt"]
    assert errors[0].line == 2


def test_latin1_text_is_not_read_as_a_central_european_code_page(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes("Café owners in Zürich said prices rose in März, according to the cantonal statistics "
                     "office. Señor Núñez disagreed.".encode("latin-1"))
    docs, errors = _load(path)
    assert not errors and "Señor Núñez" in docs[0].text and "Zürich" in docs[0].text
