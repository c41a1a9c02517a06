"""Web safety without a server: uploads stay in the data dir, and deleting never reaches outside it.

The HTTP-level checks (auth on page, API and files; binding; file routes) are in
tests/test_web_http.py (slow: they start the real server).
"""

from __future__ import annotations

import json

import pytest


@pytest.fixture
def app(components):
    from ui.app import QAApp

    class Bot:  # the article handlers never ask questions
        pass

    bot = Bot()
    bot.components = components
    return QAApp(components.settings, bot)


@pytest.mark.parametrize("given,kept", [
    ("../../etc/passwd.txt", "passwd.txt"),
    ("/etc/cron.d/evil.txt", "evil.txt"),
    ("..", ""), (".", ""), (".hidden.txt", ""),
    ("a\\..\\..\\b.txt", "a_.._.._b.txt"),
    ("name with spaces ü.txt", "name with spaces ü.txt"),
    ("new\nline.txt", "new_line.txt"),
])
def test_upload_names_are_one_plain_component(given, kept):
    from ui.app import _upload_name

    assert _upload_name(given) == kept


def test_upload_with_an_odd_name_lands_in_the_uploads_folder(app, tmp_path):
    tmp = tmp_path / "incoming"
    tmp.mkdir()
    src = tmp / "report (final) ü.txt"
    src.write_text("The port of Valdoria handled record cargo volumes in 2023, its director said.")
    rows = app.ingest_files([str(src)])
    assert rows[0][:2] == ["report (final) ü.txt", "added"]
    assert (app.uploads / "report (final) ü.txt").is_file()
    assert sorted(p.name for p in app.settings.data_dir.iterdir()) == ["chroma", "keyword", "uploads"]  # store, keyword index, uploads: nothing else


def test_deleting_an_article_with_a_path_as_its_id_deletes_no_file_outside_uploads(app, tmp_path):
    """A .jsonl line's id is the article id; deleting it must not unlink <data>/uploads/<id>."""
    victim = app.settings.data_dir / "chroma" / "chroma.sqlite3"
    batch = tmp_path / "batch.jsonl"
    batch.write_text(json.dumps({"id": "../chroma/chroma.sqlite3",
                                 "text": "The Valdoria ferry added three electric boats this winter, the operator said."}))
    rows = app.ingest_files([str(batch)])
    assert rows[0][1] == "added" and victim.is_file()
    assert app.delete("../chroma/chroma.sqlite3").startswith("Deleted")
    assert victim.is_file()  # before the fix: unlinked, the store gone
    assert (app.uploads / "batch.jsonl").is_file()
    assert [a["source"] for a in app.library()] == []


def test_deleting_an_uploaded_article_removes_its_upload(app, tmp_path):
    src = tmp_path / "port.txt"
    src.write_text("The port of Valdoria handled record cargo volumes in 2023, its director said.")
    app.ingest_files([str(src)])
    assert (app.uploads / "port.txt").is_file()
    app.delete("port.txt")
    assert not (app.uploads / "port.txt").exists()


@pytest.mark.parametrize("name,size,reason", [
    ("a.exe", 10, "unsupported file type '.exe'"),
    ("a.svg", 10, "unsupported file type '.svg'"),
    ("noext", 10, "unsupported file type '(none)'"),
    ("big.txt", 2_000_000, "over the 1 MB upload limit"),
])
def test_uploads_limited_in_type_and_size(components, tmp_path, name, size, reason):
    from ui.app import QAApp

    app = QAApp(components.settings.with_overrides(ui_max_upload_mb=1), type("B", (), {"components": components})())
    path = tmp_path / name
    with open(path, "wb") as f:
        f.truncate(size)
    rows = app.ingest_files([str(path)])
    assert rows[0][1] == "rejected" and reason in rows[0][3]
    assert not (app.uploads / name).exists()
