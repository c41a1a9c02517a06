"""Example questions for the chat, drawn from the library the user ingested, each answered before it is shown.

A library's examples are made when it changes (issue 30): the bundled articles' own examples when the library
is exactly the bundled one; otherwise, for the newest articles of each outlet in turn, a question the language
model writes from the article's lead (or, without a model, one made from its title). A candidate is kept only
if the bot then answers it, in the UI's answer mode, with at least one citation marked verified, so no example
leads to a refusal. The result is cached in ``<data_dir>/examples.json`` against the library's fingerprint,
the answer mode and the model; preparing runs in a background thread and yields to users' questions (it only
starts a model call while nobody is waiting for the model).
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from dataclasses import dataclass, field, replace
from itertools import zip_longest
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from qa_bot.answer import Answer
from qa_bot.library import library_fingerprint
from qa_bot.settings import REPO_ROOT

log = logging.getLogger(__name__)

BUNDLED_ARTICLES = REPO_ROOT / "data" / "articles"
BUNDLED_EXAMPLES = [
    "Who said NATO's security guarantee does not apply to Israel?",
    "What did Herzog tell NATO about Iran?",
    "How many members did NATO have in 2016 and in 2018?",
    "When did NATO accept Israel's official representative?",
]
CACHE_FILE = "examples.json"
CACHE_VERSION = 1
LEAD_CHARS = 700  # of an article's first chunk, for the model to write a question from
QUESTION_TOKENS = 48
MAX_QUESTION_CHARS = 200
TRIES_PER_EXAMPLE = 2  # candidates tried for each example wanted, before giving up on the rest
_LABEL = re.compile(r"^\s*(?:question\s*:\s*|q\s*:\s*|\d+[.)]\s*)", re.IGNORECASE)
_ABOUT_THE_TEXT = re.compile(r"\b(?:the|this)\s+(?:article|text|passage|excerpt|story)\b", re.IGNORECASE)


def is_bundled(rows: Sequence[dict[str, Any]]) -> bool:
    """The library holds exactly the bundled demo articles (by their file names, which carry a content hash)."""
    shipped = {p.name for p in BUNDLED_ARTICLES.glob("*") if p.is_file()} if BUNDLED_ARTICLES.is_dir() else set()
    return bool(shipped) and {r["source"] for r in rows} == shipped


def verified_answer(answer: Answer) -> bool:
    """An example must be answered, not refused, with at least one citation the verifier marked verified."""
    return not answer.refused and not answer.error and any(c.level == "verified" for c in answer.citations)


def clean_question(text: str) -> str | None:
    """The model's first line as a question, or None when it is not one a user could ask as it stands."""
    lines = [line for line in str(text).strip().splitlines() if line.strip()]
    question = _LABEL.sub("", lines[0] if lines else "").strip().strip('"“”').strip()
    if not question.endswith("?") or len(question) > MAX_QUESTION_CHARS or len(question.split()) < 4:
        return None
    if _ABOUT_THE_TEXT.search(question):  # "What does the article say…" only makes sense beside the article
        return None
    return question


def title_question(row: dict[str, Any]) -> str | None:
    """Without a model: ask what the articles say about the article's title."""
    title = str(row.get("title") or "").strip().rstrip(".?!")
    return f"What do the articles say about {title}?" if len(title.split()) >= 3 else None


def articles_in_turn(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Newest first, outlets taking turns, so a few examples cover more than one outlet."""
    by_outlet: dict[str, list[dict[str, Any]]] = {}
    for row in sorted(rows, key=lambda r: (str(r.get("published_at") or ""), r["source"]), reverse=True):
        by_outlet.setdefault(str(row.get("publisher") or ""), []).append(row)
    return [r for group in zip_longest(*by_outlet.values()) for r in group if r is not None]


@dataclass
class ExamplesState:
    """What the chat shows: the questions, and whether more are being prepared."""

    questions: list[str] = field(default_factory=list)
    preparing: bool = False
    fingerprint: str = ""

    def copy(self) -> "ExamplesState":
        return replace(self, questions=list(self.questions))


class ExampleQuestions:
    """The library's example questions, prepared in the background and cached in the data directory."""

    def __init__(self, bot, count: int, mode: Callable[[], str], model_name: str, data_dir: Path):
        self.bot = bot
        self.components = bot.components
        self.count = count
        self.mode = mode
        self.model_name = model_name
        self.cache_path = Path(data_dir) / CACHE_FILE
        self._lock = threading.Lock()
        self._state = ExamplesState()
        self._wanted = ""  # the fingerprint being prepared: a newer one stops the older work

    def state(self) -> ExamplesState:
        with self._lock:
            return self._state.copy()

    def refresh(self, rows: Sequence[dict[str, Any]], wait: bool = False) -> ExamplesState:
        """Show the cached examples for this library, or start preparing them (``wait``: prepare here)."""
        if self.count <= 0 or not rows:
            with self._lock:
                self._state, self._wanted = ExamplesState(), ""
            return self.state()
        key = self._key(rows)
        with self._lock:
            if key in (self._state.fingerprint, self._wanted):
                return self._state.copy()
            cached = self._read_cache(key)
            if cached is not None:
                self._state, self._wanted = ExamplesState(cached, False, key), ""
                return self._state.copy()
            self._wanted = key
            self._state = ExamplesState([], True, "")
        if wait:
            self._prepare(list(rows), key)
        else:
            threading.Thread(target=self._prepare, args=(list(rows), key), name="examples", daemon=True).start()
        return self.state()

    # --- preparing ------------------------------------------------------------------
    def _key(self, rows: Sequence[dict[str, Any]]) -> str:
        return f"{library_fingerprint(rows)}:{self.mode()}:{self.model_name}"

    def _stale(self, key: str) -> bool:
        with self._lock:
            return self._wanted != key

    def _prepare(self, rows: list[dict[str, Any]], key: str) -> None:
        kept: list[str] = []
        rejected: list[dict[str, str]] = []
        try:
            for tried, question in enumerate(self.candidates(rows, key)):
                if len(kept) >= self.count or tried >= self.count * TRIES_PER_EXAMPLE or self._stale(key):
                    break
                self._wait_for_model(key)
                answer = self.bot.ask(question, [], mode=self.mode())
                if verified_answer(answer):
                    kept.append(question)
                    with self._lock:
                        if self._wanted == key:
                            self._state = ExamplesState(list(kept), True, "")
                else:
                    rejected.append({"question": question, "why": "refused" if answer.refused else
                                     (answer.error or "no verified citation")})
        except Exception:
            log.exception("preparing example questions failed")
        with self._lock:
            if self._wanted != key:
                return
            self._state, self._wanted = ExamplesState(kept, False, key), ""
        self._write_cache(key, kept, rejected)

    def candidates(self, rows: list[dict[str, Any]], key: str = "") -> Iterator[str]:
        """The bundled examples first for the bundled library; then one question per article, outlets in turn."""
        seen: set[str] = set()
        if is_bundled(rows):  # the demo's own examples first, then questions made as for any library
            seen.update(q.lower() for q in BUNDLED_EXAMPLES)
            yield from BUNDLED_EXAMPLES
        llm = self._model()
        for row in articles_in_turn(rows):
            if key and self._stale(key):
                return
            question = self._written_question(llm, row, key) if llm is not None else title_question(row)
            if question and question.lower() not in seen:
                seen.add(question.lower())
                yield question

    def _model(self):
        if self.mode() != "generative":
            return None
        try:
            return self.components.llm()
        except Exception as exc:
            log.warning("example questions made from titles: the language model is unavailable (%s)", exc)
            return None

    def _written_question(self, llm, row: dict[str, Any], key: str) -> str | None:
        from prompts import chat_template
        from qa_bot.injection import quote

        lead = self.components.store.lead(row["source"])[:LEAD_CHARS]
        published = " ".join(x for x in (str(row.get("publisher") or ""), str(row.get("published_at") or "")) if x)
        messages = chat_template("example_question", system=None).format_messages(
            title=quote(str(row.get("title") or "")), published=quote(published or "unknown"), lead=quote(lead))
        self._wait_for_model(key)
        with self.components.generation_queue.join() as ticket:
            for _ in ticket.wait():
                pass
            try:
                text = llm.invoke(messages, max_tokens=QUESTION_TOKENS).content
            except Exception:
                log.exception("writing an example question failed")
                return None
        return clean_question(text)

    def _wait_for_model(self, key: str, poll_s: float = 0.5) -> None:
        """Users first: start a model call only when nobody is generating or waiting."""
        while not self.components.generation_queue.idle() and not self._stale(key):
            time.sleep(poll_s)

    # --- the cache ------------------------------------------------------------------
    def _read_cache(self, key: str) -> list[str] | None:
        try:
            data = json.loads(self.cache_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or data.get("version") != CACHE_VERSION or data.get("key") != key:
            return None
        questions = data.get("questions")
        return [q for q in questions if isinstance(q, str)][: self.count] if isinstance(questions, list) else None

    def _write_cache(self, key: str, questions: list[str], rejected: list[dict[str, str]]) -> None:
        data = {"version": CACHE_VERSION, "key": key, "questions": questions, "rejected": rejected,
                "made_at": time.strftime("%Y-%m-%dT%H:%M:%S")}
        try:
            tmp = self.cache_path.with_suffix(".json.tmp")
            tmp.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
            tmp.replace(self.cache_path)
        except OSError as exc:
            log.warning("could not cache the example questions in %s: %s", self.cache_path, exc)
