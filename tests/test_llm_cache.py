"""The replay cache serves identical prompts from disk and nothing else (benchmark ablations)."""

from __future__ import annotations

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

from qa_bot.llm_cache import ReplayCache, ReplayingChatModel


def _model(*answers: str) -> GenericFakeChatModel:
    return GenericFakeChatModel(messages=iter([AIMessage(a) for a in answers]))


def test_identical_prompt_is_replayed_and_a_changed_prompt_reaches_the_model(tmp_path) -> None:
    cache = ReplayCache(tmp_path / "answers.sqlite")
    model = ReplayingChatModel(_model("first answer [1]", "second answer [2]"), cache, {"model": "fake"})
    prompt = [SystemMessage("rules"), HumanMessage("Who met Stoltenberg?")]
    assert "".join(str(c.content) for c in model.stream(prompt)) == "first answer [1]"
    assert "".join(str(c.content) for c in model.stream(prompt)) == "first answer [1]"  # replayed
    changed = [SystemMessage("rules"), HumanMessage("Who met Herzog?")]
    assert "".join(str(c.content) for c in model.stream(changed)) == "second answer [2]"
    assert (cache.hits, cache.misses) == (1, 2)


def test_cache_survives_a_new_process_and_keys_on_the_model_identity(tmp_path) -> None:
    path = tmp_path / "answers.sqlite"
    prompt = [HumanMessage("Rewrite: and then?")]
    assert ReplayingChatModel(_model("A?"), ReplayCache(path), {"model": "m1"}).invoke(prompt).content == "A?"
    assert ReplayingChatModel(_model("unused"), ReplayCache(path), {"model": "m1"}).invoke(prompt).content == "A?"
    assert ReplayingChatModel(_model("B?"), ReplayCache(path), {"model": "m2"}).invoke(prompt).content == "B?"


def test_a_sampling_model_is_refused(tmp_path) -> None:
    class Sampling(GenericFakeChatModel):
        temperature: float = 0.7

    with pytest.raises(ValueError, match="greedy"):
        ReplayingChatModel(Sampling(messages=iter([])), ReplayCache(tmp_path / "c.sqlite"), {"model": "fake"})
