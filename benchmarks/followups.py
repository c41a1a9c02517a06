"""Follow-up questions with the embedded model: is the rewrite right, and is the answer right?

    python benchmarks/followups.py --multihop ../shared/eval/multihop-rag \
        [--conversations data/eval/followups.jsonl data/eval/followups_heldout.jsonl] [--prompts guided,tagged] \
        [--answers guided,tagged,off] [--work DIR] [--out benchmarks/results/followups.json]

Each line of the conversations file (written by hand, issue 27) is a conversation over the
bundled articles or the MultiHop-RAG articles that ends in a follow-up; it carries the rule its
standalone question is judged by, written before any run: ``standalone.subject`` (it names
the right subject) and ``standalone.asks`` (it keeps what the new question asks), each a list of
alternatives of keywords matched as ``accept`` is (``qa_bot.evaluation.metrics.accept_match``).

Two passes, one model loaded once (one store per corpus):
1. rewrite: for each prompt in ``--prompts``, the standalone question the pipeline searches (the
   model's rewrite if it passes ``rewrite_problem``, else the fallback), the model's raw rewrite
   judged by the same rule, how often the check rejected it, and the seconds the rewrite took;
2. answers: for each prompt in ``--answers`` (``off`` = the ``rewrite`` rule switched off: the
   follow-up searched as asked; ``reference`` = the hand-written standalone question asked alone, the ceiling
   the rest of the pipeline allows), the whole pipeline's answer, judged by the conversation's
   ``accept`` keywords (``is_correct``, as ``qa-bot eval`` does), with time to first token and the
   prompt tokens the answer really evaluated (the rest came from llama.cpp's cache).
Prints markdown tables (overall and by kind) and writes every row to ``--out``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.speed import processor_name  # noqa: E402
from qa_bot.evaluation.metrics import accept_match, is_correct  # noqa: E402
from qa_bot.history import normalise_history  # noqa: E402

KINDS = ("pronoun", "possessive", "ellipsis", "what_about", "topic_switch", "after_refusal", "cut_short", "deep",
         "correction")


def standalone_right(text: str, rule: dict) -> bool:
    """The rule written with the conversation: the standalone question names the subject and keeps the ask."""
    return accept_match(text, rule["subject"]) and accept_match(text, rule["asks"])


def load_conversations(path: Path) -> list[dict]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    for row in rows:
        row["turns"] = normalise_history(row["history"])
    return rows


def build_bots(work: Path, multihop: Path | None, llm) -> dict:
    """One QABot per corpus, sharing one loaded chat model; each store ingested once into ``work``."""
    from qa_bot.components import Components
    from qa_bot.pipeline import QABot
    from qa_bot.settings import Settings

    corpora = {"bundled": (REPO / "data" / "articles", REPO / "data" / "articles.meta.jsonl")}
    if multihop is not None:
        corpora["multihop"] = (multihop / "articles", multihop / "articles.jsonl")
    bots = {}
    for name, (articles, meta) in corpora.items():
        settings = Settings(data_dir=work / name)
        components = Components(settings, llm=llm)
        components.ingestor.ingest([articles], metadata_path=meta, prune=False, progress=False)  # unchanged: skipped
        bots[name] = QABot(settings, components)
    return bots


def planner_for(settings, variant: str):
    """The planner of one variant: a rewrite prompt, or ``off`` (the ``rewrite`` rule switched off)."""
    from qa_bot.steps import Rules
    from qa_bot.steps.planning import Planner

    rules = Rules(list(settings.disabled_rules) + (["rewrite"] if variant == "off" else []))
    return Planner(rules, settings.history_turns, settings.rewrite_prompt if variant == "off" else variant)


def cpu() -> str:
    """The processor, with its family and model (two "AMD EPYC" machines here differed by a generation)."""
    import subprocess

    info = dict(line.split(":", 1) for line in subprocess.run(["lscpu"], capture_output=True, text=True).stdout
                .splitlines() if ":" in line)
    family, model = info.get("CPU family", "?").strip(), info.get("Model", "?").strip()
    return f"{processor_name()} (family {family}, model {model}, {info.get('CPU(s)', '?').strip()} cores)"


def p50(values: list[float]) -> float | None:
    values = [v for v in values if v is not None]
    return round(statistics.median(values), 2) if values else None


def rewrite_pass(conversations: list[dict], bots: dict, llm, prompt: str) -> list[dict]:
    """The standalone question each conversation is searched with under ``prompt``, judged by its rule."""
    from qa_bot.steps.followups import needs_rewrite, rewrite_problem

    rows = []
    for c in conversations:
        planner = planner_for(bots[c["corpus"]].settings, prompt)
        raw, problem, seconds = c["question"], None, 0.0
        if needs_rewrite(c["question"]):
            started = time.perf_counter()
            raw = planner.ask_model(llm, c["question"], c["turns"]) or ""
            seconds = time.perf_counter() - started
            problem = rewrite_problem(c["question"], c["turns"], raw)
        standalone = raw if problem is None else planner.rewrite(c["question"], c["turns"], None)[0]
        rows.append({"id": c["id"], "kind": c["kind"], "prompt": prompt, "raw": raw, "rejected": problem,
                     "standalone": standalone, "raw_right": standalone_right(raw, c["standalone"]),
                     "right": standalone_right(standalone, c["standalone"]), "rewrite_s": round(seconds, 2)})
        print(f"[{prompt}] {c['id']} {'ok ' if rows[-1]['right'] else 'BAD'} {standalone!r}"
              + (f" (rejected {raw!r}: {problem})" if problem else ""), file=sys.stderr, flush=True)
    return rows


def answer_pass(conversations: list[dict], bots: dict, variant: str) -> list[dict]:
    """The pipeline's answer to each follow-up under ``variant``: a rewrite prompt, ``off`` (searched as asked),
    or ``reference`` (the conversation's reference standalone question asked alone: the ceiling the rest of the
    pipeline allows, whatever the rewrite)."""
    for bot in bots.values():
        bot.planner = planner_for(bot.settings, "off" if variant == "reference" else variant)
    rows = []
    for c in conversations:
        if variant == "reference":
            answer = bots[c["corpus"]].ask(c["standalone"]["reference"])
        else:
            answer = bots[c["corpus"]].ask(c["question"], c["history"])
        correct = is_correct(answer.answer, c.get("reference_answer"), answerable=c.get("answerable", True),
                             refused=answer.refused, accept=c.get("accept") or ())
        rows.append({"id": c["id"], "kind": c["kind"], "variant": variant, "standalone": answer.standalone_question,
                     "rewrite": answer.rewrite,
                     "standalone_right": standalone_right(answer.standalone_question, c["standalone"]),
                     "answer": answer.answer, "refused": answer.refused, "correct": bool(correct),
                     "ttft_s": answer.ttft_s, "latency_s": round(answer.latency_s, 2),
                     "prompt_tokens": answer.prompt_tokens, "prompt_tokens_evaluated": answer.prompt_tokens_evaluated})
        print(f"[answer {variant}] {c['id']} {'ok ' if correct else 'BAD'} {answer.answer[:120]!r}", file=sys.stderr,
              flush=True)
    for bot in bots.values():
        bot.planner = planner_for(bot.settings, bot.settings.rewrite_prompt)
    return rows


def share(rows: list[dict], key: str) -> str:
    return f"{sum(bool(r[key]) for r in rows) / len(rows):.2f} ({sum(bool(r[key]) for r in rows)}/{len(rows)})" if rows else "–"


def tables(rewrites: dict[str, list[dict]], answers: dict[str, list[dict]]) -> str:
    out = ["| rewrite prompt | standalone right (searched) | raw model rewrite right | rejected by the check | "
           "rewrite s p50 |", "|---|---|---|---|---|"]
    for prompt, rows in rewrites.items():
        timed = [r["rewrite_s"] for r in rows if r["rewrite_s"]]
        out.append(f"| {prompt} | {share(rows, 'right')} | {share(rows, 'raw_right')} | "
                   f"{sum(1 for r in rows if r['rejected'])} | {p50(timed)} |")
    if answers:
        out += ["", "| answers with | standalone right | answer correct | refused | TTFT p50 s | total p50 s | "
                "prompt tokens p50 | evaluated (not cached) p50 |", "|---|---|---|---|---|---|---|---|"]
        for variant, rows in answers.items():
            out.append(f"| {variant} | {share(rows, 'standalone_right')} | {share(rows, 'correct')} | "
                       f"{sum(1 for r in rows if r['refused'])} | {p50([r['ttft_s'] for r in rows])} | "
                       f"{p50([r['latency_s'] for r in rows])} | {p50([r['prompt_tokens'] for r in rows])} | "
                       f"{p50([r['prompt_tokens_evaluated'] for r in rows])} |")
    names = list(rewrites) + [f"answer: {v}" for v in answers]
    out += ["", "By kind (standalone right for the rewrite prompts, answer correct for the answers):", "",
            "| kind (n) | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
    for kind in KINDS:
        cells = []
        for rows, key in [(r, "right") for r in rewrites.values()] + [(r, "correct") for r in answers.values()]:
            mine = [r for r in rows if r["kind"] == kind]
            cells.append(f"{sum(bool(r[key]) for r in mine)}/{len(mine)}")
        n = len([r for r in next(iter(rewrites.values()), []) if r["kind"] == kind])
        out.append(f"| {kind} ({n}) | " + " | ".join(cells) + " |")
    return "\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversations", type=Path, nargs="+",
                        default=[REPO / "data" / "eval" / "followups.jsonl"],
                        help="conversation files, each reported on its own (e.g. the development and held-out sets)")
    parser.add_argument("--multihop", type=Path, help="MultiHop-RAG subset dir (its conversations are skipped without)")
    parser.add_argument("--prompts", default="guided,tagged", help="rewrite prompts to compare (rewrite pass)")
    parser.add_argument("--answers", default="", help="variants answered end to end: rewrite prompts and/or off; "
                                                      "per file as FILE_STEM=v1,v2 separated by ';' to differ")
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--work", type=Path, help="keep the stores here (default: temp)")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()

    from qa_bot.llm import make_chat_model
    from qa_bot.runtime import configure_offline_runtime
    from qa_bot.settings import Settings

    configure_offline_runtime(Settings())
    llm = make_chat_model(Settings())
    llm.load()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        bots = build_bots(args.work or Path(tmp), args.multihop, llm)
        llm.warm_up()
        for path in args.conversations:
            conversations = load_conversations(path)
            if args.multihop is None:
                conversations = [c for c in conversations if c["corpus"] != "multihop"]
            conversations = conversations[: args.limit or None]
            rewrites = {p: rewrite_pass(conversations, bots, llm, p) for p in args.prompts.split(",") if p}
            answers = {v: answer_pass(conversations, bots, v) for v in variants(args.answers, path.stem) if v}
            results[path.name] = {"conversations": len(conversations), "rewrites": rewrites, "answers": answers}
            print(f"\n### {path.name}: {len(conversations)} conversations; {cpu()}; model {Settings().llm_model}\n")
            print(tables(rewrites, answers), flush=True)
    if args.out:
        args.out.write_text(json.dumps({"processor": cpu(), **results}, indent=1) + "\n")
    return 0


def variants(spec: str, stem: str) -> list[str]:
    """``guided,tagged`` for every file, or ``followups=guided;followups_heldout=guided,tagged,off``."""
    if "=" not in spec:
        return spec.split(",")
    chosen = dict(part.split("=", 1) for part in spec.split(";") if part)
    return chosen.get(stem, "").split(",")


if __name__ == "__main__":
    raise SystemExit(main())
