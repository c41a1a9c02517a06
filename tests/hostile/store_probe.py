"""Print, as JSON, what a data dir's store holds and finds: run in a fresh process after a crash.

``python tests/hostile/store_probe.py DATA_DIR`` -> {"chunks": {source: {hash: [indexes]}},
"expected": {source: {hash: n_chunks}}, "ids": [...], "search": {query: [[chunk id, score], ...]}}
(the best ``SEARCH_DEPTH`` hits, so a test can tell a lost hit from a near-tie swapped at the cut-off).
A fresh process, because an in-process Chroma client would not see another process's writes.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict

SEARCH_DEPTH = 8
QUERIES = [
    "What did Herzog tell NATO about Iran?",
    "Who said NATO's security guarantee does not apply to Israel?",
    "When did NATO accept Israel's official representative?",
    "Why did Turkey block Israel at NATO?",
    "Netanyahu permanent office Brussels",
]


def probe(data_dir: str) -> dict:
    from qa_bot.components import Components
    from qa_bot.settings import Settings

    comps = Components(Settings(data_dir=data_dir))
    got = comps.store.collection.get(include=["metadatas"])
    chunks: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    expected: dict[str, dict[str, int]] = defaultdict(dict)
    for meta in got["metadatas"]:
        chunks[meta["source"]][meta["article_hash"]].append(meta["index"])
        expected[meta["source"]][meta["article_hash"]] = meta["n_chunks"]
    search = {q: [[r.chunk.chunk_id, r.score] for r in comps.retriever.search(q, k=SEARCH_DEPTH)] for q in QUERIES}
    return {"chunks": {s: {h: sorted(v) for h, v in hs.items()} for s, hs in chunks.items()},
            "expected": expected, "ids": sorted(got["ids"]), "search": search}


if __name__ == "__main__":
    print(json.dumps(probe(sys.argv[1])))
