"""The question-answering pipeline: rewrite, retrieve, gate, generate, verify, cite.

``QABot.ask_stream`` yields status lines and tokens while it works and ends
with the final :class:`Answer`; ``QABot.ask`` returns just the answer. The UI,
the CLI and the batch evaluation all call these two.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field, replace
from typing import Iterator, Literal, Sequence

import numpy as np

from prompts import load_prompt, render
from qa_bot.answer import Answer, AnswerSentence, Citation, cited_chunk
from qa_bot.citations import (
    Passage,
    Verifier,
    answers_the_question,
    has_claims,
    is_choice_question,
    is_not_found,
    is_yes_no_question,
    render_answer,
    verify_and_repair,
)
from qa_bot.comparison import ComparisonPlan, answer_comparison, plan_comparison
from qa_bot.components import Components
from qa_bot.figures import Figure, answer_names_the_count, counted_phrase, distinct_values, figure_sentences, find_figures
from qa_bot.history import History, normalise_history
from qa_bot.injection import instructs_ai, quote
from qa_bot.named_sources import explain as explain_missing_outlets
from qa_bot.named_sources import missing_outlets
from qa_bot.queueing import describe_place
from qa_bot.settings import Settings
from vectorstore.bm25 import tokenize
from vectorstore.chunking import sentence_texts
from vectorstore.documents import ScoredChunk
from vectorstore.retrieval import SearchFilters, index_text

MAX_QUESTION_CHARS = 2000
MIN_WINDOW_WORDS = 15  # room left in a source's budget worth filling with part of a long sentence
EXTRACTIVE_SENTENCES = 2
FIGURE_CHUNKS = 20  # chunks searched for the figures a "how many" question asks about
_REFERRING = re.compile(
    r"\b(he|she|him|her|his|hers|they|them|their|theirs|it|its|this|that|these|those|there|then|the same|the other|"
    r"what about|how about|and what|also|else|former|latter)\b",
    re.IGNORECASE,
)


class QuestionError(ValueError):
    """The question cannot be answered as asked (empty, too long, not text)."""


@dataclass
class StreamEvent:
    """What the pipeline reports while it works.

    ``sources``: the passages the answer will be written from (numbered as the model sees
    them, not yet verified), sent as soon as retrieval is done so they can be shown at once.
    """

    kind: Literal["status", "sources", "token", "answer"]
    text: str = ""
    answer: Answer | None = None
    sources: list[Citation] = field(default_factory=list)


class QABot:
    """Answers questions about the ingested articles, with verified citations."""

    def __init__(self, settings: Settings, components: Components | None = None):
        self.settings = settings
        self.components = components or Components(settings)

    @property
    def verifier(self) -> Verifier:
        return self.components.verifier

    # --- public API -------------------------------------------------------
    def ask(self, question: str, history: History | None = None, mode: str | None = None,
            k: int | None = None, filters: SearchFilters | None = None) -> Answer:
        answer = None
        for event in self.ask_stream(question, history, mode, k, filters):
            if event.kind == "answer":
                answer = event.answer
        assert answer is not None
        return answer

    def retrieve(self, question: str, history: History | None = None, k: int | None = None,
                 filters: SearchFilters | None = None) -> tuple[str, list[ScoredChunk]]:
        """The standalone question and the chunks retrieved for it (no generation)."""
        question = validate_question(question)
        standalone = self.standalone_question(question, normalise_history(history), use_llm=False)
        return standalone, self.components.retriever.search(standalone, k=k, filters=filters)

    def ask_stream(self, question: str, history: History | None = None, mode: str | None = None,
                   k: int | None = None, filters: SearchFilters | None = None) -> Iterator[StreamEvent]:
        t0 = time.perf_counter()
        question = validate_question(question)
        turns = normalise_history(history)
        mode = mode or self.settings.mode
        llm = None
        standalone = question
        if turns and needs_rewrite(question):
            yield StreamEvent("status", "Understanding the follow-up...")
            if mode == "generative":  # the model rewrites it, after waiting its turn
                llm = yield from self._language_model()
                mode = mode if llm is not None else "extractive"
            if llm is not None:
                with self.components.generation_queue.join() as ticket:
                    yield from self._wait_for_model(ticket)
                    standalone = self.standalone_question(question, turns, use_llm=True)
            else:
                standalone = self.standalone_question(question, turns, use_llm=False)
        plan = self._comparison_plan(standalone, filters)
        if plan is not None:  # "Does the A article say X, while the B article says Y?": each part checked in its source
            yield from self._answer_comparison(question, standalone, plan, k, filters, t0)
            return
        parts = split_question(standalone)
        if len(parts) == 1:
            yield from self._answer_one(question, standalone, turns, llm, mode, k, filters, t0)
            return
        answers: list[Answer] = []
        for i, part in enumerate(parts):
            yield StreamEvent("status", f"Part {i + 1} of {len(parts)}: {part}")
            if i:
                yield StreamEvent("token", " ")
            for event in self._answer_one(part, part, turns, llm, mode, k, filters, t0):
                if event.kind == "answer":
                    answers.append(event.answer)
                else:
                    yield event
        yield StreamEvent("answer", answer=_merge_parts(question, standalone, parts, answers, t0))

    def _answer_one(self, question: str, standalone: str, turns: list[tuple[str, str]], llm, mode: str,
                    k: int | None, filters: SearchFilters | None, t0: float) -> Iterator[StreamEvent]:
        """Retrieve, gate, generate, verify and cite for one standalone question."""
        yield StreamEvent("status", "Searching the articles...")
        retrieved = self.components.retriever.search(standalone, k=k, filters=filters)
        answer = Answer(question=question, answer="", standalone_question=standalone, mode=mode,
                        retrieved=[_retrieved_row(r) for r in retrieved])

        if self.settings.gate_named_outlets and (missing := missing_outlets(standalone, self.components.retriever.publishers())):
            yield from self._finish_refusal(answer, retrieved, t0, reason=explain_missing_outlets(missing))
            return
        if not self._relevant(retrieved, standalone) or self._after_latest_article(standalone):
            yield from self._finish_refusal(answer, retrieved, t0)
            return
        passages = self._passages(retrieved[: self.settings.context_chunks])
        answer.sources_s = time.perf_counter() - t0
        yield StreamEvent("sources", sources=[_citation(p.n, scored, verified=False) for p, scored in passages])
        figures = self._figures(standalone, filters)
        if len(distinct_values(figures)) > 1:  # the articles disagree (or the count changed): say who says what, when
            yield from self._finish_with_figures(answer, standalone, passages, figures, t0)
            return
        if mode == "generative" and llm is None:
            llm = yield from self._language_model()
            if llm is None:
                mode = answer.mode = "extractive"
        if mode == "extractive":
            raw = self._extractive(standalone, passages)
            answer.ttft_s = time.perf_counter() - t0
        else:
            raw = yield from self._write(llm, standalone, turns, passages, answer, t0)
        bylines = " ".join(p.byline for p, _ in passages)
        if mode == "generative" and not has_claims(raw, standalone, bylines) and not is_not_found(raw):
            # The model produced no statement at all (empty, or only markers): fall back to extraction.
            yield StreamEvent("status", "The model gave no usable answer; quoting the best sources instead.")
            raw, answer.mode = self._extractive(standalone, passages), "extractive"
        yield StreamEvent("status", "Checking citations...")
        verifier = self.verifier
        answer.verifier = verifier.name
        if self.components.verifier_notice:
            yield StreamEvent("status", self.components.verifier_notice)
        sentences, support = verify_and_repair(raw, [p for p, _ in passages], verifier, standalone)
        supported = " ".join(s.text for s in sentences if s.supported_by)
        if not supported or not (is_yes_no_question(standalone) or answers_the_question(standalone, supported)):
            # nothing the sources back, or only a restatement of the question: refuse, whatever the model said
            yield from self._finish_refusal(answer, retrieved, t0)
            return
        if not answer_names_the_count(standalone, supported):  # "how many staff" answered with a count of members
            if figures:
                yield from self._finish_with_figures(answer, standalone, passages, figures, t0)
            else:
                yield from self._finish_refusal(answer, retrieved, t0)
            return
        sentences = [s for s in sentences if not is_not_found(s.text)]
        answer.sentences, answer.citations = _number_citations(sentences, passages, support)
        answer.answer = render_answer(answer.sentences)
        answer.latency_s = time.perf_counter() - t0
        yield StreamEvent("answer", answer=answer)

    def _comparison_plan(self, question: str, filters: SearchFilters | None) -> ComparisonPlan | None:
        """The question's parts per named source, when it asks what two or more sources say (and that step is on)."""
        if not self.settings.comparisons or (filters is not None and (filters.publisher or filters.sources)):
            return None
        return plan_comparison(question, self.components.retriever.publishers())

    def _answer_comparison(self, question: str, standalone: str, plan: ComparisonPlan, k: int | None,
                           filters: SearchFilters | None, t0: float) -> Iterator[StreamEvent]:
        yield StreamEvent("status", f"Checking what each of {len(plan.parts) + len(plan.missing)} named sources says...")
        result = answer_comparison(plan, lambda q, f: self.components.retriever.search(q, k=k, filters=f),
                                   self._passages, self.verifier, filters)
        if self.components.verifier_notice:
            yield StreamEvent("status", self.components.verifier_notice)
        answer = Answer(question=question, answer="", standalone_question=standalone, mode="comparison",
                        refused=result.verdict == "refused", verifier=self.verifier.name,
                        retrieved=[_retrieved_row(r) for r in result.retrieved])
        answer.sentences, answer.citations = _number_citations(result.sentences, result.passages, result.support)
        answer.answer = render_answer(answer.sentences)
        answer.latency_s = answer.ttft_s = time.perf_counter() - t0
        yield StreamEvent("answer", answer=answer)

    # --- the language model ----------------------------------------------------
    def _language_model(self) -> Iterator[StreamEvent]:
        """Load the chat model if needed (saying so); returns it, or None when it cannot be used."""
        if not self.components.llm_loaded():
            yield StreamEvent("status", "Loading the language model...")
        try:
            return self.components.llm()
        except Exception as exc:  # missing model or backend: answer extractively, say why
            yield StreamEvent("status", f"Language model unavailable ({exc}); answering extractively.")
            return None

    def _wait_for_model(self, ticket) -> Iterator[StreamEvent]:
        """Tell the user their place in line while other questions are being answered."""
        for place in ticket.wait():
            yield StreamEvent("status", describe_place(place))

    def _write(self, llm, question: str, turns: list[tuple[str, str]], passages, answer: Answer,
               t0: float) -> Iterator[StreamEvent]:
        """Stream the model's answer (after waiting for its turn); returns the raw text.

        Records on ``answer`` the time to first token, the time spent queueing and the prompt's
        size in tokens (all of it, and the part the model's cache did not already hold).
        """
        queued = time.perf_counter()
        with self.components.generation_queue.join() as ticket:
            yield from self._wait_for_model(ticket)
            answer.queue_s = time.perf_counter() - queued
            yield StreamEvent("status", "Writing the answer...")
            parts: list[str] = []
            for chunk in self._generate(llm, question, turns, passages):
                usage = getattr(chunk, "usage_metadata", None)
                if usage:
                    answer.prompt_tokens = usage.get("input_tokens")
                    cached = (usage.get("input_token_details") or {}).get("cache_read")
                    answer.prompt_tokens_evaluated = None if cached is None else answer.prompt_tokens - cached
                if not chunk.content:
                    continue
                if answer.ttft_s is None:
                    answer.ttft_s = time.perf_counter() - t0
                parts.append(str(chunk.content))
                yield StreamEvent("token", str(chunk.content))
        return "".join(parts)

    # --- steps --------------------------------------------------------------
    def standalone_question(self, question: str, turns: list[tuple[str, str]], use_llm: bool = True) -> str:
        """A question that can be searched without the conversation (LLM rewrite, cheap fallback)."""
        if not turns or not needs_rewrite(question):
            return question
        if use_llm:
            rewritten = self._rewrite_with_llm(question, turns)
            if rewritten:
                return rewritten
        return f"{turns[-1][0].strip()} {question}"

    def _rewrite_with_llm(self, question: str, turns: list[tuple[str, str]]) -> str | None:
        from langchain_core.messages import HumanMessage

        history = "\n".join(f"User: {u}\nAssistant: {_strip_markers(a)[:300]}" for u, a in turns[-self.settings.history_turns :])
        try:
            prompt = render("rewrite", history=quote(history), question=quote(question))
            text = self.components.llm().invoke([HumanMessage(prompt)], max_tokens=48).content
        except Exception:
            return None
        text = str(text).strip().split("\n")[0].strip().strip('"').strip()
        text = re.sub(r"^(standalone question:\s*)", "", text, flags=re.IGNORECASE)
        if not text or len(text) > 300 or len(text) < len(question) / 2 or not text.endswith("?"):
            return None
        return text

    def _after_latest_article(self, question: str) -> bool:
        """The question is only about years after the newest article, so the articles cannot know."""
        years = {int(y) for y in re.findall(r"\b(19\d\d|20\d\d)\b", question)}
        latest = self.components.retriever.latest_date()
        return bool(years) and bool(latest) and min(years) > int(latest[:4])

    def _relevant(self, retrieved: Sequence[ScoredChunk], question: str) -> bool:
        """Some chunk is close in meaning, or names every name the question asks about ("Volker Beck").

        The embedding of a long chunk can be far from a short question about one person in it;
        two or more names all found in one chunk are evidence enough to try answering.
        """
        best = max((r.dense_similarity or 0.0 for r in retrieved), default=0.0)
        if retrieved and best >= self.settings.min_relevance:
            return True
        return names_found_together(question, [r.chunk.text for r in retrieved])

    def _passages(self, chunks: Sequence[ScoredChunk]) -> list[tuple[Passage, ScoredChunk]]:
        """Numbered passages; verification sees each chunk's header too, so its date and publisher count as support.

        A sentence telling AI systems what to say is an instruction, not the article's reporting:
        it is left out of the evidence (never out of the stored article).
        """
        passages = []
        for i, c in enumerate(chunks, start=1):
            sentences = sentence_texts(c.chunk.text)
            evidence = [s for s in sentences if not instructs_ai(s)]
            text = index_text(c.chunk) if len(evidence) == len(sentences) else "\n".join([c.chunk.header(), *evidence])
            passages.append((Passage(n=i, text=text, sentences=evidence or [""],
                                     byline=f"{c.chunk.publisher} {c.chunk.published_at}",
                                     withheld=[s for s in sentences if instructs_ai(s)]), c))
        return passages

    def _source_block(self, question: str, passages: Sequence[tuple[Passage, ScoredChunk]]) -> str:
        """Numbered sources for the prompt: header plus each chunk's sentences most related to the question."""
        blocks = []
        for passage, scored in passages:
            c = scored.chunk
            shown = [s for s in passage.sentences if s] or ["(no usable text)"]
            excerpt = self._best_sentences(question, shown, self.settings.passage_words)
            date = f", {c.published_at[:10]}" if c.published_at else ", undated"
            blocks.append(render("source", n=passage.n, title=quote(c.title or c.source_id),
                                 publisher=quote(c.publisher or c.source_id), date=quote(date), text=quote(excerpt)))
        return "\n\n".join(blocks)

    def _best_sentences(self, question: str, sentences: Sequence[str], budget_words: int) -> str:
        """The sentences of a chunk that best match the question, in their original order."""
        if sum(len(s.split()) for s in sentences) <= budget_words:
            return " ".join(sentences)
        scores = self._sentence_scores(question, sentences)
        chosen: dict[int, str] = {}
        used = 0
        for i in np.argsort(-scores):
            words = len(sentences[i].split())
            if used and used + words > budget_words:
                if budget_words - used >= MIN_WINDOW_WORDS:  # a long sentence: show its part that matches best
                    chosen[int(i)] = _best_window(question, sentences[i], budget_words - used)
                    break
                continue
            chosen[int(i)] = sentences[i]
            used += words
            if used >= budget_words:
                break
        return " ... ".join(chosen[i] for i in sorted(chosen))

    def _sentence_scores(self, question: str, sentences: Sequence[str]) -> np.ndarray:
        vectors = self.components.embedder.embed([question, *sentences])
        semantic = vectors[1:] @ vectors[0]
        q_words = set(tokenize(question))
        lexical = np.array([len(q_words & set(tokenize(s))) / (len(q_words) or 1) for s in sentences])
        return 0.6 * semantic + 0.4 * lexical

    def _generate(self, llm, question: str, turns: list[tuple[str, str]], passages) -> Iterator:
        from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

        messages = [SystemMessage(load_prompt("system"))]
        for user, assistant in turns[-self.settings.history_turns :]:
            messages += [HumanMessage(user[:500]), AIMessage(_strip_markers(assistant)[:500])]
        hint = _hint(question)
        messages.append(HumanMessage(render("answer", sources=self._source_block(question, passages), question=quote(question),
                                            hint=hint)))
        yield from llm.stream(messages)

    def _extractive(self, question: str, passages: Sequence[tuple[Passage, ScoredChunk]]) -> str:
        """The best-matching sentences of the retrieved chunks, each cited (no LLM)."""
        candidates = [(p.n, s) for p, _ in passages for s in p.sentences if len(s.split()) >= 5]
        if not candidates:
            return ""
        scores = self._sentence_scores(question, [s for _, s in candidates])
        picked, seen = [], set()
        for i in np.argsort(-scores):
            if scores[i] < self.settings.min_relevance:
                break
            n, sentence = candidates[i]
            if sentence in seen:
                continue
            seen.add(sentence)
            picked.append(f"{sentence.rstrip()} [{n}]")
            if len(picked) >= EXTRACTIVE_SENTENCES:
                break
        return " ".join(picked)

    def _figures(self, question: str, filters: SearchFilters | None) -> list[Figure]:
        """The counts the articles give for what a "how many" question counts (none for other questions)."""
        if not counted_phrase(question):  # not a "how many" question: spare the wider search
            return []
        return find_figures(question, self.components.retriever.search(question, k=FIGURE_CHUNKS, filters=filters))

    def _finish_with_figures(self, answer: Answer, question: str, passages: list[tuple[Passage, ScoredChunk]],
                             figures: Sequence[Figure], t0: float) -> Iterator[StreamEvent]:
        """Answer a count question with each article's figure and date, read from the text, not generated."""
        passages = list(passages)
        numbers = {scored.chunk.chunk_id: p.n for p, scored in passages}
        for f in figures:
            if f.scored.chunk.chunk_id not in numbers:
                passage = self._passages([f.scored])[0][0]
                passage.n = len(passages) + 1
                passages.append((passage, f.scored))
                numbers[f.scored.chunk.chunk_id] = passage.n
        support = {numbers[f.scored.chunk.chunk_id]: (1.0, f.sentence) for f in figures}
        sentences = [AnswerSentence(text=f"{text}.", citations=[n] if n else [], supported_by=[n] if n else [],
                                    supported=True, support=1.0)
                     for text, n in figure_sentences(question, figures, numbers)]
        answer.sentences, answer.citations = _number_citations(sentences, passages, support)
        answer.answer = render_answer(answer.sentences)
        answer.latency_s = time.perf_counter() - t0
        if answer.ttft_s is None:
            answer.ttft_s = answer.latency_s
        yield StreamEvent("answer", answer=answer)

    def _finish_refusal(self, answer: Answer, retrieved: Sequence[ScoredChunk], t0: float,
                        reason: str = "") -> Iterator[StreamEvent]:
        answer.refused = True
        answer.answer = f"{load_prompt('refusal')} {reason}".strip()
        answer.sentences = [AnswerSentence(text=answer.answer, supported=True, support=1.0)]
        answer.closest_sources = [_citation(i, r, verified=False) for i, r in enumerate(retrieved[:3], start=1)]
        answer.latency_s = time.perf_counter() - t0
        if answer.ttft_s is None:
            answer.ttft_s = answer.latency_s
        yield StreamEvent("answer", answer=answer)


_PART_BREAK = re.compile(
    r"(?:,|;)?\s+and\s+(?=(?:who|what|when|where|which|why|how|whom|whose|in\s+what|in\s+which)\b)"
    r"|;\s+(?=\w)|\?\s+(?=[A-Z])",
    re.IGNORECASE,
)
MIN_PART_WORDS = 3


def needs_rewrite(question: str) -> bool:
    """A follow-up that refers back ("he", "that") or is too short to search on its own."""
    return bool(_REFERRING.search(question)) or len(tokenize(question)) < 4


def split_question(question: str) -> list[str]:
    """Split "Who was X, and in what year did Y?" into questions answered one by one.

    A small model given two questions answers one; each part gets its own retrieval,
    generation and verification. A part that refers back ("and what did he say?") keeps
    the question whole.
    """
    pieces = [p.strip(" ,;") for p in _PART_BREAK.split(question) if p and p.strip(" ,;?")]
    if len(pieces) < 2 or any(len(tokenize(p)) < 1 or len(p.split()) < MIN_PART_WORDS for p in pieces):
        return [question]
    parts = []
    for i, piece in enumerate(pieces):
        name = re.search(r"(?<!^)\b[A-Z]", piece)
        pronoun = _REFERRING.search(piece)
        if i and pronoun and not (name and name.start() < pronoun.start()):
            return [question]  # "...and what did he say?" needs the first part: answer it whole
        piece = piece[:1].upper() + piece[1:]
        parts.append(piece if piece.endswith("?") else piece.rstrip(".") + "?")
    return parts


def _merge_parts(question: str, standalone: str, parts: Sequence[str], answers: Sequence[Answer], t0: float) -> Answer:
    """One answer from the answers to each part: sentences in order, citations renumbered and shared."""
    merged = Answer(question=question, answer="", standalone_question=standalone, mode=answers[0].mode,
                    ttft_s=next((a.ttft_s for a in answers if a.ttft_s is not None), None))
    by_chunk: dict[str, int] = {}
    seen_rows: set[str] = set()
    for part, answer in zip(parts, answers):
        merged.retrieved += [r for r in answer.retrieved if r["chunk_id"] not in seen_rows]
        seen_rows |= {r["chunk_id"] for r in answer.retrieved}
        if answer.refused:
            merged.sentences.append(AnswerSentence(text=f"The articles don't answer: {part}", supported=True, support=1.0))
            merged.closest_sources += answer.closest_sources[:1]
            continue
        renumber: dict[int, int] = {}
        for c in answer.citations:
            if c.chunk_id not in by_chunk:
                by_chunk[c.chunk_id] = len(merged.citations) + 1
                merged.citations.append(replace(c, n=by_chunk[c.chunk_id]))
            renumber[c.n] = by_chunk[c.chunk_id]
        for s in answer.sentences:
            s.citations = [renumber[n] for n in s.citations]
            s.supported_by = [renumber[n] for n in s.supported_by]
            merged.sentences.append(s)
    merged.refused = all(a.refused for a in answers)
    merged.answer = load_prompt("refusal") if merged.refused else render_answer(merged.sentences)
    merged.latency_s = time.perf_counter() - t0
    return merged


def _hint(question: str) -> str:
    """How to open the answer, for the question shapes a small model gets wrong."""
    if is_yes_no_question(question):
        return "Start your answer with Yes or No, then say why."
    if is_choice_question(question):
        return "Say in one full sentence which of the options the sources support, and why."
    return ""


def names_found_together(question: str, texts: Sequence[str]) -> bool:
    """The question names two or more things (not counting its first word) and one text names them all."""
    names = set(re.findall(r"(?<!^)(?<![.?!] )\b[A-Z][a-zA-Z]{2,}\b", question.strip()))
    return len(names) >= 2 and any(all(re.search(rf"\b{n}\b", text) for n in names) for text in texts)


def validate_question(question: object) -> str:
    if not isinstance(question, str):
        raise QuestionError("the question must be text")
    question = " ".join(question.split())
    if not question:
        raise QuestionError("the question is empty")
    if len(question) > MAX_QUESTION_CHARS:
        raise QuestionError(f"the question is {len(question)} characters long; the limit is {MAX_QUESTION_CHARS}")
    if not any(ch.isalnum() for ch in question):
        raise QuestionError("the question has no words in it (only symbols or emoji)")
    return question


def _best_window(question: str, sentence: str, size: int) -> str:
    """The run of ``size`` words of a sentence holding most of the question's words, marked as cut."""
    words = sentence.split()
    wanted = set(tokenize(question))
    hits = [1 if set(tokenize(w)) & wanted else 0 for w in words]
    best = max(range(max(len(words) - size, 0) + 1), key=lambda start: sum(hits[start : start + size]))
    window = " ".join(words[best : best + size])
    return f"{'… ' if best else ''}{window}{' …' if best + size < len(words) else ''}"


def _strip_markers(text: str) -> str:
    return re.sub(r"\s*\[(\d+|unverified)\]", "", text or "")


def _retrieved_row(r: ScoredChunk) -> dict:
    c = r.chunk
    return {"source": c.source_id, "chunk_id": c.chunk_id, "score": round(r.score, 6),
            "similarity": None if r.dense_similarity is None else round(r.dense_similarity, 4),
            "title": c.title, "publisher": c.publisher, "published_at": c.published_at,
            "start": c.start, "end": c.end, "text": c.text}


def _citation(n: int, r: ScoredChunk, verified: bool, support: float = 0.0, highlight: str = "") -> Citation:
    c = r.chunk
    return Citation(n=n, source=c.source_id, title=c.title, publisher=c.publisher, published_at=c.published_at,
                    chunk_id=c.chunk_id, start=c.start, end=c.end, snippet=c.text, verified=verified,
                    support=round(support, 4), highlight=highlight, url=c.url)


def _number_citations(sentences: list[AnswerSentence], passages, support: dict[int, tuple[float, str]]
                      ) -> tuple[list[AnswerSentence], list[Citation]]:
    """Renumber cited passages 1..m in order of first use and build their citations."""
    by_n = {p.n: scored for p, scored in passages}
    order: dict[int, int] = {}
    for s in sentences:
        for n in s.citations:
            order.setdefault(n, len(order) + 1)
    for s in sentences:
        s.citations = [order[n] for n in s.citations]
        s.supported_by = [order[n] for n in s.supported_by if n in order]
        s.model_cited = [cited_chunk(by_n[n].chunk) for n in s.model_citations if n in by_n]
    citations = []
    for old, new in order.items():
        score, best = support.get(old, (0.0, ""))
        citations.append(_citation(new, by_n[old], verified=old in support, support=score, highlight=best))
    return sentences, citations
