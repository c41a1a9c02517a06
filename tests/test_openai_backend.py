"""The ``openai`` backend against a real ``python -m llama_cpp.server`` serving the packaged 0.5B GGUF (slow)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from conftest import REPO
from servers import Server, free_port

pytestmark = pytest.mark.slow
MODEL_ALIAS = "qwen2.5-coder-0.5b"
QUESTION = "Who did President Herzog meet at NATO headquarters in January 2023?"  # one the 0.5B answers


@pytest.fixture(scope="module")
def model_server(tmp_path_factory):
    from qa_bot.models import assemble_model
    from qa_bot.settings import Settings

    model = assemble_model(Settings(), MODEL_ALIAS)  # assembled once in the default data dir, reused
    port = free_port()
    log = tmp_path_factory.mktemp("llama-server") / "server.log"
    cmd = [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--model_alias", MODEL_ALIAS,
           "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "4096", "--n_threads", str(os.cpu_count() or 1),
           "--n_threads_batch", str(os.cpu_count() or 1), "--logits_all", "False", "--verbose", "False"]
    server = Server(cmd, f"http://127.0.0.1:{port}/v1/models", log).start(timeout=180)
    yield f"http://127.0.0.1:{port}/v1"
    server.stop()


def cli_env(seeded, base_url: str) -> dict:
    return dict(os.environ, QA_BOT_DATA_DIR=str(seeded.settings.data_dir), QA_BOT_LLM_BACKEND="openai",
                QA_BOT_OPENAI_BASE_URL=base_url, QA_BOT_OPENAI_MODEL=MODEL_ALIAS, QA_BOT_OPENAI_MAX_RETRIES="1")


def test_model_streams_token_by_token(model_server, make_settings):
    from langchain_core.messages import HumanMessage

    from qa_bot.llm import make_chat_model

    model = make_chat_model(make_settings(llm_backend="openai", openai_base_url=model_server, openai_model=MODEL_ALIAS,
                                          llm_max_tokens=24))
    pieces = [c.content for c in model.stream([HumanMessage("Count from one to ten in words.")])]
    assert len([p for p in pieces if p]) > 3  # streamed in pieces, not one final message
    assert "three" in "".join(pieces).lower()


def test_cli_ask_streams_a_cited_answer(seeded, model_server):
    out = subprocess.run([sys.executable, "-m", "qa_bot.cli", "ask", QUESTION], cwd=REPO, env=cli_env(seeded, model_server),
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "Stoltenberg" in out.stdout and "[1]" in out.stdout
    assert "Sources:" in out.stdout and "000_864da4a0ec9d2cba.txt" in out.stdout and "NOT verified" not in out.stdout
    assert "(verified)" in out.stdout or "(partly supported: check the passage)" in out.stdout  # the level's own test: test_ui_render
    assert "Stoltenberg" in out.stderr  # the tokens were streamed to the terminal as they came
    assert "unavailable" not in out.stderr  # generated through the server, not the extractive fallback
    assert "(generative" in out.stdout


def test_server_down_is_one_line_naming_the_url(seeded):
    url = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there
    out = subprocess.run([sys.executable, "-m", "qa_bot.cli", "ask", QUESTION], cwd=REPO, env=cli_env(seeded, url),
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 3, out.stderr[-3000:]
    last = out.stderr.strip().splitlines()[-1]
    assert last.startswith(f"qa-bot: cannot reach the model server at {url}")
    assert "Traceback" not in out.stderr
