"""Does the support checker decide better on sentence windows than on whole passages?

    python benchmarks/checker_granularity.py --data ../shared/eval/verifier [--sets qags_xsum expertqa_val minimal]

SummaC-style scoring (Laban et al., 2022) reads a claim against windows of 1, 2 or 3
consecutive source sentences and keeps the best window, on the theory that a cross-encoder
trained on short premises judges a short premise best. This measures it for the shipped
checker against scoring the whole source ("whole"; a QAGS article is cut at the checker's
max length), per set: ROC AUC, balanced accuracy at the shipped threshold and the best
balanced accuracy over thresholds (in-sample: an upper bound, not a result). ``minimal`` is
tests/data/minimal_pairs.jsonl (each passage with its supported sentence and its one-fact twin).
Nothing here is shipped; it decides whether windows are worth shipping.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from qa_bot.checking.model import SupportChecker  # noqa: E402
from qa_bot.citations import extract_markers  # noqa: E402
from vectorstore.chunking import split_sentences  # noqa: E402
from verifier import balanced_accuracy, roc_auc  # noqa: E402

GRANULARITIES = {"w1": 1, "w2": 2, "w3": 3, "whole": 0}


def sentences(text: str) -> list[str]:
    return [text[a:b].strip() for a, b in split_sentences(text) if text[a:b].strip()]


def windows(sents: list[str], width: int) -> list[str]:
    if len(sents) <= width:
        return [" ".join(sents)]
    return [" ".join(sents[i : i + width]) for i in range(len(sents) - width + 1)]


def read_set(name: str, data: Path) -> list[dict]:
    if name == "minimal":
        out = []
        for line in (REPO / "tests/data/minimal_pairs.jsonl").open(encoding="utf-8"):
            r = json.loads(line)
            out.append({"source": r["passage"], "claim": r["supported"], "supported": True})
            out.append({"source": r["passage"], "claim": r["unsupported"], "supported": False})
        return out
    return [json.loads(line) for line in (data / f"{name}.jsonl").open(encoding="utf-8") if line.strip()]


def best_window_scores(checker: SupportChecker, rows: list[dict], width: int) -> np.ndarray:
    pairs, owner = [], []
    for i, row in enumerate(rows):
        claim = extract_markers(row["claim"], 99)[0] or row["claim"]
        for premise in ([row["source"]] if width == 0 else windows(sentences(row["source"]), width)):
            pairs.append((premise, claim))
            owner.append(i)
    best = np.full(len(rows), -1.0)
    for i, score in zip(owner, checker.score(pairs)):
        best[i] = max(best[i], float(score))
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--sets", nargs="+", default=["qags_xsum", "expertqa_val", "minimal"])
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks/results/checker_granularity.json")
    args = parser.parse_args()
    checker = SupportChecker().load()
    thresholds = np.linspace(0.01, 0.99, 99)
    results = {"threshold": checker.threshold, "sets": {}}
    for name in args.sets:
        rows = read_set(name, args.data)
        labels = np.array([bool(r["supported"]) for r in rows])
        for key, width in GRANULARITIES.items():
            start = time.perf_counter()
            scores = best_window_scores(checker, rows, width)
            seconds = time.perf_counter() - start
            accs = [balanced_accuracy(scores, labels, t) for t in thresholds]
            row = {"auc": round(roc_auc(scores, labels), 3),
                   "bacc_shipped": round(balanced_accuracy(scores, labels, checker.threshold), 3),
                   "bacc_best_in_sample": round(max(accs), 3), "best_at": round(float(thresholds[int(np.argmax(accs))]), 2),
                   "ms_per_claim": round(1000 * seconds / len(rows), 1)}
            results["sets"].setdefault(name, {})[key] = row
            print(name, key, json.dumps(row), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
