"""Gates: when the articles cannot answer, the answer is the refusal, whatever was retrieved or written.

Before answering: the question attributes its facts only to outlets the library holds nothing
from (rule ``outlet_gate``, the refusal says so), nothing retrieved is close to the question
(rule ``relevance_gate``), or the question only asks about years after the newest article (rule ``date_gate``).
After verifying (always on): no sentence the sources support, only a restatement of the
question, or a count of something other than what the question counts.
"""

from __future__ import annotations

import re
from enum import Enum
from typing import Callable, Sequence

from qa_bot.answer import AnswerSentence
from qa_bot.citations import answers_the_question, is_yes_no_question
from qa_bot.figures import answer_names_the_count
from qa_bot.library import YEAR
from qa_bot.named_sources import explain as explain_missing_outlets
from qa_bot.named_sources import missing_outlets
from qa_bot.steps import Rules
from qa_bot.steps.retrieval import Evidence


class Verdict(Enum):
    ANSWER = "answer"
    REFUSE = "refuse"
    WRONG_COUNT = "wrong_count"  # the supported answer counts something the question does not ask about


class Gates:
    """The checks before answering (is there anything to answer from?) and after verifying (was it answered?)."""

    def __init__(self, rules: Rules, min_relevance: float, latest_date: Callable[[], str],
                 publishers: Callable[[], list[str]] = list):
        self.rules = rules
        self.min_relevance = min_relevance
        self.latest_date = latest_date
        self.publishers = publishers

    def unheld_outlets(self, question: str) -> str:
        """Why the library cannot answer a question about what absent outlets wrote ("" when it can try)."""
        if not self.rules.on("outlet_gate"):
            return ""
        missing = missing_outlets(question, self.publishers())
        return explain_missing_outlets(missing) if missing else ""

    def open_before(self, question: str, evidence: Evidence) -> bool:
        """Whether to answer at all from what was retrieved."""
        if self.rules.on("relevance_gate") and not self.relevant(question, evidence):
            return False
        return not (self.rules.on("date_gate") and self.after_newest_article(question))

    def relevant(self, question: str, evidence: Evidence) -> bool:
        """Some chunk is close in meaning, or names every name the question asks about ("Volker Beck").

        The embedding of a long chunk can be far from a short question about one person in it;
        two or more names all found in one chunk are evidence enough to try answering.
        """
        retrieved = evidence.retrieved
        best = max((r.dense_similarity or 0.0 for r in retrieved), default=0.0)
        if retrieved and best >= self.min_relevance:
            return True
        return names_found_together(question, [r.chunk.text for r in retrieved])

    def after_newest_article(self, question: str) -> bool:
        """The question is only about years after the newest article, so the articles cannot know."""
        years = {int(y) for y in YEAR.findall(question)}
        latest = self.latest_date() if years else ""
        return bool(years) and bool(latest) and min(years) > int(latest[:4])

    def after(self, question: str, sentences: Sequence[AnswerSentence]) -> Verdict:
        """Whether the verified sentences answer the question."""
        supported = " ".join(s.text for s in sentences if s.supported_by)
        if not supported or not (is_yes_no_question(question) or answers_the_question(question, supported)):
            return Verdict.REFUSE  # nothing the sources back, or only a restatement of the question
        if not answer_names_the_count(question, supported):  # "how many staff" answered with a count of members
            return Verdict.WRONG_COUNT
        return Verdict.ANSWER


def names_found_together(question: str, texts: Sequence[str]) -> bool:
    """The question names two or more things (not counting its first word) and one text names them all."""
    names = set(re.findall(r"(?<!^)(?<![.?!] )\b[A-Z][a-zA-Z]{2,}\b", question.strip()))
    return len(names) >= 2 and any(all(re.search(rf"\b{n}\b", text) for n in names) for text in texts)
