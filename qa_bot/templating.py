"""How HTML is made: Jinja2 templates with autoescaping, shared by the eval report and the UI.

Every ``{{ value }}`` is escaped by Jinja's autoescape, so article, model and user text
(titles, snippets, answers, file names, questions) shows as text, never as markup.
Templates sit next to the code that renders them (``<package>/templates/*.j2``) and
ship in the wheel as package data.

Three choices keep the HTML exactly as the f-strings that came before wrote it:

* line breaks and the indentation after them are dropped from template source
  (:class:`JoinLines`), so a template can be written one element a line while the
  output stays on one line (chat messages go through Markdown, where indentation and
  blank lines mean something; snippets are shown ``white-space: pre-wrap``);
  write ``{{ "\\n" }}`` where a line break is wanted;
* ``None`` renders as the empty string, as the old ``esc``/``_e`` helpers did;
* quotes come out as ``&quot;`` and ``&#x27;`` (how :func:`html.escape` spells them)
  rather than MarkupSafe's ``&#34;`` and ``&#39;``: the same characters to a browser.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from jinja2.ext import Extension

_LINE_BREAK = re.compile(r"\n[ \t]*")
# MarkupSafe's spelling -> html.escape's. Data never yields these strings unescaped ("&" becomes "&amp;").
_QUOTES = {"&#34;": "&quot;", "&#39;": "&#x27;"}
_QUOTE = re.compile("|".join(map(re.escape, _QUOTES)))


class JoinLines(Extension):
    """Drops each line break of a ``*.j2`` template's source and the indentation after it."""

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        if name and not name.endswith(".j2"):
            return source  # an included file that is not a template (a style sheet) stays as it is
        return _LINE_BREAK.sub("", source)


def _none_as_empty(value: Any) -> Any:
    return "" if value is None else value


@cache
def environment(package: str) -> Environment:
    """The templates of ``package`` (its ``templates/`` folder), every one autoescaped."""
    return Environment(
        loader=PackageLoader(package, "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        finalize=_none_as_empty,
        extensions=[JoinLines],
        auto_reload=False,  # templates ship with the package: no stat per render
    )


def html_quotes(text: str) -> str:
    """MarkupSafe's numeric quote entities spelled as html.escape spells them."""
    return _QUOTE.sub(lambda m: _QUOTES[m.group(0)], text)


def render(package: str, template: str, **context: Any) -> str:
    """A whole template of ``package`` rendered with ``context``."""
    return html_quotes(environment(package).get_template(template).render(**context))


def call(package: str, template: str, macro: str, *args: Any, **kwargs: Any) -> str:
    """One macro of a template of ``package`` (a file of related fragments), called with the arguments."""
    module = environment(package).get_template(template).module
    return html_quotes(str(getattr(module, macro)(*args, **kwargs)))

