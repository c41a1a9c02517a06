"""Citation verifiers on human-labelled claims: ROC AUC, balanced accuracy at the shipped threshold, ms per pair.

    python benchmarks/verifier.py --data ../shared/eval/verifier \
        [--articles data/articles ../shared/eval/multihop-rag/articles] [--choose-threshold]

Every set is run through ``qa-bot check-claims`` (the product's own command and decision),
once with the trained checker (``model``) and once with the old word-overlap verifier
(``overlap``), in one run. Sets:
- every ``*.jsonl`` in ``--data`` (``id, source, claim, supported``): the verifier development sets;
- with ``--articles``: the synthetic pairs of the articles the checker's training held out
  (``training.train_checker.heldout``), the project's own labelled pairs.
``--choose-threshold`` picks the threshold that maximises the mean balanced accuracy over the
sets (their mean, so no one set dominates) and writes it into the checker's manifest; the
minimal pairs in tests/ are never used for it. Results: benchmarks/results/verifier.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from qa_bot.checking.model import MANIFEST, WEIGHTS_DIR  # noqa: E402


def roc_auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Probability that a random supported claim outscores a random unsupported one (ties count half)."""
    pos, neg = scores[labels], scores[~labels]
    if not len(pos) or not len(neg):
        return float("nan")
    order = np.argsort(np.concatenate([pos, neg]), kind="mergesort")
    ranks = np.empty(len(order))
    values = np.concatenate([pos, neg])[order]
    i = 0
    while i < len(values):  # average ranks over ties
        j = i
        while j + 1 < len(values) and values[j + 1] == values[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2 + 1
        i = j + 1
    return float((ranks[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


def balanced_accuracy(scores: np.ndarray, labels: np.ndarray, threshold: float) -> float:
    decided = scores >= threshold
    tpr = float(np.mean(decided[labels])) if labels.any() else float("nan")
    tnr = float(np.mean(~decided[~labels])) if (~labels).any() else float("nan")
    return (tpr + tnr) / 2


def roc_points(scores: np.ndarray, labels: np.ndarray, n: int = 21) -> list[dict]:
    """(threshold, true-positive rate, false-positive rate) at evenly spaced thresholds, for the docs."""
    out = []
    for t in np.linspace(0, 1, n):
        decided = scores >= t
        out.append({"threshold": round(float(t), 3), "tpr": round(float(np.mean(decided[labels])), 3),
                    "fpr": round(float(np.mean(decided[~labels])), 3)})
    return out


def _labels(path: Path) -> dict[str, bool]:
    """id -> the human (or synthetic) label of each line of a labelled set."""
    rows = (json.loads(line) for line in path.open(encoding="utf-8") if line.strip())
    return {str(row["id"]): bool(row["supported"]) for row in rows}


def heldout_pairs(folders: list[Path], path: Path) -> Path:
    """The synthetic pairs of the articles the checker's training held out, as a labelled set."""
    from training.synthetic_pairs import make_pairs
    from training.train_checker import heldout, write_labelled_pairs

    write_labelled_pairs([q for q in make_pairs(folders) if heldout(q.article)], path)
    return path


def run_check_claims(pairs: Path, out: Path, verifier: str, data_dir: Path) -> tuple[list[dict], float]:
    """Verdicts of ``qa-bot check-claims`` and its wall time (model load included)."""
    env = dict(os.environ, QA_BOT_DATA_DIR=str(data_dir), HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    env.pop("QA_BOT_CHECKER_THRESHOLD", None)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "qa_bot.cli", "check-claims", str(pairs), "--out", str(out),
                    "--verifier", verifier, "--quiet"], check=True, env=env, cwd=REPO)
    return [json.loads(line) for line in out.open(encoding="utf-8")], time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="folder of labelled *.jsonl sets")
    parser.add_argument("--articles", type=Path, nargs="*", default=[], help="article folders for the held-out synthetic set")
    parser.add_argument("--choose-threshold", action="store_true", help="write the best mean-balanced-accuracy threshold")
    parser.add_argument("--ablation", action="store_true", help="also each hard rule beside the checker on and off")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "verifier.json")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        tmp_dir = Path(tmp)
        sets = {p.stem: p for p in sorted(args.data.glob("*.jsonl"))}
        if args.articles:
            sets["synthetic_heldout"] = heldout_pairs(args.articles, tmp_dir / "synthetic_heldout.jsonl")
        manifest = json.loads((WEIGHTS_DIR / MANIFEST).read_text())
        results: dict = {"processor": _processor(), "threads": os.cpu_count(), "sets": {}}
        scored: dict[str, dict[str, tuple[np.ndarray, np.ndarray]]] = {}
        for name, path in sets.items():
            labels = _labels(path)
            for verifier in ("overlap", "model"):
                verdicts, seconds = run_check_claims(path, tmp_dir / f"{name}.{verifier}.jsonl", verifier, tmp_dir / "data")
                scores = np.array([v["score"] for v in verdicts], dtype=float)
                y = np.array([labels[str(v["id"])] for v in verdicts])
                decided = np.array([v["supported"] for v in verdicts])
                threshold = float(scores[decided].min()) if decided.any() else 1.0  # the command's own decision point
                scored.setdefault(verifier, {})[name] = (scores, y)
                results["sets"].setdefault(name, {"n": len(y), "supported": int(y.sum())})[verifier] = {
                    "roc_auc": round(roc_auc(scores, y), 4),
                    "balanced_accuracy": round(float((np.mean(decided[y]) + np.mean(~decided[~y])) / 2), 4),
                    "supported_share_decided": round(float(decided.mean()), 4),
                    "ms_per_claim": round(1000 * seconds / max(len(y), 1), 1),
                    "threshold_seen": round(threshold, 4),
                    "roc": roc_points(scores, y),
                }
        grid = np.round(np.linspace(0.02, 0.98, 97), 3)
        for name in scored["model"]:  # each set scored at the threshold the other sets would choose: held out
            others = [v for k, v in scored["model"].items() if k != name]
            if others:
                t = _best_threshold(grid, others)
                s, y = scored["model"][name]
                results["sets"][name]["model"]["leave_one_out"] = {"threshold": t, "balanced_accuracy": round(balanced_accuracy(s, y, t), 4)}
        if args.choose_threshold:
            best = _best_threshold(grid, list(scored["model"].values()))
            mean = float(np.mean([balanced_accuracy(s, y, best) for s, y in scored["model"].values()]))
            manifest["threshold"] = best
            manifest["threshold_chosen_on"] = sorted(sets)
            manifest["threshold_mean_balanced_accuracy"] = round(mean, 4)
            (WEIGHTS_DIR / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
            results["chosen_threshold"] = best
            for name, (s, y) in scored["model"].items():
                results["sets"][name]["model"]["balanced_accuracy_at_chosen"] = round(balanced_accuracy(s, y, best), 4)
        results["model_threshold"] = manifest["threshold"]
        if args.ablation:
            results["rule_ablation"] = rule_ablation(sets, grid)
    results["answer_verification_s"] = answer_latency()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"processor: {results['processor']}")
    print("| set | n | verifier | ROC AUC | balanced accuracy (shipped threshold) | ms per claim |\n|---|---|---|---|---|---|")
    for name, r in results["sets"].items():
        for verifier in ("overlap", "model"):
            v = r[verifier]
            bacc = v.get("balanced_accuracy_at_chosen", v["balanced_accuracy"])
            print(f"| {name} | {r['n']} | {verifier} | {v['roc_auc']:.3f} | {bacc:.3f} | {v['ms_per_claim']:.0f} |")
    for name, r in results["sets"].items():
        if "leave_one_out" in r["model"]:
            loo = r["model"]["leave_one_out"]
            print(f"{name}: model balanced accuracy {loo['balanced_accuracy']:.3f} at {loo['threshold']}, the threshold the other sets choose")
    if "rule_ablation" in results:
        print("\nhard rules beside the checker (each at its best mean-balanced-accuracy threshold):")
        print("| rules | threshold | " + " | ".join(f"{n} AUC / bal. acc." for n in results["sets"]) + " |")
        print("|---|---|" + "---|" * len(results["sets"]))
        for rule_name, r in results["rule_ablation"].items():
            cells = " | ".join(f"{v['roc_auc']:.3f} / {v['balanced_accuracy']:.3f}" for v in r["sets"].values())
            print(f"| {rule_name} | {r['threshold']} | {cells} |")
    print(f"verifying 3 sentences against 5 passages: {json.dumps(results['answer_verification_s'])}")
    if args.choose_threshold:
        print(f"chosen threshold {results['chosen_threshold']} (mean balanced accuracy over the sets), written to the manifest")
    return 0


def _best_threshold(grid: np.ndarray, sets: list[tuple[np.ndarray, np.ndarray]]) -> float:
    """The grid threshold with the best mean balanced accuracy over the sets."""
    means = [float(np.mean([balanced_accuracy(s, y, t) for s, y in sets])) for t in grid]
    return float(grid[int(np.argmax(means))])


RULE_SETS = {"none": (), "numbers": ("numbers",), "numbers+number_words": ("numbers", "number_words"),
             "names": ("names",), "numbers+names": ("numbers", "names")}


def rule_ablation(sets: dict[str, Path], threshold_grid: np.ndarray) -> dict:
    """Each hard rule beside the checker on or off: AUC and balanced accuracy at the best shared threshold.

    The checker scores every passage once; the rules then zero some pairs, and the best passage decides,
    exactly as ``check-claims`` does. Run in-process so the model scores each pair only once.
    """
    from qa_bot.checking.claims import MAX_MARKER, read_claims, split_source
    from qa_bot.checking.model import SupportChecker
    from qa_bot.citations import Claim, Verifier, extract_markers
    from qa_bot.settings import Settings
    from vectorstore.embedding import Embedder

    settings = Settings()
    count = Embedder().tokenizer_counter()
    checker = SupportChecker(threads=os.cpu_count() or 1).load()
    per_rules: dict[str, dict[str, tuple[np.ndarray, np.ndarray]]] = {r: {} for r in RULE_SETS}
    verifiers = {name: Verifier(lambda texts: np.zeros((len(texts), 1)), 0.5, checker=checker, rules=rules)
                 for name, rules in RULE_SETS.items()}
    for name, path in sets.items():
        claims, _ = read_claims(path)
        labels = _labels(path)
        y = np.array([labels[c.id] for c in claims])
        rows: dict[str, list[float]] = {r: [] for r in RULE_SETS}
        for c in claims:
            passages = split_source(c.source, count, settings.chunk_tokens, settings.chunk_overlap_tokens)
            text = extract_markers(c.claim, MAX_MARKER)[0] or c.claim  # as check-claims reads it
            raw = checker.score([(p, text) for p in passages])
            claim = Claim(scored=text, asserted=text)
            for rule_name, verifier in verifiers.items():
                kept = [0.0 if verifier._ruled_out(claim, p) else float(x) for p, x in zip(passages, raw)]
                rows[rule_name].append(max(kept))
        for rule_name in RULE_SETS:
            per_rules[rule_name][name] = (np.array(rows[rule_name]), y)
    out = {}
    for rule_name, scored in per_rules.items():
        t = _best_threshold(threshold_grid, list(scored.values()))
        out[rule_name] = {"threshold": t, "sets": {n: {"roc_auc": round(roc_auc(s, y), 4),
                                                        "balanced_accuracy": round(balanced_accuracy(s, y, t), 4)}
                                                    for n, (s, y) in scored.items()}}
    return out


def answer_latency(repeats: int = 15) -> dict:
    """Seconds to verify a typical answer (3 sentences against 5 passages), each verifier, p50/p95."""
    from qa_bot.citations import Passage, claim_for
    from qa_bot.components import Components
    from qa_bot.runtime import configure_offline_runtime
    from qa_bot.settings import Settings
    from vectorstore.chunking import sentence_texts

    text = (REPO / "data" / "articles" / "000_864da4a0ec9d2cba.txt").read_text(encoding="utf-8")
    sentences = [s for s in sentence_texts(text) if len(s.split()) > 8]
    passages = [Passage(n=i + 1, text=" ".join(sentences[i * 6 : i * 6 + 6])) for i in range(5)]
    claims = [claim_for(sentences[k], "") for k in (1, 9, 20)]
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp))
        configure_offline_runtime(settings)
        for name in ("overlap", "model"):
            components = Components(settings.with_overrides(verifier=name))
            verifier = components.verifier
            verifier.support_details(claims, passages)  # warm-up
            times = []
            for _ in range(repeats):
                components.embedder._cache.clear()  # each answer's sentences are new to the embedder
                start = time.perf_counter()
                verifier.support_details(claims, passages)
                times.append(time.perf_counter() - start)
            out[name] = {"p50_s": round(float(np.percentile(times, 50)), 3), "p95_s": round(float(np.percentile(times, 95)), 3)}
    return out


def _processor() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        return next(line.split(":", 1)[1].strip() for line in out.splitlines() if line.startswith("Model name"))
    except (OSError, StopIteration):
        return platform.processor() or "unknown"


if __name__ == "__main__":
    sys.exit(main())
