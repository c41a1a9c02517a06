"""What the bot returns: an answer with verifiable citations."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class Citation:
    """A numbered pointer from the answer to an exact span of an article."""

    n: int  # the [n] marker in the answer text
    source: str  # file name or article id
    title: str
    publisher: str
    published_at: str
    chunk_id: str
    start: int  # character offsets into the cleaned article text
    end: int
    snippet: str  # the chunk text
    verified: bool  # some answer sentence citing it is supported by it (at least partly)
    support: float = 0.0  # best support score of a sentence citing it
    level: str = ""  # "verified" or "partly supported": the best level of a sentence it supports ("" unchecked)
    highlight: str = ""  # the sentence of the snippet that best supports the answer
    url: str = ""


def cited_chunk(chunk) -> dict:
    """What a marker points at, as ``AnswerSentence.model_cited`` records it (any object with chunk fields)."""
    return {"source": chunk.source_id, "chunk_id": chunk.chunk_id, "start": chunk.start, "end": chunk.end}


@dataclass
class AnswerSentence:
    """One sentence of the answer, with the markers it carries after repair."""

    text: str
    citations: list[int] = field(default_factory=list)
    supported_by: list[int] = field(default_factory=list)  # cited markers whose chunk supports it
    supported: bool = False  # at least partly supported (shown as the bot's claim)
    support: float = 0.0
    # "verified", "partly supported" (shown, with "check the passage") or "unsupported" (left out of the answer);
    # "" for what is not a claim (a refusal, "The articles give more than one figure.")
    level: str = ""
    repaired: bool = False  # a marker was added or replaced by the verifier
    model_citations: list[int] = field(default_factory=list)  # the model's own [n] markers (prompt numbering), before repair
    model_cited: list[dict] = field(default_factory=list)  # what those markers point at: source, chunk_id, start, end


@dataclass
class Answer:
    question: str
    answer: str
    refused: bool = False
    citations: list[Citation] = field(default_factory=list)
    sentences: list[AnswerSentence] = field(default_factory=list)
    retrieved: list[dict] = field(default_factory=list)  # source, chunk_id, score, ...
    standalone_question: str = ""
    rewrite: str = ""  # how a follow-up became standalone_question: "rewritten", "fallback (<why>)", or "" (as asked)
    mode: str = "generative"
    latency_s: float = 0.0
    ttft_s: float | None = None
    sources_s: float | None = None  # when the sources the model reads were known (shown before the answer)
    queue_s: float = 0.0  # time spent waiting for the language model behind other questions
    prompt_tokens: int | None = None  # the generation prompt, in the model's tokens
    prompt_tokens_evaluated: int | None = None  # of those, the ones not reused from the model's cache
    closest_sources: list[Citation] = field(default_factory=list)  # shown when refused
    error: str | None = None
    verifier: str = ""  # what checked the citations: "model" (the trained checker) or "overlap" (the fallback)

    def to_dict(self) -> dict:
        return asdict(self)
