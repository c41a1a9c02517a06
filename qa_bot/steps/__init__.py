"""The steps of answering a question, one module each; ``qa_bot.pipeline.QABot`` only orchestrates them.

planning (follow-up rewrite, splitting into parts) -> retrieval -> gates (before answering)
-> answerers (LLM, extractive, figures) -> verification -> gates (after verifying) -> assembly.

Every rule a step applies beyond the plain flow can be switched off by name in
``Settings.disabled_rules`` (``QA_BOT_DISABLED_RULES``), for ablations; ``RULES`` lists them.
"""

from __future__ import annotations

from typing import Literal, get_args

Rule = Literal[
    "rewrite",          # planning: a follow-up is rewritten into a standalone question
    "split",            # planning: a two-part question is answered part by part
    "relevance_gate",   # gates: refuse when nothing retrieved is close to the question
    "date_gate",        # gates: refuse a question only about years after the newest article
    "figures",          # answerers: "how many" answered from the counts the articles state
    "choice_hint",      # answerers: the LLM is told to pick one option of an "A or B?" question
    "joint_support",    # verification: two sources may support one sentence together
    "citation_repair",  # verification: a wrong or missing marker is replaced by the supporting source
    "comparisons",      # planning: a yes/no question about what named sources say is checked part by part
    "outlet_gate",      # gates: refuse a question attributing its facts only to outlets the library lacks
    "clause_support",   # verification: a sentence joining several articles' facts is supported clause by clause
    "question_premises",  # verification: ... where a clause only restating the question is not a claim to check
    "quantities",       # verification: a claim's quantities must be the passage's (value, scale, money/percent/time)
    "polarity",         # verification: a claim negating what its deciding sentence affirms (or the reverse) is unsupported
    "modality",         # verification: "is seeking"/"could"/"invited to" in the passage stated as done is unsupported
    "asked_fact",       # gates: refuse unless a verified sentence states what the question asks for, for its subject
]
RULES: tuple[str, ...] = get_args(Rule)


class Rules:
    """Which rules are on: all of them except those named in ``disabled``."""

    def __init__(self, disabled: object = ()):
        unknown = set(disabled) - set(RULES)
        if unknown:
            raise ValueError(f"unknown rules {sorted(unknown)}; known: {', '.join(RULES)}")
        self.disabled = frozenset(disabled)

    def on(self, rule: str) -> bool:
        assert rule in RULES, rule
        return rule not in self.disabled
