"""Trust: are near-miss questions refused, their answerable twins answered, and is "verified" true?

    python benchmarks/trust.py nearmiss --multihop ../shared/eval/multihop-rag \
        [--questions data/eval/near_misses.jsonl] [--work DIR] [--out benchmarks/results/trust_nearmiss.json]
    python benchmarks/trust.py replay benchmarks/results/trust_nearmiss_baseline.json [--out ...]
    python benchmarks/trust.py calibrate [--labelled data/eval/answer_sentences.jsonl] \
        [--out benchmarks/results/trust_calibration.json]

``nearmiss``: every question of the near-miss set (issue 26: a near miss asks, about an entity and
topic the articles cover, for a fact no article states; its twin asks for one they do state) through
the whole pipeline with the embedded model, on the store of its corpus (the bundled articles or the
MultiHop-RAG ones). A near miss is right only when refused; a twin when answered and its ``accept``
keywords are in the answer (``is_correct``, as ``qa-bot eval`` does). Also counted: near misses
answered with a sentence marked verified (the failure the badge must never show). Every answer
sentence is written out with the passage text it cites (or the model cited), for labelling.

``replay``: the ablation of the new rules without the model: a ``nearmiss`` run's saved answers (made
with the rules off) re-decided with the checks (quantities, polarity, modality against each cited
passage's deciding sentence) and the asked-for-fact gate at each focus share, so each rule's effect
and the share can be chosen on the development set in seconds. It approximates the pipeline (a
sentence dropped by a check is not re-cited to another passage); the full runs are the result.

``calibrate``: the verifier's score and level for every labelled (source, claim) pair of
``../shared/eval/verifier`` and of the labelled answer sentences, split into a development half
(thresholds chosen there) and a test half (reported), with the precision of "verified" and its
Wilson interval, the recall there, and the previous decision in the same run.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.followups import build_bots, cpu, p50  # noqa: E402
from qa_bot.evaluation.metrics import is_correct  # noqa: E402


def corpus_of(row: dict) -> str:
    """The bundled articles are named ``NNN_<hash>.txt``; the MultiHop ones ``art_<hash>.txt``."""
    return "multihop" if row["reference_sources"][0].startswith("art_") else "bundled"


def sentence_rows(answer) -> list[dict]:
    """Each answer sentence with what it was checked against: its cited passages, else the model's own."""
    by_chunk = {r["chunk_id"]: r for r in answer.retrieved}
    by_n = {c.n: c for c in answer.citations}
    rows = []
    for s in answer.sentences:
        cited = [{"source": by_n[n].source, "chunk_id": by_n[n].chunk_id, "text": by_n[n].snippet,
                  "highlight": by_n[n].highlight} for n in s.citations if n in by_n]
        if not cited:
            cited = [{"source": m["source"], "chunk_id": m["chunk_id"], "text": by_chunk[m["chunk_id"]]["text"],
                      "highlight": ""} for m in s.model_cited if m["chunk_id"] in by_chunk]
        rows.append({"text": s.text, "supported": s.supported, "support": s.support,
                     "level": getattr(s, "level", "verified" if s.supported else "unsupported"), "cited": cited})
    return rows


def nearmiss_pass(questions: list[dict], bots: dict) -> list[dict]:
    rows = []
    for q in questions:
        started = time.perf_counter()
        answer = bots[corpus_of(q)].ask(q["question"])
        correct = is_correct(answer.answer, q.get("reference_answer"), answerable=q["answerable"],
                             refused=answer.refused, accept=q.get("accept") or ())
        sentences = [] if answer.refused else sentence_rows(answer)
        verified = any(s["level"] == "verified" and s["cited"] for s in sentences)
        rows.append({"id": q["id"], "pair": q["pair"], "kind": q["question_type"], "asks_for": q.get("asks_for"),
                     "question": q["question"], "answerable": q["answerable"], "answer": answer.answer,
                     "refused": answer.refused, "correct": bool(correct), "verified_shown": verified,
                     "sentences": sentences, "ttft_s": answer.ttft_s,
                     "latency_s": round(time.perf_counter() - started, 2)})
        print(f"{q['id']} {'ok ' if correct else 'BAD'} {answer.answer[:140]!r}", file=sys.stderr, flush=True)
    return rows


def share(rows: list[dict], key: str) -> str:
    n = sum(bool(r[key]) for r in rows)
    return f"{n / len(rows):.2f} ({n}/{len(rows)})" if rows else "–"


def nearmiss_table(rows: list[dict]) -> str:
    misses = [r for r in rows if not r["answerable"]]
    twins = [r for r in rows if r["answerable"]]
    out = ["| set | n | right | near misses answered with a verified sentence | latency p50 s |", "|---|---|---|---|---|",
           f"| near misses (refused) | {len(misses)} | {share(misses, 'correct')} | {share(misses, 'verified_shown')} | "
           f"{p50([r['latency_s'] for r in misses])} |",
           f"| answerable twins (correct) | {len(twins)} | {share(twins, 'correct')} | – | "
           f"{p50([r['latency_s'] for r in twins])} |"]
    kinds = sorted({r["asks_for"] for r in rows})
    out += ["", "| asks for | near misses refused | twins correct |", "|---|---|---|"]
    for kind in kinds:
        m = [r for r in misses if r["asks_for"] == kind]
        t = [r for r in twins if r["asks_for"] == kind]
        out.append(f"| {kind} | {sum(r['correct'] for r in m)}/{len(m)} | {sum(r['correct'] for r in t)}/{len(t)} |")
    return "\n".join(out)


def run_nearmiss(args: argparse.Namespace) -> int:
    from qa_bot.llm import make_chat_model
    from qa_bot.runtime import configure_offline_runtime
    from qa_bot.settings import Settings

    questions = [json.loads(line) for line in args.questions.read_text(encoding="utf-8").splitlines() if line.strip()]
    if args.multihop is None:
        questions = [q for q in questions if corpus_of(q) == "bundled"]
    questions = questions[: args.limit or None]
    configure_offline_runtime(Settings())
    llm = make_chat_model(Settings())
    llm.load()
    with tempfile.TemporaryDirectory() as tmp:
        bots = build_bots(args.work or Path(tmp), args.multihop, llm)
        llm.warm_up()
        rows = nearmiss_pass(questions, bots)
    table = nearmiss_table(rows)
    print(f"\n### {args.questions.name}: {len(rows)} questions; {cpu()}; model {Settings().llm_model}\n\n{table}")
    if args.out:
        args.out.write_text(json.dumps({"processor": cpu(), "questions": args.questions.name, "rows": rows},
                                       indent=1) + "\n")
    return 0


SHARES = (0.3, 0.4, 0.5, 0.6, 0.7)


def replay(rows: list[dict], questions: dict[str, dict], checks: tuple[str, ...], share: float | None) -> dict:
    """Near misses refused and twins correct had the saved answers been decided with the checks and the gate."""
    import numpy as np

    from qa_bot.answer import AnswerSentence
    from qa_bot.checking.assertions import _tokens
    from qa_bot.citations import UNSUPPORTED, VERIFIED, Claim, Passage, Verifier
    from qa_bot.evaluation.metrics import accept_match
    from qa_bot.steps import Rules
    from qa_bot.steps.asked_fact import AskedFact

    verifier = Verifier(lambda texts: np.zeros((len(texts), 1)), 0.45, checks=checks)
    gate = AskedFact(Rules(), share) if share is not None else None

    class Chunk:
        publisher, published_at, source_id = "", "", ""

    class Scored:
        chunk = Chunk()

    refused_misses = right_twins = 0
    for r in rows:
        q = questions[r["id"]]
        refused, text = r["refused"], ""
        if not refused:
            sentences, passages = [], {}
            for s in r["sentences"]:
                numbers = []
                for c in s["cited"]:
                    passages.setdefault(c["chunk_id"], Passage(n=len(passages) + 1, text=c["text"]))
                    numbers.append(passages[c["chunk_id"]].n)
                supported = s["supported"]
                if supported and s["cited"]:
                    p = passages[s["cited"][0]["chunk_id"]]
                    words = set(_tokens(s["text"]))
                    best = s["cited"][0]["highlight"] or max(p.sentences, key=lambda x: len(words & set(_tokens(x))))
                    supported = not verifier.contradicted(Claim(s["text"], s["text"]), p.text, best)
                sentences.append(AnswerSentence(text=s["text"], supported_by=numbers if supported else [],
                                                supported=supported, level=VERIFIED if supported else UNSUPPORTED))
            shown = [s for s in sentences if s.supported]
            refused = not shown or bool(gate and gate.missing(r["question"], sentences,
                                                               [(p, Scored()) for p in passages.values()]))
            text = " ".join(s.text for s in shown)
        if q["answerable"]:
            right_twins += (not refused) and bool(accept_match(text, q.get("accept") or []))
        else:
            refused_misses += refused
    misses = sum(1 for r in rows if not questions[r["id"]]["answerable"])
    return {"checks": list(checks), "share": share, "near_misses_refused": refused_misses, "near_misses": misses,
            "twins_correct": right_twins, "twins": len(rows) - misses}


def run_replay(args: argparse.Namespace) -> int:
    run = json.loads(args.run.read_text(encoding="utf-8"))
    questions = {q["id"]: q for q in map(json.loads, args.questions.read_text(encoding="utf-8").splitlines()) if q}
    every = ("quantities", "polarity", "modality")
    results = [replay(run["rows"], questions, checks, share)
               for share in (None, *SHARES) for checks in ((), every)]
    results += [replay(run["rows"], questions, (check,), share) for share in (None, 0.6) for check in every]
    lines = ["| checks | asked-for-fact gate, focus share | near misses refused | twins correct |", "|---|---|---|---|"]
    for r in results:
        lines.append(f"| {', '.join(r['checks']) or 'none'} | {r['share'] if r['share'] is not None else 'off'} | "
                     f"{r['near_misses_refused']}/{r['near_misses']} | {r['twins_correct']}/{r['twins']} |")
    print(f"\n### Replay of {args.run.name} ({len(run['rows'])} answers)\n\n" + "\n".join(lines))
    if args.out:
        args.out.write_text(json.dumps({"run": args.run.name, "results": results}, indent=1) + "\n")
    return 0


HUMAN_SETS = ("qags_xsum", "expertqa_val")
GRID = [round(0.45 + 0.01 * i, 2) for i in range(56)]  # candidate "verified" thresholds, from the partly-supported floor
TARGET_PRECISION = 0.9
VARIANTS = {"previous (no checks)": (), "quantities": ("quantities",), "polarity": ("polarity",),
            "modality": ("modality",), "all checks (shipped)": ("quantities", "polarity", "modality")}


def half(item_id: str) -> str:
    """A stable development/test split by id (the same pair lands in the same half in every run)."""
    import hashlib

    return "dev" if hashlib.sha1(item_id.encode()).digest()[0] % 2 == 0 else "test"


def wilson(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """The 95% Wilson score interval of a proportion."""
    if n == 0:
        return float("nan"), float("nan")
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    spread = z * ((p * (1 - p) / n + z * z / (4 * n * n)) ** 0.5) / (1 + z * z / n)
    return round(centre - spread, 3), round(centre + spread, 3)


def labelled_pairs(verifier_dir: Path, labelled: list[Path]) -> dict[str, list[tuple[str, str, str, bool]]]:
    """(id, source, claim, supported) per set: the shared human-labelled sets and our labelled answer sentences."""
    sets: dict[str, list[tuple[str, str, str, bool]]] = {}
    for name in HUMAN_SETS:
        rows = [json.loads(line) for line in (verifier_dir / f"{name}.jsonl").open(encoding="utf-8") if line.strip()]
        sets[name] = [(str(r["id"]), r["source"], r["claim"], bool(r["supported"])) for r in rows]
    own = []
    for path in labelled:
        for line in path.open(encoding="utf-8"):
            if line.strip():
                r = json.loads(line)
                own.append((r["id"], "\n\n".join(s["text"] for s in r["sources"]), r["claim"], bool(r["supported"])))
    if own:
        sets["answer_sentences"] = own
    return sets


def score_pairs(sets: dict, variants: dict) -> dict[str, dict[str, list[tuple[str, float, bool]]]]:
    """Per variant and set: (id, best passage score, label), by the product's own overlap verifier."""
    import numpy as np

    from qa_bot.checking.claims import MAX_MARKER, split_source
    from qa_bot.citations import Verifier, extract_markers
    from qa_bot.components import Components
    from qa_bot.settings import Settings

    settings = Settings()
    components = Components(settings.with_overrides(verifier="overlap", data_dir=str(Path(tempfile.mkdtemp()))))
    memo: dict[str, np.ndarray] = {}

    def embed(texts):
        missing = [t for t in dict.fromkeys(texts) if t not in memo]
        if missing:
            for t, v in zip(missing, components.embedder.embed(missing)):
                memo[t] = v
        return np.stack([memo[t] for t in texts])

    count = components.embedder.tokenizer_counter()
    split = {}
    out: dict[str, dict[str, list]] = {v: {} for v in variants}
    for name, items in sets.items():
        for variant, checks in variants.items():
            verifier = Verifier(embed, settings.support_threshold, checks=checks)
            rows = []
            for item_id, source, claim, label in items:
                if item_id not in split:
                    split[item_id] = split_source(source, count, settings.chunk_tokens, settings.chunk_overlap_tokens)
                text = extract_markers(claim, MAX_MARKER)[0] or claim
                rows.append((item_id, float(np.max(verifier.score_texts(split[item_id], text))), label))
            out[variant][name] = rows
            print(f"{name} / {variant}: {len(rows)} scored", file=sys.stderr, flush=True)
    return out


def precision_at(rows: list[tuple[str, float, bool]], threshold: float) -> dict:
    marked = [label for _, score, label in rows if score >= threshold]
    positives = sum(label for _, _, label in rows)
    tp = sum(marked)
    return {"threshold": threshold, "marked": len(marked), "precision": round(tp / len(marked), 3) if marked else None,
            "interval": wilson(tp, len(marked)), "recall": round(tp / positives, 3) if positives else None,
            "base_rate": round(positives / len(rows), 3) if rows else None, "n": len(rows)}


def choose_threshold(dev: dict[str, list]) -> float:
    """The lowest threshold at which every development set's "verified" precision reaches the target."""
    for t in GRID:
        results = [precision_at(rows, t) for rows in dev.values()]
        if all(r["precision"] is not None and r["precision"] >= TARGET_PRECISION for r in results):
            return t
    return GRID[-1]


def run_calibrate(args: argparse.Namespace) -> int:
    import numpy as np

    from benchmarks.verifier import roc_auc
    from qa_bot.runtime import configure_offline_runtime
    from qa_bot.settings import Settings

    configure_offline_runtime(Settings())
    sets = labelled_pairs(args.verifier, args.labelled)
    scored = score_pairs(sets, VARIANTS)
    previous = Settings().support_threshold
    report: dict = {"processor": cpu(), "target_precision": TARGET_PRECISION, "previous_threshold": previous,
                    "variants": {}}
    lines = ["| verifier | set (test half) | n | base rate | decision | precision [95% CI] | recall | ROC AUC |",
             "|---|---|---|---|---|---|---|---|"]
    for variant, by_set in scored.items():
        dev = {n: [r for r in rows if half(r[0]) == "dev"] for n, rows in by_set.items()}
        test = {n: [r for r in rows if half(r[0]) == "test"] for n, rows in by_set.items()}
        chosen = choose_threshold(dev)
        entry = {"chosen_on_dev": chosen, "dev": {}, "test": {}}
        for name in by_set:
            for split_name, rows in (("dev", dev[name]), ("test", test[name])):
                scores = [s for _, s, _ in rows]
                labels = [y for _, _, y in rows]
                entry[split_name][name] = {"at_previous": precision_at(rows, previous),
                                           "at_chosen": precision_at(rows, chosen),
                                           "roc_auc": round(roc_auc(np.array(scores), np.array(labels, dtype=bool)), 3)}
            t = entry["test"][name]
            for label, key in ((f"previous {previous}", "at_previous"), (f"verified ≥ {chosen}", "at_chosen")):
                r = t[key]
                lines.append(f"| {variant} | {name} | {r['n']} | {r['base_rate']} | {label} | {r['precision']} "
                             f"{list(r['interval'])} | {r['recall']} | {t['roc_auc']} |")
        report["variants"][variant] = entry
    print(f"\n### Verified precision, test halves; {cpu()}\n\n" + "\n".join(lines))
    if args.out:
        args.out.write_text(json.dumps(report, indent=1) + "\n")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    near = sub.add_parser("nearmiss", help="near misses and their twins through the whole pipeline")
    near.add_argument("--questions", type=Path, default=REPO / "data" / "eval" / "near_misses.jsonl")
    near.add_argument("--multihop", type=Path, help="MultiHop-RAG subset dir (its questions are skipped without)")
    near.add_argument("--limit", type=int, default=0)
    near.add_argument("--work", type=Path, help="keep the stores here (default: temp)")
    near.add_argument("--out", type=Path)
    rep = sub.add_parser("replay", help="re-decide a nearmiss run's saved answers with each rule (the ablation)")
    rep.add_argument("run", type=Path, help="a nearmiss --out file made with the rules off")
    rep.add_argument("--questions", type=Path, default=REPO / "data" / "eval" / "near_misses.jsonl")
    rep.add_argument("--out", type=Path)
    cal = sub.add_parser("calibrate", help="precision of 'verified' on labelled pairs; the threshold chosen on dev")
    cal.add_argument("--verifier", type=Path, default=REPO.parent / "shared" / "eval" / "verifier")
    cal.add_argument("--labelled", type=Path, nargs="*", default=sorted((REPO / "data" / "eval").glob("answer_sentences*.jsonl")))
    cal.add_argument("--out", type=Path)
    args = parser.parse_args()
    if args.command == "nearmiss":
        return run_nearmiss(args)
    if args.command == "calibrate":
        return run_calibrate(args)
    if args.command == "replay":
        return run_replay(args)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
