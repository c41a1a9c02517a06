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
CHOSEN = ("fu_b_02", "fu_b_06", "fu_b_10", "fu_b_16", "fu_b_19", "fu_b_23")  # pronoun, ellipsis, what-about,
# after a refusal, after a cut-short answer, a correction
CONVERSATIONS = {c["id"]: c for c in map(json.loads, (REPO / "data" / "eval" / "followups.jsonl").read_text().splitlines())}


@pytest.mark.parametrize("cid", CHOSEN)
def test_follow_up_is_rewritten_and_answered(model_bot, cid):
    c = CONVERSATIONS[cid]
    answer = model_bot.ask(c["question"], c["history"])
    assert standalone_right(answer.standalone_question, c["standalone"]), answer.standalone_question
    assert is_correct(answer.answer, c["reference_answer"], answerable=True, refused=answer.refused,
                      accept=c["accept"]), (answer.standalone_question, answer.answer)
