"""Write the support checker's model card from its training record and its measured results.

    python training/model_card.py  # reads qa_bot/checking/weights/checker.json, benchmarks/results/verifier.json
"""

from __future__ import annotations

import json
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
WEIGHTS = REPO / "qa_bot" / "checking" / "weights"
RESULTS = REPO / "benchmarks" / "results" / "verifier.json"

LICENCES = {
    "taxinli (MNLI dev pairs)": "TaxiNLI (MNLI development pairs, re-annotated; microsoft/TaxiNLI): Computational Use of Data Agreement 1.0, models trained on it unrestricted",
    "snli dev": "SNLI development split (via e-SNLI): CC BY-SA 4.0",
    "snli test": "SNLI test split (via e-SNLI): CC BY-SA 4.0",
    "counterfactually-augmented snli": "Counterfactually-augmented SNLI (acmi-lab/counterfactually-augmented-data): CC BY-SA 4.0, repository Apache-2.0",
    "fool me twice (FM2)": "Fool Me Twice (google-research/fool-me-twice): Apache-2.0, Wikipedia text CC BY-SA",
    "BEGIN (WoW responses)": "BEGIN (google/BEGIN-dataset): CC BY 4.0",
}


def main() -> None:
    manifest = json.loads((WEIGHTS / "checker.json").read_text())
    results = json.loads(RESULTS.read_text()) if RESULTS.is_file() else {}
    lines = [
        "# qa-bot support checker",
        "",
        "Scores P(passage supports claim) for qa-bot's citation verification. A cross-encoder fine-tuned",
        f"from {manifest['base']} by `training/train_checker.py` (seed {manifest['seed']}, CPU only,",
        f"{manifest['train_minutes']} min on {manifest['threads']} threads, {manifest['precision']}), shipped as fp16",
        f"safetensors (SHA-256 `{manifest['sha256']}`, checked at load).",
        "",
        "## Training data",
        "",
        "| data | pairs | licence |",
        "|---|---|---|",
    ]
    for name, n in sorted(manifest["nli_pairs"].items()):
        lines.append(f"| {name} | {n} | {LICENCES.get(name, 'see ../shared/eval/nli/README.md')} |")
    lines += [
        f"| synthetic news pairs (training/synthetic_pairs.py) from the 5 bundled articles and the 141 MultiHop-RAG subset articles (ODC-BY 1.0, Tang & Yang 2024), articles held out for calibration excluded | {manifest['synthetic_train_pairs']} × {manifest['synthetic_repeat']} passes | derived from the articles; not redistributed |",
        "",
        "SNLI was capped (seeded sample) because image captions are the farthest from news. The",
        "synthetic pairs are a passage of about 150 words and a claim: a sentence of it, its leading",
        "clause, the sentence without an aside, or two of its sentences joined (supported); or the",
        "sentence with one number, year, month or name changed, a negation flipped, a relation or",
        "status shifted (\"proposed\" → \"approved\", \"invited … to join\" → \"joined\", \"seeking\" → \"awarded\"),",
        "a detail or a second fact from elsewhere in the article added, or a sentence from elsewhere in",
        "the article (unsupported). 15% are lower-cased. The verifier development sets",
        "(`../shared/eval/verifier/`) were never trained on; they and the held-out articles' pairs were",
        "used only to choose the decision threshold.",
        "",
        "## Decision",
        "",
        f"Threshold {manifest['threshold']}: the value with the best mean balanced accuracy over "
        f"{', '.join(manifest.get('threshold_chosen_on', []))} (`benchmarks/verifier.py --choose-threshold`).",
        "In the product a citation also fails when the sentence states a number its passage never writes.",
        "",
    ]
    if "combined" in manifest:
        c = manifest["combined"]
        lines += [f"The `combined` verifier ({c['weight']} × this checker's probability + {round(1 - c['weight'], 2)} × the "
                  f"word-overlap score) decides at {c['threshold']}: the weight with the best mean ROC AUC over "
                  f"{', '.join(c['weight_chosen_on'])}, the threshold with the best mean balanced accuracy over "
                  f"{', '.join(c['threshold_chosen_on'])} (`benchmarks/verifier_combined.py --write-manifest`).", ""]
    if results:
        lines += ["## Measured", "", f"Processor: {results['processor']}.", "",
                  "| set | n | ROC AUC | balanced accuracy at the shipped threshold | at the threshold the other sets choose |",
                  "|---|---|---|---|---|"]
        rerun = results.get("rerun_after_marker_stripping", {}).get("sets", {})  # claims read without [n] markers
        for name, r in results["sets"].items():
            m = r["model"]
            if name in rerun:
                m = dict(m, roc_auc=rerun[name]["model"]["roc_auc"],
                         balanced_accuracy_at_chosen=rerun[name]["model"]["balanced_accuracy"],
                         leave_one_out=rerun[name]["model"].get("leave_one_out", m.get("leave_one_out", {})))
            loo = m.get("leave_one_out", {}).get("balanced_accuracy")
            lines.append(f"| {name} | {r['n']} | {m['roc_auc']:.3f} | {m.get('balanced_accuracy_at_chosen', m['balanced_accuracy']):.3f} | "
                         f"{'–' if loo is None else f'{loo:.3f}'} |")
        lines += ["", "Full comparison with the old verifier: docs/benchmarks.md.", ""]
    lines += ["## Limits", "",
              "- Not the product's default verifier: in the answer benchmark (docs/benchmarks.md) it refused correct answers "
              "(seed set correct 0.70 vs 0.90 with the overlap verifier in the same run; MultiHop dev 40: 0.35), often "
              "scoring a near-verbatim claim low against the chunk that states it. Opt in with QA_BOT_VERIFIER=model.",
              "- English news-style text; one claim sentence against one passage of up to 288 word pieces (longer passages are cut).",
              "- Claims that need two passages at once are checked on their best sentences side by side (joint support).",
              "- Small (22M parameters): it misses paraphrases that need world knowledge, and human-labelled summary sets remain hard for it (see the measured table).",
              ""]
    (WEIGHTS / "README.md").write_text("\n".join(lines), encoding="utf-8")
    print(f"wrote {WEIGHTS / 'README.md'}")


if __name__ == "__main__":
    main()
