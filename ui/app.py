"""The Gradio web UI: chat with verified citations, a source panel, and article management.

``build_app(settings, bot)`` returns the ``gr.Blocks`` (queue configured);
``launch(settings)`` makes the process offline, builds it and serves it on
``settings.ui_host:ui_port``. Two API endpoints: ``/chat`` (the streaming chat
handler, conversation kept per client session) and ``/ask`` (stateless, returns
the Answer as a JSON dict). See ``docs/ui.md``.

Chat messages and the source panel are HTML built by :mod:`ui.render`, where
every piece of article, model or user text is escaped; the Chatbot does not
render Markdown and still sanitizes what it shows.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

from qa_bot.answer import Answer
from qa_bot.settings import Settings
from ui import render

if TYPE_CHECKING:  # gradio is imported lazily: configure_offline_runtime must run first
    import gradio as gr

    from qa_bot.pipeline import QABot

log = logging.getLogger(__name__)

MODES = ["generative", "extractive"]
MAX_TURNS_KEPT = 20  # answers whose sources stay in the panel
LIBRARY_POLL_S = 2.0  # how often the chat tab looks again while examples are prepared or files ingested
HEADER = ("## qa-bot — ask your news articles\n"
          "Every answer sentence cites its article. **Verified ✓**: the verifier found the sentence stated in the "
          "cited passage (of the bot's own labelled answer sentences so marked, all were supported: precision "
          "1.00, 95% interval 0.89–1.00; docs/benchmarks.md, “Precision of verified”). **Partly supported**: check "
          "the passage. Sentences no article supports are left out, and said so.")


@dataclass
class Conversation:
    """One browser session's chat: what is shown, what the bot sees, and each answer's sources."""

    messages: list[dict] = field(default_factory=list)  # Chatbot messages (HTML built by ui.render)
    turns: list[tuple[str, str]] = field(default_factory=list)  # (question, answer text) for follow-ups
    answers: list[tuple[int, Answer]] = field(default_factory=list)  # (turn number, answer)
    turn: int = 0


class UserInputError(ValueError):
    """A setting typed in the UI that cannot be used (shown in the chat)."""


def parse_auth(value: str | None) -> tuple[str, str] | None:
    """``"user:password"`` -> ``("user", "password")``; None/empty -> no auth."""
    if not value:
        return None
    user, sep, password = value.partition(":")
    if not sep or not user or not password:
        raise ValueError("ui_auth must look like 'user:password'")
    return user, password


def parse_date(value: str | None, label: str) -> str | None:
    """A date field of the settings panel: None when empty, the shared check otherwise."""
    from vectorstore.metadata import partial_date

    value = (value or "").strip()
    if not value:
        return None
    try:
        return partial_date(value)
    except ValueError as exc:
        raise UserInputError(f"{label} {exc}") from None


def make_filters(publisher: str | None, date_from: str | None, date_to: str | None):
    """Search filters from the settings panel; None when nothing is set."""
    from vectorstore.retrieval import SearchFilters

    lo, hi = parse_date(date_from, "Date from"), parse_date(date_to, "Date to")
    publisher = (publisher or "").strip() or None
    if not (publisher or lo or hi):
        return None
    try:
        return SearchFilters(publisher=publisher, date_from=lo, date_to=hi)
    except ValueError as exc:  # a reversed range
        raise UserInputError(f"Date from ({lo}) is after date to ({hi})") from None


class QAApp:
    """The handlers behind the UI (plain methods, so they can be tested without a browser)."""

    def __init__(self, settings: Settings, bot: "QABot | None" = None):
        if bot is None:
            from qa_bot.pipeline import QABot

            bot = QABot(settings)
        self.settings = settings
        self.bot = bot
        self.components = bot.components
        self.uploads = settings.data_dir / "uploads"
        self._ingest_lock = threading.Lock()
        self.ingesting = ""  # "2 of 5 files (name)…" while an upload is being ingested
        from qa_bot.examples import ExampleQuestions
        from qa_bot.llm import describe

        self.examples = ExampleQuestions(bot, settings.ui_examples, self.default_mode, describe(settings),
                                         settings.data_dir)

    def warm_up(self) -> None:
        """Load the embedder, the keyword index and the language model before the first question needs them."""
        try:
            self.components.retriever.search("warm up", k=1)
            if self.default_mode() == "generative":
                model = self.components.llm()
                if hasattr(model, "warm_up"):
                    model.warm_up()
        except Exception as exc:  # the first question will meet the same problem and say so
            log.warning("warm-up failed: %s", exc)

    # --- chat ---------------------------------------------------------------------
    def default_mode(self) -> str:
        return "extractive" if self.settings.llm_backend == "none" else self.settings.mode

    def _mode(self, mode: str | None) -> str:
        mode = (mode or "").strip() or self.default_mode()
        if mode not in MODES:
            raise UserInputError(f"mode must be 'generative' or 'extractive' (got {mode!r})")
        return "extractive" if self.settings.llm_backend == "none" else mode

    def _k(self, k: Any) -> int:
        try:
            k = int(k or self.settings.k)
        except (TypeError, ValueError):
            raise UserInputError(f"k must be a whole number (got {k!r})") from None
        return min(max(k, 1), 10)

    def chat(self, question: str, mode: str, k: float, publisher: str, date_from: str, date_to: str,
             conv: Conversation | None) -> Iterator[tuple]:
        """Stream one turn: (chat messages, sources panel HTML, textbox value, conversation)."""
        from qa_bot.pipeline import QuestionError

        conv = conv if isinstance(conv, Conversation) else Conversation()
        question = question if isinstance(question, str) else ""
        conv.turn += 1
        turn = conv.turn
        sources_html = render.render_sources(conv.answers)
        if question.strip():
            conv.messages.append({"role": "user", "content": render.render_user(question)})
        conv.messages.append({"role": "assistant", "content": render.render_streaming("Starting…")})
        slot = len(conv.messages) - 1

        def update(content: str, sources: str | None = None) -> tuple:
            conv.messages[slot] = {"role": "assistant", "content": content}
            return list(conv.messages), sources or sources_html, "", conv

        yield update(render.render_streaming("Starting…"))
        if question.strip() and self.components.store.count() == 0:  # nothing to search: say how to fill it
            yield update(render.render_empty_library(self.ingesting))
            return
        notes: list[str] = []
        status, draft, searched = "", "", ""
        try:
            events = self.bot.ask_stream(question, conv.turns, mode=self._mode(mode), k=self._k(k),
                                         filters=make_filters(publisher, date_from, date_to))
            for event in events:
                if event.kind == "sources":  # shown at once, while the answer is being written
                    sources_html = render.render_sources(conv.answers, render.Reading(turn, question, event.sources))
                    yield update(render.render_streaming(status, draft, notes, searched))
                elif event.kind == "searched":  # a follow-up rewritten: say what is searched, at once
                    searched = event.text
                    yield update(render.render_streaming(status, draft, notes, searched))
                elif event.kind == "status":
                    if not event.text:
                        continue
                    if event.text.startswith("Language model unavailable"):
                        notes.append(event.text)
                    status = event.text
                    yield update(render.render_streaming(status, draft, notes, searched))
                elif event.kind == "token":
                    draft += event.text
                    yield update(render.render_streaming(status, draft, notes, searched))
                elif event.kind == "answer" and event.answer is not None:
                    answer = event.answer
                    if answer.refused:
                        notes.extend(self._range_notes(question, date_from, date_to))
                    conv.turns.append((question, answer.answer))
                    conv.answers = (conv.answers + [(turn, answer)])[-MAX_TURNS_KEPT:]
                    yield update(render.render_answer(answer, turn, notes), render.render_sources(conv.answers))
                    return
            yield update(render.render_chat_error("the bot returned no answer"))
        except (QuestionError, UserInputError) as exc:
            sources_html = render.render_sources(conv.answers)  # no answer: drop the sources being read
            yield update(render.render_chat_error(_sentence(str(exc))))
        except ValueError as exc:  # e.g. a malformed history turn
            sources_html = render.render_sources(conv.answers)
            yield update(render.render_chat_error(_sentence(str(exc))))
        except Exception as exc:  # never show a traceback in the page
            log.exception("answering %r failed", question[:200])
            sources_html = render.render_sources(conv.answers)
            yield update(render.render_chat_error(f"something went wrong while answering ({type(exc).__name__}: {exc})"))

    def _range_notes(self, question: str, date_from: str, date_to: str) -> list[str]:
        """A refused question about years the library does not cover: say which range it holds."""
        from qa_bot.library import outside_range_note

        try:
            lo, hi = parse_date(date_from, "Date from"), parse_date(date_to, "Date to")
        except UserInputError:
            lo = hi = None
        note = outside_range_note(question, self.summary(), lo, hi)
        return [note] if note else []

    def new_conversation(self) -> tuple:
        conv = Conversation()
        return [], render.empty_sources(), "", conv

    def ask(self, question: str, history_json: str = "[]", mode: str = "", k: int = 0, publisher: str = "",
            date_from: str = "", date_to: str = "") -> dict:
        """Answer one question (no streaming); the Answer as a dict, with ``error`` set on bad input."""
        from qa_bot.pipeline import QuestionError

        try:
            history = json.loads(history_json) if (history_json or "").strip() else []
            if not isinstance(history, list):
                raise UserInputError("history_json must be a JSON list of [question, answer] pairs")
            answer = self.bot.ask(question, history, mode=self._mode(mode), k=self._k(k),
                                  filters=make_filters(publisher, date_from, date_to))
        except json.JSONDecodeError as exc:
            answer = Answer(question=str(question), answer="", error=f"history_json is not valid JSON: {exc}")
        except (QuestionError, UserInputError, ValueError) as exc:
            answer = Answer(question=str(question), answer="", error=str(exc))
        except Exception as exc:
            log.exception("/ask failed")
            answer = Answer(question=str(question), answer="", error=f"{type(exc).__name__}: {exc}")
        return answer.to_dict()

    # --- articles -----------------------------------------------------------------
    def library(self) -> list[dict]:
        return self.components.store.articles()

    def summary(self, rows: list[dict] | None = None):
        """What the library holds (the figures ``qa-bot stats`` prints)."""
        from qa_bot.library import summarize

        return summarize(self.library() if rows is None else rows)

    def library_view(self, rows: list[dict] | None = None) -> tuple[str, list[str], bool]:
        """The chat tab's library line (HTML), the example questions ready, and whether to look again soon.

        Starts preparing the examples when the library has changed since they were made."""
        rows = self.library() if rows is None else rows
        state = self.examples.refresh(rows)
        note = ""
        if state.preparing:
            note = (f"Preparing example questions from your library ({len(state.questions)} of "
                    f"{self.examples.count} ready; each is answered with a verified citation before it is shown)…")
        elif rows and self.examples.count > 0 and not state.questions:
            note = "No example question could be answered with a verified citation here; ask your own."
        html = render.render_library_summary(self.summary(rows), self.ingesting, note)
        return html, state.questions, bool(state.preparing or self.ingesting)

    def publishers(self, articles: list[dict] | None = None) -> list[str]:
        return self.summary(articles).publishers

    def check_upload(self, path: Path) -> str | None:
        """Why an uploaded file is refused (None when it can be ingested)."""
        suffix = path.suffix.lower()
        if suffix not in render.UPLOAD_KINDS:
            return f"unsupported file type '{suffix or '(none)'}' (use {' '.join(render.UPLOAD_KINDS)})"
        size_mb = path.stat().st_size / 1e6
        if size_mb > self.settings.ui_max_upload_mb:
            return f"{size_mb:.1f} MB is over the {self.settings.ui_max_upload_mb:g} MB upload limit"
        return None

    def ingest_files(self, paths: list[str], progress=None) -> list[list]:
        """Copy each upload to <data_dir>/uploads/<original name>, ingest it; one result row per file."""
        rows: list[list] = []
        paths = [Path(p) for p in paths or []]
        with self._ingest_lock:
            try:
                for i, tmp in enumerate(paths):
                    name = _upload_name(tmp.name)
                    self.ingesting = f"{i + 1} of {len(paths)} files ({name or tmp.name})…"
                    if progress is not None:
                        progress(i / max(len(paths), 1), desc=f"Ingesting {name}")
                    reason = self.check_upload(tmp) if name else "the file has no usable name"
                    if reason:
                        rows.append([name or tmp.name, "rejected", 0, reason])
                        continue
                    self.uploads.mkdir(parents=True, exist_ok=True)
                    dest = self.uploads / name
                    try:
                        shutil.copyfile(tmp, dest)
                        report = self.components.ingestor.ingest([dest], progress=False)
                    except Exception as exc:
                        log.exception("ingesting %s failed", name)
                        rows.append([name, "error", 0, f"{type(exc).__name__}: {exc}"])
                        continue
                    rows.append(_result_row(name, report))
            finally:
                self.ingesting = ""
                self.components.retriever.invalidate()
        if progress is not None:
            progress(1.0, desc="Done")
        return rows

    def delete(self, source: str) -> str:
        source = (source or "").strip()
        if not source:
            return "Choose an article to delete first."
        rows = {a["source"]: a for a in self.library()}
        if source not in rows:
            return f"No stored article is called {source!r}."
        with self._ingest_lock:
            removed = self.components.store.delete_source(source)
            self.components.retriever.invalidate()
        uploaded = self.uploads / source
        # Only the upload this article came from: an article id from a .jsonl line can be anything
        # ("../chroma/chroma.sqlite3"), so the id must be a plain file name and the stored path that file.
        if (_upload_name(source) == source and str(rows[source].get("path", "")) == str(uploaded)
                and uploaded.is_file()):
            uploaded.unlink()  # so an upload deleted here does not come back
        return f"Deleted {source!r} ({removed} chunks)."


def _sentence(text: str) -> str:
    text = text.strip()
    return text[:1].upper() + text[1:] + ("" if text.endswith((".", "!", "?")) else ".")


def _upload_name(name: str) -> str:
    """The original file name, reduced to a safe single path component."""
    name = re.sub(r"[\x00-\x1f/\\]", "_", Path(name).name).strip()
    return "" if name in ("", ".", "..") or name.startswith(".") else name


def _result_row(name: str, report) -> list:
    errors = "; ".join(e.reason + (f" (line {e.line})" if e.line else "") for e in report.errors)
    articles = f"{report.articles} articles" if report.articles != 1 else "1 article"
    if report.chunks_added:
        result, chunks, detail = "added", report.chunks_added + report.chunks_replaced, f"{articles} added"
    elif report.chunks_replaced:
        result, chunks, detail = "updated", report.chunks_replaced, f"{articles}: the stored version was replaced"
    elif report.chunks_skipped:
        result, chunks, detail = "skipped", report.chunks_skipped, f"{articles}: already ingested and unchanged"
    else:
        return [name, "error", 0, errors or "nothing to ingest"]
    return [name, result, chunks, detail + (f"; errors: {errors}" if errors else "")]


# --- the Blocks ----------------------------------------------------------------------
def build_app(settings: Settings, bot: "QABot | None" = None) -> "gr.Blocks":
    """The whole UI as a gr.Blocks with its queue configured (not launched)."""
    import gradio as gr

    from qa_bot.llm import describe

    app = QAApp(settings, bot)
    no_llm = settings.llm_backend == "none"
    with gr.Blocks(title="qa-bot", analytics_enabled=False) as demo:
        conv = gr.State(None)
        gr.Markdown(HEADER, elem_id="qa-header")
        with gr.Tab("Chat", id="chat"):
            # filled by the page's load event (read once at start-up it would be stale for later visitors)
            library_summary = gr.HTML("", elem_id="qa-library-summary", padding=False)
            with gr.Accordion("Settings", open=False, elem_id="qa-settings"):
                with gr.Row():
                    mode = gr.Radio(
                        MODES, value=app.default_mode(), label="Answer mode", elem_id="qa-mode",
                        interactive=not no_llm, scale=3,
                        info=("Generative needs a language model: llm_backend is 'none', so answers are "
                              "extractive (quoted sentences)." if no_llm else
                              "Generative: the model writes the answer. Extractive: the best source sentences "
                              "(fast, no model)."),
                    )
                    k = gr.Slider(1, 10, value=min(max(settings.k, 1), 10), step=1, label="Sources to retrieve (k)",
                                  elem_id="qa-k", scale=2)
                with gr.Row():
                    publisher = gr.Dropdown([("Any publisher", "")], value="", label="Publisher",
                                            allow_custom_value=True, elem_id="qa-publisher", scale=2)
                    date_from = gr.Textbox("", label="Date from", placeholder="YYYY or YYYY-MM-DD",
                                           elem_id="qa-date-from", scale=1)
                    date_to = gr.Textbox("", label="Date to", placeholder="YYYY or YYYY-MM-DD",
                                         elem_id="qa-date-to", scale=1)
                gr.Textbox(describe(settings), label="Language model", interactive=False, elem_id="qa-backend")
            with gr.Row(equal_height=False):
                with gr.Column(scale=3, min_width=320):
                    chatbot = gr.Chatbot(
                        label="Conversation", elem_id="qa-chat", height=520, render_markdown=False,
                        sanitize_html=True, latex_delimiters=[], allow_tags=False, feedback_options=None,
                        buttons=[], placeholder="Ask a question about the ingested articles.",
                    )
                    with gr.Row():
                        question = gr.Textbox(placeholder="Ask about the articles…", label="Question", show_label=False,
                                              scale=5, elem_id="qa-question", max_lines=6, submit_btn=False,
                                              autofocus=True)
                        send = gr.Button("Send", variant="primary", scale=1, min_width=80, elem_id="qa-send")
                    with gr.Row():
                        new_chat = gr.Button("New conversation", size="sm", elem_id="qa-new")
                with gr.Column(scale=2, min_width=300):
                    sources = gr.HTML(render.empty_sources(), label="Sources", elem_id="qa-sources", js_on_load=None,
                                      padding=True)
            with gr.Row(elem_id="qa-examples"):
                examples_label = gr.Markdown("Example questions, each answered from this library with a verified "
                                             "citation:", visible=False, elem_id="qa-examples-label")
                example_buttons = [gr.Button("", visible=False, size="sm", elem_id=f"qa-example-{i}",
                                             elem_classes=["qa-example"]) for i in range(max(settings.ui_examples, 0))]
            library_timer = gr.Timer(LIBRARY_POLL_S, active=True)

        with gr.Tab("Articles", id="articles"):
            gr.Markdown(f"Add articles ({' '.join(render.UPLOAD_KINDS)}; up to {settings.ui_max_upload_mb:g} MB each). "
                        "The file name becomes the article id: uploading a file with the same name replaces it.")
            files = gr.File(file_count="multiple", file_types=list(render.UPLOAD_KINDS), type="filepath",
                            label="Files to ingest", elem_id="qa-upload")
            ingest_btn = gr.Button("Ingest", variant="primary", elem_id="qa-ingest")
            results = gr.Dataframe(headers=render.RESULT_HEADERS, datatype=["str", "str", "number", "str"],
                                   value=None, interactive=False, label="Ingestion results", elem_id="qa-results",
                                   wrap=True, column_widths=["30%", "12%", "10%", "48%"])
            gr.Markdown("### Library")
            library = gr.Dataframe(headers=render.LIBRARY_HEADERS, datatype=["str", "str", "str", "str", "number"],
                                   interactive=False, label="Ingested articles (click a row to select it)",
                                   elem_id="qa-library", wrap=True, column_widths=["24%", "42%", "16%", "10%", "8%"])
            with gr.Row():
                chosen = gr.Dropdown([], label="Article", allow_custom_value=False, elem_id="qa-delete-choice",
                                     scale=3)
                refresh = gr.Button("Refresh", elem_id="qa-refresh", scale=1)
                delete = gr.Button("Delete article", variant="stop", elem_id="qa-delete", scale=1)
            library_note = gr.Markdown("", elem_id="qa-library-note")

        # --- events -------------------------------------------------------------------
        chat_event = gr.on(
            [question.submit, send.click], app.chat,
            inputs=[question, mode, k, publisher, date_from, date_to, conv],
            outputs=[chatbot, sources, question, conv],
            api_name="chat", concurrency_id="answer", concurrency_limit=max(1, settings.ui_concurrency),
            show_progress="minimal",
        )
        new_chat.click(app.new_conversation, None, [chatbot, sources, question, conv], queue=False,
                       cancels=[chat_event], api_visibility="private")
        chatbot.clear(app.new_conversation, None, [chatbot, sources, question, conv], queue=False,
                      cancels=[chat_event], api_visibility="private")
        # Gradio limits a concurrency group by its lowest limit: /ask must name the same one as /chat
        gr.api(_typed_ask(app), api_name="ask", concurrency_id="answer",
               concurrency_limit=max(1, settings.ui_concurrency))

        def library_outputs(note: str = ""):
            rows = app.library()
            sources_list = [a["source"] for a in rows]
            return (render.library_rows(rows), gr.update(choices=[("Any publisher", "")] + app.publishers(rows)),
                    gr.update(choices=sources_list, value=None), note)

        library_targets = [library, publisher, chosen, library_note]

        def chat_library_outputs():
            html, questions, again = app.library_view()
            buttons = [gr.update(value=questions[i], visible=True) if i < len(questions) else
                       gr.update(value="", visible=False) for i in range(len(example_buttons))]
            return (html, gr.update(visible=bool(questions)), *buttons, gr.Timer(active=again))

        chat_library_targets = [library_summary, examples_label, *example_buttons, library_timer]
        library_timer.tick(chat_library_outputs, None, chat_library_targets, concurrency_id="library",
                           concurrency_limit=4, api_visibility="private", show_progress="hidden")
        for button in example_buttons:  # clicking an example asks it
            button.click(lambda text: text, [button], [question], queue=False, api_visibility="private").then(
                app.chat, inputs=[question, mode, k, publisher, date_from, date_to, conv],
                outputs=[chatbot, sources, question, conv], concurrency_id="answer",
                concurrency_limit=max(1, settings.ui_concurrency), show_progress="minimal", api_visibility="private")

        def do_ingest(paths, progress=gr.Progress()):
            if not paths:
                return (gr.update(), *library_outputs("Choose files to upload first."), gr.update())
            rows = app.ingest_files(paths, progress)
            ok = sum(1 for r in rows if r[1] in ("added", "updated", "skipped"))
            return (rows, *library_outputs(f"Ingested {ok} of {len(rows)} files."), None)

        ingest_btn.click(do_ingest, [files], [results, *library_targets, files], concurrency_id="ingest",
                         concurrency_limit=1, api_visibility="private")
        # the chat tab shows the ingest's progress, then the new library and its examples
        ingest_btn.click(lambda: gr.Timer(active=True), None, [library_timer], queue=False, api_visibility="private")
        refresh.click(lambda: library_outputs(), None, library_targets, concurrency_id="library",
                      concurrency_limit=4, api_visibility="private")
        delete.click(lambda s: library_outputs(app.delete(s)), [chosen], library_targets, concurrency_id="ingest",
                     concurrency_limit=1, api_visibility="private").then(
            chat_library_outputs, None, chat_library_targets, queue=False, api_visibility="private")

        def pick_row(evt):
            row = evt.row_value or []
            return gr.update(value=row[0]) if row else gr.update()

        pick_row.__annotations__ = {"evt": gr.SelectData}  # resolved here: gradio is imported lazily

        library.select(pick_row, None, [chosen], queue=False, api_visibility="private")
        demo.load(lambda: library_outputs(), None, library_targets, concurrency_id="library",
                  concurrency_limit=4, api_visibility="private")
        demo.load(chat_library_outputs, None, chat_library_targets, concurrency_id="library",
                  concurrency_limit=4, api_visibility="private")

    demo.queue(default_concurrency_limit=max(1, settings.llm_concurrency), max_size=256)
    demo.qa_app = app  # for tests and benchmarks
    return demo


def _typed_ask(app: QAApp):
    """The /ask endpoint, with the type hints gr.api derives its signature from."""

    def ask(question: str, history_json: str = "[]", mode: str = "", k: int = 0, publisher: str = "",
            date_from: str = "", date_to: str = "") -> dict:
        """Answer a question about the ingested articles; returns the Answer (with citations) as a dict.

        Args:
            question: the question.
            history_json: earlier turns as JSON, [[question, answer], ...] or [{"role", "content"}, ...].
            mode: "generative" or "extractive" ("" = the server's default).
            k: chunks to retrieve, 1-10 (0 = the server's default).
            publisher: only articles from this publisher ("" = any).
            date_from: only articles published on/after YYYY[-MM[-DD]] ("" = no limit).
            date_to: only articles published on/before YYYY[-MM[-DD]] ("" = no limit).
        """
        return app.ask(question, history_json, mode, k, publisher, date_from, date_to)

    return ask


def launch_kwargs(settings: Settings) -> dict[str, Any]:
    """Everything ``demo.launch`` needs besides the app: address, auth, look, limits; never a share link."""
    import gradio as gr

    fonts = ["ui-sans-serif", "system-ui", "Segoe UI", "Roboto", "Helvetica", "Arial", "sans-serif"]
    mono = ["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"]
    return dict(
        server_name=settings.ui_host,
        server_port=settings.ui_port,
        auth=parse_auth(settings.ui_auth),
        share=False,
        css=render.APP_CSS,
        theme=gr.themes.Default(font=fonts, font_mono=mono),
        # a hard ceiling; files between ui_max_upload_mb and this get a per-file "too large" row
        max_file_size=f"{max(4 * settings.ui_max_upload_mb, 50):g}mb",
        footer_links=["api", "settings"],
        ssr_mode=False,
        pwa=False,
        mcp_server=False,
        enable_monitoring=False,
        show_error=False,
        inbrowser=False,
        quiet=True,
    )


def launch(settings: Settings, bot: "QABot | None" = None, block: bool = True) -> "gr.Blocks":
    """Serve the UI (blocking unless ``block=False``, which returns the running app)."""
    from qa_bot.runtime import configure_offline_runtime

    configure_offline_runtime(settings)
    demo = build_app(settings, bot)
    threading.Thread(target=demo.qa_app.warm_up, name="warm-up", daemon=True).start()
    kwargs = launch_kwargs(settings)
    _, local_url, _ = demo.launch(prevent_thread_lock=True, **kwargs)
    print(f"qa-bot UI: {local_url}" + (" (basic auth on)" if kwargs["auth"] else ""), flush=True)
    if block:
        try:
            demo.block_thread()
        finally:
            demo.close()
    return demo
