"""The answer prompt's size controls (issue 29): what the model is shown, and what the answer keeps."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage

from qa_bot.citations import Passage
from qa_bot.llm import _draft_from_prompt
from qa_bot.queueing import GenerationQueue
from qa_bot.steps import Rules
from qa_bot.steps.answerers.llm import LLMAnswerer
from qa_bot.steps.model import drain
from vectorstore.documents import Chunk, ScoredChunk

QUESTION = "Who did Herzog meet in Brussels?"


class _Ranker:
    """Scores a sentence by how many of the question's words it has (no embedder)."""

    def scores(self, question, sentences):
        wanted = set(question.lower().strip("?").split())
        return np.array([float(len(wanted & set(s.lower().strip(".").split()))) for s in sentences])


def _sourced(n: int, sentences: list[str]):
    text = " ".join(sentences)
    chunk = Chunk(chunk_id=f"c{n}", source_id=f"{n:03d}.txt", text=text, start=0, end=len(text),
                  publisher=f"Outlet {n}", published_at="2023-01-26")
    return Passage(n=n, text=text, sentences=sentences), ScoredChunk(chunk=chunk, score=1.0 / n)


def answerer(**settings) -> LLMAnswerer:
    values = dict(history_turns=3, passage_words=70, prompt_sources=None, answer_prompt="answer") | settings
    return LLMAnswerer(SimpleNamespace(**values), Rules(), _Ranker())


PASSAGES = [_sourced(n, [f"Herzog met Stoltenberg in Brussels, outlet {n} reported.", "It rained."]) for n in (1, 2, 3)]


def test_the_compact_prompt_sends_the_question_once_before_the_sources():
    user = answerer(answer_prompt="answer_compact").messages(QUESTION, [], PASSAGES)[-1].content
    assert user.count(QUESTION) == 1
    assert user.index(QUESTION) < user.index("Source [1]") < user.index("Source [3]") < user.index("Using only")
    today = answerer().messages(QUESTION, [], PASSAGES)[-1].content
    assert today.count(QUESTION) == 2 and len(user) < len(today)


def test_the_model_sees_only_prompt_sources_but_the_draft_keeps_every_passage():
    seen = []

    class Recording(GenericFakeChatModel):
        def _stream(self, messages, *args, **kwargs):
            seen.append(messages[-1].content)
            yield from super()._stream(messages, *args, **kwargs)

    model = SimpleNamespace(queue=GenerationQueue(), llm=Recording(messages=iter([AIMessage("Stoltenberg [1].")])))
    draft = drain(answerer(prompt_sources=2).draft(model, QUESTION, [], PASSAGES, started=0.0))
    assert "Source [2]" in seen[0] and "Source [3]" not in seen[0]
    assert [p.n for p, _ in draft.passages] == [1, 2, 3]  # the verifier and the panel still get all three
    assert draft.text == "Stoltenberg [1]."


def test_a_sentence_twice_the_budget_is_cut_to_its_part_that_matches_the_question():
    long = " ".join(["filler"] * 60) + " Herzog met Stoltenberg in Brussels " + " ".join(["more"] * 30)
    excerpt = answerer(passage_words=20).best_sentences(QUESTION, [long, "Short one."], 20)
    assert len(excerpt.replace("…", "").split()) == 20
    assert "Herzog met Stoltenberg in Brussels" in excerpt and excerpt.startswith("…")
    # under twice the budget a best sentence is still shown whole, as before
    whole = " ".join(["word"] * 30) + " Herzog Brussels"
    assert answerer(passage_words=20).best_sentences(QUESTION, [whole, "Short one."], 20) == whole


class _Batch:
    def __init__(self):
        self.calls = []

    def set_batch(self, batch, n_past, logits_all):
        self.calls.append((len(batch), logits_all))


def test_lookup_decoding_asks_logits_only_for_the_short_batches_that_check_guesses():
    llama = SimpleNamespace(_batch=_Batch(), draft_model=None)
    _draft_from_prompt(llama, tokens=8)
    llama._batch.set_batch(batch=list(range(600)), n_past=0, logits_all=False)  # the prompt
    llama._batch.set_batch(batch=list(range(9)), n_past=600, logits_all=False)  # a token and 8 guesses
    assert llama._batch.calls == [(600, False), (9, True)]
    assert llama.draft_model.num_pred_tokens == 8
