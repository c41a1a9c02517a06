"""The counts read from articles for "how many" questions (pure logic, fixed texts)."""

import pytest

from qa_bot.figures import (
    answer_names_the_count,
    counted_phrase,
    distinct_values,
    figure_sentences,
    find_figures,
    format_date,
)
from vectorstore.documents import Chunk, ScoredChunk


def scored(source: str, text: str, date: str, publisher: str = "Paper") -> ScoredChunk:
    chunk = Chunk(chunk_id=f"{source}#0", source_id=source, text=text, start=0, end=len(text),
                  publisher=publisher, published_at=date)
    return ScoredChunk(chunk=chunk, score=1.0)


OLD = scored("a.txt", "Israel will upgrade its ties with the 28-member NATO military alliance. "
             "NATO currently has about 40 partner nations.", "2016-05", "Old Times")
NEW = scored("b.txt", "The Jewish state is not a member of the 29 country alliance, NATO's chief said. "
             "The EU has 27 member states.", "2018-06-17", "New Post")


@pytest.mark.parametrize("question, phrase", [
    ("How many member countries does NATO have?", "member countries"),
    ("Do the articles agree on how many members NATO has?", "members"),
    ("How many Iranian military personnel were reportedly killed?", "Iranian military personnel"),
    ("How many staff work at the mission?", "staff"),
    ("Who leads NATO?", ""),
])
def test_counted_phrase(question, phrase):
    assert counted_phrase(question) == phrase


def test_figures_over_time_are_all_found_in_date_order():
    figures = find_figures("How many members does NATO have?", [NEW, OLD])
    assert [(f.value, f.scored.chunk.source_id) for f in figures] == [(28, "a.txt"), (29, "b.txt")]
    assert "28-member" in figures[0].sentence


def test_a_count_of_something_else_is_not_a_figure():
    # "40 partner nations" are not members; the EU's 27 members are not NATO's (the question names NATO)
    values = distinct_values(find_figures("How many members does NATO have?", [OLD, NEW]))
    assert values == [28, 29]
    assert distinct_values(find_figures("How many partner nations does NATO have?", [OLD, NEW])) == [40]


def test_years_in_the_question_keep_that_years_figures():
    figures = find_figures("How many members did NATO have according to the 2016 articles?", [OLD, NEW])
    assert [f.value for f in figures] == [28]


def test_no_figures_for_people_in_general_or_without_a_count():
    assert find_figures("How many people died?", [OLD, NEW]) == []
    assert find_figures("Who said it?", [OLD, NEW]) == []


@pytest.mark.parametrize("answer, ok", [
    ("NATO had about 40 partner nations, including Australia.", False),  # another count
    ("NATO has 28 members.", True),
    ("Israel will upgrade its ties with the 28-member NATO alliance.", True),
    ("28.", True),  # a bare number is read with its question
    ("Israel opened a permanent mission in Brussels.", False),  # no members at all
])
def test_answer_names_the_count(answer, ok):
    assert answer_names_the_count("How many members did NATO have?", answer) is ok


def test_answer_about_people_may_name_them_any_way():
    assert answer_names_the_count("How many people died in it?", "10 Turkish activists died in the raid.")


def test_figure_sentences_say_who_says_what_and_when():
    figures = find_figures("How many members does NATO have?", [OLD, NEW])
    lines = figure_sentences("How many members does NATO have?", figures, {"a.txt#0": 1, "b.txt#0": 2})
    texts = [t for t, _ in lines]
    assert texts[0].startswith("The articles give different figures")
    assert ("Old Times, May 2016: 28 members", 1) in lines
    assert ("New Post, June 17, 2018: 29 members", 2) in lines
    assert lines[-1] == ("The most recent figure is 29 (June 17, 2018)", 2)


def test_format_date():
    assert format_date("2018-06-17") == "June 17, 2018"
    assert format_date("2016-05") == "May 2016"
    assert format_date("sometime") == "sometime"


def test_figures_that_differ_on_one_date_are_listed_not_called_a_change():
    one_day = [scored("a.txt", "The 28-member NATO alliance met.", "2016-05"),
               scored("b.txt", "The 30-member NATO alliance met.", "2016-05")]
    figures = find_figures("How many members does NATO have?", one_day)
    lines = figure_sentences("How many members does NATO have?", figures, {"a.txt#0": 1, "b.txt#0": 2})
    assert lines[0] == ("The articles give more than one figure", 0)
    assert not any("most recent" in text for text, _ in lines)
