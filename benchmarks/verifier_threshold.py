"""Tune the citation verifier's support threshold on labelled (claim, chunk) pairs.

    python benchmarks/verifier_threshold.py [--questions data/eval/seed_questions.jsonl]

Pairs come from the seed questions over the bundled articles: the claim is the
reference answer read with its question (as the pipeline reads short answers);
positives are retrieved chunks that contain one of the question's evidence
sentences, negatives are retrieved chunks from articles that are not reference
sources. Prints precision/recall/F1/accuracy of "supported" per threshold.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from qa_bot.citations import Passage, Verifier, claim_for  # noqa: E402
from qa_bot.evaluation.dataset import load_dataset  # noqa: E402
from qa_bot.evaluation.metrics import evidence_found, normalize_source_id  # noqa: E402
from qa_bot.runtime import configure_offline_runtime  # noqa: E402
from qa_bot.settings import Settings  # noqa: E402
from vectorstore.retrieval import index_text  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--questions", type=Path, default=REPO / "data" / "eval" / "seed_questions.jsonl")
    parser.add_argument("-k", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp))
        configure_offline_runtime(settings)
        from qa_bot.components import Components

        components = Components(settings)
        components.ingestor.ingest([REPO / "data" / "articles"], metadata_path=REPO / "data" / "articles.meta.jsonl", progress=False)
        verifier = Verifier(components.embedder.embed, settings.support_threshold)
        scores: list[tuple[float, bool]] = []
        for record in load_dataset(args.questions).records:
            if not record.answerable or not record.evidence or record.history:
                continue
            claim = claim_for(record.reference_answer or "", record.question)
            if claim is None:
                continue
            gold = {normalize_source_id(s) for s in record.reference_sources}
            for hit in components.retriever.search(record.question, k=args.k):
                chunk = hit.chunk
                positive = any(evidence_found(e.text, [chunk.text]) for e in record.evidence)
                negative = normalize_source_id(chunk.source_id) not in gold
                if positive or negative:
                    passage = Passage(1, index_text(chunk), byline=f"{chunk.publisher} {chunk.published_at}")
                    matrix, _ = verifier.support_matrix([claim], [passage])
                    scores.append((float(matrix[0, 0]), positive))
    n_pos = sum(1 for _, p in scores if p)
    print(f"{len(scores)} pairs: {n_pos} supporting, {len(scores) - n_pos} not")
    print("| threshold | precision | recall | F1 | accuracy |\n|---|---|---|---|---|")
    for t in [x / 100 for x in range(25, 80, 5)]:
        tp = sum(1 for s, p in scores if s >= t and p)
        fp = sum(1 for s, p in scores if s >= t and not p)
        fn = n_pos - tp
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / n_pos if n_pos else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        accuracy = (tp + (len(scores) - n_pos - fp)) / len(scores)
        mark = "  <- default" if abs(t - settings.support_threshold) < 1e-9 else ""
        print(f"| {t:.2f} | {precision:.3f} | {recall:.3f} | {f1:.3f} | {accuracy:.3f} |{mark}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
