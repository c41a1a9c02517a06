"""Prompt size against what the prompt still holds, for answer-prompt variants, without running the model.

    python benchmarks/prompt_size.py QUESTIONS.jsonl --data-dir DIR [--split dev]
        [--variants "today:passage_words=70;short:passage_words=35,answer_prompt=answer_compact"]
        [--out benchmarks/results/prompt_size.json]

For each question (already ingested into DIR's store) the pipeline's own planning (no model:
a follow-up is searched as asked) and retrieval give the passages; each variant's settings
build the answer prompt the model would get. Reported per variant:

- tokens the model must evaluate (the conversation and the question's message; the fixed
  system prompt stays in llama.cpp's cache), p50 and mean, by the GGUF's own tokenizer;
- how much of the answer the prompt's sources still hold: for a question with ``accept``
  term lists (the seed suite), whether one list's terms all appear; for one with gold evidence
  facts (MultiHop-RAG), the share of the facts' content words that appear; for an answer that
  is a name (MultiHop inference questions), whether it appears.

A variant that keeps these while cutting tokens is worth running through the model
(``qa-bot eval``); one that loses them is not. A proxy, chosen so that it can come out worse:
cutting an excerpt lowers it exactly when the cut removes answer-bearing words.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.speed import processor_name  # noqa: E402
from benchmarks.ttft import markdown_table, parse_configs, write_json  # noqa: E402
from qa_bot.runtime import configure_offline_runtime  # noqa: E402
from qa_bot.settings import Settings  # noqa: E402
from vectorstore.bm25 import tokenize  # noqa: E402

DEFAULT_VARIANTS = "today:"


def read_questions(path: Path, split: str | None) -> list:
    """The questions as ``qa-bot eval`` reads and splits them (EvalRecords)."""
    from qa_bot.evaluation.cli import split_records
    from qa_bot.evaluation.dataset import load_dataset

    return split_records(load_dataset(path).records, split)


def holds(record, text: str) -> dict[str, float]:
    """What of the gold answer the prompt's sources hold (keys present only where the set has that gold)."""
    from qa_bot.evaluation.metrics import normalize_answer

    lowered = text.lower()
    words = set(tokenize(text))
    found: dict[str, float] = {}
    if record.accept:
        found["accept"] = float(any(all(term.lower() in lowered for term in terms) for terms in record.accept))
    wanted = [set(tokenize(e.text)) for e in record.evidence]
    if wanted:
        found["evidence_words"] = statistics.mean(len(w & words) / len(w) for w in wanted if w) if any(wanted) else 0.0
    answer = record.reference_answer or ""
    if record.answerable and not record.accept and answer and normalize_answer(answer) not in ("yes", "no"):
        found["answer"] = float(answer.lower() in lowered)  # a name (MultiHop inference), not a yes/no verdict
    return found


def measure(bot, tokenizer, record) -> dict:
    from qa_bot.steps.model import drain

    plan = drain(bot.planner.plan(record.question, record.history, model=None))
    tokens, sources = 0, []
    for part in plan.parts:
        passages = bot.answerers.llm.shown(bot.retrieval.search(part).passages)
        messages = bot.answerers.llm.messages(part, record.history, passages)
        tokens += sum(len(tokenizer(m.content)) + 5 for m in messages[1:])  # + the template's tags per message
        sources.append(bot.answerers.llm.source_block(part, passages))
    return {"id": record.id, "tokens": tokens, **holds(record, "\n".join(sources))}


def summarize(name: str, overrides: dict, rows: list[dict]) -> dict:
    out = {"variant": name, "overrides": overrides, "questions": len(rows),
           "tokens_p50": statistics.median(r["tokens"] for r in rows),
           "tokens_mean": round(statistics.mean(r["tokens"] for r in rows), 1)}
    for key in ("accept", "evidence_words", "answer"):
        values = [r[key] for r in rows if key in r]
        if values:
            out[f"{key}_held"] = round(statistics.mean(values), 3)
            out[f"{key}_n"] = len(values)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("questions", type=Path)
    parser.add_argument("--data-dir", type=Path, required=True, help="a data dir with the questions' articles ingested")
    parser.add_argument("--split", choices=["dev", "test"])
    parser.add_argument("--variants", default=DEFAULT_VARIANTS)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()

    from llama_cpp import Llama

    from qa_bot.components import Components
    from qa_bot.pipeline import QABot

    base = Settings(data_dir=args.data_dir, llm_backend="none")
    configure_offline_runtime(base)
    questions = read_questions(args.questions, args.split)
    vocab = Llama(model_path=str(Settings(data_dir=args.data_dir).model_file), vocab_only=True, verbose=False)
    tokenizer = lambda text: vocab.tokenize(text.encode(), add_bos=False, special=True)  # noqa: E731
    components = Components(base)
    results = []
    for name, overrides in parse_configs(args.variants):
        settings = Settings(data_dir=args.data_dir, llm_backend="none", **overrides)
        bot = QABot(settings, components)
        rows = [measure(bot, tokenizer, q) for q in questions]
        results.append({**summarize(name, overrides, rows), "rows": rows})
        print(json.dumps({k: v for k, v in results[-1].items() if k != "rows"}), flush=True)
    summary = {"processor": processor_name(), "questions": str(args.questions), "split": args.split, "variants": results}
    cols = [(c, c) for c in ("tokens_p50", "tokens_mean", "accept_held", "evidence_words_held", "answer_held")]
    print("\n" + markdown_table("variant", results, cols))
    write_json(args.out, summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
