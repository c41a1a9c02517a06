"""The HTML templates: every one autoescaped, shipped in the wheel, and data in them comes out as text.

The XSS checks render the real templates; ``test_the_xss_check_fails_without_autoescape`` shows
the same check would catch a template rendered with autoescape off.
"""

from __future__ import annotations

import fnmatch
import re
import tomllib
from pathlib import Path

import pytest
from jinja2 import Environment, PackageLoader

from qa_bot import templating
from qa_bot.answer import Answer, Citation
from qa_bot.evaluation.report import render_report
from ui import render

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = {"qa_bot.evaluation": ROOT / "qa_bot" / "evaluation" / "templates", "ui": ROOT / "ui" / "templates"}
SCRIPT = "<script>alert(1)</script>"
ATTR = '"onmouseover=alert(1) x=\''


def _templates() -> list[tuple[str, str]]:
    found = [(package, path.name) for package, folder in PACKAGES.items() for path in sorted(folder.iterdir())]
    assert len(found) >= 5
    return found


def _citation(**kw) -> Citation:
    values = dict(n=1, source=f"{SCRIPT}{ATTR}.txt", title=f"Title {SCRIPT}{ATTR}", publisher=SCRIPT,
                  published_at=ATTR, chunk_id="c1", start=0, end=10, snippet=f"Before {SCRIPT} {ATTR} after.",
                  verified=True, support=0.9, highlight=f"{SCRIPT} {ATTR}")
    return Citation(**(values | kw))


def assert_escaped(html: str) -> None:
    """The payloads show as text: no script element, no attribute broken out of its quotes."""
    assert "<script" not in html.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert not re.search(r"<[^>]*\sonmouseover\s*=", html, re.IGNORECASE)
    assert "&quot;onmouseover=alert(1) x=&#x27;" in html


@pytest.mark.parametrize("package, name", _templates())
def test_every_template_is_autoescaped(package, name):
    env = templating.environment(package)
    on = env.autoescape(name) if callable(env.autoescape) else env.autoescape
    assert on is True
    source = (PACKAGES[package] / name).read_text(encoding="utf-8")
    assert "autoescape false" not in re.sub(r"\s+", " ", source).lower()
    assert not re.search(r"\|\s*safe\b|Markup", source)  # nothing from the data is let through unescaped


@pytest.mark.parametrize("package, name", _templates())
def test_every_template_ships_in_the_wheel(package, name):
    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    assert any(fnmatch.fnmatch(f"templates/{name}", pattern) for pattern in package_data.get(package, []))


@pytest.mark.parametrize("closest, reading", [(False, False), (True, False), (False, True)])
def test_source_card_escapes_title_snippet_and_file_name(closest, reading):
    html = render.render_citation(_citation(), turn=1, closest=closest, reading=reading)
    assert_escaped(html)
    assert "Title &lt;script&gt;" in html and "<code>&lt;script&gt;" in html


def test_answer_panel_and_chat_escape_everything():
    a = Answer(question=SCRIPT + ATTR, answer=f"Said {SCRIPT} {ATTR} [1].", mode="extractive", citations=[_citation()])
    for html in (render.render_answer(a, turn=2), render.render_sources([(2, a)]), render.render_user(SCRIPT + ATTR),
                 render.render_streaming(SCRIPT, ATTR), render.render_error(SCRIPT + ATTR)):
        assert_escaped(html)


def test_report_escapes_titles_snippets_and_file_names():
    row = {"id": ATTR, "question": SCRIPT, "question_type": "t", "answer": ATTR, "reference_answer": SCRIPT,
           "metrics": {"correct": False}, "latency_s": 1.0,
           "citations": [{"n": 1, "source": SCRIPT + ".txt", "title": ATTR, "snippet": SCRIPT, "highlight": ATTR}]}
    html = render_report({"config": {"dataset": SCRIPT, "model": ATTR, "k": 4}}, [row])
    assert_escaped(html)
    assert "<b>[1] &lt;script&gt;alert(1)&lt;/script&gt;.txt</b>" in html


def test_the_xss_check_fails_without_autoescape():
    unsafe = Environment(loader=PackageLoader("ui", "templates"), autoescape=False, extensions=[templating.JoinLines])
    module = unsafe.get_template("sources.html.j2").module
    card = dict(ident="x", cls="qa-source", n=1, title=SCRIPT, publisher=ATTR, published_at="", source="a.txt",
                start=0, end=1, url="", badge="unverified", badge_tip="", snippet={"kind": "plain", "before": SCRIPT})
    with pytest.raises(AssertionError):
        assert_escaped(str(module.citation(card)))


def test_template_layout_does_not_reach_the_output():
    """Chat messages go through Markdown and snippets are shown pre-wrap: no stray line breaks or indentation."""
    a = Answer(question="Q", answer="One [1].", mode="extractive", citations=[_citation(snippet="Plain.", highlight="")])
    for html in (render.render_answer(a, turn=1), render.render_sources([(1, a)]), render.empty_sources()):
        assert "\n" not in html and "  " not in html
