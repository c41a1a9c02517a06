"""Synthetic (passage, claim, supported) pairs made from news articles, for training the support checker.

The licensed NLI pairs teach entailment on one-sentence premises; these teach it on the
shape the bot checks at run time: a news passage of several sentences and one claim.
Every unsupported claim is a twin of a supported one that differs by one fact, so the
model cannot tell them apart by topic or by word overlap alone:

- supported: a sentence of the passage, its leading clause, the sentence with an
  aside removed, or two of its sentences joined;
- unsupported: the sentence with one number, year, month or name changed, a negation
  added or removed, a relation or status shifted ("proposed" -> "approved",
  "invited to join" -> "joined"), an unsupported detail or a second fact from elsewhere in
  the article added, or a sentence from elsewhere in the same article (same topic, not in
  this passage).

Pairs are made per article, so a split by article keeps passages of one article on one
side. Nothing here reads the verifier development sets.
"""

from __future__ import annotations

import argparse
import json
import random
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterable, Iterator

from vectorstore.chunking import sentence_texts

PASSAGE_WORDS = 150  # about a stored chunk (200 word pieces)
MIN_CLAIM_WORDS, MAX_CLAIM_WORDS = 7, 45
TARGETS_PER_PASSAGE = 2

# Relations and statuses a summary sentence gets wrong; each maps to a stronger or opposite one.
_RELATION_SHIFTS = [
    (r"\binvited (\w+ )?to join\b", "joined"), (r"\bapplied to join\b", "joined"), (r"\bplans to\b", "has decided to"),
    (r"\bproposed\b", "approved"), (r"\bconsidering\b", "has approved"), (r"\bexpected to\b", "has already"),
    (r"\bapproved\b", "rejected"), (r"\brejected\b", "approved"), (r"\bwon\b", "lost"), (r"\blost\b", "won"),
    (r"\bincreased\b", "decreased"), (r"\bdecreased\b", "increased"), (r"\brose\b", "fell"), (r"\bfell\b", "rose"),
    (r"\bsupports?\b", "opposes"), (r"\bopposed\b", "supported"), (r"\baccepted\b", "declined"),
    (r"\bagreed\b", "refused"), (r"\brefused\b", "agreed"), (r"\bconfirmed\b", "denied"), (r"\bdenied\b", "confirmed"),
    (r"\bbought\b", "sold"), (r"\bsold\b", "bought"), (r"\bhired\b", "fired"), (r"\bbefore\b", "after"),
    (r"\bafter\b", "before"), (r"\bmore than\b", "fewer than"), (r"\bhigher\b", "lower"), (r"\blower\b", "higher"),
    (r"\blargest\b", "smallest"), (r"\bfirst\b", "last"), (r"\bbegan\b", "ended"), (r"\bstarted\b", "stopped"),
    (r"\bopened\b", "closed"), (r"\bwill\b", "did"), (r"\bmay\b", "will"), (r"\bcould\b", "will"),
    (r"\bcharged with\b", "convicted of"), (r"\baccused of\b", "convicted of"), (r"\barrested\b", "convicted"),
    (r"\bseeking\b", "awarded"), (r"\basked for\b", "received"), (r"\bnominated\b", "elected"),
    (r"\bsaid\b", "denied"), (r"\bcriticized\b", "praised"), (r"\bpraised\b", "criticized"),
    (r"\bwith\b", "without"), (r"\ballowed\b", "banned"), (r"\bbanned\b", "allowed"),
]
_AUX_NEGATION = re.compile(r"\b(is|was|are|were|has|have|had|will|would|can|could|should|does|did|do)\b(?! not\b)")
_NEGATED = re.compile(r"\b(is|was|are|were|has|have|had|will|would|can|could|should|does|did|do) not\b|n't\b")
_NUMBER = re.compile(r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(?![\w])")
_YEAR = re.compile(r"\b(19[5-9]\d|20[0-3]\d)\b")
_MONTHS = "January February March April May June July August September October November December".split()
_MONTH = re.compile(r"\b(" + "|".join(_MONTHS) + r")\b")
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b([A-Z][a-z]+(?:\s+[A-Z][a-z]+){0,2})\b")
_ASIDE = re.compile(r",\s+[^,]{3,60},\s+")  # "X, the league's top scorer, said" -> "X said"
_CLAUSE_END = re.compile(r",\s+(?:and|but|while|which|who|as|after|before|because|although)\b")
_EXTRA_DETAILS = [
    "on Monday", "last year", "for the first time", "in a unanimous vote", "according to police",
    "after months of talks", "despite strong opposition", "in a written statement", "by a wide margin",
    "citing security concerns", "under pressure from investors", "in 2019", "in front of a crowd of 50,000",
]


@dataclass
class Pair:
    premise: str
    claim: str
    supported: bool
    kind: str
    article: str


def passages(text: str, words: int = PASSAGE_WORDS) -> list[list[str]]:
    """Consecutive sentences packed to about ``words`` words, without overlap."""
    out: list[list[str]] = []
    current: list[str] = []
    count = 0
    for sentence in sentence_texts(text):
        n = len(sentence.split())
        if current and count + n > words:
            out.append(current)
            current, count = [], 0
        current.append(sentence)
        count += n
    if current:
        out.append(current)
    return out


def _content_words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if len(w) > 3}


def _claim_ok(sentence: str) -> bool:
    n = len(sentence.split())
    return MIN_CLAIM_WORDS <= n <= MAX_CLAIM_WORDS and not sentence.endswith("?") and sentence[:1].isupper()


def _change_number(sentence: str, passage: str, rng: random.Random) -> str | None:
    matches = [m for m in _NUMBER.finditer(sentence) if not _YEAR.fullmatch(m.group(1))]
    if not matches:
        return None
    m = rng.choice(matches)
    value = float(m.group(1).replace(",", ""))
    for _ in range(5):
        factor = rng.choice([0.5, 0.75, 1.25, 1.5, 2, 3, 10])
        new = value * factor if value > 3 else value + rng.choice([1, 2, 3, 5])
        text = f"{new:,.0f}" if "," in m.group(1) else (f"{new:.1f}" if "." in m.group(1) else f"{new:.0f}")
        if text != m.group(1) and text not in passage:
            return sentence[: m.start()] + text + sentence[m.end():]
    return None


def _change_date(sentence: str, passage: str, rng: random.Random) -> str | None:
    year = list(_YEAR.finditer(sentence))
    month = list(_MONTH.finditer(sentence))
    if year and (not month or rng.random() < 0.5):
        m = rng.choice(year)
        new = str(int(m.group(1)) + rng.choice([-3, -2, -1, 1, 2]))
        if new not in passage:
            return sentence[: m.start()] + new + sentence[m.end():]
    if month:
        m = rng.choice(month)
        choices = [x for x in _MONTHS if x != m.group(1) and x not in passage]
        if choices:
            return sentence[: m.start()] + rng.choice(choices) + sentence[m.end():]
    return None


def _swap_name(sentence: str, names: list[str], passage: str, rng: random.Random) -> str | None:
    """One name replaced by another name from the same article (in the passage or not)."""
    present = [m for m in _NAME.finditer(sentence) if m.group(1) not in _MONTHS and len(m.group(1)) > 3]
    if not present:
        return None
    m = rng.choice(present)
    others = [n for n in names if n != m.group(1) and n not in sentence and n not in _MONTHS]
    if not others:
        return None
    return sentence[: m.start()] + rng.choice(others) + sentence[m.end():]


def _flip_negation(sentence: str, rng: random.Random) -> str | None:
    if _NEGATED.search(sentence):
        return _NEGATED.sub(lambda m: m.group(1) if m.group(1) else "", sentence, count=1).replace("  ", " ")
    hits = list(_AUX_NEGATION.finditer(sentence))
    if not hits:
        return None
    m = rng.choice(hits)
    return sentence[: m.end()] + " not" + sentence[m.end():]


def _shift_relation(sentence: str, rng: random.Random) -> str | None:
    shifts = [(p, r) for p, r in _RELATION_SHIFTS if re.search(p, sentence)]
    if not shifts:
        return None
    pattern, replacement = rng.choice(shifts)
    return re.sub(pattern, replacement, sentence, count=1)


def _add_detail(sentence: str, passage: str, rng: random.Random) -> str | None:
    detail = rng.choice([d for d in _EXTRA_DETAILS if d.lower() not in passage.lower()] or [""])
    if not detail:
        return None
    body = sentence.rstrip(".!")
    return f"{body} {detail}."


def _leading_clause(sentence: str) -> str | None:
    m = _CLAUSE_END.search(sentence)
    if not m:
        return None
    clause = sentence[: m.start()].strip()
    return clause + "." if len(clause.split()) >= MIN_CLAIM_WORDS else None


def _drop_aside(sentence: str) -> str | None:
    m = _ASIDE.search(sentence)
    if not m or m.start() < 3:
        return None
    return sentence[: m.start()] + " " + sentence[m.end():]


def article_pairs(article_id: str, text: str, rng: random.Random) -> Iterator[Pair]:
    """Supported claims and their one-fact-changed twins for every passage of one article."""
    blocks = passages(text)
    names = sorted({m.group(1) for m in _NAME.finditer(text) if len(m.group(1)) > 3})
    all_sentences = [(i, s) for i, block in enumerate(blocks) for s in block if _claim_ok(s)]
    for i, block in enumerate(blocks):
        premise = " ".join(block)
        if len(premise.split()) < 40:
            continue
        candidates = [s for s in block if _claim_ok(s)]
        rng.shuffle(candidates)
        for sentence in candidates[:TARGETS_PER_PASSAGE]:
            positives = [("copy", sentence), ("clause", _leading_clause(sentence)), ("aside", _drop_aside(sentence))]
            others = [s for s in block if s != sentence and _claim_ok(s)]
            if others and rng.random() < 0.5:
                other = rng.choice(others)
                positives.append(("joined", f"{sentence.rstrip('.')}, and {other[0].lower()}{other[1:]}"))
            positives = [(k, c) for k, c in positives if c]
            kind, claim = rng.choice(positives[1:] or positives) if rng.random() < 0.7 else positives[0]
            yield Pair(premise, claim, True, f"pos_{kind}", article_id)
            negatives = [
                ("number", _change_number(sentence, premise, rng)),
                ("date", _change_date(sentence, premise, rng)),
                ("name", _swap_name(sentence, names, premise, rng)),
                ("negation", _flip_negation(sentence, rng)),
                ("relation", _shift_relation(sentence, rng)),
                ("detail", _add_detail(sentence, premise, rng) if rng.random() < 0.3 else None),
            ]
            far = [s for j, s in all_sentences if abs(j - i) > 1]
            if far:  # the twin of "joined": the second fact comes from elsewhere in the article
                other = rng.choice(far)
                if len(_content_words(other) - _content_words(premise)) >= 3:
                    negatives.append(("joined_elsewhere", f"{sentence.rstrip('.')}, and {other[0].lower()}{other[1:]}"))
            negatives = [(k, c) for k, c in negatives if c and c != sentence]
            if negatives:
                kind, claim = rng.choice(negatives)
                yield Pair(premise, claim, False, f"neg_{kind}", article_id)
        # a sentence from elsewhere in the article: same topic, not this passage's reporting
        elsewhere = [s for j, s in all_sentences if abs(j - i) > 1]
        if elsewhere:
            claim = rng.choice(elsewhere)
            if len(_content_words(claim) - _content_words(premise)) >= 3:
                yield Pair(premise, claim, False, "neg_elsewhere", article_id)


def read_articles(folders: Iterable[Path]) -> Iterator[tuple[str, str]]:
    """(id, text) of every .txt article in the folders (sorted, so runs repeat)."""
    for folder in folders:
        for path in sorted(Path(folder).glob("*.txt")):
            yield path.stem, path.read_text(encoding="utf-8", errors="replace")


def make_pairs(folders: Iterable[Path], seed: int = 13, lowercase_share: float = 0.15) -> list[Pair]:
    """All pairs of all articles; a share is lower-cased so the checker does not lean on capitals."""
    rng = random.Random(seed)
    out: list[Pair] = []
    for article_id, text in read_articles(folders):
        for pair in article_pairs(article_id, text, rng):
            if rng.random() < lowercase_share:
                pair = Pair(pair.premise.lower(), pair.claim.lower(), pair.supported, pair.kind, pair.article)
            out.append(pair)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folders", nargs="+", type=Path, help="folders of .txt articles")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    pairs = make_pairs(args.folders, args.seed)
    with args.out.open("w", encoding="utf-8") as f:
        for p in pairs:
            f.write(json.dumps(asdict(p), ensure_ascii=False) + "\n")
    kinds: dict[str, int] = {}
    for p in pairs:
        kinds[p.kind] = kinds.get(p.kind, 0) + 1
    print(f"{len(pairs)} pairs -> {args.out}: {json.dumps(kinds, sort_keys=True)}")


if __name__ == "__main__":
    main()
