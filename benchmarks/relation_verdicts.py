"""Can the model decide a relation between two reports? A probe on the MultiHop development half.

    python benchmarks/relation_verdicts.py --multihop ../shared/eval/multihop-rag --data-dir DIR \\
        --pipeline DEV_PIPELINE_RUN --baseline DEV_BASELINE_RUN --out benchmarks/results/relation_verdicts.json

Questions: the yes/no comparison and temporal questions of the development half that ask for a relation
between named reports ("consistent", "a change", "different": the words for which the comparison step
declines, ``qa_bot.comparison._RELATION``). The pipeline answers them with the model's verdict over mixed
passages; this probe gives the model the best chance it can have: each named report (its publisher, and
its date when the question gives one) gets a search restricted to it, and the model sees the two reports'
best passages side by side, under one of two prompts:

- ``verdict``: one sentence on what each report says, then "Answer: Yes" or "Answer: No";
- ``relation``: one sentence on each, then "Verdict: Same" or "Verdict: Different", turned into the
  question's yes/no by its polarity ("consistent" asks for Same, "a change" for Different, "no change"
  reverses).

Each is scored against the reference answer beside the pipeline's and the tutorial baseline's answers to
the same questions (their ``qa-bot eval`` results directories) and "always yes". If either prompt beat all
three on the development half, a relation step would be worth building; the test half is never read here.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from qa_bot.comparison import _RELATION, _mentions  # noqa: E402
from qa_bot.evaluation.cli import split_records  # noqa: E402
from qa_bot.evaluation.dataset import EvalRecord, load_dataset  # noqa: E402
from qa_bot.evaluation.results_io import read_results  # noqa: E402
from vectorstore.metadata import find_date  # noqa: E402
from vectorstore.retrieval import SearchFilters  # noqa: E402

PASSAGES_PER_REPORT = 2
PASSAGE_CHARS = 700
SYSTEM = "You compare news reports. Use only the reports given."
PROMPTS = {
    "verdict": ("First write one sentence on what Report 1 says about the subject of the question, then one sentence "
                "on what Report 2 says. Then, on a last line, answer the question with exactly \"Answer: Yes\" or "
                "\"Answer: No\"."),
    "relation": ("Write one sentence on what Report 1 says about this subject and one sentence on what Report 2 says. "
                 "Then decide: do the two reports give the same account (they agree, or one adds detail without "
                 "contradicting the other), or a different one (they contradict each other, or the later one reports "
                 "a change)? End with exactly \"Verdict: Same\" or \"Verdict: Different\"."),
}
_ASKS_DIFFERENCE = re.compile(r"\b(?:inconsisten\w*|chang\w*|differ\w*|discrepanc\w*|contradict\w*|disagree\w*)\b", re.I)
_NEGATED = re.compile(r"\b(?:no|not)\s+(?:\w+\s+)?(?:change|difference|inconsistency|discrepancy)", re.I)


def relation_questions(records: list[EvalRecord]) -> list[EvalRecord]:
    """Yes/no comparison and temporal questions that ask for a relation between reports."""
    return [r for r in records if r.question_type in ("comparison_query", "temporal_query")
            and _RELATION.search(r.question) and (r.reference_answer or "").strip().lower() in ("yes", "no")]


def reports(question: str, retriever) -> list[tuple[str, str, list]]:
    """(publisher, date or "", best chunks) for each report the question names, searched within that report."""
    publishers = retriever.publishers()
    mentions = _mentions(question, publishers)
    found = []
    for i, (start, _, publisher) in enumerate(mentions):
        segment = question[start: mentions[i + 1][0] if i + 1 < len(mentions) else len(question)]
        day = find_date(segment)
        hits = retriever.search(segment, k=PASSAGES_PER_REPORT,
                                filters=SearchFilters(publisher=publisher, date_from=day or None, date_to=day or None))
        if not hits and day:
            hits = retriever.search(segment, k=PASSAGES_PER_REPORT, filters=SearchFilters(publisher=publisher))
        found.append((publisher, day, hits))
    return found


def asks_for_difference(question: str) -> tuple[bool, bool]:
    """(asks whether the accounts differ, the question is negated: "was there no change")."""
    if _NEGATED.search(question):
        return True, True
    return bool(_ASKS_DIFFERENCE.search(question)), False


def verdict(prompt: str, question: str, text: str) -> str | None:
    """The yes/no the model's reply gives to the question (None when it gives none)."""
    if prompt == "verdict":
        found = re.findall(r"answer:\s*\**\s*(yes|no)\b", text, re.I)
        return found[-1].lower() if found else None
    found = re.findall(r"verdict:\s*\**\s*(same|different)\b", text, re.I)
    if not found:
        return None
    differs, negated = asks_for_difference(question)
    yes = (found[-1].lower() == "different") == differs
    return "yes" if yes != negated else "no"


def ask(llm, question: str, found: list[tuple[str, str, list]], prompt: str) -> str:
    from langchain_core.messages import HumanMessage, SystemMessage

    blocks = []
    for j, (publisher, _, hits) in enumerate(found, start=1):
        dated = (hits[0].chunk.published_at or "")[:10] if hits else ""
        text = " ... ".join(h.chunk.text[:PASSAGE_CHARS] for h in hits) or "(nothing found)"
        blocks.append(f"Report {j} ({publisher}, {dated}):\n{text}")
    label = "Question" if prompt == "verdict" else "Subject"
    user = "\n\n".join(blocks) + f"\n\n{label}: {question}\n\n{PROMPTS[prompt]}"
    return str(llm.invoke([SystemMessage(SYSTEM), HumanMessage(user)], max_tokens=160).content)


def earlier_answers(run: Path | None) -> dict[str, dict]:
    """A ``qa-bot eval`` run's rows by question id (read as ``qa-bot eval --compare`` reads them)."""
    return {r["id"]: r for r in read_results(run)} if run is not None else {}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--multihop", type=Path, required=True)
    parser.add_argument("--data-dir", type=Path, required=True, help="a store with the MultiHop articles ingested")
    parser.add_argument("--pipeline", type=Path, help="the pipeline's qa-bot eval results dir on the dev half")
    parser.add_argument("--baseline", type=Path, help="the baseline's eval results dir on the dev half")
    parser.add_argument("--out", type=Path, required=True, help="summary and verdicts (no article text)")
    parser.add_argument("--replies", type=Path, help="also write the model's replies here (they quote the articles: "
                                                      "keep them outside the repository)")
    args = parser.parse_args()

    from qa_bot.components import Components
    from qa_bot.settings import Settings

    records = split_records(load_dataset(args.multihop / "questions.jsonl").records, "dev")  # as qa-bot eval does
    components = Components(Settings(data_dir=args.data_dir))
    llm = components.llm()
    pipeline, baseline = earlier_answers(args.pipeline), earlier_answers(args.baseline)
    rows = []
    for record in relation_questions(records):
        question, reference = record.question, record.reference_answer.strip().lower()
        found = reports(question, components.retriever)
        row = {"id": record.id, "type": record.question_type, "reference": reference,
               "reports": [[p, d, len(h)] for p, d, h in found]}
        for prompt in PROMPTS:
            started = time.perf_counter()
            text = ask(llm, question, found, prompt) if len(found) >= 2 else ""
            row[prompt] = {"verdict": verdict(prompt, question, text), "reply": text,
                           "seconds": round(time.perf_counter() - started, 1)}
        for name, run in (("pipeline", pipeline), ("baseline", baseline)):
            if record.id in run:
                row[name] = bool(run[record.id]["metrics"].get("correct"))
        rows.append(row)
        print(record.id, reference, row["verdict"]["verdict"], row["relation"]["verdict"], flush=True)
    summary = {"questions": len(rows), "reference_yes": sum(r["reference"] == "yes" for r in rows),
               "always_yes_correct": sum(r["reference"] == "yes" for r in rows)}
    for prompt in PROMPTS:
        summary[f"{prompt}_correct"] = sum(r[prompt]["verdict"] == r["reference"] for r in rows)
        summary[f"{prompt}_yes"] = sum(r[prompt]["verdict"] == "yes" for r in rows)
        summary[f"{prompt}_no_verdict"] = sum(r[prompt]["verdict"] is None for r in rows)
    for name in ("pipeline", "baseline"):
        if any(name in r for r in rows):
            summary[f"{name}_correct"] = sum(bool(r.get(name)) for r in rows)
    if args.replies:
        args.replies.write_text(json.dumps(rows, indent=1))
    for row in rows:  # the committed file: verdicts only (a replayed run's seconds would read as 0)
        for prompt in PROMPTS:
            row[prompt] = row[prompt]["verdict"]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"summary": summary, "rows": rows}, indent=1))
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
