"""The tutorial-style RAG the project brief says we must beat, scored by the same evaluation.

    python benchmarks/baseline.py --data-dir DIR eval [QUESTIONS] --out OUT [--limit N]

Dense top-4 from the same Chroma store and embedder, the LangChain RAG-tutorial prompt plus
"cite [n], say you don't know", the same embedded LLM (settings decide which), the
conversation's turns passed as chat messages, no rewrite, no gate, no verification, no repair.
Its answers go through ``qa-bot eval``'s scoring: a refusal is an answer that says it does not
know; each [n] it writes is checked with the pipeline's verifier (same threshold), so citation
precision/recall mean the same thing as for the pipeline.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from qa_bot.answer import Answer, AnswerSentence, Citation, cited_chunk  # noqa: E402
from qa_bot.citations import Passage, Verifier, claim_for, extract_markers, is_not_found, split_answer  # noqa: E402
from qa_bot.components import Components  # noqa: E402
from qa_bot.history import normalise_history  # noqa: E402
from qa_bot.settings import Settings  # noqa: E402

TOP_K = 4
SYSTEM = (
    "You are an assistant for question-answering tasks. Use the following pieces of retrieved context to "
    "answer the question. Cite the pieces you use as [n]. If you don't know the answer, say that you don't "
    "know. Use three sentences maximum and keep the answer concise.\n\nContext:\n{context}"
)


class TutorialRAG:
    """Dense top-4 + one prompt + the LLM: the answer is whatever the model writes."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.components = Components(settings)

    @property
    def verifier(self) -> Verifier:
        return self.components.verifier  # the pipeline's own (the trained checker unless set otherwise)

    def retrieve(self, question: str, history=None, k: int | None = None):
        vector = self.components.embedder.embed_query(question)
        return question, self.components.store.dense_search(vector, k or TOP_K, None)

    def ask(self, question: str, history=None, mode: str | None = None) -> Answer:
        from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

        t0 = time.perf_counter()
        _, hits = self.retrieve(question)
        context = "\n\n".join(f"[{i}] {chunk.text}" for i, (chunk, _) in enumerate(hits, start=1))
        messages = [SystemMessage(SYSTEM.format(context=context))]
        for user, assistant in normalise_history(history):
            messages += [HumanMessage(user), AIMessage(assistant)]
        messages.append(HumanMessage(question))
        parts, ttft = [], None
        for piece in self.components.llm().stream(messages):
            if piece.content:
                ttft = ttft if ttft is not None else time.perf_counter() - t0
                parts.append(str(piece.content))
        text = "".join(parts).strip()
        answer = Answer(question=question, answer=text, mode="baseline", standalone_question=question,
                        refused=is_not_found(text) or not text, ttft_s=ttft,
                        retrieved=[{"source": c.source_id, "chunk_id": c.chunk_id, "score": s, "text": c.text}
                                   for c, s in hits])
        answer.sentences, answer.citations = self._check_citations(text, question, hits)
        answer.latency_s = time.perf_counter() - t0
        return answer

    def _check_citations(self, text: str, question: str, hits) -> tuple[list[AnswerSentence], list[Citation]]:
        """Each [n] the model wrote, checked against chunk n with the pipeline's verifier."""
        passages = [Passage(n=i, text=c.text) for i, (c, _) in enumerate(hits, start=1)]
        sentences, verified = [], set()
        for raw in split_answer(text):
            clean, cited = extract_markers(raw, len(passages))
            claim = claim_for(clean, question)
            supported_by = []
            if claim and cited:
                scores, _ = self.verifier.support_matrix([claim], [passages[n - 1] for n in cited])
                supported_by = [n for n, score in zip(cited, scores[0]) if score >= self.verifier.threshold]
            verified |= set(supported_by)
            sentences.append(AnswerSentence(text=clean, citations=cited, supported_by=supported_by,
                                            supported=bool(supported_by), support=0.0, model_citations=cited,
                                            model_cited=[cited_chunk(hits[n - 1][0]) for n in cited]))
        chunks = {n: hits[n - 1][0] for n in sorted({n for s in sentences for n in s.citations})}
        citations = [Citation(n=n, source=c.source_id, title=c.title, publisher=c.publisher, published_at=c.published_at,
                              chunk_id=c.chunk_id, start=c.start, end=c.end, snippet=c.text, verified=n in verified)
                     for n, c in chunks.items()]
        return sentences, citations


def main() -> int:
    from qa_bot.evaluation.cli import add_arguments, run
    from qa_bot.runtime import configure_offline_runtime

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, required=True)
    sub = parser.add_subparsers(dest="command", required=True)
    add_arguments(sub.add_parser("eval"))
    args = parser.parse_args()
    settings = Settings(data_dir=args.data_dir)
    configure_offline_runtime(settings)
    args.mode = "generative"
    return run(args, settings, lambda: TutorialRAG(settings))


if __name__ == "__main__":
    sys.exit(main())
