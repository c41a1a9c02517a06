"""Process-wide switches: the malloc arena cap that keeps an ingest's memory from fragmenting."""

from __future__ import annotations

import platform

import pytest


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="the arena cap is a glibc tunable")
def test_arena_cap_is_set_on_glibc_unless_the_environment_says_otherwise(monkeypatch):
    from qa_bot.runtime import limit_malloc_arenas

    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    assert limit_malloc_arenas() is True
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert limit_malloc_arenas() is False  # the operator's choice is left alone
