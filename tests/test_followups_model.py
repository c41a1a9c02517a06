"""Follow-ups with the real embedded model (slow): a prompt change that breaks follow-ups fails here.

A handful of the hand-written conversations of ``data/eval/followups.jsonl`` (bundled articles,
one of each common kind), asked through the whole pipeline: the question searched must pass the
conversation's own rule (names the subject, keeps what is asked) and the answer its ``accept``
keywords. ``benchmarks/followups.py`` runs all of them, MultiHop ones included.
"""

from __future__ import annotations

import json

import pytest

from benchmarks.followups import standalone_right
from conftest import REPO
from qa_bot.evaluation.metrics import is_correct

pytestmark = pytest.mark.slow
# one of each kind the bundled articles answer in benchmarks/followups.py: pronoun (the issue's "Where does he
# work?"), possessive, ellipsis ("Why not?"), "What about X?", after a refusal, after a cut-short answer, three
# turns deep, a correction
CHOSEN = ("fu_b_02", "fu_b_03", "fu_b_07", "fu_b_12", "fu_b_16", "fu_b_19", "fu_b_21", "fu_b_23")
CONVERSATIONS = {c["id"]: c for c in map(json.loads, (REPO / "data" / "eval" / "followups.jsonl").read_text().splitlines())}


OWN_REWRITES = ("fu_b_02", "fu_b_03", "fu_b_16", "fu_b_21", "fu_b_23")  # the embedded model's own rewrite passes
# the check here with the chosen prompt (5/5 in benchmarks/followups.py), with the prompt until issue 27 3/5


@pytest.fixture(scope="module")
def answers(model_bot):
    return {cid: model_bot.ask(CONVERSATIONS[cid]["question"], CONVERSATIONS[cid]["history"]) for cid in CHOSEN}


def test_follow_ups_are_rewritten_and_answered(answers):
    """Each conversation's question searched passes its own rule and the answer its keywords; one miss of eight
    is tolerated (greedy decoding still differs across CPUs and cache states, docs/benchmarks.md)."""
    failed = []
    for cid, answer in answers.items():
        c = CONVERSATIONS[cid]
        right = standalone_right(answer.standalone_question, c["standalone"])
        correct = is_correct(answer.answer, c["reference_answer"], answerable=True, refused=answer.refused,
                             accept=c["accept"])
        if not (right and correct):
            failed.append((cid, answer.standalone_question, answer.rewrite, answer.answer[:200]))
    assert len(failed) <= 1, failed


def test_the_models_own_rewrites_pass_the_check(answers):
    """Not rescued by the fallback: a prompt that makes the model give back the previous question fails here."""
    own = [cid for cid in OWN_REWRITES if answers[cid].rewrite == "rewritten"]
    assert len(own) >= 4, {cid: (answers[cid].standalone_question, answers[cid].rewrite) for cid in OWN_REWRITES}
