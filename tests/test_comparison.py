"""Questions about what two or more named sources say (qa_bot/comparison.py).

Planning is tested on made-up publishers (the planner must read names from the store, not from code)
and on questions it must leave alone; the end-to-end test ingests two invented publishers' articles
into the real Chroma with the real embedder and answers extractively (no LLM).
"""

from __future__ import annotations

import json

import pytest

from qa_bot.comparison import plan_comparison
from tests.conftest import ARTICLES_META, REPO

PUBLISHERS = ["Harbour Gazette", "Valley Courier | Regional News", "Fortune Weekly", "Metro Daily - Sport",
              "Metro Daily - Business"]


def parts(question: str, publishers=PUBLISHERS) -> list[tuple[str, str]]:
    plan = plan_comparison(question, publishers)
    assert plan is not None and not plan.missing, plan
    return [(p.publisher, p.claim) for p in plan.parts]


def test_splits_one_claim_per_named_source():
    q = ("Does the Harbour Gazette article suggest that the council closed the ferry terminal, "
         "while the Valley Courier article focuses on the water board raising prices?")
    assert parts(q) == [("Harbour Gazette", "The council closed the ferry terminal"),
                        ("Valley Courier | Regional News", "The water board raising prices")]


def test_quoted_and_article_from_forms_and_third_part():
    q = ("Does the article from 'Harbour Gazette' claim that the pier was unsafe, while 'Valley Courier' states "
         "that prices rose by eight percent, and does the Fortune Weekly report say the mayor resigned?")
    assert parts(q) == [("Harbour Gazette", "The pier was unsafe"),
                        ("Valley Courier | Regional News", "Prices rose by eight percent"),
                        ("Fortune Weekly", "The mayor resigned")]


def test_sources_named_together_share_their_claim():
    q = "Do the Harbour Gazette and Valley Courier articles both suggest that the ferry terminal closed in March?"
    assert parts(q) == [("Harbour Gazette", "The ferry terminal closed in March"),
                        ("Valley Courier | Regional News", "The ferry terminal closed in March")]


def test_publishers_come_from_the_store_not_from_code():
    q = "Does the Lantern Post article say the bridge reopened, while the Quill Review article says tolls fell?"
    plan = plan_comparison(q, ["Lantern Post", "Quill Review"])
    assert plan is not None and [p.publisher for p in plan.parts] == ["Lantern Post", "Quill Review"]
    missing = plan_comparison(q, ["Lantern Post"])
    assert missing is not None and missing.missing == ["Quill Review"]


def test_a_named_source_the_store_lacks_is_reported_missing():
    q = "Does the BBC article say the pier was unsafe, while the Harbour Gazette article says the terminal closed?"
    plan = plan_comparison(q, PUBLISHERS)
    assert plan is not None and plan.missing == ["BBC"]


@pytest.mark.parametrize("question", [
    "Is the ferry terminal closed?",  # an ordinary yes/no question
    "Does the Harbour Gazette article say the ferry terminal closed?",  # one named source
    "Does the Harbour Gazette article say the ferry terminal closed, and did it reopen later?",
    # a relation between the accounts is the question: per-source checks cannot decide it
    "Does the Harbour Gazette article report the same closing date as the Valley Courier article?",
    "Does the Harbour Gazette article suggest a different reason for the closure compared to the Valley Courier report?",
    "Was the Harbour Gazette report consistent with the Valley Courier report on the closure?",
    "Was there a change in how the Harbour Gazette and the Valley Courier reported the closure?",
    # not yes/no
    "Which terminal, reported by the Harbour Gazette and the Valley Courier, closed in March?",
    "Does the Harbour Gazette article say the terminal closed, while the Valley Courier article says it moved, "
    "or do both describe a temporary closure?",
    # a publisher's name used as an ordinary word is not a source
    "Did the owner make a fortune weekly while the Harbour Gazette article says the terminal closed?",
    # "Metro Daily" could be either of two stored publishers: ambiguous, neither taken nor refused
    "Does the Metro Daily article say the club won, while the Harbour Gazette article says the terminal closed?",
])
def test_questions_it_must_not_take(question):
    assert plan_comparison(question, PUBLISHERS) is None


def test_seed_questions_are_not_taken():
    publishers = [json.loads(line)["source"] for line in ARTICLES_META.read_text().splitlines() if line.strip()]
    seeds = [json.loads(line) for line in (REPO / "data" / "eval" / "seed_questions.jsonl").read_text().splitlines()
             if line.strip()]
    assert len(seeds) == 40 and len(set(publishers)) >= 3
    assert [s["id"] for s in seeds if plan_comparison(s["question"], publishers)] == []


# ----------------------------------------------------------------------------- end to end
GAZETTE = ("Ferry terminal to close\n\nThe city council voted on Tuesday to close the old ferry terminal after an "
           "engineering survey found the pier unsafe for passengers. Ferries will use the north quay until repairs "
           "are finished next year, the council said.")
GAZETTE_SPORT = ("Harbour rowing club wins regional title\n\nThe harbour rowing club won the regional eights title on "
                 "Saturday, beating the university crew by two lengths in strong wind.")
COURIER = ("Water prices rise\n\nThe regional water board raised household water prices by eight percent to pay for a "
           "new treatment plant. The board said the plant will open in two years and replace filters built in 1970.")


@pytest.fixture
def two_publishers(components, tmp_path):
    path = tmp_path / "articles.jsonl"
    rows = [{"id": "gazette-ferry", "text": GAZETTE, "publisher": "Harbour Gazette", "published_at": "2024-03-05"},
            {"id": "gazette-rowing", "text": GAZETTE_SPORT, "publisher": "Harbour Gazette", "published_at": "2024-03-09"},
            {"id": "courier-water", "text": COURIER, "publisher": "Valley Courier", "published_at": "2024-03-07"}]
    path.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    report = components.ingestor.ingest([path], progress=False)
    assert not report.errors, report.errors
    return components


def _bot(components, **overrides):
    from qa_bot.pipeline import QABot

    if overrides:
        components.settings = components.settings.with_overrides(**overrides)
    return QABot(components.settings, components)


def test_each_part_is_checked_in_its_own_source(two_publishers):
    bot = _bot(two_publishers)
    yes = bot.ask("Does the Harbour Gazette article report that the council voted to close the ferry terminal after a "
                  "survey found the pier unsafe, while the Valley Courier article says the water board raised water "
                  "prices to pay for a new treatment plant?", mode="extractive")
    assert yes.mode == "comparison" and yes.answer.startswith("Yes."), yes.answer
    assert [(c.publisher, c.verified) for c in yes.citations] == [("Harbour Gazette", True), ("Valley Courier", True)]
    # the ferry claim is in the store, but not in the Valley Courier's articles: that part decides "No"
    no = bot.ask("Does the Harbour Gazette article report that the water board raised water prices to pay for a new "
                 "treatment plant, while the Valley Courier article says the water board raised water prices?",
                 mode="extractive")
    assert no.mode == "comparison" and no.answer.startswith("No."), no.answer
    assert no.citations[0].publisher == "Harbour Gazette" and not no.citations[0].verified
    assert "Harbour Gazette does not support" in no.answer


def test_a_missing_source_is_refused_and_the_setting_switches_it_off(two_publishers):
    question = ("Does the Daily Bugle article say the pier was unsafe, while the Valley Courier article says water "
                "prices rose?")
    refused = _bot(two_publishers).ask(question, mode="extractive")
    assert refused.refused and "Daily Bugle" in refused.answer and refused.mode == "comparison"
    off = _bot(two_publishers, disabled_rules=["comparisons"]).ask(question, mode="extractive")
    assert off.mode == "extractive"
