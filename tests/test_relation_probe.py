"""The relation-verdict probe (benchmarks/relation_verdicts.py) reads the model's reply and the question's polarity right.

Its conclusion (the model decides relations between reports no better than "always yes") rests on
this mapping: a wrong polarity would turn right verdicts into wrong ones.
"""

from __future__ import annotations

import pytest

from benchmarks.relation_verdicts import asks_for_difference, relation_questions, verdict
from qa_bot.evaluation.dataset import EvalRecord


@pytest.mark.parametrize("question, differs, negated", [
    ("Was there consistency in the portrayal of X between the A report and the B report?", False, False),
    ("Was there inconsistency in the portrayal of X between the A report and the B report?", True, False),
    ("Has the status of their relationship as reported by these sources changed?", True, False),
    ("Was there no change in the portrayal of X between the A report and the B report?", True, True),
    ("Does the A article present a different allegation than the B article?", True, False),
    ("Do the A and B articles report the same figure?", False, False),
])
def test_polarity(question: str, differs: bool, negated: bool) -> None:
    assert asks_for_difference(question) == (differs, negated)


def test_relation_reply_is_turned_into_the_questions_yes_or_no() -> None:
    consistent = "Was there consistency between the A report and the B report?"
    changed = "Was there a change between the A report and the B report?"
    unchanged = "Was there no change between the A report and the B report?"
    assert verdict("relation", consistent, "Report 1 says x.\nVerdict: Same") == "yes"
    assert verdict("relation", consistent, "Verdict: Different") == "no"
    assert verdict("relation", changed, "Verdict: Different") == "yes"
    assert verdict("relation", changed, "Verdict: **Same**") == "no"
    assert verdict("relation", unchanged, "Verdict: Same") == "yes"
    assert verdict("relation", unchanged, "Verdict: Different") == "no"
    assert verdict("relation", changed, "They differ somewhat.") is None


def test_verdict_reply_takes_the_last_answer_line() -> None:
    q = "Was there consistency between the A report and the B report?"
    assert verdict("verdict", q, "Answer: No is tempting, but\nAnswer: Yes") == "yes"
    assert verdict("verdict", q, "Answer: no") == "no"
    assert verdict("verdict", q, "Yes, they agree.") is None


def test_only_yes_no_relation_questions_of_the_two_types_are_probed() -> None:
    records = [
        EvalRecord("a", "Was there a change between the A and B reports?", question_type="temporal_query",
                   reference_answer="Yes"),
        EvalRecord("b", "Was there a change between the A and B reports?", question_type="temporal_query",
                   reference_answer="Consistent"),
        EvalRecord("c", "Does A say x while B says y?", question_type="comparison_query", reference_answer="Yes"),
        EvalRecord("d", "Which team differs from the rest?", question_type="inference_query", reference_answer="No"),
    ]
    assert relation_questions(records) == records[:1]
