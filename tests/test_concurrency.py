"""Many users at once: 16 extractive and 4 generative conversations through gradio_client against
the running UI while an ingest runs. No errors, no cross-talk, the store consistent afterwards.

Slow (the embedded LLM answers 8 turns one at a time); run it under flock on a shared machine.
"""

from __future__ import annotations

import re
import threading
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[1]

# (first question, follow-up that needs it, the article the follow-up must be answered from)
CONVERSATIONS = [
    ("Who did President Herzog meet at NATO headquarters in January 2023?", "What did he say about Iran?",
     "000_864da4a0ec9d2cba.txt"),
    ("Who said NATO's security guarantee does not apply to Israel?", "Which German magazine did he tell that?",
     "001_30abf332060f2f43.txt"),
    ("Which country lifted its veto on Israel's ties with NATO?", "After which incident had that country cut ties with Israel?",
     "004_f74d247cae532f0a.txt"),
    ("Who was Israel's Ambassador to the European Union in 2016?", "What else did he serve as?",
     "002_05428a4874db11a2.txt"),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory, embedder, free_port):
    from qa_bot.models import ModelUnavailable, assemble_model
    from qa_bot.pipeline import QABot
    from qa_bot.runtime import configure_offline_runtime
    from qa_bot.settings import Settings
    from ui.app import build_app, launch_kwargs

    try:
        model = assemble_model(Settings())
    except ModelUnavailable as exc:
        pytest.skip(f"embedded model unavailable: {exc}")
    settings = Settings(data_dir=tmp_path_factory.mktemp("busy"), llm_backend="llamacpp", llm_model_path=model,
                        mode="extractive", ui_port=free_port(), llm_concurrency=1,
                        ui_examples=0)  # no example questions asked in the background: they are tested elsewhere
    configure_offline_runtime(settings)
    bot = QABot(settings)
    bot.components.__dict__["embedder"] = embedder
    report = bot.components.ingestor.ingest([REPO / "data" / "articles"],
                                            metadata_path=REPO / "data" / "articles.meta.jsonl", progress=False)
    assert not report.errors
    demo = build_app(settings, bot)
    demo.launch(prevent_thread_lock=True, **launch_kwargs(settings))
    yield {"url": f"http://127.0.0.1:{settings.ui_port}", "demo": demo, "settings": settings}
    demo.close()


def _converse(url: str, i: int, mode: str) -> dict:
    from gradio_client import Client

    first, follow_up, source = CONVERSATIONS[i % len(CONVERSATIONS)]
    # A marker of its own in each question, so an answer can only be matched to the conversation that asked
    # it: without it, conversations 2 and 18 ask the same words and cross-talk cannot be told from a wrong mode.
    first, follow_up = f"{first} (conversation {i})", f"{follow_up} (conversation {i})"
    client = Client(url, verbose=False)  # its own session, so its own conversation state
    out = {"i": i, "mode": mode, "expect": (first, follow_up, source)}
    for n, question in enumerate((first, follow_up)):
        messages, sources_html, *_ = client.predict(question, mode, 3, "", "", "", api_name="/chat")
        out[f"messages{n}"], out[f"sources{n}"] = messages, sources_html
    return out


def _answered_in(answer_html: str, mode: str) -> bool:
    """The final message's meta line (ui/render.py) starts with the mode that produced it."""
    return re.search(rf'class="qa-meta">\s*{mode} ·', answer_html) is not None


def _text(message: dict) -> str:
    """A chat message's content as text (gradio_client returns a list of typed parts)."""
    content = message["content"]
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return str(content)


def test_many_conversations_while_ingesting(server, tmp_path):
    """16 extractive and 4 generative conversations at once, while an ingest runs: no error, no cross-talk.

    Cross-talk shows as another conversation's questions in the transcript, an answer in another
    mode, or a follow-up read without its own history (its sources lack the article it asks about).
    The wording of a small model's answer is not this test's subject (test_answer_e2e checks answers).
    """
    import html

    from tests.hostile.store_probe import probe

    extra = tmp_path / "extra"
    extra.mkdir()
    for j in range(30):
        (extra / f"harbour-{j:02d}.txt").write_text(
            f"Harbour report {j}\n\nThe port of Valdoria-{j} handled {1000 + j} container ships in its record year, "
            f"the harbour master Ilse Varga-{j} said on Monday. Cranes were added to berth {j}.\n")
    app = server["demo"].qa_app
    jobs = [(i, "extractive") for i in range(16)] + [(16 + i, "generative") for i in range(4)]
    ingested: list = []
    ingest = threading.Thread(target=lambda: ingested.extend(app.ingest_files(sorted(map(str, extra.iterdir())))))
    ingest.start()
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        results = list(pool.map(lambda job: _converse(server["url"], *job), jobs))
    ingest.join(timeout=900)
    assert not ingest.is_alive()
    assert [row[1] for row in ingested] == ["added"] * 30, ingested

    problems = []
    for r in results:
        first, follow_up, source = r["expect"]
        user_turns = [html.unescape(_text(m)) for m in r["messages1"] if m["role"] == "user"]
        answers = [_text(m) for m in r["messages1"] if m["role"] == "assistant"]
        if user_turns != [first, follow_up]:  # its own questions only: no cross-talk
            problems.append((r["i"], r["mode"], "cross-talk", user_turns))
        elif len(answers) != 2 or any("something went wrong" in a for a in answers):
            problems.append((r["i"], r["mode"], "error", answers))
        elif not all(_answered_in(a, r["mode"]) for a in answers):  # the meta line names the mode that answered
            problems.append((r["i"], r["mode"], "answered in another mode", [a[-200:] for a in answers]))
        elif source not in r["sources1"]:  # the follow-up was read with its own conversation's history
            problems.append((r["i"], r["mode"], f"follow-up not answered from {source}", answers[1][:300]))
    print(f"{len(results)} conversations, {len(problems)} with problems {[p[:3] for p in problems]}; "
          f"ingest rows: {[row[1] for row in ingested]}")
    assert not problems, problems

    state = probe(str(server["settings"].data_dir))
    assert len(state["chunks"]) == 35
    for src, versions in state["chunks"].items():
        assert len(versions) == 1
        (digest, indexes), = versions.items()
        assert indexes == list(range(state["expected"][src][digest]))
    found = app.components.retriever.search("How many container ships did the port of Valdoria-7 handle?", k=1)
    assert found[0].chunk.source_id == "harbour-07.txt"
