"""The combined verifier: w * the trained checker's probability + (1 - w) * the overlap score.

    python benchmarks/verifier_combined.py --data ../shared/eval/verifier \
        --articles data/articles ../shared/eval/multihop-rag/articles [--write-manifest]

The two verifiers err on different pairs (word overlap misses a changed relation, the checker
scores near-verbatim sentences low), so their weighted sum may rank support better than either.
Every claim is scored against every passage of its source by the product's own ``Verifier``
(``score_texts``, as ``qa-bot check-claims`` does), once per verifier; the best passage decides.

How the two parameters are chosen, fixed before the first run:
- the weight w (grid 0, 0.1, ..., 1): the best mean ROC AUC over the two human-labelled sets;
- the threshold at that weight: the best mean balanced accuracy over the development sets
  (the human-labelled ones and the synthetic held-out pairs), as for the checker alone;
- each set is also reported at the weight and threshold the *other* sets would choose (held out);
- the minimal pairs in tests/ are a test set: reported, never used to choose.
``--write-manifest`` stores the choice as the manifest's ``combined`` entry, which the
``combined`` verifier reads. Results: benchmarks/results/verifier_combined.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from qa_bot.checking.claims import read_claims  # noqa: E402
from verifier import _labels, _processor, balanced_accuracy, heldout_pairs, roc_auc  # noqa: E402

WEIGHTS = np.round(np.linspace(0, 1, 11), 2)
THRESHOLDS = np.round(np.linspace(0.02, 0.98, 97), 3)
HUMAN_SETS = ("qags_xsum", "expertqa_val")
MINIMAL_PAIRS = REPO / "tests" / "data" / "minimal_pairs.jsonl"

Scored = list[tuple[np.ndarray, np.ndarray, bool]]  # per claim: overlap and checker score per passage, label


def labelled_sets(data: Path, articles: list[Path], tmp: Path) -> dict[str, list[tuple[str, str, bool]]]:
    """(claim, source, supported) per set: the shared development sets, the synthetic held-out pairs, the minimal pairs."""
    sets: dict[str, list[tuple[str, str, bool]]] = {}
    paths = {p.stem: p for p in sorted(data.glob("*.jsonl"))}
    if articles:
        paths["synthetic_heldout"] = heldout_pairs(articles, tmp / "synthetic_heldout.jsonl")
    for name, path in paths.items():  # read as check-claims and benchmarks/verifier.py read them
        claims, _ = read_claims(path)
        labels = _labels(path)
        sets[name] = [(c.claim, c.source, labels[c.id]) for c in claims]
    pairs = [json.loads(line) for line in MINIMAL_PAIRS.open(encoding="utf-8")]
    sets["minimal_pairs"] = ([(p["supported"], p["passage"], True) for p in pairs]
                             + [(p["unsupported"], p["passage"], False) for p in pairs])
    return sets


def score_sets(sets: dict[str, list[tuple[str, str, bool]]], data_dir: Path) -> tuple[dict[str, Scored], dict[str, float]]:
    """Per-passage scores of both verifiers for every claim, and ms per claim for each."""
    from qa_bot.checking.claims import MAX_MARKER, split_source
    from qa_bot.citations import extract_markers
    from qa_bot.components import Components
    from qa_bot.settings import Settings

    settings = Settings(data_dir=str(data_dir))
    overlap = Components(settings.with_overrides(verifier="overlap"))
    model = Components(settings.with_overrides(verifier="model"))
    if model.verifier.checker is None:
        raise SystemExit(model.verifier_notice)
    count = overlap.embedder.tokenizer_counter()
    out: dict[str, Scored] = {}
    seconds = {"overlap": 0.0, "model": 0.0}
    claims = 0
    for name, items in sets.items():
        rows: Scored = []
        for claim, source, label in items:
            passages = split_source(source, count, settings.chunk_tokens, settings.chunk_overlap_tokens)
            text = extract_markers(claim, MAX_MARKER)[0] or claim
            t0 = time.perf_counter()
            o = overlap.verifier.score_texts(passages, text)
            t1 = time.perf_counter()
            m = model.verifier.score_texts(passages, text)
            seconds["overlap"] += t1 - t0
            seconds["model"] += time.perf_counter() - t1
            rows.append((np.asarray(o, dtype=float), np.asarray(m, dtype=float), label))
        out[name] = rows
        claims += len(items)
        print(f"{name}: {len(items)} claims scored", flush=True)
    return out, {k: round(1000 * v / max(claims, 1), 1) for k, v in seconds.items()}


def combined(rows: Scored, w: float) -> tuple[np.ndarray, np.ndarray]:
    """The best passage's combined score per claim, and the labels."""
    scores = np.array([float(np.max(w * m + (1 - w) * o)) for o, m, _ in rows])
    return scores, np.array([y for _, _, y in rows])


def choose(scored: dict[str, Scored], human: list[str], dev: list[str]) -> tuple[float, float]:
    """The weight by mean AUC over ``human``, then the threshold by mean balanced accuracy over ``dev``."""
    aucs = [np.mean([roc_auc(*combined(scored[n], w)) for n in human]) for w in WEIGHTS]
    w = float(WEIGHTS[int(np.argmax(aucs))])
    data = [combined(scored[n], w) for n in dev]
    means = [np.mean([balanced_accuracy(s, y, t) for s, y in data]) for t in THRESHOLDS]
    return w, float(THRESHOLDS[int(np.argmax(means))])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="folder of the labelled development sets (*.jsonl)")
    parser.add_argument("--articles", type=Path, nargs="*", default=[], help="article folders for the synthetic held-out set")
    parser.add_argument("--write-manifest", action="store_true", help="store the chosen weight and threshold")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "verifier_combined.json")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

    with tempfile.TemporaryDirectory() as tmp:
        sets = labelled_sets(args.data, args.articles, Path(tmp))
        scored, ms = score_sets(sets, Path(tmp) / "data")
    human = [n for n in HUMAN_SETS if n in scored]
    dev = [n for n in scored if n != "minimal_pairs"]
    w, t = choose(scored, human, dev)
    results: dict = {"processor": _processor(), "threads": os.cpu_count(), "ms_per_claim": ms,
                     "weight": w, "threshold": t, "weight_chosen_on": human, "threshold_chosen_on": dev,
                     "by_weight": {}, "sets": {}}
    for weight in WEIGHTS:
        results["by_weight"][str(weight)] = {n: round(roc_auc(*combined(rows, weight)), 4) for n, rows in scored.items()}
    for name, rows in scored.items():
        s, y = combined(rows, w)
        row = {"n": len(y), "supported": int(y.sum()), "roc_auc": round(roc_auc(s, y), 4),
               "balanced_accuracy": round(balanced_accuracy(s, y, t), 4)}
        if name in dev and len(dev) > 1:  # the weight and threshold the other sets choose
            others_h = [n for n in human if n != name] or human
            hw, ht = choose(scored, others_h, [n for n in dev if n != name])
            hs, hy = combined(rows, hw)
            row["held_out"] = {"weight": hw, "threshold": ht, "roc_auc": round(roc_auc(hs, hy), 4),
                               "balanced_accuracy": round(balanced_accuracy(hs, hy, ht), 4)}
        if name == "minimal_pairs":
            half = len(y) // 2
            row["pairs_separated"] = int(np.sum((s[:half] >= t) & (s[half:] < t)))
            row["pairs_ranked"] = int(np.sum(s[:half] > s[half:]))
            row["pairs"] = half
        results["sets"][name] = row
    if args.write_manifest:
        from qa_bot.checking.model import MANIFEST, WEIGHTS_DIR

        manifest = json.loads((WEIGHTS_DIR / MANIFEST).read_text())
        manifest["combined"] = {"weight": w, "threshold": t, "weight_chosen_on": human, "threshold_chosen_on": dev}
        (WEIGHTS_DIR / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"processor: {results['processor']}; chosen weight {w} (mean AUC, {', '.join(human)}), threshold {t}")
    print("| weight | " + " | ".join(scored) + " |")
    for weight, aucs in results["by_weight"].items():
        print(f"| {weight} | " + " | ".join(f"{aucs[n]:.3f}" for n in scored) + " |")
    for name, row in results["sets"].items():
        held = row.get("held_out")
        extra = f"; held out (w {held['weight']}, t {held['threshold']}): {held['roc_auc']:.3f} / {held['balanced_accuracy']:.3f}" if held else ""
        pairs = f"; pairs separated {row['pairs_separated']}/{row['pairs']}, ranked {row['pairs_ranked']}" if "pairs" in row else ""
        print(f"{name}: AUC {row['roc_auc']:.3f}, balanced accuracy {row['balanced_accuracy']:.3f}{extra}{pairs}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
