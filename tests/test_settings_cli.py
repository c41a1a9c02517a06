"""Settings sources and the foundation's CLI must-shows, end to end through subprocesses."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

import pytest

from conftest import ARTICLES, REPO


def test_settings_env_toml_and_validation(tmp_path, monkeypatch):
    from qa_bot.settings import Settings

    toml = tmp_path / "qa.toml"
    toml.write_text('k = 7\nllm_backend = "none"\nchunk_tokens = 150\n')
    monkeypatch.setenv("QA_BOT_CONFIG", str(toml))
    monkeypatch.setenv("QA_BOT_K", "3")  # environment beats the file
    s = Settings(data_dir=tmp_path)
    assert (s.k, s.llm_backend, s.chunk_tokens) == (3, "none", 150)
    assert s.store_path == tmp_path.resolve() / "chroma"
    with pytest.raises(ValueError, match="256"):
        Settings(data_dir=tmp_path, chunk_tokens=300)
    with pytest.raises(ValueError, match="overlap"):
        Settings(data_dir=tmp_path, chunk_tokens=100, chunk_overlap_tokens=100)


def _cli(data_dir, *args, **env):
    full_env = dict(os.environ, QA_BOT_DATA_DIR=str(data_dir), **env)
    return subprocess.run([sys.executable, "-m", "qa_bot.cli", *args], cwd=REPO, env=full_env,
                          capture_output=True, text=True, timeout=600)


@pytest.mark.slow  # CLI processes or a model run; kept out of make test-fast, run by make test
def test_cli_ingest_twice_then_search_json(tmp_path):
    first = _cli(tmp_path, "ingest", str(ARTICLES), "--json", "--quiet")
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["chunks_added"] > 0
    second = _cli(tmp_path, "ingest", str(ARTICLES), "--quiet")
    assert "chunks added: 0" in second.stdout
    found = _cli(tmp_path, "search", "Who said NATO's security guarantee does not apply to Israel?", "--json")
    results = json.loads(found.stdout)
    assert results[0]["source_id"] == "001_30abf332060f2f43.txt" and "Der Spiegel" in results[0]["text"]
    assert {"score", "title", "published_at", "start", "end"} <= set(results[0])
    stats = _cli(tmp_path, "stats", "--json")
    assert json.loads(stats.stdout)["articles"] == 5


@pytest.mark.slow  # CLI processes or a model run; kept out of make test-fast, run by make test
def test_cli_ingest_reports_bad_files_and_continues(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.txt").write_text("Harbour news\n\nThe harbour authority reported record cargo volumes.")
    (folder / "bad.txt").write_bytes(b"\x00\xff" * 50)
    out = _cli(tmp_path / "data", "ingest", str(folder), "--quiet")
    assert out.returncode == 0
    assert "bad.txt: binary file" in out.stdout and "articles: 1" in out.stdout


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow  # CLI processes or a model run; kept out of make test-fast, run by make test
def test_server_mode_with_chroma_run(tmp_path):
    """`chroma run` serving a directory, used through HttpClient (QA_BOT_STORE_MODE=http)."""
    chroma = os.path.join(os.path.dirname(sys.executable), "chroma")
    port = _free_port()
    server = subprocess.Popen([chroma, "run", "--path", str(tmp_path / "served"), "--host", "127.0.0.1", "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.3)
        env = {"QA_BOT_STORE_MODE": "http", "QA_BOT_STORE_PORT": str(port)}
        ingest = _cli(tmp_path / "data", "ingest", str(ARTICLES), "--quiet", **env)
        assert ingest.returncode == 0, ingest.stderr
        found = _cli(tmp_path / "data", "search", "Mavi Marmara", "--json", "-k", "1", **env)
        assert json.loads(found.stdout)[0]["source_id"] == "004_f74d247cae532f0a.txt"
    finally:
        server.terminate()
        server.wait(timeout=30)
