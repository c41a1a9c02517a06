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
    assert m == {"correct": False, "exact": False, "f1": 0.0, "lenient": False, "accept": None,
                 "yes_share": False, "reference_yes_share": False}
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


def test_checker_metrics_are_the_verifiers_own_verdicts() -> None:
    sentences = [
        {"text": "Google won [1][2].", "citations": [1, 2], "supported_by": [1]},
        {"text": "It appealed [3].", "citations": [3], "supported_by": [3]},
        {"text": "Nobody knows why.", "citations": [], "supported_by": []},
        {"text": "  ", "citations": [4], "supported_by": []},  # empty sentence ignored
    ]
    citations = [{"n": 1, "verified": True}, {"n": 2, "verified": False}, {"n": 3, "verified": True}]
    m = M.checker_metrics(sentences, citations, refused=False)
    assert m == {"checker_kept_share": pytest.approx(2 / 3),  # 2 supporting of 3 citations
                 "checker_supported_sentences": pytest.approx(2 / 3),  # 2 of 3 sentences supported
                 "checker_verified_citations": pytest.approx(2 / 3)}
    assert M.checker_metrics(sentences, citations, refused=True)["checker_kept_share"] is None


def test_checker_metrics_fall_back_to_verified_flags() -> None:
    sentences = [
        {"text": "A [1][2].", "citations": [1, 2], "supported": True},
        {"text": "B [2].", "citations": [2], "supported": False},
    ]
    citations = [{"n": 1, "verified": True}, {"n": 2, "verified": False}]
    m = M.checker_metrics(sentences, citations, refused=False)
    assert m["checker_kept_share"] == pytest.approx(1 / 3)
    assert m["checker_supported_sentences"] == pytest.approx(1 / 2)


def test_source_metrics() -> None:
    # three citations, two of them in the gold article art_a: precision 2/3; art_b never cited
    m = M.source_metrics(["articles/art_a.txt", "art_x.txt", "art_a"], ["art_a", "art_b"], prefix="p")
    assert m == {"p_precision": pytest.approx(2 / 3), "p_recall": 0.5}
    assert M.source_metrics([], ["art_a"], prefix="p") == {"p_precision": None, "p_recall": 0.0}
    assert M.source_metrics(["a"], [], prefix="p") == {"p_precision": None, "p_recall": None}


def test_gold_articles_join_reference_sources_and_evidence_articles() -> None:
    assert M.gold_articles(["000_a.txt"], ["000_a.txt", "art_b", ""]) == {"000_a", "art_b"}
    assert M.gold_articles([], []) == set()


EVIDENCE = "Herzog raised the issue of the bodies of two IDF soldiers, Hadar Goldin and Oron Shaul."


def test_evidence_in_snippet_whole_cut_and_scattered() -> None:
    snippet = "BRUSSELS.  herzog raised the issue of the  bodies of two\nIDF soldiers, Hadar Goldin and Oron Shaul. Then..."
    assert M.evidence_in_snippet(EVIDENCE, snippet)  # whitespace and case do not matter
    words = EVIDENCE.split()  # 16 words
    assert M.evidence_in_snippet(EVIDENCE, "Earlier text. " + " ".join(words[:8]))  # cut by the chunk end: 8/16
    assert not M.evidence_in_snippet(EVIDENCE, "Earlier text. " + " ".join(words[:7]))  # 7/16 < half
    assert M.evidence_in_snippet(EVIDENCE, " ".join(words[8:]) + " Next sentence.")  # chunk starts mid-sentence
    # the same words, but not in a row: not the evidence sentence
    assert not M.evidence_in_snippet(EVIDENCE, " and ".join(reversed(words)))
    assert not M.evidence_in_snippet("", snippet)


def test_span_metrics_against_gold_evidence() -> None:
    evidence = [("000_a.txt", EVIDENCE), ("000_a.txt", "The council met on Thursday."), ("art_b", "Other fact.")]
    cites = [
        {"source": "000_a.txt", "snippet": f"Intro. {EVIDENCE} More.", "verified": False},  # holds evidence 1
        {"source": "000_a", "snippet": "Unrelated text about football.", "verified": True},  # holds nothing
        # the right sentence, but in another article than the evidence: does not count
        {"source": "art_c", "snippet": "The council met on Thursday.", "verified": True},
    ]
    m = M.span_metrics(cites, evidence)
    assert m == {"citation_span_precision": pytest.approx(1 / 3), "citation_span_recall": pytest.approx(1 / 3)}
    one = M.span_metrics(cites[:1], evidence[:1])
    assert one == {"citation_span_precision": 1.0, "citation_span_recall": 1.0}
    # an evidence sentence without article id may be in any article
    assert M.span_metrics(cites[2:], [("", "The council met on Thursday.")])["citation_span_precision"] == 1.0
    assert M.span_metrics([], evidence) == {"citation_span_precision": None, "citation_span_recall": 0.0}
    assert M.span_metrics(cites, []) == {"citation_span_precision": None, "citation_span_recall": None}


def test_model_marker_sources_one_per_chunk() -> None:
    sentences = [
        {"text": "A [1].", "model_cited": [{"source": "art_x.txt", "chunk_id": "x#0", "start": 0, "end": 9}]},
        {"text": "B [1][2].", "model_cited": [{"source": "art_x.txt", "chunk_id": "x#0", "start": 0, "end": 9},
                                             {"source": "art_x.txt", "chunk_id": "x#1", "start": 9, "end": 20}]},
        {"text": "C."},
    ]
    assert M.model_marker_sources(sentences) == ["art_x.txt", "art_x.txt"]


def _record(**kw) -> EvalRecord:
    base = dict(id="q", question="Which soldiers?", reference_answer="Hadar Goldin and Oron Shaul.",
                reference_sources=["000_a.txt"], evidence=[Evidence("000_a.txt", EVIDENCE)])
    return EvalRecord(**{**base, **kw})


def _outcome(citations: list[dict], model_cited: list[dict] | None = None, **kw) -> dict:
    sentences = [{"text": "Hadar Goldin and Oron Shaul [1].", "citations": [c["n"] for c in citations],
                  "supported_by": [c["n"] for c in citations], "supported": True,
                  "model_cited": model_cited or []}]
    return {"answer": "Hadar Goldin and Oron Shaul [1].", "refused": False, "mode": "generative",
            "citations": citations, "sentences": sentences, "retrieved": [], **kw}


def test_verified_citations_of_a_non_gold_article_score_zero() -> None:
    # the checker accepted every citation, but none is from the gold article
    cites = [{"n": 1, "source": "999_other.txt", "snippet": "Goldin and Shaul were named.", "verified": True},
             {"n": 2, "source": "998_other.txt", "snippet": "Soldiers.", "verified": True}]
    m = score_question(_record(), _outcome(cites), k=5)
    assert m["checker_kept_share"] == 1.0 and m["checker_verified_citations"] == 1.0
    assert m["citation_source_precision"] == 0.0 and m["citation_source_recall"] == 0.0
    assert m["citation_span_precision"] == 0.0 and m["citation_span_recall"] == 0.0


def test_citation_holding_the_gold_evidence_scores_one() -> None:
    cites = [{"n": 1, "source": "000_a.txt", "snippet": f"BRUSSELS. {EVIDENCE} He left.", "verified": False}]
    m = score_question(_record(), _outcome(cites), k=5)
    assert m["citation_source_precision"] == 1.0 and m["citation_source_recall"] == 1.0
    assert m["citation_span_precision"] == 1.0 and m["citation_span_recall"] == 1.0
    assert m["checker_verified_citations"] == 0.0  # the checker's flag plays no part in the above


def test_no_gold_evidence_gives_none_not_zero() -> None:
    cites = [{"n": 1, "source": "000_a.txt", "snippet": EVIDENCE, "verified": True}]
    m = score_question(_record(evidence=[]), _outcome(cites), k=5)  # e.g. a MultiHop question without evidence
    assert m["citation_span_precision"] is None and m["citation_span_recall"] is None
    assert m["citation_source_precision"] == 1.0  # the gold articles are still known
    null = _record(reference_answer="Insufficient information.", answerable=False, reference_sources=[], evidence=[])
    m = score_question(null, _outcome(cites), k=5)
    for name in ("citation_source_precision", "citation_source_recall", "citation_span_precision",
                 "citation_span_recall", "model_marker_source_precision", "model_marker_source_recall"):
        assert m[name] is None, name
    agg = M.aggregate([{"citation_span_recall": None}, {"citation_span_recall": 0.5}])
    assert agg["citation_span_recall"] == {"mean": 0.5, "n": 1}  # excluded from the mean


def test_model_markers_before_repair_against_gold() -> None:
    # the model pointed at a wrong article; the checker repaired the citation to the gold one
    cites = [{"n": 1, "source": "000_a.txt", "snippet": EVIDENCE, "verified": True}]
    wrong = [{"source": "999_other.txt", "chunk_id": "999#0", "start": 0, "end": 40}]
    m = score_question(_record(), _outcome(cites, wrong), k=5)
    assert m["model_marker_source_precision"] == 0.0 and m["model_marker_source_recall"] == 0.0
    assert m["citation_source_precision"] == 1.0 and m["citation_source_recall"] == 1.0
    both = wrong + [{"source": "000_a.txt", "chunk_id": "000#2", "start": 90, "end": 180}]
    m = score_question(_record(), _outcome(cites, both), k=5)
    assert m["model_marker_source_precision"] == 0.5 and m["model_marker_source_recall"] == 1.0
    # extractive answers have no model markers: not applicable rather than 0
    m = score_question(_record(), _outcome(cites, wrong, mode="extractive"), k=5)
    assert m["model_marker_source_precision"] is None and m["model_marker_source_recall"] is None
    # a generated answer refused after all: no markers and nothing cited, recall 0 like the final citations
    m = score_question(_record(), _outcome([], refused=True), k=5)
    assert m["model_marker_source_recall"] == 0.0 and m["citation_source_recall"] == 0.0
    assert m["model_marker_source_precision"] is None and m["checker_kept_share"] is None


def test_metric_groups_name_the_checker_plainly() -> None:
    assert M.metric_group("citation_source_precision") == "Citations vs gold articles"
    assert M.metric_group("citation_span_recall") == "Cited spans vs gold evidence"
    assert M.metric_group("model_marker_source_recall") == "The model's own markers (before repair)"
    assert M.metric_group("checker_kept_share") == "Runtime checker's verdicts (not a correctness measure)"
    assert M.metric_group("hit@4") == "Retrieval"
    assert "citation_precision" not in M.METRIC_ORDER and "source_precision" not in M.METRIC_ORDER


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
    assert m["citation_source_precision"] == 1.0 and m["citation_source_recall"] == 1.0
    assert m["checker_kept_share"] == 1.0 and "citation_precision" not in m
    only = score_question(rec, outcome, k=5, retrieval_only=True)
    assert "correct" not in only and only["mrr"] == 1.0
    null = EvalRecord(id="n", question="?", reference_answer="Insufficient information.", answerable=False)
    m = score_question(null, {"answer": "I don't know.", "refused": True}, k=5)
    assert m["correct"] is True and "hit@4" not in m and m["refusal_recall"] is True


def test_yes_share_counts_yes_verdicts_and_refusals_as_not_yes() -> None:
    yes = M.answer_metrics("Yes, both reported it [1].", "Yes", answerable=True, refused=False)
    no = M.answer_metrics("No: the Verge reported it first [2].", "Yes", answerable=True, refused=False)
    refused = M.answer_metrics("The articles don't say.", "No", answerable=True, refused=True)
    assert (yes["yes_share"], yes["reference_yes_share"]) == (True, True)
    assert (no["yes_share"], no["reference_yes_share"]) == (False, True)
    assert (refused["yes_share"], refused["reference_yes_share"]) == (False, False)
    assert "yes_share" not in M.answer_metrics("Paris [1].", "Paris", answerable=True, refused=False)


def test_split_halves_are_disjoint_and_cover_the_file_in_order() -> None:
    from qa_bot.evaluation.cli import split_records

    records = list(range(7))
    assert split_records(records, "dev") == [0, 1, 2, 3]
    assert split_records(records, "test") == [4, 5, 6]
    assert split_records(records, None) == records


def test_level_metrics_score_each_shown_level_against_gold_articles() -> None:
    citations = [{"n": 1, "source": "gold.txt"}, {"n": 2, "source": "other.txt"}]
    sentences = [{"text": "A.", "citations": [1], "level": "verified"},
                 {"text": "B.", "citations": [2], "level": "verified"},
                 {"text": "C.", "citations": [2], "level": "partly supported"},
                 {"text": "D.", "citations": [], "level": "unsupported"}]
    out = M.level_metrics(sentences, citations, {"gold.txt"}, answerable=True)
    assert out == {"verified_gold_precision": 0.5, "partly_gold_precision": 0.0}
    assert M.level_metrics(sentences, citations, set(), answerable=False) == {
        "verified_gold_precision": 0.0, "partly_gold_precision": 0.0}  # any claim answering the unanswerable is wrong
    assert M.level_metrics(sentences[3:], citations, {"gold.txt"}, answerable=True) == {
        "verified_gold_precision": None, "partly_gold_precision": None}
