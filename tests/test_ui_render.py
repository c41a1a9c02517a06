"""Fast tests of ui.render: escaping, citation links, unverified/refused marking, highlights."""

from __future__ import annotations

import re

import pytest

from qa_bot.answer import Answer, AnswerSentence, Citation
from ui import render

SCRIPT = "<script>alert(1)</script>"
IMG = '<img src=x onerror="window.__xss=1">'


def citation(n=1, **kw) -> Citation:
    values = dict(n=n, source=f"00{n}_article.txt", title=f"Title {n}", publisher="The Paper", published_at="2018-06-02",
                  chunk_id=f"c{n}", start=10, end=120, snippet="First sentence here. The supporting sentence is this one. Last.",
                  verified=True, support=0.8, highlight="The supporting sentence is this one.")
    values.update(kw)
    return Citation(**values)


def answer(**kw) -> Answer:
    values = dict(question="Who?", answer="Someone said it [1].", mode="extractive", latency_s=1.25,
                  citations=[citation()],
                  sentences=[AnswerSentence(text="Someone said it.", citations=[1], supported_by=[1], supported=True,
                                            support=0.9)])
    values.update(kw)
    return Answer(**values)


def assert_no_live_markup(html: str) -> None:
    """No element or attribute that could run script survives."""
    assert "<script" not in html.lower()
    assert "<img" not in html.lower()
    assert not re.search(r"<[^>]*\sonerror\s*=", html, re.IGNORECASE)


# --- escaping ------------------------------------------------------------------------
def test_source_panel_escapes_title_snippet_publisher_and_file_name():
    c = citation(title=f"Bad {SCRIPT}", snippet=f"Before {IMG} after. {SCRIPT} tail.", publisher=f"Pub {IMG}",
                 source=f"{IMG}.txt", highlight=f"{SCRIPT} tail.", url="javascript:alert(1)")
    html = render.render_sources([(1, answer(citations=[c], question=f"Q {SCRIPT}"))])
    assert_no_live_markup(html)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=&quot;window.__xss=1&quot;&gt;" in html
    assert "javascript:" not in html  # unsafe article URLs are dropped
    assert '<mark class="qa-hl">&lt;script&gt;alert(1)&lt;/script&gt; tail.</mark>' in html


def test_answer_and_question_are_escaped():
    a = answer(question=SCRIPT, answer=f"He wrote {IMG} [1].",
               sentences=[AnswerSentence(text=f"He wrote {IMG}.", citations=[1], supported=True)])
    html = render.render_answer(a, turn=1)
    assert_no_live_markup(html)
    assert "&lt;img src=x onerror=&quot;window.__xss=1&quot;&gt;" in html
    assert_no_live_markup(render.render_user(SCRIPT))
    assert render.render_user(SCRIPT) == "&lt;script&gt;alert(1)&lt;/script&gt;"


def test_streamed_tokens_status_and_errors_are_escaped():
    html = render.render_streaming("Searching the articles...", f"Draft {SCRIPT} [1]", notes=[IMG])
    assert_no_live_markup(html)
    assert "Searching the articles…" in html
    assert_no_live_markup(render.render_error(f"bad {IMG}"))


def test_fallback_text_rendering_escapes_and_links():
    html = render.render_answer_text(f"{SCRIPT} claim [1]. Other [unverified]. Fake [7].", 4, [citation()])
    assert_no_live_markup(html)
    assert 'href="#src-4-1"' in html
    assert "[7]" in html and "#src-4-7" not in html  # markers without a citation stay plain text
    assert "qa-flag" in html


def test_title_attribute_cannot_break_out():
    c = citation(title='x" onmouseover="alert(1)')
    html = render.render_answer(answer(citations=[c]), turn=1)
    assert 'onmouseover="alert' not in html
    assert "&quot; onmouseover=&quot;" in html


def test_library_rows_are_plain_values():
    rows = render.library_rows([{"source": "a.txt", "title": SCRIPT, "publisher": "", "published_at": "", "chunks": 3}])
    assert rows == [["a.txt", SCRIPT, "", "undated", 3]]  # the Dataframe shows str cells as text


# --- citations ------------------------------------------------------------------------
def test_markers_link_to_source_anchors():
    a = answer(citations=[citation(1), citation(2)],
               sentences=[AnswerSentence(text="One.", citations=[1], supported=True),
                          AnswerSentence(text="Two!", citations=[1, 2], supported=True)])
    html = render.render_answer(a, turn=3)
    assert '<a class="qa-cite" href="#src-3-1" title="Source [1]: Title 1">[1]</a>.' in html
    assert 'href="#src-3-2"' in html and html.count('href="#src-3-1"') == 2
    assert "!" in html  # the sentence keeps its own punctuation
    panel = render.render_sources([(3, a)])
    assert 'id="src-3-1"' in panel and 'id="src-3-2"' in panel


def test_source_card_shows_metadata_span_and_badge():
    html = render.render_citation(citation(), turn=1)
    for text in ("[1] Title 1", "The Paper", "2018-06-02", "001_article.txt", "chars 10–120", "verified ✓"):
        assert text in html
    unverified = render.render_citation(citation(verified=False), turn=1)
    assert "not verified" in unverified and "qa-warn" in unverified


def test_badge_tooltip_names_the_checker_probability_or_the_fallback():
    a = answer(citations=[citation(support=0.87)], verifier="model")
    assert 'title="support checker: P(supported) = 0.87"' in render.render_sources([(1, a)])
    fallback = answer(citations=[citation(support=0.52)], verifier="overlap")
    panel = render.render_sources([(1, fallback)])
    assert "word-overlap score 0.52" in panel and "P(supported)" not in panel
    both = render.render_sources([(1, answer(citations=[citation(support=0.61)], verifier="combined"))])
    assert "support checker and word overlap combined: 0.61" in both and "not used" not in both


def test_highlight_wraps_the_supporting_sentence():
    html = render.highlight_snippet("First. The supporting  sentence\nis here. Last.", "The supporting sentence is here.")
    assert html == 'First. <mark class="qa-hl">The supporting  sentence\nis here.</mark> Last.'
    assert render.highlight_snippet("abc", "") == "abc"
    missing = render.highlight_snippet("Other text.", "Not in it.")
    assert '<mark class="qa-hl">Not in it.</mark>' in missing and "Other text." in missing


def test_earlier_answers_keep_their_sources_collapsed():
    first = answer(question="First question?")
    second = answer(question="Second question?")
    html = render.render_sources([(1, first), (2, second)])
    assert html.index('id="src-2-1"') < html.index("<details")
    assert 'id="src-1-1"' in html and "Earlier: “First question?”" in html


# --- three levels, and refused -------------------------------------------------------------
def test_three_levels_verified_plain_partly_flagged_unsupported_left_out():
    a = answer(sentences=[AnswerSentence(text="Backed.", citations=[1], supported_by=[1], supported=True, level="verified"),
                          AnswerSentence(text="Half backed.", citations=[1], supported_by=[1], supported=True,
                                         level="partly supported"),
                          AnswerSentence(text="Not backed.", citations=[], supported=False, level="unsupported")])
    html = render.render_answer(a, turn=1)
    answer_part = html.split('<details class="qa-left-out">')[0]
    assert "Backed" in answer_part and not re.search(r'class="qa-partly"[^>]*>Backed', html)
    assert re.search(r'class="qa-partly"[^>]*>Half backed', html) and "[partly supported: check the passage]" in html
    assert "Not backed" not in answer_part  # not shown as the bot's claim ...
    assert "1 sentence left out: no article supports it" in html and "<s>Not backed.</s>" in html  # ... and said so
    assert "1 partly supported sentence" in html


def test_source_badge_shows_the_level_of_what_it_supports():
    partly = render.render_citation(citation(level="partly supported"), turn=1)
    assert "partly supported: check the passage" in partly and "verified ✓" not in partly
    assert "verified ✓" in render.render_citation(citation(level="verified"), turn=1)


@pytest.mark.parametrize("closest", [[], [citation(1, verified=False, highlight="")]])
def test_refusal_is_marked_with_closest_sources_not_supporting(closest):
    a = answer(refused=True, answer="The articles don't say. None of the ingested articles contains an answer.",
               citations=[], sentences=[], closest_sources=closest)
    chat = render.render_answer(a, turn=2)
    assert 'class="qa-refusal"' in chat and "The articles don&#x27;t say" in chat
    panel = render.render_sources([(2, a)])
    assert "The articles don&#x27;t say" in panel
    if closest:
        assert "Closest sources — not supporting" in panel and "not supporting</span>" in panel
        assert 'id="src-2-1-closest"' in panel and 'class="qa-source qa-closest"' in panel
        assert "<mark" not in panel
    else:
        assert "No article came close" in panel


def test_error_answers_show_a_message_and_no_sources():
    a = answer(error="the question is empty", citations=[], sentences=[])
    assert "Cannot answer" in render.render_answer(a, turn=1)
    assert render.render_sources([(1, a)]) == render.empty_sources()


# --- UI handlers with a stub bot (no gradio, no model) ------------------------------------
class _StubStore:
    def __init__(self):
        self.rows = [{"source": "a.txt", "title": "A", "publisher": "P", "published_at": "2020", "path": "/x/a.txt",
                      "chunks": 2}]
        self.deleted = []

    def articles(self):
        return list(self.rows)

    def count(self):
        return sum(r["chunks"] for r in self.rows)

    def delete_source(self, source):
        self.deleted.append(source)
        self.rows = [r for r in self.rows if r["source"] != source]
        return 2


class _StubIngestor:
    def __init__(self):
        self.calls = []

    def ingest(self, paths, **kw):
        from vectorstore.ingest import IngestReport

        self.calls.append([p.name for p in paths])
        return IngestReport(files=1, articles=1, chunks_added=3)


class _StubComponents:
    def __init__(self):
        self.store, self.ingestor = _StubStore(), _StubIngestor()
        self.invalidated = 0

        class _Retriever:
            def invalidate(inner):
                self.invalidated += 1

        self.retriever = _Retriever()


class _StubBot:
    def __init__(self, events=None):
        self.components = _StubComponents()
        self.events = events or []
        self.calls = []

    def ask_stream(self, question, history=None, mode=None, k=None, filters=None):
        from qa_bot.pipeline import validate_question

        self.calls.append((question, list(history or []), mode, k, filters))
        validate_question(question)
        yield from self.events

    def ask(self, question, history=None, mode=None, k=None, filters=None):
        from qa_bot.pipeline import validate_question

        self.calls.append((question, list(history or []), mode, k, filters))
        return answer(question=validate_question(question), mode=mode)


def _app(tmp_path, bot=None, **settings):
    from qa_bot.settings import Settings
    from ui.app import QAApp

    return QAApp(Settings(data_dir=tmp_path, ui_max_upload_mb=0.001, **settings), bot or _StubBot())


def test_auth_and_filter_parsing():
    from ui.app import UserInputError, make_filters, parse_auth

    assert parse_auth("ann:s3:cret") == ("ann", "s3:cret") and parse_auth(None) is None
    with pytest.raises(ValueError):
        parse_auth("no-colon")
    f = make_filters(" The Paper ", "2016", "2018-06-30")
    assert (f.publisher, f.date_from, f.date_to) == ("The Paper", "2016", "2018-06-30")
    assert make_filters("", "", "") is None
    for bad in (("", "16", ""), ("", "2018-13", ""), ("", "2019", "2018")):
        with pytest.raises(UserInputError):
            make_filters(*bad)


def test_chat_streams_status_tokens_then_the_rendered_answer(tmp_path):
    from qa_bot.pipeline import StreamEvent

    final = answer(question="Who?")
    bot = _StubBot([StreamEvent("status", "Searching the articles..."), StreamEvent("token", "Some<b>"),
                    StreamEvent("answer", answer=final)])
    app = _app(tmp_path, bot)
    updates = list(app.chat("Who?", "extractive", 3, "", "", "", None))
    chats = [u[0][-1]["content"] for u in updates]
    assert any("Searching the articles…" in c for c in chats)
    assert any("Some&lt;b&gt;" in c for c in chats)
    messages, panel, textbox, conv = updates[-1]
    assert messages[0] == {"role": "user", "content": "Who?"}
    assert 'href="#src-1-1"' in messages[-1]["content"] and 'id="src-1-1"' in panel and textbox == ""
    assert conv.turns == [("Who?", final.answer)]
    list(app.chat("And then?", "extractive", 3, "", "", "", conv))  # the follow-up gets the history
    assert bot.calls[-1][1] == [("Who?", final.answer)]
    assert app.new_conversation()[3].turns == []


@pytest.mark.parametrize("question, settings, expected", [
    ("", {}, "question is empty"),
    ("x" * 3000, {}, "limit is 2000"),
    ("Who?", {"date_from": "yesterday"}, "Date from must be"),
])
def test_chat_errors_become_messages(tmp_path, question, settings, expected):
    app = _app(tmp_path)
    args = {"publisher": "", "date_from": "", "date_to": ""} | settings
    *_, last = app.chat(question, "extractive", 3, args["publisher"], args["date_from"], args["date_to"], None)
    content = last[0][-1]["content"]
    assert expected in content and "qa-error" in content and "Traceback" not in content


def test_chat_hides_unexpected_exceptions(tmp_path):
    class Broken(_StubBot):
        def ask_stream(self, *a, **kw):
            raise RuntimeError("<b>boom</b>")

    *_, last = _app(tmp_path, Broken()).chat("Who?", "generative", 3, "", "", "", None)
    assert "something went wrong" in last[0][-1]["content"] and "&lt;b&gt;boom" in last[0][-1]["content"]


def test_ask_endpoint_returns_answer_dicts_and_errors(tmp_path):
    app = _app(tmp_path)
    ok = app.ask("Who?", '[["Earlier?", "Yes [1]."]]', "extractive", 3)
    assert ok["answer"] and ok["error"] is None and ok["citations"][0]["n"] == 1
    assert app.bot.calls[-1][1] == [["Earlier?", "Yes [1]."]]
    assert app.ask("", "[]")["error"] == "the question is empty"
    assert "not valid JSON" in app.ask("Who?", "[oops")["error"]
    assert "mode must be" in app.ask("Who?", "[]", "poetic")["error"]
    none_app = _app(tmp_path / "n", llm_backend="none")
    assert none_app.default_mode() == "extractive" and none_app._mode("generative") == "extractive"


def test_uploads_are_checked_copied_under_their_name_and_ingested(tmp_path):
    app = _app(tmp_path / "data")
    src = tmp_path / "in"
    src.mkdir()
    (src / "small.txt").write_text("Short.")
    (src / "big.md").write_text("x" * 5000)
    (src / "evil.exe").write_text("MZ")
    rows = app.ingest_files([str(src / "small.txt"), str(src / "big.md"), str(src / "evil.exe")])
    assert rows[0] == ["small.txt", "added", 3, "1 article added"]
    assert rows[1][:2] == ["big.md", "rejected"] and "over the 0.001 MB upload limit" in rows[1][3]
    assert rows[2][:2] == ["evil.exe", "rejected"] and "unsupported file type '.exe'" in rows[2][3]
    assert (tmp_path / "data" / "uploads" / "small.txt").read_text() == "Short."
    assert app.components.ingestor.calls == [["small.txt"]] and app.components.invalidated == 1


def test_delete_removes_an_article(tmp_path):
    app = _app(tmp_path)
    assert "Choose an article" in app.delete("")
    assert "No stored article" in app.delete("zzz.txt")
    assert app.delete("a.txt") == "Deleted 'a.txt' (2 chunks)."
    assert app.components.store.deleted == ["a.txt"] and app.components.invalidated == 1


def test_a_rewritten_follow_up_says_what_was_searched(tmp_path):
    from qa_bot.pipeline import StreamEvent

    searched = "What did Isaac Herzog say about <Iran>?"
    final = answer(question="What did he say?", standalone_question=searched, rewrite="rewritten")
    bot = _StubBot([StreamEvent("searched", searched), StreamEvent("token", "He said"),
                    StreamEvent("answer", answer=final)])
    updates = list(_app(tmp_path, bot).chat("What did he say?", "extractive", 3, "", "", "", None))
    chats = [u[0][-1]["content"] for u in updates]
    shown = "Searched: What did Isaac Herzog say about &lt;Iran&gt;?"
    assert shown in chats[2]  # while the answer is written, not only at the end
    assert shown in chats[-1]
    assert "Searched:" not in render.render_answer(answer(question="Who?", standalone_question="Who?"), 1)
