"""Each metric on hand-made cases with known values."""

from __future__ import annotations

import pytest

from qa_bot.evaluation import metrics as M
from qa_bot.evaluation.dataset import EvalRecord, Evidence
from qa_bot.evaluation.scoring import retrieval_ks, score_question


def test_normalize_answer_strips_markers_punctuation_articles() -> None:
    assert M.normalize_answer("The answer is: Google's Gemini [1][2, 3].") == "answer is google s gemini"
    assert M.normalize_answer("  A  Sportsbooks. ") == "sportsbooks"


def test_token_f1_known_values() -> None:
    # answer tokens {cat, sat}, reference {cat, sat, down}: P=1, R=2/3, F1=0.8
    assert M.token_f1("The cat sat.", "cat sat down") == pytest.approx(0.8)
    assert M.token_f1("Sam Bankman-Fried", "Sam Bankman-Fried") == 1.0
    assert M.token_f1("Google", "Apple") == 0.0
    # P = 1/4, R = 1/1 -> 0.4
    assert M.token_f1("it was Google indeed", "Google") == pytest.approx(0.4)


def test_exact_match_and_yes_no_rule() -> None:
    assert M.exact_match("Sportsbooks", "Sportsbooks.")
    assert not M.exact_match("the sportsbooks say so", "Sportsbooks.")
    assert M.exact_match("No, the reports do not agree [1].", "no")
    assert not M.exact_match("Yes. There is no conflict.", "No")  # first yes/no word decides
    assert not M.exact_match("The reports differ.", "Yes")
    assert M.first_yes_no("Well, yes: no doubt") == "yes"


def test_lenient_and_accept() -> None:
    assert M.lenient_match("It is Sam Altman.", "Sam Bankman-Fried")  # shares "sam"
    assert not M.lenient_match("Google", "Apple")
    accept = [["Bankman-Fried"], ["SBF", "FTX"]]
    assert M.accept_match("Sam Bankman-Fried did it", accept)
    assert M.accept_match("SBF of FTX", accept)
    assert not M.accept_match("SBF alone", accept)
    assert M.accept_match("Montenegro had been invited", [["invit"]])  # keywords match word starts
    assert not M.accept_match("a 29 country alliance", [["9"]])  # ... never inside a word
    assert not M.accept_match("the STFX exchange", [["FTX"]])


def test_is_correct_rules() -> None:
    kw = dict(answerable=True, refused=False)
    assert M.is_correct("x", "y", answerable=False, refused=True) is True
    assert M.is_correct("x", "y", answerable=False, refused=False) is False
    assert M.is_correct("Google [1]", "Google", answerable=True, refused=True) is False
    assert M.is_correct("It was Google, per The Verge [1].", "Google", **kw) is True
    assert M.is_correct("No, they disagree.", "no", **kw) is True
    assert M.is_correct("Yes, no doubt.", "no", **kw) is False
    # token recall 4/5 = 0.8 of "Taylor Swift and Travis Kelce" without containment
    assert M.is_correct("Travis Kelce and Taylor", "Taylor Swift and Travis Kelce", **kw) is True
    assert M.is_correct("Travis Kelce", "Taylor Swift and Travis Kelce", **kw) is False
    # accept overrides the reference
    assert M.is_correct("The FTX founder", "Sam Bankman-Fried", accept=[["FTX", "founder"]], **kw) is True
    assert M.is_correct("anything", None, **kw) is None


def test_answer_metrics_zero_for_refusals() -> None:
    m = M.answer_metrics("There is no information on this.", "no", answerable=True, refused=True)
    assert m == {"correct": False, "exact": False, "f1": 0.0, "lenient": False, "accept": None}
    m = M.answer_metrics("I cannot say.", "Insufficient information.", answerable=False, refused=True)
    assert m["correct"] is True and m["exact"] is None and m["f1"] is None


def test_refusal_metrics() -> None:
    assert M.refusal_metrics(refused=True, answerable=False) == {
        "refusal_accuracy": True, "refusal_recall": True, "false_refusal_rate": None}
    assert M.refusal_metrics(refused=True, answerable=True) == {
        "refusal_accuracy": False, "refusal_recall": None, "false_refusal_rate": True}


def test_retrieval_metrics_known_values() -> None:
    sources = ["other.txt", "articles/art_a.txt", "x", "art_b", "art_a", "y"]
    texts = ["", "", "", "", "", ""]
    m = M.retrieval_metrics(sources, texts, ["art_a", "art_b", "art_c"], [], [1, 2, 4, 6])
    assert m["hit@1"] is False and m["hit@2"] is True
    assert m["recall@2"] == pytest.approx(1 / 3)
    assert m["recall@4"] == pytest.approx(2 / 3) and m["all_gold@4"] is False
    assert m["mrr"] == pytest.approx(0.5)
    assert m["evidence_recall@4"] is None
    m = M.retrieval_metrics(["art_a.txt", "art_b.txt"], ["", ""], ["art_a", "art_b"], [], [2])
    assert m["all_gold@2"] is True and m["recall@2"] == 1.0 and m["mrr"] == 1.0
    m = M.retrieval_metrics(["z"], [""], ["art_a"], [], [1])
    assert m["mrr"] == 0.0 and m["hit@1"] is False
    assert M.retrieval_metrics(["z"], [""], [], [], [1])["hit@1"] is None


def test_evidence_recall_normalises_whitespace_and_quotes() -> None:
    chunks = [
        "Intro.  Google  \u201csiphons off\u201d news\npublishers\u2019 content. More text.",
        "Unrelated chunk about football.",
        "The jury finally heard from him.",
    ]
    evidence = [
        'Google "siphons off" news publishers\' content.',  # in chunk 1 after normalising
        "The jury finally heard from him.",  # chunk 3
        "Something never retrieved.",
    ]
    m = M.retrieval_metrics(["a", "b", "c"], chunks, ["a"], evidence, [2, 3])
    assert m["evidence_recall@2"] == pytest.approx(1 / 3)
    assert m["evidence_recall@3"] == pytest.approx(2 / 3)


def test_citation_precision_and_recall() -> None:
    sentences = [
        {"text": "Google won [1][2].", "citations": [1, 2], "supported_by": [1]},
        {"text": "It appealed [3].", "citations": [3], "supported_by": [3]},
        {"text": "Nobody knows why.", "citations": [], "supported_by": []},
        {"text": "  ", "citations": [4], "supported_by": []},  # empty sentence ignored
    ]
    citations = [{"n": 1, "verified": True}, {"n": 2, "verified": False}, {"n": 3, "verified": True}]
    m = M.citation_metrics(sentences, citations, refused=False)
    assert m["citation_precision"] == pytest.approx(2 / 3)  # 2 supporting of 3 citations
    assert m["citation_recall"] == pytest.approx(2 / 3)  # 2 of 3 sentences supported
    assert m["citation_verified"] == pytest.approx(2 / 3)
    assert M.citation_metrics(sentences, citations, refused=True)["citation_precision"] is None


def test_citation_metrics_fall_back_to_verified_flags() -> None:
    sentences = [
        {"text": "A [1][2].", "citations": [1, 2], "supported": True},
        {"text": "B [2].", "citations": [2], "supported": False},
    ]
    citations = [{"n": 1, "verified": True}, {"n": 2, "verified": False}]
    m = M.citation_metrics(sentences, citations, refused=False)
    assert m["citation_precision"] == pytest.approx(1 / 3)
    assert m["citation_recall"] == pytest.approx(1 / 2)


def test_source_metrics() -> None:
    m = M.source_metrics(["articles/art_a.txt", "art_x.txt", "art_a"], ["art_a", "art_b"])
    assert m == {"source_precision": pytest.approx(1 / 2), "source_recall": pytest.approx(1 / 2)}
    assert M.source_metrics([], ["art_a"]) == {"source_precision": None, "source_recall": 0.0}
    assert M.source_metrics(["a"], []) == {"source_precision": None, "source_recall": None}


def test_percentiles_and_aggregate() -> None:
    assert M.percentile([4, 1, 3, 2], 50) == pytest.approx(2.5)
    assert M.percentile([1, 2, 3, 4], 95) == pytest.approx(3.85)
    assert M.percentile([], 50) is None
    lat = M.latency_stats([1.0, None, 3.0])
    assert lat["n"] == 2 and lat["p50"] == pytest.approx(2.0)
    agg = M.aggregate([{"correct": True, "f1": 0.5}, {"correct": False, "f1": None}, {"correct": True}])
    assert agg["correct"] == {"mean": pytest.approx(2 / 3), "n": 3}
    assert agg["f1"] == {"mean": 0.5, "n": 1}
    assert list(M.aggregate([{"mrr": 1, "hit@10": 1, "hit@4": 1, "correct": 1}])) == [
        "correct", "hit@4", "hit@10", "mrr"]


def test_retrieval_ks() -> None:
    assert retrieval_ks(5) == [4, 5]
    assert retrieval_ks(10) == [4, 10]
    assert retrieval_ks(3) == [3]
    assert retrieval_ks(5, n_retrieved=12) == [4, 5, 10]


def test_score_question_applicability() -> None:
    rec = EvalRecord(id="q", question="Who?", reference_answer="Google",
                     reference_sources=["art_a"], evidence=[Evidence("art_a", "Google did.")])
    outcome = {
        "answer": "Google [1].", "refused": False,
        "citations": [{"n": 1, "source": "art_a.txt", "verified": True}],
        "sentences": [{"text": "Google [1].", "citations": [1], "supported_by": [1]}],
        "retrieved": [{"source": "art_a.txt", "text": "Yes, Google did.", "score": 1.0}],
    }
    m = score_question(rec, outcome, k=5)
    assert m["correct"] is True and m["hit@4"] is True and m["evidence_recall@5"] == 1.0
    assert m["citation_precision"] == 1.0 and m["source_recall"] == 1.0
    only = score_question(rec, outcome, k=5, retrieval_only=True)
    assert "correct" not in only and only["mrr"] == 1.0
    null = EvalRecord(id="n", question="?", reference_answer="Insufficient information.", answerable=False)
    m = score_question(null, {"answer": "I don't know.", "refused": True}, k=5)
    assert m["correct"] is True and "hit@4" not in m and m["refusal_recall"] is True
