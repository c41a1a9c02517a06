"""The chat for the user's own library (issue 30), in Debian's chromium with the real embedded LLM.

Three apps, one data dir each: the bundled articles, a second library of four articles on other subjects
(``tests/data/library_b``, written for these tests), and an empty one. On each page: the library line matches
``qa-bot stats --json`` run on the same data dir; the example questions are made by the app itself (in the
background, after the page loads) and every one shown, clicked, is answered with a verified citation; the two
libraries' examples differ; the empty library shows how to add articles. Screenshots go to tests/artifacts/.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_ui_browser import ARTIFACTS, _free_port, browser  # noqa: F401 (browser: the shared fixture)

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
SECOND = REPO / "tests" / "data" / "library_b"
SECOND_META = REPO / "tests" / "data" / "library_b.meta.jsonl"
EXAMPLES_TIMEOUT_MS = 600_000  # up to 6 candidates written and answered on 2 shared cores, model load included
ANSWER_TIMEOUT_MS = 240_000
UPLOAD = ("harbour_ferry.txt", "Ferry service returns to Port Ellery\n\nThe ferry between Port Ellery and "
          "Gull Island restarted on Monday after a two-year pause, with four crossings a day.\n")


def _app(tmp_path_factory, name: str, folder: Path | None, meta: Path | None):
    from qa_bot.models import ModelUnavailable, assemble_model
    from qa_bot.pipeline import QABot
    from qa_bot.runtime import configure_offline_runtime
    from qa_bot.settings import Settings
    from ui.app import build_app, launch_kwargs

    try:
        model = assemble_model(Settings())
    except ModelUnavailable as exc:
        pytest.skip(f"embedded model unavailable: {exc}")
    settings = Settings(data_dir=tmp_path_factory.mktemp(name), llm_backend="llamacpp", llm_model_path=model,
                        mode="generative", ui_host="127.0.0.1", ui_port=_free_port(), ui_auth=None,
                        llm_concurrency=1, ui_examples=3)
    configure_offline_runtime(settings)
    bot = QABot(settings)
    if folder is not None:
        report = bot.components.ingestor.ingest([folder], metadata_path=meta, progress=False)
        assert not report.errors, report.summary()
    demo = build_app(settings, bot)
    demo.launch(prevent_thread_lock=True, **launch_kwargs(settings))
    return {"url": f"http://127.0.0.1:{settings.ui_port}/", "settings": settings, "demo": demo}


def _close(server) -> None:
    server["demo"].qa_app.examples.refresh([])  # stop any preparing still going on
    server["demo"].close()


@pytest.fixture(scope="module")
def shown():
    """The examples each library showed, for the comparison between them."""
    return {}


def _page(browser, url: str):
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url, wait_until="domcontentloaded")
    page.locator("#qa-question textarea").wait_for(timeout=60_000)
    return context, page, errors


def _stats(settings) -> dict:
    out = subprocess.run([sys.executable, "-m", "qa_bot.cli", "stats", "--json"], cwd=REPO, capture_output=True,
                         text=True, timeout=300, env={**os.environ, "QA_BOT_DATA_DIR": str(settings.data_dir)})
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout)


def assert_summary_matches_stats(page, settings) -> dict:
    from playwright.sync_api import expect

    stats = _stats(settings)
    summary = page.locator("#qa-library-summary")
    expect(summary.locator(".qa-count")).to_have_attribute("data-articles", str(stats["articles"]), timeout=60_000)
    text = summary.inner_text()
    assert f"{stats['articles']} articles" in text, text
    assert f"{len(stats['publishers'])} outlets" in text and all(p in text for p in stats["publishers"]), text
    assert f"{stats['dates'][0]} to {stats['dates'][1]}" in text, text
    assert stats["newest"]["title"] in text and stats["newest"]["published_at"] in text, text
    return stats


def wait_for_examples(page) -> list[str]:
    """The example questions once the app has finished preparing them (some shown, or none could be)."""
    page.wait_for_function("""() => {
        const summary = document.querySelector('#qa-library-summary');
        if (!summary || summary.innerText.includes('Preparing example questions')) return false;
        const shown = [...document.querySelectorAll('#qa-examples button.qa-example')]
            .filter(b => b.offsetParent !== null && b.innerText.trim()).length;
        return shown > 0 || summary.innerText.includes('No example question could be answered');
    }""", timeout=EXAMPLES_TIMEOUT_MS, polling=500)
    buttons = page.locator("#qa-examples button.qa-example:visible")
    return [buttons.nth(i).inner_text().strip() for i in range(buttons.count())]


def ask_each_example(page, examples: list[str]) -> None:
    """Click each example in a new conversation: its answer cites a source marked verified."""
    from playwright.sync_api import expect

    for question in examples:
        page.locator("#qa-new").click()
        expect(page.locator("#qa-chat .qa-meta")).to_have_count(0, timeout=30_000)
        page.locator("#qa-examples button.qa-example", has_text=question).click()
        expect(page.locator("#qa-chat .qa-meta")).to_have_count(1, timeout=ANSWER_TIMEOUT_MS)
        answer = page.locator("#qa-chat .qa-answer, #qa-chat .qa-refusal, #qa-chat .qa-error").last
        assert page.locator("#qa-chat").inner_text().count(question) >= 1  # the example was asked as written
        assert answer.locator("a.qa-cite").count() >= 1, answer.inner_text()
        badges = page.locator("#qa-sources .qa-badge.qa-ok")
        assert badges.count() >= 1, (question, answer.inner_text(), page.locator("#qa-sources").inner_text())


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def _examples_shown(page, server, screenshot: str) -> list[str]:
    """The library line checked against ``qa-bot stats``; the examples once prepared (at least one)."""
    assert_summary_matches_stats(page, server["settings"])
    examples = wait_for_examples(page)
    shot(page, screenshot)
    assert examples, page.locator("#qa-library-summary").inner_text()
    return examples


def test_bundled_library_summary_and_examples(browser, tmp_path_factory, shown):
    from qa_bot.examples import BUNDLED_EXAMPLES

    server = _app(tmp_path_factory, "lib-bundled", REPO / "data" / "articles", REPO / "data" / "articles.meta.jsonl")
    context, page, errors = _page(browser, server["url"])
    try:
        examples = _examples_shown(page, server, "ui-library-bundled.png")
        assert set(examples) & set(BUNDLED_EXAMPLES), examples  # the demo's own examples, where they pass
        ask_each_example(page, examples)
        shown["bundled"] = examples
        assert not errors, errors
    finally:
        context.close()
        _close(server)


def test_second_library_has_its_own_summary_examples_and_follows_an_upload(browser, tmp_path_factory, shown):
    from playwright.sync_api import expect

    server = _app(tmp_path_factory, "lib-second", SECOND, SECOND_META)
    context, page, errors = _page(browser, server["url"])
    try:
        examples = _examples_shown(page, server, "ui-library-second.png")
        assert not set(examples) & set(shown.get("bundled", [])), (examples, shown)
        ask_each_example(page, examples)
        # a question about years the library lacks is told its range
        page.locator("#qa-new").click()
        page.locator("#qa-question textarea").fill("Who won the Port Ellery marathon in 2031?")
        page.locator("#qa-send").click()
        expect(page.locator("#qa-chat .qa-meta")).to_have_count(1, timeout=ANSWER_TIMEOUT_MS)
        chat = page.locator("#qa-chat").inner_text()
        assert "The articles don't say" in chat, chat  # refused: no article is from after 2025
        assert "The library holds articles from 2024-04-14 to 2025-06-07" in chat, chat
        # an upload: the chat tab's library line follows it, and a deletion brings it back
        upload = tmp_path_factory.mktemp("upload") / UPLOAD[0]
        upload.write_text(UPLOAD[1], encoding="utf-8")
        page.get_by_role("tab", name="Articles").click()
        page.locator("#qa-upload input[type=file]").set_input_files(str(upload))
        expect(page.locator("#qa-upload")).to_contain_text(UPLOAD[0], timeout=60_000)
        page.locator("#qa-ingest").click()
        expect(page.locator("#qa-library-note")).to_contain_text("Ingested 1 of 1 files", timeout=120_000)
        page.get_by_role("tab", name="Chat").click()
        assert assert_summary_matches_stats(page, server["settings"])["articles"] == 5
        page.get_by_role("tab", name="Articles").click()
        page.locator("#qa-library").get_by_text(UPLOAD[0], exact=True).click()  # selects the row
        expect(page.locator("#qa-delete-choice input")).to_have_value(UPLOAD[0], timeout=30_000)
        page.locator("#qa-delete").click()
        expect(page.locator("#qa-library-note")).to_contain_text("Deleted", timeout=60_000)
        page.get_by_role("tab", name="Chat").click()
        assert assert_summary_matches_stats(page, server["settings"])["articles"] == 4
        assert wait_for_examples(page) == examples  # the library as it was: its examples from the cache
        assert not errors, errors
    finally:
        context.close()
        _close(server)


def test_empty_library_says_how_to_add_articles(browser, tmp_path_factory):
    from playwright.sync_api import expect

    server = _app(tmp_path_factory, "lib-empty", None, None)
    context, page, errors = _page(browser, server["url"])
    try:
        summary = page.locator("#qa-library-summary")
        expect(summary).to_contain_text("The library is empty", timeout=60_000)
        expect(summary).to_contain_text("qa-bot ingest")
        assert page.locator("#qa-examples button.qa-example:visible").count() == 0
        page.locator("#qa-question textarea").fill("Who won the marathon?")
        page.locator("#qa-send").click()
        message = page.locator("#qa-chat .qa-library-empty")
        expect(message).to_contain_text("Articles", timeout=60_000)
        assert "articles don't say" not in page.locator("#qa-chat").inner_text()
        shot(page, "ui-library-empty.png")
        assert _stats(server["settings"])["articles"] == 0
        assert not errors, errors
    finally:
        context.close()
        _close(server)
