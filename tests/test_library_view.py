"""The library at a glance and its example questions (issue 30), with stub bots: no model, no browser.

What the chat shows of the library must be what ``qa-bot stats`` prints; an example question is shown only
after the bot answered it with a verified citation; the examples are cached against the library and made
again when it changes; an empty library gets guidance, not a refusal.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from qa_bot.answer import Answer, Citation
from qa_bot.library import library_fingerprint, outside_range_note, summarize

REPO = Path(__file__).resolve().parent.parent
ROWS = [
    {"source": "a.txt", "title": "Alpha wins the race", "publisher": "Daily A", "published_at": "2019-03-02", "chunks": 3,
     "article_hash": "h1"},
    {"source": "b.txt", "title": "Beta opens a plant", "publisher": "Business B", "published_at": "2021-07",
     "chunks": 2, "article_hash": "h2"},
    {"source": "c.txt", "title": "Gamma study", "publisher": "Daily A", "published_at": "", "chunks": 1,
     "article_hash": "h3"},
]


def test_the_summary_counts_outlets_dates_and_names_the_newest_dated_article():
    s = summarize(ROWS)
    assert (s.articles, s.chunks, s.publishers) == (3, 6, ["Business B", "Daily A"])
    assert (s.first_date, s.last_date) == ("2019-03-02", "2021-07")
    assert s.newest["title"] == "Beta opens a plant"
    empty = summarize([])
    assert empty.empty and empty.newest is None and empty.first_date == ""


def test_the_fingerprint_changes_when_an_article_is_replaced_added_or_removed():
    base = library_fingerprint(ROWS)
    assert library_fingerprint(list(reversed(ROWS))) == base  # order does not matter
    changed = [dict(ROWS[0], article_hash="new"), *ROWS[1:]]
    assert library_fingerprint(changed) != base
    assert library_fingerprint(ROWS[:2]) != base


def test_a_question_about_years_outside_the_library_is_told_its_range():
    s = summarize(ROWS)
    assert outside_range_note("Who won in 2024?", s) == "The library holds articles from 2019-03-02 to 2021-07."
    assert outside_range_note("What happened in 2015 and 2024?", s) is not None
    assert outside_range_note("Who won in 2020?", s) is None  # inside
    assert outside_range_note("What happened in 2015 and 2020?", s) is None  # one year is inside
    assert outside_range_note("Who won the race?", s) is None  # no year asked
    assert outside_range_note("Who won?", s, date_from="2023") is not None  # the filter asks for later
    assert outside_range_note("Who won?", s, date_to="2020-01") is None


# --- example questions --------------------------------------------------------------
class _Message:
    def __init__(self, content):
        self.content = content


class _WritingModel:
    """Writes the questions it is given, one per call, and records the prompts."""

    def __init__(self, questions):
        self.questions, self.prompts = list(questions), []

    def invoke(self, messages, **kw):
        self.prompts.append("\n".join(str(m.content) for m in messages))
        return _Message(self.questions.pop(0) if self.questions else "")


class _Store:
    def __init__(self, rows):
        self.rows = rows

    def articles(self):
        return list(self.rows)

    def count(self):
        return sum(r["chunks"] for r in self.rows)

    def lead(self, source):
        return f"The lead paragraph of {source}."


class _Components:
    def __init__(self, rows, model):
        from qa_bot.queueing import GenerationQueue

        self.store, self.model, self.generation_queue = _Store(rows), model, GenerationQueue(1)

    def llm(self):
        return self.model


def _cited(level: str) -> Citation:
    return Citation(n=1, source="a.txt", title="A", publisher="P", published_at="2020", chunk_id="a-0", start=0,
                    end=10, snippet="s", verified=bool(level), level=level)


class _Bot:
    """Answers each question with the outcome it is told: "verified", "partly supported" or "refused"."""

    def __init__(self, rows, model, outcomes):
        self.components = _Components(rows, model)
        self.outcomes, self.asked = outcomes, []

    def ask(self, question, history=None, mode=None, **kw):
        self.asked.append((question, mode))
        outcome = self.outcomes.get(question, "verified")
        if outcome == "refused":
            return Answer(question=question, answer="The articles don't say.", refused=True)
        return Answer(question=question, answer="X [1].", citations=[_cited(outcome)])


def _examples(bot, tmp_path, count=2, mode="generative"):
    from qa_bot.examples import ExampleQuestions

    return ExampleQuestions(bot, count, lambda: mode, "model-x", tmp_path)


def test_only_questions_answered_with_a_verified_citation_are_shown(tmp_path):
    model = _WritingModel(["Question: Who won the Alpha race in 2019?", "What did the article say about Beta?",
                           "How much will Beta's plant cost?"])
    bot = _Bot(ROWS, model, {"Who won the Alpha race in 2019?": "partly supported"})
    state = _examples(bot, tmp_path).refresh(ROWS, wait=True)
    # the first is only partly supported, the second talks about "the article": neither is shown
    assert state.questions == ["How much will Beta's plant cost?"]
    assert not state.preparing
    assert [q for q, _ in bot.asked] == ["Who won the Alpha race in 2019?", "How much will Beta's plant cost?"]
    assert all(mode == "generative" for _, mode in bot.asked)
    assert "The lead paragraph of b.txt." in model.prompts[0]  # newest article first, outlets in turn
    cache = json.loads((tmp_path / "examples.json").read_text())
    assert cache["questions"] == state.questions
    assert {r["question"] for r in cache["rejected"]} == {"Who won the Alpha race in 2019?"}


def test_examples_are_cached_for_the_library_and_made_again_when_it_changes(tmp_path):
    bot = _Bot(ROWS, _WritingModel(["Who won the Alpha race in 2019?", "How much will Beta's plant cost?"]), {})
    first = _examples(bot, tmp_path).refresh(ROWS, wait=True).questions
    assert len(first) == 2

    class _MustNotAsk(_Bot):
        def ask(self, *a, **kw):
            raise AssertionError("cached examples must not be asked again")

    again = _examples(_MustNotAsk(ROWS, _WritingModel([]), {}), tmp_path).refresh(ROWS, wait=True)
    assert again.questions == first
    smaller = ROWS[1:]
    changed_bot = _Bot(smaller, _WritingModel(["Who led the Gamma study?", "When did Beta open its plant?"]), {})
    changed = _examples(changed_bot, tmp_path).refresh(smaller, wait=True)
    assert changed.questions == ["Who led the Gamma study?", "When did Beta open its plant?"]
    other_mode = _examples(_Bot(ROWS, None, {}), tmp_path, mode="extractive").refresh(ROWS, wait=True)
    assert other_mode.questions == ["What do the articles say about Beta opens a plant?",
                                    "What do the articles say about Alpha wins the race?"]  # no model: from titles


def test_every_candidate_refused_leaves_no_examples_and_says_so(tmp_path):
    from ui.app import QAApp

    rows = ROWS[:1]
    bot = _Bot(rows, _WritingModel(["Who won the Alpha race in 2019?", "Where was the Alpha race held?"]),
               {"Who won the Alpha race in 2019?": "refused", "Where was the Alpha race held?": "refused"})
    from qa_bot.settings import Settings

    app = QAApp(Settings(data_dir=tmp_path, ui_examples=2, llm_backend="llamacpp", mode="generative"), bot)
    app.examples.refresh(rows, wait=True)
    html, questions, again = app.library_view()
    assert questions == [] and not again
    assert "No example question could be answered with a verified citation" in html


def test_the_bundled_library_offers_its_own_examples_first(tmp_path):
    from qa_bot.examples import BUNDLED_EXAMPLES, is_bundled

    bundled = [{"source": p.name, "title": p.stem, "publisher": "P", "published_at": "2016", "chunks": 1}
               for p in sorted((REPO / "data" / "articles").glob("*.txt"))]
    assert is_bundled(bundled) and not is_bundled(bundled[1:]) and not is_bundled(ROWS)
    bot = _Bot(bundled, _WritingModel([]), {BUNDLED_EXAMPLES[0]: "refused"})
    state = _examples(bot, tmp_path, count=3).refresh(bundled, wait=True)
    assert state.questions == BUNDLED_EXAMPLES[1:4]


@pytest.mark.parametrize("text, ok", [
    ("Who won the Port Ellery marathon?", True),
    ("Question: How many runners started the race?\nThe answer is 11,000.", True),
    ("Amara Okafor won the race.", False),  # not a question
    ("What does this article report?", False),
    ("Who?", False),
])
def test_a_written_question_is_kept_only_if_a_user_could_ask_it(text, ok):
    from qa_bot.examples import clean_question

    assert (clean_question(text) is not None) == ok


def test_an_empty_library_answers_with_guidance_not_a_refusal(tmp_path):
    from qa_bot.settings import Settings
    from ui.app import QAApp

    bot = _Bot([], None, {})
    app = QAApp(Settings(data_dir=tmp_path, llm_backend="none"), bot)
    *_, last = list(app.chat("Who won the marathon?", "", 5, "", "", "", None))
    messages = last[0]
    assert "The library is empty" in messages[-1]["content"] and "qa-bot ingest" in messages[-1]["content"]
    assert "articles don" not in messages[-1]["content"]
    assert bot.asked == []
    html, questions, again = app.library_view()
    assert "The library is empty" in html and questions == [] and not again


def test_the_chat_summary_is_what_qa_bot_stats_prints(seeded):
    """The real store: the UI's figures and ``qa-bot stats --json`` (another process) agree."""
    from qa_bot.library import summarize

    out = subprocess.run([sys.executable, "-m", "qa_bot.cli", "stats", "--json"], cwd=REPO, capture_output=True,
                         text=True, timeout=300,
                         env={**__import__("os").environ, "QA_BOT_DATA_DIR": str(seeded.settings.data_dir)})
    assert out.returncode == 0, out.stderr[-2000:]
    stats = json.loads(out.stdout)
    mine = summarize(seeded.store.articles()).to_dict()
    assert stats["articles"] == mine["articles"] == 5
    assert stats["publishers"] == mine["publishers"] and stats["dates"] == mine["dates"]
    assert stats["newest"] == mine["newest"] and mine["newest"]["published_at"] == "2023-01-26"
    assert stats["chunks"] == mine["chunks"]


def test_a_refused_question_about_years_the_library_lacks_is_told_its_range(tmp_path):
    from qa_bot.settings import Settings
    from qa_bot.steps.events import StreamEvent
    from ui.app import QAApp

    class _Refusing(_Bot):
        def ask_stream(self, question, history=None, **kw):
            self.asked.append((question, kw.get("mode")))
            yield StreamEvent("answer", answer=Answer(question=question, answer="The articles don't say.",
                                                      refused=True))

    app = QAApp(Settings(data_dir=tmp_path, llm_backend="none", ui_examples=0), _Refusing(ROWS, None, {}))
    *_, last = list(app.chat("Who won the race in 2030?", "", 5, "", "", "", None))
    assert "The library holds articles from 2019-03-02 to 2021-07." in last[0][-1]["content"]
    *_, last = list(app.chat("Who won the race in 2020?", "", 5, "", "", "", None))  # inside: no note
    assert "The library holds" not in last[0][-1]["content"]


def test_the_chat_tab_shows_an_upload_being_ingested(tmp_path):
    from qa_bot.settings import Settings
    from ui.app import QAApp

    seen = []

    class _Ingestor:
        def ingest(self, paths, **kw):
            from vectorstore.ingest import IngestReport

            seen.append(app.library_view()[0])  # what the chat tab shows while this file is ingested
            return IngestReport(files=1, articles=1, chunks_added=1)

    bot = _Bot(ROWS, None, {})
    bot.components.ingestor = _Ingestor()
    bot.components.retriever = type("R", (), {"invalidate": lambda self: None})()
    app = QAApp(Settings(data_dir=tmp_path, llm_backend="none", ui_examples=0), bot)
    files = []
    for name in ("one.txt", "two.txt"):
        (tmp_path / name).write_text("Some article text about a race.", encoding="utf-8")
        files.append(str(tmp_path / name))
    rows = app.ingest_files(files)
    assert [r[1] for r in rows] == ["added", "added"]
    assert "Ingesting 1 of 2 files (one.txt)" in seen[0] and "Ingesting 2 of 2 files (two.txt)" in seen[1]
    html, _, again = app.library_view()
    assert "Ingesting" not in html and not again
