"""Questions with two parts are split so each part gets its own retrieval and answer."""

import pytest

from qa_bot.steps.planning import split_question


@pytest.mark.parametrize("question, parts", [
    ("What incident caused Turkey to block Israel at NATO, and in what year did Turkey and Israel reconcile?",
     ["What incident caused Turkey to block Israel at NATO?", "In what year did Turkey and Israel reconcile?"]),
    ("Who was Israel's prime minister in 2016, and who was Israel's president when he visited NATO in 2023?",
     ["Who was Israel's prime minister in 2016?", "Who was Israel's president when he visited NATO in 2023?"]),
    ("Who did Herzog meet? Where did they meet?", ["Who did Herzog meet? Where did they meet?"]),  # part 2 needs part 1
    ("Who met Herzog and what did he say about Iran?", ["Who met Herzog and what did he say about Iran?"]),
    ("Do the articles describe Israel as a NATO member or as a partner?",
     ["Do the articles describe Israel as a NATO member or as a partner?"]),
    ("Which Secretary-General said it in 2018 and hosted Herzog in 2023?",
     ["Which Secretary-General said it in 2018 and hosted Herzog in 2023?"]),  # one question, two facts
])
def test_split_question(question, parts):
    assert split_question(question) == parts


def test_names_found_together_lets_a_question_about_a_named_person_through():
    from qa_bot.steps.gates import names_found_together

    texts = ["In response, Volker Beck asked on Twitter what this means.", "NATO has about 40 partners, including Australia."]
    assert names_found_together("What did Volker Beck ask on Twitter?", texts)
    assert not names_found_together("What is the capital of Australia?", texts)  # one name is not enough
    assert not names_found_together("Who won the 2022 World Cup?", texts)
