"""A question attributing its facts only to outlets the library lacks is refused, with the reason; no honest question is."""

from __future__ import annotations

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage

from qa_bot.components import Components
from qa_bot.named_sources import attributed_sources, missing_outlets
from qa_bot.pipeline import QABot

LIBRARY = ["The Times of Israel", "JewishPress.com", "Cnbc | World Business News Leader", "FOX News - Lifestyle"]


@pytest.mark.parametrize("question,missing", [
    ("Considering the Bloomberg article and the Reuters article on Poodle Holdings, which division grew?",
     ["Bloomberg", "Reuters"]),
    ("What did an article in The Economic Times say about Dunzo's funding?", ["The Economic Times"]),
    ("According to a piece on the Online News Association website, who led digital reporting?",
     ["Online News Association"]),
    ("Which player did the 'Cricbuzz' column praise?", ["Cricbuzz"]),
])
def test_attribution_to_outlets_the_library_lacks_is_found(question, missing):
    assert missing_outlets(question, LIBRARY) == missing


@pytest.mark.parametrize("question", [
    "What did the NATO report say about Israel?",  # organisations publish reports; only writing by outlets counts
    "According to the 2016 articles on Israel's new NATO office, how many members did NATO have?",
    "Was Montenegro already a NATO member at the time of the 2016 Times of Israel article?",
    "Does the JewishPress article say President Trump should pull the US out of NATO?",
    "Does the Cnbc article contradict the FOX News - Lifestyle story?",
    "Does the Bloomberg article agree with the Times of Israel article?",  # one outlet held: answer as usual
    "According to Stoltenberg, does the security guarantee apply to Israel?",
    "Who wrote the article about Herzog's visit?",
])
def test_questions_naming_held_outlets_or_no_outlet_are_not_refused(question):
    assert missing_outlets(question, LIBRARY) == []


def test_a_library_without_publishers_never_refuses_on_this_ground():
    assert attributed_sources("What did the Bloomberg article say?") == ["Bloomberg"]
    assert missing_outlets("What did the Bloomberg article say?", []) == []


def _bot(seeded, gate: bool) -> QABot:
    settings = seeded.settings.with_overrides(mode="generative", disabled_rules=[] if gate else ["outlet_gate"])
    components = Components(settings)
    components.__dict__.update(embedder=seeded.embedder, store=seeded.store, retriever=seeded.retriever)
    components._llm = GenericFakeChatModel(messages=iter([AIMessage(
        "NATO Secretary-General Jens Stoltenberg said the security guarantee does not apply to Israel [1].")]))
    return QABot(settings, components)


QUESTION = "What did the Bloomberg article say about NATO's security guarantee for Israel?"


def test_the_pipeline_refuses_and_says_which_outlets_are_missing(seeded):
    answer = _bot(seeded, gate=True).ask(QUESTION)
    assert answer.refused and "Bloomberg" in answer.answer and "no articles from it" in answer.answer


def test_with_the_gate_off_the_same_question_is_answered_from_other_outlets(seeded):
    answer = _bot(seeded, gate=False).ask(QUESTION)
    assert not answer.refused and answer.citations
