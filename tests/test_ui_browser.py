"""End-to-end tests of the Gradio UI in Debian's chromium, with the real embedded LLM.

One app is launched for the module on a free 127.0.0.1 port, over a temp data
dir holding the bundled articles plus an article full of HTML (XSS probes).
The tests share one page and run in file order (a conversation).
Screenshots go to tests/artifacts/.
"""

from __future__ import annotations

import re
import socket
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "tests" / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
GENERATIVE_TIMEOUT_MS = 180_000  # 2 shared cores, model load included
FAST_TIMEOUT_MS = 60_000

XSS_FILE = "zorbian_festival.txt"
XSS_ARTICLE = """Zorbian festival <b>news</b> <img src=x onerror="window.__xss=1">

The Zorbian Lantern Festival is held every March in the town of Quellbrook. Organisers warned visitors about a prank banner that read <script>alert(1)</script> and a sign that read <img src=x onerror="window.__xss=1"> near the main square.

Thousands of paper lanterns are released over the Quell river on the final night of the Zorbian festival, which has been celebrated in Quellbrook since 1872.
"""
UPLOAD_FILE = "vantoria_glass_guild.txt"
UPLOAD_ARTICLE = """Vantorian glassblowers choose a leader

The Vantorian Glassblowers' Guild elected Mirela Oskarsdottir as its first president in 1911, after a vote held in the harbour town of Ostervik.

The guild still runs a small museum of blown glass next to the Ostervik harbour.
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from qa_bot.models import ModelUnavailable, assemble_model
    from qa_bot.runtime import configure_offline_runtime
    from qa_bot.settings import Settings

    try:  # assembled once in the repo's default data dir, shared by every test data dir
        model = assemble_model(Settings())
    except ModelUnavailable as exc:
        pytest.skip(f"embedded model unavailable: {exc}")
    data_dir = tmp_path_factory.mktemp("ui-data")
    settings = Settings(data_dir=data_dir, llm_backend="llamacpp", llm_model_path=model, mode="generative",
                        ui_host="127.0.0.1", ui_port=_free_port(), ui_auth=None, llm_concurrency=1,
                        ui_examples=0)  # examples: tests/test_ui_library.py (here they would ask the model too)
    configure_offline_runtime(settings)

    from qa_bot.pipeline import QABot
    from ui.app import build_app, launch_kwargs

    bot = QABot(settings)
    extra = data_dir / "extra"
    extra.mkdir()
    (extra / XSS_FILE).write_text(XSS_ARTICLE, encoding="utf-8")
    report = bot.components.ingestor.ingest([REPO / "data" / "articles", extra / XSS_FILE],
                                            metadata_path=REPO / "data" / "articles.meta.jsonl", progress=False)
    assert not report.errors, report.summary()
    assert report.articles == 6
    demo = build_app(settings, bot)
    demo.launch(prevent_thread_lock=True, **launch_kwargs(settings))
    yield {"url": f"http://127.0.0.1:{settings.ui_port}/", "settings": settings, "demo": demo}
    demo.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (make browser)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _open(browser, url: str, width: int, height: int, log: dict):
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.on("dialog", lambda d: (log["dialogs"].append(d.message), d.dismiss()))
    page.on("request", lambda r: log["external"].append(r.url) if not r.url.startswith(("http://127.0.0.1", "data:", "blob:")) else None)
    page.on("pageerror", lambda e: log["errors"].append(str(e)))
    page.goto(url, wait_until="domcontentloaded")
    page.locator("#qa-question textarea").wait_for(timeout=FAST_TIMEOUT_MS)
    # record every status line and the longest streamed draft the chat shows
    page.evaluate("""() => {
        window.__statuses = []; window.__draft = 0;
        new MutationObserver(() => {
            document.querySelectorAll('#qa-chat .qa-status').forEach(e => {
                if (!window.__statuses.includes(e.textContent)) window.__statuses.push(e.textContent); });
            document.querySelectorAll('#qa-chat .qa-draft').forEach(e => {
                window.__draft = Math.max(window.__draft, e.textContent.length); });
        }).observe(document.body, {subtree: true, childList: true, characterData: true});
    }""")
    return context, page


@pytest.fixture(scope="module")
def log():
    return {"dialogs": [], "external": [], "errors": []}


@pytest.fixture(scope="module")
def page(browser, server, log):
    context, page = _open(browser, server["url"], 1280, 900, log)
    yield page
    context.close()


def set_mode(page, mode: str) -> None:
    """Choose the answer mode in the Settings accordion (opened and closed again if it was closed)."""
    radio = page.locator("#qa-mode").get_by_label(mode, exact=True)
    header = page.locator("#qa-settings").get_by_text("Settings", exact=True).first
    opened = not radio.is_visible()
    if opened:
        header.click()
    radio.check()
    if opened:
        header.click()
        radio.wait_for(state="hidden")


def ask(page, question: str, timeout_ms: int = FAST_TIMEOUT_MS):
    """Send a question; wait for its final message; return that message's locator."""
    from playwright.sync_api import expect

    done = page.locator("#qa-chat .qa-meta")
    before = done.count()
    page.locator("#qa-question textarea").fill(question)
    page.locator("#qa-send").click()
    expect(done).to_have_count(before + 1, timeout=timeout_ms)
    return page.locator("#qa-chat .qa-answer, #qa-chat .qa-refusal, #qa-chat .qa-error").last


def sources(page):
    return page.locator("#qa-sources")


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=False)


# --- tests ---------------------------------------------------------------------------
def test_generative_answer_streams_and_cites(page):
    from playwright.sync_api import expect

    set_mode(page, "generative")
    t0 = time.perf_counter()
    message = ask(page, "Who said NATO's security guarantee does not apply to Israel?", GENERATIVE_TIMEOUT_MS)
    print(f"generative answer in {time.perf_counter() - t0:.1f}s: {message.inner_text()!r}")
    statuses = page.evaluate("window.__statuses")
    assert "Searching the articles…" in statuses, statuses
    assert page.evaluate("window.__draft") > 0, "no token was streamed before the final answer"
    expect(message).to_contain_text("[1]")
    assert message.locator("a.qa-cite").count() >= 1
    panel = sources(page)
    expect(panel).to_contain_text("001_30abf332060f2f43.txt")
    card = panel.locator("li.qa-source", has_text="001_30abf332060f2f43.txt").first
    expect(card.locator(".qa-snippet")).to_contain_text("Der Spiegel")
    # the cited passage supports the answer: verified, or partly (its level is test_three_support_levels_...'s subject)
    expect(card.locator(".qa-badge.qa-ok, .qa-badge.qa-partly-badge")).to_have_count(1)
    expect(card).not_to_contain_text("not verified")
    expect(page.locator("#qa-chat")).not_to_contain_text("Traceback")


def test_clicking_a_citation_targets_its_highlighted_snippet(page):
    from playwright.sync_api import expect

    if page.locator("#qa-chat a.qa-cite").count() == 0:
        set_mode(page, "extractive")
        ask(page, "Who said NATO's security guarantee does not apply to Israel?")
    link = page.locator("#qa-chat a.qa-cite").last
    href = link.get_attribute("href")
    assert re.fullmatch(r"#src-\d+-\d+", href), href
    page.evaluate("window.scrollTo(0, 0)")
    link.click()
    target = page.locator(":target")
    expect(target).to_have_attribute("id", href[1:], timeout=5000)
    expect(target).to_be_in_viewport()
    expect(target.locator("mark.qa-hl")).to_have_count(1)
    assert target.locator("mark.qa-hl").inner_text().strip()
    outline = target.evaluate("e => getComputedStyle(e).outlineStyle")
    assert outline == "solid"  # the :target style marks the snippet
    shot(page, "ui-chat-desktop-citation.png")
    page.evaluate("window.scrollTo(0, 0)")
    shot(page, "ui-chat-desktop.png")


def test_a_follow_up_says_what_was_searched(page):
    """The conversation goes on from the Stoltenberg answer: the follow-up is rewritten with the real model (or the
    fallback, when the check rejects it) and the message says what was searched (issue 27)."""
    from playwright.sync_api import expect

    set_mode(page, "generative")
    question = "Why doesn't it apply?"
    message = ask(page, question, GENERATIVE_TIMEOUT_MS)
    searched = page.locator("#qa-chat .qa-searched").last
    expect(searched).to_be_visible()
    text = searched.inner_text()
    print(f"follow-up {question!r} searched as {text!r}; answer {message.inner_text()!r}")
    assert text.startswith("Searched: ") and text != f"Searched: {question}"
    assert re.search(r"Israel|NATO|guarantee", text), text  # it names what "it" stands for
    expect(page.locator("#qa-chat")).not_to_contain_text("Traceback")


def test_unanswerable_question_is_refused_and_marked(page):
    from playwright.sync_api import expect

    message = ask(page, "What is the capital of Australia?", GENERATIVE_TIMEOUT_MS)
    expect(message).to_contain_text("The articles don't say")
    assert "qa-refusal" in message.get_attribute("class")
    panel = sources(page)
    expect(panel).to_contain_text("The articles don't say")
    if panel.locator("li.qa-closest").count():
        expect(panel).to_contain_text("Closest sources — not supporting")
    shot(page, "ui-chat-desktop-refusal.png")


def test_upload_ingest_then_ask_about_it(page, tmp_path):
    from playwright.sync_api import expect

    path = tmp_path / UPLOAD_FILE
    path.write_text(UPLOAD_ARTICLE, encoding="utf-8")
    page.get_by_role("tab", name="Articles").click()
    page.locator("#qa-upload input[type=file]").set_input_files(str(path))
    expect(page.locator("#qa-upload")).to_contain_text(UPLOAD_FILE, timeout=FAST_TIMEOUT_MS)
    page.locator("#qa-ingest").click()
    results = page.locator("#qa-results")
    expect(results).to_contain_text(UPLOAD_FILE, timeout=FAST_TIMEOUT_MS)
    expect(results).to_contain_text("added")
    expect(page.locator("#qa-library")).to_contain_text(UPLOAD_FILE, timeout=FAST_TIMEOUT_MS)
    shot(page, "ui-articles.png")

    page.get_by_role("tab", name="Chat").click()
    set_mode(page, "extractive")
    message = ask(page, "Who was elected the first president of the Vantorian Glassblowers' Guild?")
    expect(message).to_contain_text("Mirela Oskarsdottir")
    expect(message).to_contain_text("[1]")
    expect(sources(page)).to_contain_text(UPLOAD_FILE)


def test_article_html_is_shown_as_text_never_run(page, log):
    from playwright.sync_api import expect

    set_mode(page, "extractive")
    message = ask(page, "When is the Zorbian Lantern Festival held?")
    expect(message).to_contain_text("Quellbrook")
    panel = sources(page)
    expect(panel).to_contain_text(XSS_FILE)
    expect(panel).to_contain_text("<script>alert(1)</script>")
    expect(panel).to_contain_text('<img src=x onerror="window.__xss=1">')
    page.get_by_role("tab", name="Articles").click()
    expect(page.locator("#qa-library")).to_contain_text('<img src=x onerror="window.__xss=1">')
    page.get_by_role("tab", name="Chat").click()
    time.sleep(0.5)  # give any injected handler a chance to fire
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert page.locator("img[src='x']").count() == 0
    assert page.locator("#qa-chat script, #qa-sources script").count() == 0
    assert log["dialogs"] == []
    assert log["external"] == [], f"the page fetched from the network: {log['external'][:5]}"


def test_new_conversation_clears_chat_and_sources(page):
    from playwright.sync_api import expect

    assert page.locator("#qa-chat .qa-meta").count() > 0
    page.locator("#qa-new").click()
    expect(page.locator("#qa-chat .qa-meta")).to_have_count(0, timeout=FAST_TIMEOUT_MS)
    expect(sources(page)).to_contain_text("Ask a question")


def test_empty_question_shows_a_message_not_a_traceback(page):
    from playwright.sync_api import expect

    message = ask(page, "   ")
    expect(message).to_contain_text("question is empty")
    expect(page.locator("#qa-chat")).not_to_contain_text("Traceback")


def test_mobile_layout_screenshot(browser, server, log):
    from playwright.sync_api import expect

    context, page = _open(browser, server["url"], 390, 844, log)
    try:
        set_mode(page, "extractive")
        ask(page, "What did Herzog tell NATO about Iran?")
        expect(sources(page).locator("li.qa-source").first).to_be_attached()
        # the end of the answer, the input and the first source card in one screen
        page.evaluate("""() => { const r = document.querySelector('#qa-chat').getBoundingClientRect();
                                 window.scrollBy(0, r.bottom - 0.42 * window.innerHeight); }""")
        shot(page, "ui-chat-mobile.png")
        page.screenshot(path=str(ARTIFACTS / "ui-chat-mobile-full.png"), full_page=True)
        page.locator("#qa-chat a.qa-cite").first.click()
        expect(page.locator(":target")).to_be_in_viewport()
        shot(page, "ui-chat-mobile-citation.png")
        assert log["dialogs"] == [] and log["errors"] == []
    finally:
        context.close()


SOURCES_FIRST_QUESTIONS = [
    "What did Herzog tell NATO about Iran?",
    "When did NATO accept Israel's official representative?",
    "Who said NATO's security guarantee does not apply to Israel?",
]


def test_sources_are_on_screen_before_the_answer_is_written(browser, server, log):
    """Issue 11: the source panel fills as soon as retrieval is done; p50 time to sources <= 1 s."""
    from playwright.sync_api import expect

    context, page = _open(browser, server["url"], 1280, 900, log)
    try:
        set_mode(page, "generative")
        done = page.locator("#qa-chat .qa-meta")
        waits = []
        for turn, question in enumerate(SOURCES_FIRST_QUESTIONS, start=1):
            reading = page.locator(f'#qa-sources .qa-sources[data-state="reading"][data-turn="{turn}"]')
            page.locator("#qa-question textarea").fill(question)
            t0 = time.perf_counter()
            page.locator("#qa-send").click()
            reading.wait_for(state="attached", timeout=FAST_TIMEOUT_MS)
            waits.append(time.perf_counter() - t0)
            assert done.count() == turn - 1, "the answer was finished before its sources were shown"
            expect(reading.locator("li.qa-source .qa-badge.qa-reading").first).to_have_text("being read")
            if turn == 1:
                shot(page, "ui-chat-sources-first.png")
            expect(done).to_have_count(turn, timeout=GENERATIVE_TIMEOUT_MS)
            expect(page.locator(f'#qa-sources .qa-sources[data-state="answered"][data-turn="{turn}"]')).to_be_attached()
        print(f"time to sources on screen, in asking order: {[round(w, 2) for w in waits]} s")
        waits.sort()
        assert waits[len(waits) // 2] <= 1.0, f"time to sources p50 {waits[len(waits) // 2]:.2f} s is over 1 s"
        assert log["errors"] == []
    finally:
        context.close()


# --- the three support levels, from a scripted answer -----------------------------------------
LEVELS_QUESTION = "What did Stoltenberg tell Der Spiegel about Israel?"
LEVELS_ANSWER = ("NATO will not side with Israel if the Islamic Republic of Iran attacks the Jewish state, the head of the "
                 "North Atlantic Treaty Organization told a German magazine on Saturday [1]. "  # verbatim: verified
                 "He said NATO would be closely watching Iran and that its cooperation with Israel is growing [1]. "  # loose
                 "Stoltenberg also announced that Israel will join NATO in 2025 [1].")  # no article says so


@pytest.fixture(scope="module")
def levels_server(tmp_path_factory):
    """The app over the bundled articles with a chat model that always writes LEVELS_ANSWER (the real verifier checks it)."""
    from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
    from langchain_core.messages import AIMessage
    from langchain_core.outputs import ChatGeneration, ChatResult

    from qa_bot.components import Components
    from qa_bot.pipeline import QABot
    from qa_bot.runtime import configure_offline_runtime
    from qa_bot.settings import Settings
    from ui.app import build_app, launch_kwargs

    class Scripted(GenericFakeChatModel):
        def _generate(self, messages, stop=None, run_manager=None, **kwargs):
            return ChatResult(generations=[ChatGeneration(message=AIMessage(content=LEVELS_ANSWER))])

    settings = Settings(data_dir=tmp_path_factory.mktemp("levels-data"), mode="generative", ui_host="127.0.0.1",
                        ui_port=_free_port(), ui_auth=None, ui_examples=0)  # the scripted model answers once
    configure_offline_runtime(settings)
    bot = QABot(settings, Components(settings, llm=Scripted(messages=iter(()))))
    bot.components.ingestor.ingest([REPO / "data" / "articles"], metadata_path=REPO / "data" / "articles.meta.jsonl",
                                   progress=False)
    demo = build_app(settings, bot)
    demo.launch(prevent_thread_lock=True, **launch_kwargs(settings))
    yield {"url": f"http://127.0.0.1:{settings.ui_port}/"}
    demo.close()


def test_three_support_levels_are_shown_verified_partly_and_left_out(browser, levels_server, log):
    """Issue 26: verified plain, partly supported flagged "check the passage", unsupported left out and said so."""
    from playwright.sync_api import expect

    context, page = _open(browser, levels_server["url"], 1280, 900, log)
    try:
        message = ask(page, LEVELS_QUESTION, GENERATIVE_TIMEOUT_MS)
        expect(message).to_contain_text("NATO will not side with Israel")
        partly = message.locator(".qa-partly")
        expect(partly).to_have_count(1)
        expect(partly).to_contain_text("closely watching Iran")
        expect(partly).to_contain_text("[partly supported: check the passage]")
        left_out = message.locator("details.qa-left-out")
        expect(left_out).to_contain_text("1 sentence left out: no article supports it")
        shown_text = message.inner_text().split("1 sentence left out")[0]
        assert "join NATO in 2025" not in shown_text  # not shown as the bot's claim
        badges = sources(page).locator("li.qa-source .qa-badge")
        expect(badges.filter(has_text="verified ✓")).to_have_count(1)
        expect(badges.filter(has_text="partly supported: check the passage")).to_have_count(1)
        shot(page, "ui-chat-support-levels.png")
    finally:
        context.close()
