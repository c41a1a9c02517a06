"""The trained support checker: minimal pairs, the shipped weights' integrity, the fallback, check-claims."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from qa_bot.checking.model import MANIFEST, WEIGHTS_DIR, CheckerUnavailable, SupportChecker
from qa_bot.citations import Verifier

MINIMAL_PAIRS = Path(__file__).parent / "data" / "minimal_pairs.jsonl"


@pytest.fixture(scope="module")
def checker():
    return SupportChecker().load()


@pytest.fixture(scope="module")
def verifier(checker, embedder):
    from qa_bot.settings import Settings

    return Verifier(embedder.embed, 0.45, checker=checker, rules=Settings.model_fields["checker_rules"].default_factory())


def _pairs() -> list[dict]:
    return [json.loads(line) for line in MINIMAL_PAIRS.open(encoding="utf-8")]


NOT_MET = ("issue 13's goal is not met by the shipped checker (measured 15/57 separated at threshold 0.16, "
           "docs/benchmarks.md); strict: this fails once the goal is reached, so the mark gets removed")


@pytest.mark.xfail(strict=True, reason=NOT_MET)
def test_minimal_pairs_are_separated_at_the_shipped_threshold(verifier):
    """Written fresh from the bundled articles, never trained or tuned on: each a supported
    sentence and a twin one fact away. Both decisions must be right for a pair to count."""
    pairs = _pairs()
    assert len(pairs) >= 30
    separated, wrong = 0, []
    for p in pairs:
        good, bad = verifier.score_texts([p["passage"]], p["supported"])[0], verifier.score_texts([p["passage"]], p["unsupported"])[0]
        if good >= verifier.threshold > bad:
            separated += 1
        else:
            wrong.append((p["id"], p["change"], round(float(good), 3), round(float(bad), 3)))
    assert separated / len(pairs) >= 0.9, f"{separated}/{len(pairs)} separated; wrong: {wrong}"


@pytest.mark.xfail(strict=True, reason="the known miss: the shipped checker scores 'became a member' 0.92 "
                                        "against 'invited to join' (issue 13: its goals not met, blocked)")
def test_invited_to_join_is_not_joining(verifier):
    pair = next(p for p in _pairs() if p["id"] == "mp_montenegro")
    assert verifier.score_texts([pair["passage"]], pair["unsupported"])[0] < verifier.threshold
    assert verifier.score_texts([pair["passage"]], pair["supported"])[0] >= verifier.threshold


def test_a_number_elsewhere_in_the_passage_is_not_support(verifier):
    """The MultiHop failure: a salary 'verified' by an unrelated 10 in the passage."""
    passage = "Messi has won the Ballon d'Or eight times. Across their careers the two were compared often, Messi winning 16 times to Ronaldo's 10."
    assert verifier.score_texts([passage], "Lionel Messi earns an annual salary of $10 million at Inter Miami.")[0] < verifier.threshold


def test_shipped_weights_match_their_manifest():
    manifest = json.loads((WEIGHTS_DIR / MANIFEST).read_text())
    assert 0.0 < manifest["threshold"] < 1.0
    assert len(manifest["sha256"]) == 64


def test_damaged_weights_are_refused(tmp_path):
    copy = tmp_path / "weights"
    shutil.copytree(WEIGHTS_DIR, copy)
    weights = copy / "model" / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(CheckerUnavailable, match="SHA-256"):
        SupportChecker(copy).load()


def test_missing_checker_falls_back_and_says_so(make_settings, embedder, tmp_path):
    from qa_bot.components import Components

    comps = Components(make_settings(verifier="model", checker_path=tmp_path / "nowhere"))
    comps.__dict__["embedder"] = embedder
    verifier = comps.verifier
    assert verifier.name == "overlap" and verifier.checker is None
    assert "Support checker unavailable" in comps.verifier_notice and "nowhere" in comps.verifier_notice


def test_the_overlap_verifier_is_the_default_and_says_nothing(make_settings, embedder):
    from qa_bot.components import Components

    comps = Components(make_settings())
    comps.__dict__["embedder"] = embedder
    assert comps.verifier.name == "overlap" and comps.verifier_notice == ""


def test_check_claims_command(tmp_path, capsys):
    from qa_bot.cli import main

    pairs = tmp_path / "pairs.jsonl"
    mp = next(p for p in _pairs() if p["id"] == "mp_montenegro")
    article = (Path(__file__).parent.parent / "data" / "articles" / mp["article"]).read_text(encoding="utf-8")
    lines = [
        json.dumps({"id": "a", "source": article, "claim": mp["supported"]}),  # a whole article: split like ingest
        "not json",
        # a year the passage never writes: refused by the numbers rule whatever the model says
        json.dumps({"id": "b", "source": mp["passage"], "claim": "Montenegro was invited to join NATO in December 2019."}),
        json.dumps({"id": "c", "source": "", "claim": "x"}),
    ]
    pairs.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert main(["--data-dir", str(tmp_path / "data"), "check-claims", str(pairs), "--out", str(out), "--quiet",
                 "--verifier", "model"]) == 0
    err = capsys.readouterr().err
    assert f"{pairs}:2: not JSON" in err and f"{pairs}:4: missing or empty" in err
    rows = {r["id"]: r for r in map(json.loads, out.open(encoding="utf-8"))}
    assert set(rows) == {"a", "b"}
    assert rows["a"]["supported"] is True and "Montenegro" in rows["a"]["passage"]
    assert rows["a"]["passage"] in article and len(rows["a"]["passage"]) < len(article)
    assert rows["b"]["supported"] is False and rows["b"]["score"] == 0.0 < rows["a"]["score"]


def test_combined_score_is_the_weighted_sum_of_checker_and_overlap(checker, embedder):
    """w * P(checker) + (1 - w) * overlap, pair by pair; w = 0 and w = 1 give back the two verifiers."""
    passage = "NATO formally invited Montenegro to join in December 2015. It became the 29th member in June 2017."
    claims = ["Montenegro was invited to join NATO in December 2015.", "Montenegro joined NATO in 2015."]
    overlap = Verifier(embedder.embed, 0.45, checks=())  # the sum itself: no polarity or modality check on top
    alone = Verifier(embedder.embed, 0.45, checker=checker, rules=(), checks=())
    half = Verifier(embedder.embed, 0.3, checker=checker, rules=(), checker_weight=0.5, checks=())
    assert alone.name == "model" and half.name == "combined" and half.threshold == 0.3
    assert alone.threshold == checker.threshold  # the checker alone keeps its calibrated point
    for claim in claims:
        o, p = overlap.score_texts([passage], claim)[0], alone.score_texts([passage], claim)[0]
        assert half.score_texts([passage], claim)[0] == pytest.approx(0.5 * o + 0.5 * p, abs=1e-6)
    zero = Verifier(embedder.embed, 0.3, checker=checker, rules=(), checker_weight=0.0, checks=())
    assert zero.score_texts([passage], claims[1])[0] == pytest.approx(overlap.score_texts([passage], claims[1])[0])
    with pytest.raises(ValueError, match="checker_weight"):
        Verifier(embedder.embed, 0.3, checker=checker, checker_weight=1.5)


def test_combined_verifier_reads_its_calibration_from_the_manifest(make_settings, embedder, tmp_path):
    """Settings name the combined verifier; weight and threshold come from the manifest unless set,
    and a manifest without them falls back to overlap with a notice, never silently."""
    from qa_bot.components import Components

    copy = tmp_path / "weights"
    shutil.copytree(WEIGHTS_DIR, copy)
    manifest = json.loads((copy / MANIFEST).read_text())
    manifest.pop("combined", None)
    (copy / MANIFEST).write_text(json.dumps(manifest))
    comps = Components(make_settings(verifier="combined", checker_path=copy))
    comps.__dict__["embedder"] = embedder
    assert comps.verifier.name == "overlap" and "combined" in comps.verifier_notice

    manifest["combined"] = {"weight": 0.6, "threshold": 0.33}
    (copy / MANIFEST).write_text(json.dumps(manifest))
    comps = Components(make_settings(verifier="combined", checker_path=copy))
    comps.__dict__["embedder"] = embedder
    v = comps.verifier
    assert (v.name, v.checker_weight, v.threshold) == ("combined", 0.6, 0.33) and comps.verifier_notice == ""
    comps = Components(make_settings(verifier="combined", checker_path=copy, checker_weight=0.8, checker_threshold=0.4))
    comps.__dict__["embedder"] = embedder
    assert (comps.verifier.checker_weight, comps.verifier.threshold) == (0.8, 0.4)
