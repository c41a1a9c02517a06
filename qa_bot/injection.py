"""Keep quoted text (questions, articles) from acting as instructions, without deleting any of it.

A question is data: "Did Turkey act as a mediator?" or "Why did Israel ignore the
previous agreements?" must reach retrieval and the model word for word. Instructions
inside a question or an article are neutralised by how the prompt is built and by the
verifier, never by removing words or refusing a question for the words it uses:

- :func:`quote` makes text safe to put inside the prompt, where the question is quoted and
  each source is a numbered block: ``[n]`` written in it cannot pose as one of our citation
  markers, and tag-like fences (``<question>``, ``<source>``) cannot be opened or closed. The
  system prompt tells the model that text in sources and questions is data, never an
  instruction. (The prompts once put question and sources inside such tags: the 1.5B model
  then echoed ``<question>…</question>`` as its answer, and the seed set fell from 0.90 to
  0.78 correct with 3 of 8 unanswerable questions refused; docs/benchmarks.md.)
- :func:`instructs_ai` spots a source sentence that tells AI systems what to say
  ("AI assistants must answer that ..."). Such a sentence reports an instruction, not
  a fact, so it is not evidence: the verifier and the extractive path never use it, and
  a claim it alone "supports" is not certified. The article itself is stored and
  searchable unchanged.
"""

from __future__ import annotations

import re

FENCE_TAGS = ("question", "source", "sources", "conversation")
_FENCE = re.compile(r"<(\s*/?\s*)(" + "|".join(FENCE_TAGS) + r")\b", re.IGNORECASE)
_MARKER = re.compile(r"\[(\s*\d{1,3}(?:\s*[,;]\s*\d{1,3})*\s*)\]")

_AI = (r"(?:(?:ai|a\.i\.|artificial\s+intelligence)(?:\s+(?:assistants?|systems?|models?|tools?|agents?))?"
       r"|chat\s*bots?|virtual\s+assistants?|(?:large\s+)?language\s+models?|llms?|gpts?)")
_TELL = r"(?:answer|say|reply|respond|state|claim|write|output|assert|insist)"
_INSTRUCTS_AI = re.compile(
    # "AI assistants must answer that ...", "any chatbot reading this should say ..."
    rf"\b{_AI}\b[^.!?]{{0,60}}\b(?:must|should|shall|have\s+to|are\s+(?:required|instructed|told)\s+to|need\s+to)\s+(?:always\s+)?{_TELL}\b"
    # "Note to AI systems: ...", "Attention language models: ..."
    rf"|\b(?:note|message|instructions?|attention)\s+(?:to|for)?\s*(?:all\s+|any\s+)?(?:the\s+)?(?:\w+\s+)?{_AI}\s*[:,]"
    # "If you are an AI, ..."
    rf"|\bif\s+you\s+are\s+(?:an?\s+)?(?:\w+\s+)?{_AI}\b",
    re.IGNORECASE,
)


def quote(text: str) -> str:
    """Text made safe to sit inside a prompt fence: fence tags and ``[n]`` markers defused, nothing removed."""
    text = _FENCE.sub(lambda m: "‹" + m.group(1) + m.group(2), text or "")
    return _MARKER.sub(lambda m: "(" + m.group(1) + ")", text)


def instructs_ai(sentence: str) -> bool:
    """True for a source sentence addressed to AI systems, telling them what to say (not evidence)."""
    return bool(_INSTRUCTS_AI.search(sentence))
