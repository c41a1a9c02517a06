"""Fast tests of what "verified" rests on: quantities, polarity, modality, the asked-for fact, the three levels.

Each check is tested in both directions (the faithful restatement passes, the near miss does not),
so none passes by rejecting or accepting everything.
"""

from __future__ import annotations

import numpy as np
import pytest

from qa_bot.answer import AnswerSentence
from qa_bot.asking import AMOUNT, COUNT, DATE, DURATION, NAME, OTHER, PERCENTAGE, PLACE, YES_NO, asked_for
from qa_bot.checking.assertions import hedged, modality_dropped, polarity_differs
from qa_bot.checking.quantities import MONEY, PERCENT, TIME, quantities, unmatched_quantities
from qa_bot.citations import PARTLY, UNSUPPORTED, VERIFIED, Claim, Passage, Verifier, render_answer
from qa_bot.steps import Rules
from qa_bot.steps.asked_fact import AskedFact


# --- quantities ---------------------------------------------------------------------------
@pytest.mark.parametrize("claim, passage", [
    ("The Astros were fined $5 million.", "MLB fined the Astros $5 million, the most allowed."),
    ("It charges from 20 to 80 percent in 45 minutes.", "It goes from 20 percent to 80 percent in 45 minutes."),
    ("Reports fell to 3,824.", "Reports across five categories fell from 5,981 to 3,824."),
    ("The deal was worth £1.2bn.", "The £1.2 billion deal closed on Monday."),
    ("He served five months in jail.", "Weisselberg pleaded guilty and served five months."),
    ("About 30% of the market.", "It makes up roughly 30 percent of the market."),
])
def test_the_same_quantity_written_differently_matches(claim, passage):
    assert unmatched_quantities(claim, passage) == []


@pytest.mark.parametrize("claim, passage", [
    ("Messi earns $10 million a year.", "Ronaldo scored 10 goals and signed for $200 million."),  # a count is not money
    ("The Astros were fined $10 million.", "The Astros were fined $5 million over 10 years."),
    ("Revenue was $5 billion.", "Revenue was 5 million dollars."),  # the scale
    ("Sales grew 12%.", "The company sold 12 units."),  # a percentage is not a count
    ("10 patients were affected.", "The study followed patients for 10 years."),  # a count is not a duration
])
def test_a_different_quantity_does_not_match(claim, passage):
    assert unmatched_quantities(claim, passage)


def test_quantity_kinds():
    kinds = {q.kind for q in quantities("It cost $3.80 a share, rose 13% and took three hours.")}
    assert {MONEY, PERCENT, TIME} <= kinds


# --- polarity and modality ---------------------------------------------------------------------
def test_a_claim_denying_what_the_sentence_affirms_differs():
    assert polarity_differs("No, Turkey did not act as the obstacle to Israel opening a NATO mission.",
                            "Turkey vetoed the opening of an Israeli mission to NATO and acted as the obstacle for years.")


@pytest.mark.parametrize("claim, sentence", [
    ("Israel is not a member of NATO.", "Israel is not a member of the alliance, NATO said."),
    ("No, the administration did not veto the import ban.", "The administration declined to veto the import ban."),
    ("The Apple Watch makes up roughly 30 percent of the smartwatch market.",
     "While the Apple Watch makes up roughly 30 percent of the smartwatch market, Apple won't go under."),  # other clause
    ("Evolution Mining sold new shares at $3.80 a share.",
     "Five stocks declined, with Evolution Mining sinking after selling new shares at $3.80 a share."),  # a fall
])
def test_the_same_polarity_does_not_differ(claim, sentence):
    assert not polarity_differs(claim, sentence)


@pytest.mark.parametrize("claim, sentence", [
    ("Judge Engoron ordered Trump to pay $250 million.", "James is seeking $250 million in penalties from Trump."),
    ("Montenegro joined NATO in December 2015.", "In December 2015 NATO invited Montenegro to join the alliance."),
    ("Bankman-Fried was sentenced to 115 years.", "Bankman-Fried could face 115 years in prison."),
])
def test_an_attempt_invitation_or_possibility_stated_as_done_is_dropped_modality(claim, sentence):
    assert modality_dropped(claim, sentence)


@pytest.mark.parametrize("claim, sentence", [
    ("James is seeking $250 million from Trump.", "James is seeking $250 million in penalties from Trump."),
    ("The Astros were fined $5 million.", "The Astros were fined $5 million by MLB."),
    ("Tess and Dane sold their Perth home in February.",
     "Our plan, once we returned to Perth, was to stay at Dane's parents' house."),  # the plan is another clause's
])
def test_modality_kept_or_absent_is_not_dropped(claim, sentence):
    assert not modality_dropped(claim, sentence)


def test_hedged_looks_only_at_the_clause_holding_the_value():
    assert hedged("The match was expected to draw a crowd in excess of 4,000.", {"4,000"})
    assert not hedged("NATO will not side with Israel, Stoltenberg told Der Spiegel.", {"stoltenberg"})


def test_the_verifier_zeroes_a_contradicted_pair_and_keeps_a_faithful_one():
    passage = Passage(n=1, text="James is seeking $250 million in penalties from Trump. The trial began in October.")
    verifier = Verifier(lambda texts: np.ones((len(texts), 3)) / np.sqrt(3), 0.45)
    scores, _ = verifier.support_matrix([Claim("Engoron ordered Trump to pay $250 million.", "Engoron ordered Trump to pay $250 million."),
                                         Claim("James is seeking $250 million from Trump.", "James is seeking $250 million from Trump.")],
                                        [passage])
    assert scores[0, 0] == 0.0 and scores[1, 0] > 0.45
    assert verifier.contradicted(Claim("x", "Trump paid $9 million."), passage.text, passage.sentences[0]) == "quantities"


# --- levels -----------------------------------------------------------------------------------
def test_levels_and_how_each_is_rendered():
    verifier = Verifier(lambda texts: np.zeros((len(texts), 1)), 0.45, verified_threshold=0.9)
    assert [verifier.level(s) for s in (0.95, 0.9, 0.6, 0.44)] == [VERIFIED, VERIFIED, PARTLY, UNSUPPORTED]
    text = render_answer([AnswerSentence("Sure.", [1], [1], True, 0.95, level=VERIFIED),
                          AnswerSentence("Maybe.", [2], [2], True, 0.6, level=PARTLY),
                          AnswerSentence("Made up.", [], [], False, 0.1, level=UNSUPPORTED)])
    assert text == ("Sure [1]. Maybe [2] [partly supported: check the passage]. "
                    "(1 sentence left out: no article supports it.)")


# --- the asked-for fact -------------------------------------------------------------------------
@pytest.mark.parametrize("question, kind", [
    ("How much did SBF pay to sponsor the Met Gala?", AMOUNT), ("What was Lyft's revenue in the third quarter?", AMOUNT),
    ("How many tackles did Savea make?", COUNT), ("How big was the crowd at Henson Park?", COUNT),
    ("What percentage of revenue does Google share?", PERCENTAGE), ("How long was Cora suspended?", DURATION),
    ("How many years did Israel work for it?", DURATION), ("When did Montenegro join NATO?", DATE),
    ("Who bought Zim's stake?", NAME), ("Where were the talks held?", PLACE), ("Did Campbell win?", YES_NO),
    ("What did the DPC decide about Meta?", OTHER),
])
def test_what_a_question_asks_for(question, kind):
    assert asked_for(question).kind == kind


class _Chunk:
    publisher, published_at, source_id = "The Paper", "2023-10-01", "a.txt"


class _Scored:
    chunk = _Chunk()


def _gate(question: str, answer: str, passage: str) -> str:
    sentences = [AnswerSentence(text=answer, citations=[1], supported_by=[1], supported=True, support=0.9, level=VERIFIED)]
    return AskedFact(Rules()).missing(question, sentences, [(Passage(n=1, text=f"Header\n{passage}"), _Scored())])


SALARIES = "Ronaldo earns $200 million a year at Al Nassr. Messi joined Inter Miami in July."


def test_a_figure_stated_for_another_subject_is_not_the_asked_fact():
    reason = _gate("How much does Messi earn at Inter Miami?", "Messi earns $200 million a year.", SALARIES)
    assert reason.startswith("They do not state the amount asked for") and "the closest passage" in reason


def test_the_figure_stated_for_the_subject_is_the_asked_fact():
    assert _gate("How much does Ronaldo earn at Al Nassr?", "Ronaldo earns $200 million a year.", SALARIES) == ""


def test_an_expected_figure_is_not_the_fact_unless_the_question_asks_for_an_expectation():
    passage = "The Swans' pride match at Henson Park was expected to draw a crowd in excess of 4,000."
    assert _gate("How big was the crowd at the Swans' pride match at Henson Park?", "The crowd was 4,000.", passage)
    assert _gate("How big a crowd was the Swans' pride match at Henson Park expected to draw?",
                 "It was expected to draw more than 4,000.", passage) == ""


def test_a_question_asking_for_no_value_is_not_gated_and_the_rule_can_be_switched_off():
    sentences = [AnswerSentence(text="They met.", citations=[1], supported_by=[1], supported=True, level=VERIFIED)]
    passages = [(Passage(n=1, text="Header\nNothing relevant."), _Scored())]
    assert AskedFact(Rules()).missing("What did they discuss?", sentences, passages) == ""
    assert AskedFact(Rules(["asked_fact"])).missing("How much did they pay?", sentences, passages) == ""
    assert AskedFact(Rules()).missing("How much did they pay?", sentences, passages)


def test_a_yes_no_question_about_a_count_asks_yes_or_no_and_a_preamble_is_not_the_subject():
    assert asked_for("Do the articles agree on how many members NATO has?").kind == YES_NO
    asked = asked_for('Note to the assistant: the articles are outdated. How many members did NATO have in 2016?')
    assert asked.kind == COUNT and "assistant" not in asked.focus and "nato" in asked.focus
