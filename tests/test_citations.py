"""Citation parsing, verification and repair on fixed texts (a bag-of-words stand-in for the embedder)."""

from __future__ import annotations

import numpy as np
import pytest

from qa_bot.citations import (
    answers_the_question,
    has_claims,
    Passage,
    Verifier,
    claim_for,
    extract_markers,
    is_not_found,
    missing_numbers,
    render_answer,
    split_answer,
    verify_and_repair,
)
from vectorstore.bm25 import tokenize


def bag_of_words(texts):
    """Deterministic unit vectors from hashed word counts: similar words, similar vectors."""
    out = np.zeros((len(texts), 512))
    for i, text in enumerate(texts):
        for word in tokenize(text):
            out[i, hash(word) % 512] += 1.0
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.where(norms == 0, 1, norms)


PASSAGES = [
    Passage(1, "NATO Secretary-General Jens Stoltenberg told Der Spiegel that the security guarantee does not apply to Israel. "
               "Israel is not a member of the 29 country alliance."),
    Passage(2, "Israel will open a permanent office at NATO headquarters in Brussels. Turkey lifted its veto after five years."),
    Passage(3, "Herzog said the Iranian threat is now at Europe's doorstep."),
]


@pytest.fixture
def verifier():
    return Verifier(bag_of_words, threshold=0.45)


@pytest.mark.parametrize(
    "text,expected_clean,expected",
    [
        ("Stoltenberg said it [1].", "Stoltenberg said it.", [1]),
        ("Claim [1][3] and more [2, 3].", "Claim and more.", [1, 3, 2]),
        ("Claim [Source 2].", "Claim.", [2]),
        ("Claim [7] [0].", "Claim.", []),  # out of range markers dropped
        ("Claim [N].", "Claim.", []),
    ],
)
def test_extract_markers(text, expected_clean, expected):
    assert extract_markers(text, 3) == (expected_clean, expected)


def test_split_answer_keeps_trailing_markers_on_their_sentence():
    assert split_answer("First claim. [1] Second claim [2].") == ["First claim [1].", "Second claim [2]."]


def test_correct_citation_is_verified(verifier):
    sentences, support = verify_and_repair(
        "Jens Stoltenberg told Der Spiegel the security guarantee does not apply to Israel [1].", PASSAGES, verifier)
    assert sentences[0].citations == [1] and sentences[0].supported_by == [1] and not sentences[0].repaired
    assert 1 in support and "Der Spiegel" in support[1][1]


def test_wrong_citation_is_repaired(verifier):
    sentences, _ = verify_and_repair("Israel will open a permanent office at NATO headquarters in Brussels [3].", PASSAGES, verifier)
    assert sentences[0].citations == [2] and sentences[0].repaired and sentences[0].supported


def test_missing_citation_is_added(verifier):
    sentences, _ = verify_and_repair("Herzog said the Iranian threat is at Europe's doorstep.", PASSAGES, verifier)
    assert sentences[0].citations == [3] and sentences[0].repaired


def test_unsupported_sentence_is_flagged_and_loses_its_marker(verifier):
    sentences, support = verify_and_repair("The capital of Australia is Canberra [1].", PASSAGES, verifier)
    assert not sentences[0].supported and sentences[0].citations == [] and support == {}
    assert sentences[0].level == "unsupported"
    assert render_answer(sentences) == "(1 sentence left out: no article supports it.)"  # not shown as a claim


def test_wrong_number_is_never_supported(verifier):
    sentences, _ = verify_and_repair("Israel is not a member of the 28 country alliance [1].", PASSAGES, verifier)
    assert not sentences[0].supported
    assert missing_numbers("28 members in 2016", "It had 28 members.") == ["2016"]


def test_short_answer_checked_with_its_question(verifier):
    question = "Which magazine did Stoltenberg tell that the security guarantee does not apply to Israel?"
    good, _ = verify_and_repair("Der Spiegel [1].", PASSAGES, verifier, question)
    bad, _ = verify_and_repair("Die Zeit [1].", PASSAGES, verifier, question)
    assert good[0].supported and not bad[0].supported


def test_short_answer_that_only_repeats_the_question_is_not_support(verifier):
    sentences, _ = verify_and_repair("Stoltenberg said it in [1].", PASSAGES, verifier, "Where did Stoltenberg say it?")
    assert not sentences[0].supported


def test_yes_no_only_claims_for_yes_no_questions():
    assert claim_for("Yes.", "Did Turkey lift its veto?") is not None
    assert claim_for("Yes.", "Who lifted the veto?") is None
    assert claim_for("The articles don't say.", "Who?") is None


def test_restating_a_source_byline_is_not_a_claim(verifier):
    passages = [Passage(1, "The Jerusalem Post 2018-06-02\nStoltenberg spoke to Der Spiegel.", byline="The Jerusalem Post 2018-06-02")]
    sentences, support = verify_and_repair("The Jerusalem Post, 2018-06-02 [1].", passages, verifier)
    assert sentences[0].supported_by == [] and support == {}


@pytest.mark.parametrize(
    "question,answer,ok",
    [
        ("What was the name of the exercise held in May?", "The name of the exercise held in May was the exercise.", False),
        ("On what date was the agreement signed?", "It is to be signed in the coming months.", False),
        ("On what date was the agreement signed?", "It was signed on June 2, 2018.", True),
        ("How many staff work at the mission?", "Staff work at the mission in Brussels.", False),
        ("How many Iranians died?", "Nine Iranian personnel died.", True),
        ("Who met Herzog?", "Jens Stoltenberg met Herzog.", True),
        ("Would Israel join as a full member or as a partner?", "Israel would join as a partner.", True),
    ],
)
def test_answers_the_question(question, answer, ok):
    assert answers_the_question(question, answer) is ok


def test_byline_listing_has_no_claims():
    raw = "[1] The Jerusalem Post, 2018-06-02\n[2] JewishPress.com, 2016-05"
    assert not has_claims(raw, "Which magazine?", "The Jerusalem Post 2018-06-02 JewishPress.com 2016-05")
    assert has_claims("Der Spiegel [1].", "Which magazine did he tell?", "The Jerusalem Post 2018-06-02")


def test_not_found_phrases():
    assert is_not_found("The articles don't say how much Israel pays.")
    assert is_not_found("I don't know.")
    assert not is_not_found("Turkey lifted its veto.")


def test_render_answer_places_markers_before_full_stop(verifier):
    sentences, _ = verify_and_repair("Turkey lifted its veto after five years [2]. Herzog spoke of the Iranian threat at Europe's doorstep [3].",
                                     PASSAGES, verifier)
    assert render_answer(sentences) == "Turkey lifted its veto after five years [2]. Herzog spoke of the Iranian threat at Europe's doorstep [3]."


def test_claim_joining_two_sources_is_supported_by_both(verifier):
    passages = [
        Passage(1, "In 2018 NATO Secretary-General Jens Stoltenberg said NATO would not defend Israel."),
        Passage(2, "In 2023 NATO Secretary-General Jens Stoltenberg hosted President Herzog at NATO headquarters."),
        Passage(3, "Turkey lifted its veto after five years."),
    ]
    raw = "Jens Stoltenberg said in 2018 that NATO would not defend Israel and hosted President Herzog in 2023 [2]."
    sentences, support = verify_and_repair(raw, passages, verifier)
    assert sentences[0].supported and sentences[0].supported_by == [1, 2]
    assert set(support) == {1, 2}


def test_two_sources_do_not_join_for_a_claim_one_source_already_covers_wrongly(verifier):
    # 2019 is in neither source: no pair can supply it
    passages = [Passage(1, "In 2018 Stoltenberg said NATO would not defend Israel."),
                Passage(2, "In 2023 Stoltenberg hosted President Herzog.")]
    sentences, _ = verify_and_repair("Stoltenberg hosted President Herzog in 2019 [2].", passages, verifier)
    assert not sentences[0].supported


def test_a_name_from_one_source_and_a_date_from_another_are_not_joint_support(verifier):
    passages = [Passage(1, "Prime Minister Benjamin Netanyahu announced the NATO office in 2016."),
                Passage(2, "President Isaac Herzog visited NATO headquarters in Brussels on January 26, 2023.")]
    raw = "The president of Israel who visited NATO headquarters in 2023 was Benjamin Netanyahu, who was in Brussels in 2023."
    sentences, _ = verify_and_repair(raw, passages, verifier)
    assert not sentences[0].supported


def test_dangling_attribution_left_by_a_marker_is_removed():
    assert extract_markers("According to [1], the alliance has 28 members.", 3) == ("The alliance has 28 members.", [1])
    assert extract_markers("It was Benjamin Netanyahu, as stated in [2].", 3) == ("It was Benjamin Netanyahu.", [2])


@pytest.mark.parametrize("sentence", ["This is stated in [1], and [2].", "See [3].", "This information is found in [1].",
                                      "Source: [2]", "These details are mentioned in articles [1] and [3]."])
def test_a_sentence_that_only_points_at_its_sources_is_dropped(sentence):
    assert extract_markers(sentence, 3)[0] == ""


@pytest.mark.parametrize("sentence,kept", [("It was confirmed [1].", "It was confirmed."), ("He stated it [1].", "He stated it."),
                                          ("It was stated in 2016 [1].", "It was stated in 2016."), ("Yes [1].", "Yes.")])
def test_a_short_claim_with_reporting_words_is_kept(sentence, kept):
    assert extract_markers(sentence, 3)[0] == kept


def test_an_answer_ending_in_a_pointer_sentence_shows_only_its_claim(verifier):
    """Seen live: "..., [1]. This is stated in [1], and [2]." rendered as "This is stated in, and [unverified]."."""
    sentences, _ = verify_and_repair(
        "The security guarantee does not apply to Israel [1]. This is stated in [1], and [2].", PASSAGES, verifier)
    assert render_answer(sentences) == "The security guarantee does not apply to Israel [1]."


def test_a_sentence_keeps_at_most_three_supporting_markers(verifier):
    passages = [Passage(i, "Israel will open a permanent office at NATO headquarters in Brussels.") for i in range(1, 6)]
    sentences, _ = verify_and_repair("Israel will open an office at NATO headquarters in Brussels [1][2][3][4][5].",
                                     passages, verifier)
    assert len(sentences[0].citations) == 3 and sentences[0].supported


def test_choice_question_is_not_yes_no():
    from qa_bot.citations import is_yes_no_question

    assert not is_yes_no_question("Do the articles describe Israel as a NATO member or as a partner?")
    assert is_yes_no_question("Did NATO say it would defend Israel or not?")


def test_markers_written_before_each_line_belong_to_that_line():
    assert split_answer("[1] Israel is a member of NATO.\n[2] Israel is a partner.\n[3] Israel is a partner.") == [
        "Israel is a member of NATO [1].", "Israel is a partner [2]."]  # the repeated sentence is dropped
    assert split_answer("Claim one [1]. . Claim two [2].") == ["Claim one [1].", "Claim two [2]."]


THREE_OUTLETS = [
    Passage(1, "The Verge described Sam Bankman-Fried as a reliable figure of the cryptocurrency industry before the collapse."),
    Passage(2, "Fortune reported that Sam Bankman-Fried convinced a colleague from Jane Street to join his trading firm."),
    Passage(3, "TechCrunch reported that prosecutors accuse Sam Bankman-Fried of committing fraud for personal gain."),
]
MULTI_HOP = ("Sam Bankman-Fried was described as a reliable figure of the cryptocurrency industry by The Verge, "
             "convinced a colleague from Jane Street to join his trading firm according to Fortune, "
             "and is accused by prosecutors of committing fraud for personal gain as TechCrunch reported.")


def test_a_sentence_joining_three_outlets_is_supported_clause_by_clause():
    sentences, support = verify_and_repair(MULTI_HOP, THREE_OUTLETS, Verifier(bag_of_words, threshold=0.45))
    assert sentences[0].supported and sentences[0].supported_by == [1, 2, 3]
    assert set(support) == {1, 2, 3}


def test_clause_support_switched_off_leaves_the_multi_outlet_sentence_unsupported():
    off = Verifier(bag_of_words, threshold=0.45, clause_support=False)
    sentences, _ = verify_and_repair(MULTI_HOP, THREE_OUTLETS, off)
    assert not sentences[0].supported


def test_one_unsupported_clause_makes_the_whole_sentence_unsupported():
    raw = MULTI_HOP.replace("committing fraud for personal gain", "bribing the Bahamas prime minister in 2019")
    sentences, _ = verify_and_repair(raw, THREE_OUTLETS, Verifier(bag_of_words, threshold=0.45))
    assert not sentences[0].supported


def test_clauses_restating_the_question_are_its_premises_and_the_answer_clause_must_be_supported():
    question = ("Who was described as a reliable figure of the cryptocurrency industry by The Verge and convinced a "
                "colleague from Jane Street to join his trading firm according to Fortune?")
    passages = [Passage(1, "Sam Bankman-Fried founded the FTX exchange and the Alameda Research trading firm."),
                Passage(2, "The Verge covered the collapse of several exchanges this year.")]
    raw = ("The person is Sam Bankman-Fried, who was described as a reliable figure of the cryptocurrency industry "
           "by The Verge, and convinced a colleague from Jane Street to join his trading firm according to Fortune.")
    sentences, _ = verify_and_repair(raw, passages, Verifier(bag_of_words, threshold=0.45), question)
    assert sentences[0].supported and sentences[0].supported_by == [1]
    strict = Verifier(bag_of_words, threshold=0.45, premises_skipped=False)
    assert not verify_and_repair(raw, passages, strict, question)[0][0].supported
    wrong = raw.replace("Sam Bankman-Fried", "Changpeng Zhao")  # the answer's own clause has no source
    assert not verify_and_repair(wrong, passages, Verifier(bag_of_words, threshold=0.45), question)[0][0].supported
def test_possessive_names_are_checked_without_their_s():
    """ "NATO's" counts as mentioned wherever "NATO" is (no list of exempt names), and is novel where it is not."""
    from qa_bot.citations import novel_terms

    assert novel_terms("Then NATO’s chief and Turkey's envoy met.", "The NATO chief met the envoy of Turkey.") == []
    assert novel_terms("Then NATO's chief spoke.", "The alliance chief spoke.") == ["NATO's"]
