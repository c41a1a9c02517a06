"""vectorstore/ does not import qa_bot/: it is configured with its own dataclasses (vectorstore/config.py)."""

from __future__ import annotations

import ast
from pathlib import Path

VECTORSTORE = Path(__file__).resolve().parent.parent / "vectorstore"


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_no_vectorstore_module_imports_qa_bot():
    modules = sorted(VECTORSTORE.glob("*.py"))
    assert len(modules) > 10
    offenders = {p.name: sorted(n for n in _imports(p) if n == "qa_bot" or n.startswith("qa_bot.")) for p in modules}
    assert not {name: found for name, found in offenders.items() if found}


def test_settings_build_the_vectorstore_configs(make_settings):
    settings = make_settings(store_mode="http", store_port=9001, bm25_weight=0.7, chunk_tokens=120, chunk_overlap_tokens=20)
    store = settings.store_config()
    assert (store.mode, store.port, store.url, store.keyword_path) == ("http", 9001, "http://127.0.0.1:9001", settings.keyword_path)
    assert settings.retrieval_config().bm25_weight == 0.7
    assert (settings.ingest_config().chunk_tokens, settings.ingest_config().chunk_overlap_tokens) == (120, 20)
