"""The generative pipeline end to end with the fake backend, and every rule switched off one at a time.

Real embedder and Chroma over the bundled articles; the chat model is the deterministic fake
(``llm_backend = "fake"``: it cites the source sentence closest to the question), so these run
in the fast suite. Each switch test asks a question the rule changes the answer to, with the
rule on and off, and checks both outcomes.
"""

from __future__ import annotations

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel

from qa_bot.components import Components
from qa_bot.fake_chat import SourceEchoChat, reply
from qa_bot.pipeline import QABot
from qa_bot.steps import RULES

STOLTENBERG = "Who said NATO's security guarantee does not apply to Israel?"
STOLTENBERG_SOURCE = "001_30abf332060f2f43.txt"


def _bot(seeded, *disabled: str, chat=None) -> QABot:
    settings = seeded.settings.with_overrides(llm_backend="fake", mode="generative", disabled_rules=list(disabled))
    components = Components(settings)
    components.__dict__.update(embedder=seeded.embedder, store=seeded.store, retriever=seeded.retriever)
    if chat is not None:
        components._llm = chat
    return QABot(settings, components)


def _events(bot: QABot, question: str, history=None):
    events = list(bot.ask_stream(question, history))
    return events, events[-1].answer


def test_settings_name_every_rule_and_refuse_unknown_ones(make_settings):
    assert make_settings(disabled_rules="figures, date_gate").disabled_rules == ["figures", "date_gate"]
    assert make_settings(disabled_rules='["split"]').disabled_rules == ["split"]
    assert set(RULES) == {"rewrite", "split", "relevance_gate", "date_gate", "figures", "choice_hint",
                          "joint_support", "citation_repair", "comparisons", "outlet_gate", "clause_support",
                          "question_premises", "quantities", "polarity", "modality", "asked_fact"}
    with pytest.raises(ValueError, match="disabled_rules"):
        make_settings(disabled_rules=["no_such_rule"])


def test_fake_model_cites_the_source_sentence_closest_to_the_question():
    prompt = ("Question: Who met the king?\n\nSource [1] (A, 2020): The weather was mild. The bank opened.\n\n"
              "Source [2] (B, 2021): Herzog met the king in Brussels. He left.\n\nUsing only these sources ...")
    assert reply(prompt) == "Herzog met the king in Brussels [2]."
    assert reply("Question: Who met the queen?\n\nSource [1] (A, 2020): Nothing here.") == "The sources do not say."
    tagged = "<conversation>\nUser: Who did President Herzog meet?\nAssistant: x\n</conversation>\n\n<question>What did he say?</question>"
    assert reply(tagged) == "What did President Herzog say?"
    plain = ("Rewrite ...\n\nConversation:\nUser: Who did President Herzog meet?\n\nLast question: What did he say?\n\n"
             "Standalone question:")
    assert reply(plain) == "What did President Herzog say?"


def test_generative_pipeline_end_to_end_with_the_fake_backend(seeded):
    bot = _bot(seeded)
    events, answer = _events(bot, STOLTENBERG)
    kinds = [e.kind for e in events]
    assert kinds.index("sources") < kinds.index("token") < kinds.index("answer")
    assert "Checking citations..." in [e.text for e in events if e.kind == "status"]
    streamed = "".join(e.text for e in events if e.kind == "token")
    assert "Stoltenberg" in streamed and "[" in streamed  # the model's own markers, before verification
    assert not answer.refused and answer.mode == "generative" and "Stoltenberg" in answer.answer
    assert answer.citations and all(c.verified for c in answer.citations)
    assert answer.citations[0].source == STOLTENBERG_SOURCE
    assert isinstance(bot.components.llm(), SourceEchoChat)


def test_rewrite_switch(seeded):
    history = [("Who did President Herzog meet at NATO headquarters in Brussels in January 2023?",
                "He met NATO Secretary-General Jens Stoltenberg [1].")]
    follow_up = "What did he say about the threat from Iran?"
    _, on = _events(_bot(seeded), follow_up, history)
    _, off = _events(_bot(seeded, "rewrite"), follow_up, history)
    assert on.standalone_question == "What did President Herzog say about the threat from Iran?"  # the fake's rewrite
    assert off.standalone_question == follow_up


def test_split_switch(seeded):
    question = ("Who was Israel's prime minister when the NATO office was announced in 2016, "
                "and who was Israel's president when he visited NATO headquarters in 2023?")
    on_events, on = _events(_bot(seeded), question)
    off_events, off = _events(_bot(seeded, "split"), question)
    assert any(e.text.startswith("Part 2 of 2:") for e in on_events)
    assert not any(e.text.startswith("Part ") for e in off_events)
    assert sum(e.kind == "sources" for e in on_events) == 2 and sum(e.kind == "sources" for e in off_events) == 1


def test_relevance_gate_switch(seeded):
    question = "What is the capital of Australia?"
    on_events, on = _events(_bot(seeded), question)
    off_events, _ = _events(_bot(seeded, "relevance_gate"), question)
    assert on.refused and not any(e.kind == "sources" for e in on_events)  # refused before any answer is written
    assert any(e.kind == "sources" for e in off_events)


def test_date_gate_switch(seeded):
    question = "What did NATO decide about Israel's mission in 2031?"
    on_events, on = _events(_bot(seeded), question)
    off_events, _ = _events(_bot(seeded, "date_gate"), question)
    assert on.refused and not any(e.kind == "sources" for e in on_events)
    assert any(e.kind == "sources" for e in off_events)


def test_figures_switch(seeded):
    question = "How many member countries does NATO have?"
    _, on = _events(_bot(seeded), question)
    _, off = _events(_bot(seeded, "figures"), question)
    assert "different figures" in on.answer and "28 member countries" in on.answer and "29 member countries" in on.answer
    assert all(c.verified and 0 < c.support < 1 for c in on.citations)  # scored by the verifier, not taken as read
    assert "different figures" not in off.answer


def test_figures_are_refused_when_no_article_counts_what_the_question_counts(seeded):
    """NATO's member count sits next to "Israel" and "member states", but it is no count of states recognising Israel."""
    _, answer = _events(_bot(seeded), "How many states recognised Israel in 1949?")
    assert answer.refused, answer.answer


def test_choice_hint_switch(seeded):
    question = "Do the articles describe Israel as a NATO member or as a partner?"
    on_bot, off_bot = _bot(seeded), _bot(seeded, "choice_hint")
    _events(on_bot, question)
    _events(off_bot, question)
    assert "which of the options" in on_bot.components.llm().prompts[-1]
    assert "which of the options" not in off_bot.components.llm().prompts[-1]


def test_joint_support_switch(seeded):
    question = "Which NATO Secretary-General both said in 2018 that NATO would not defend Israel and hosted President Herzog in 2023?"
    claim = "Jens Stoltenberg said in 2018 that NATO would not defend Israel and hosted President Herzog in 2023."

    def chat():
        return GenericFakeChatModel(messages=iter([claim]))

    _, on = _events(_bot(seeded, "clause_support", chat=chat()), question)
    _, off = _events(_bot(seeded, "joint_support", "clause_support", chat=chat()), question)
    assert not on.refused and len(on.sentences[0].supported_by) == 2  # two articles, each holding half of it
    assert {c.source for c in on.citations} == {STOLTENBERG_SOURCE, "000_864da4a0ec9d2cba.txt"}
    assert off.refused
    # clause support covers it too: the clause restating the question ("hosted President Herzog in 2023") is its
    # premise, and the answer's own clause (Stoltenberg said so in 2018) is checked in its article
    _, clauses = _events(_bot(seeded, "joint_support", chat=chat()), question)
    assert not clauses.refused and STOLTENBERG_SOURCE in {c.source for c in clauses.citations}


def test_citation_repair_switch(seeded):
    bot = _bot(seeded)
    passages = bot.retrieval.search(STOLTENBERG).passages
    wrong = next(p.n for p, scored in passages if scored.chunk.source_id != STOLTENBERG_SOURCE)
    text = f"NATO Secretary-General Jens Stoltenberg told Der Spiegel that the security guarantee does not apply to Israel [{wrong}]."

    _, on = _events(_bot(seeded, chat=GenericFakeChatModel(messages=iter([text]))), STOLTENBERG)
    _, off = _events(_bot(seeded, "citation_repair", chat=GenericFakeChatModel(messages=iter([text]))), STOLTENBERG)
    assert not on.refused and on.sentences[0].repaired and on.citations[0].source == STOLTENBERG_SOURCE
    assert off.refused  # the wrong marker is dropped, not replaced: nothing supports the answer


def test_retrieve_plans_like_ask(seeded):
    """``eval --retrieval-only`` searches what ``ask`` searches: the rewritten follow-up, each part of a split question."""
    bot = _bot(seeded)
    history = [("Who did President Herzog meet at NATO headquarters in Brussels in January 2023?", "Stoltenberg [1].")]
    follow_up = "What did he say about the threat from Iran?"
    standalone, _ = bot.retrieve(follow_up, history)
    assert standalone == "What did President Herzog say about the threat from Iran?"  # no model: the fallback
    assert _bot(seeded, "rewrite").retrieve(follow_up, history)[0] == follow_up
    two_parts = ("Who was Israel's prime minister when the NATO office was announced in 2016, "
                 "and who was Israel's president when he visited NATO headquarters in 2023?")
    _, chunks = bot.retrieve(two_parts, k=2)
    answer = bot.ask(two_parts, k=2)
    assert {c.chunk.chunk_id for c in chunks} == {r["chunk_id"] for r in answer.retrieved}


def test_a_rewritten_follow_up_is_reported_as_searched(seeded):
    history = [("Who did President Herzog meet at NATO headquarters in Brussels in January 2023?", "Stoltenberg [1].")]
    events, answer = _events(_bot(seeded), "What did he say about the threat from Iran?", history)
    searched = [e.text for e in events if e.kind == "searched"]
    assert searched == ["What did President Herzog say about the threat from Iran?"] == [answer.standalone_question]
    assert answer.rewrite == "rewritten"
    kinds = [e.kind for e in events]
    assert kinds.index("searched") < kinds.index("sources")
    events, first = _events(_bot(seeded), "Who did President Herzog meet at NATO headquarters in January 2023?")
    assert "searched" not in [e.kind for e in events] and first.rewrite == ""


def test_the_cli_prints_what_was_searched(capsys):
    from qa_bot.answer import Answer
    from qa_bot.commands import print_answer

    print_answer(Answer(question="Where does he work?", answer="At the institute [1].",
                        standalone_question="Where does Tommy Steiner work?"))
    assert capsys.readouterr().out.startswith("Searched: Where does Tommy Steiner work?\nAt the institute [1].")
    print_answer(Answer(question="Who?", answer="x", standalone_question="Who?"))
    assert "Searched" not in capsys.readouterr().out
