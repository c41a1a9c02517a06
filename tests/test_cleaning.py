"""Cleaning on the bundled articles: page furniture out, reader comments marked, article kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from vectorstore.cleaning import clean_article
from vectorstore.metadata import derive_title, find_date

ARTICLES = Path(__file__).resolve().parent.parent / "data" / "articles"
FURNITURE = [
    "Dear Reader", "Premium Section", "For $5 a month", "ePaper", "Help us grow", "Editor-in-Chief",
    "Related Content", "Cookie Settings", "Camp Taji", "Comments are closed", "Loading Facebook Comments",
    "photo credit", "(credit:", "1 minute read", "Previous article", "Next article", "Published: Updated:",
]
COMMENT_PHRASES = ["pull the US out", "unvetted refugees", "Eurofighter", "Lucifer"]


def _clean(name: str):
    return clean_article((ARTICLES / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", sorted(ARTICLES.glob("*.txt")), ids=lambda p: p.name[:3])
def test_no_furniture_left(path):
    text = clean_article(path.read_text(encoding="utf-8")).text
    for phrase in FURNITURE:
        assert phrase.lower() not in text.lower(), phrase


def test_subscription_pitch_dropped_article_kept():
    cleaned = _clean("001_30abf332060f2f43.txt")
    assert "Der Spiegel" in cleaned.text and "Volker Beck" in cleaned.text
    assert "Jerusalem Post Group" not in cleaned.text
    assert any("Dear Reader" in d for d in cleaned.dropped)


def test_reader_comments_marked_not_body():
    cleaned = _clean("003_643e925b5d599b63.txt")
    assert len(cleaned.sections) == 1
    start, end, name = cleaned.sections[0]
    assert name == "comments"
    body, comments = cleaned.text[:start], cleaned.text[start:end]
    for phrase in COMMENT_PHRASES:
        assert phrase in comments and phrase not in body
    assert "permanent office" in body


def test_repeated_captions_dropped_once_kept_nowhere():
    cleaned = _clean("000_864da4a0ec9d2cba.txt")
    assert "holds a news conference" not in cleaned.text
    assert "shakes hands" not in cleaned.text
    assert "Iranian threat is now at Europe’s doorstep" in cleaned.text


def test_clean_article_without_furniture_is_unchanged_text():
    raw = "Headline\n\nFirst paragraph of the story.\nSecond line.\n\nLast paragraph."
    assert clean_article(raw).text == raw


def test_numbered_list_without_comment_marker_is_body():
    raw = "Five steps\n\n1. Plan the route.\n2. Pack water.\n3. Check the weather.\n\nThe end."
    cleaned = clean_article(raw)
    assert cleaned.sections == [] and "Pack water" in cleaned.text


def test_dates_and_titles_derived():
    assert find_date((ARTICLES / "001_30abf332060f2f43.txt").read_text()) == "2018-06-02"
    assert find_date((ARTICLES / "000_864da4a0ec9d2cba.txt").read_text()) == "2023-01-26"
    assert find_date("Nothing dated here.") == ""
    assert derive_title("\n\n  My headline \nbody") == "My headline"


def test_any_publishers_pitch_is_dropped_by_how_it_addresses_the_reader():
    """The pitch is recognised by its opener and by speaking to the reader, not by one publisher's phrases."""
    raw = ("Storm hits the coast\n\nDear Readers,\nIndependent reporting costs money, and we rely on you.\n"
           "Join for $3 a month and read without limits.\n  • No adverts\n  • Weekly newsletter\nThe Editors\n\n\n"
           "The storm reached the coast on Monday, officials said.\n\n"
           "\u201cWe have never seen waves like this,\u201d said the harbour master, Ann Lee.\n\nRoads were closed overnight.")
    cleaned = clean_article(raw)
    for pitch in ("Dear Readers", "we rely on you", "$3 a month", "No adverts", "The Editors"):
        assert pitch not in cleaned.text, pitch
    for reporting in ("The storm reached the coast", "We have never seen waves like this", "Roads were closed"):
        assert reporting in cleaned.text, reporting
