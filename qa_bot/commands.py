"""What each ``qa-bot`` subcommand does; the parser lives in :mod:`qa_bot.cli`."""

from __future__ import annotations

import argparse
import json
import sys

from qa_bot.components import Components
from qa_bot.library import summarize
from qa_bot.settings import Settings


class UserError(Exception):
    """A problem the user can fix; printed without a traceback."""


def _print_json(obj: object) -> None:
    print(json.dumps(obj, ensure_ascii=False, indent=2, default=str))


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    components = Components(settings)
    report = components.ingestor.ingest(args.paths, metadata_path=args.metadata, prune=args.prune, progress=not args.quiet)
    if args.json:
        _print_json(report.to_dict())
    else:
        print(report.summary())
    return 0 if report.articles or not report.errors else 1


def filters_from_args(args: argparse.Namespace):
    """Search filters from --publisher/--source/--since/--until."""
    from vectorstore.retrieval import SearchFilters

    try:
        return SearchFilters(publisher=args.publisher, sources=args.sources, date_from=args.since, date_to=args.until)
    except ValueError as exc:
        raise UserError(str(exc)) from None


def cmd_search(args: argparse.Namespace, settings: Settings) -> int:
    components = Components(settings)
    results = components.retriever.search(args.query, k=args.k, filters=filters_from_args(args), method=args.method)
    if args.json:
        _print_json([r.to_dict() for r in results])
        return 0
    if not results:
        print("no results (is the store empty? run: qa-bot ingest data/articles)")
    for rank, r in enumerate(results, start=1):
        c = r.chunk
        print(f"{rank}. [{r.score:.4f}] {c.source_id}  {c.title!r}  {c.publisher or '-'}  {c.published_at or 'undated'}  chars {c.start}-{c.end}")
        print("   " + c.text[:300].replace("\n", " ") + ("..." if len(c.text) > 300 else ""))
    return 0


def cmd_reindex(args: argparse.Namespace, settings: Settings) -> int:
    from vectorstore.bm25 import KeywordIndexBusy

    components = Components(settings)
    try:
        done = components.store.rebuild_keyword_index()
    except KeywordIndexBusy as exc:
        raise UserError(f"{exc}; run reindex when that ingest has finished") from None
    print(f"{done.message()} -> {components.store.keyword.path}")
    return 0


def cmd_stats(args: argparse.Namespace, settings: Settings) -> int:
    components = Components(settings)
    articles = components.store.articles()
    summary = summarize(articles)  # the same figures the chat shows beside itself
    info = {
        "store": str(settings.store_path) if settings.store_mode == "embedded" else f"http://{settings.store_host}:{settings.store_port}",
        "collection": settings.collection,
        **summary.to_dict(),
        "chunks": components.store.count(),
        "list": articles,
    }
    if args.json:
        _print_json(info)
        return 0
    print(f"store: {info['store']} (collection {info['collection']})")
    print(f"articles: {info['articles']}  chunks: {info['chunks']}  dates: {info['dates'][0] or '?'} .. {info['dates'][1] or '?'}")
    for a in articles:
        print(f"  {a['source']}  {a['chunks']:>3} chunks  {a['published_at'] or 'undated':<10}  {a['publisher'] or '-':<20}  {a['title'][:70]}")
    return 0


SECRETS = ("store_token", "openai_api_key", "embedding_api_key", "ui_auth")


def cmd_config(args: argparse.Namespace, settings: Settings) -> int:
    """The settings in effect, so a user sees what the environment, file and profile added up to."""
    from qa_bot.settings_groups import to_toml

    values = settings.model_dump(mode="json")
    for name in SECRETS:
        if values.get(name) not in (None, "", "not-needed"):
            values[name] = "***"
    if args.json:
        _print_json(values)
    else:
        print(to_toml(values), end="")
    return 0


def cmd_setup_model(args: argparse.Namespace, settings: Settings) -> int:
    from qa_bot.models import ModelUnavailable, assemble_model

    try:
        path = assemble_model(settings, args.model)
    except ModelUnavailable as exc:
        raise UserError(str(exc)) from None
    print(f"model ready: {path}")
    return 0


def _make_bot(settings: Settings):
    from qa_bot.pipeline import QABot

    return QABot(settings)


def _require_articles(bot) -> None:
    if bot.components.store.count() == 0:
        raise UserError("the store is empty: ingest articles first, e.g. `qa-bot ingest data/articles`")


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    from qa_bot.pipeline import QuestionError

    bot = _make_bot(settings)
    _require_articles(bot)
    try:
        events = bot.ask_stream(args.question, mode=args.mode, k=args.k, filters=filters_from_args(args))
        answer = _consume(events, stream=not args.json)
    except QuestionError as exc:
        raise UserError(str(exc)) from None
    if args.json:
        _print_json(_answer_json(answer))
    else:
        print_answer(answer)
    return 0


def _answer_json(answer) -> dict:
    data = answer.to_dict()
    for row in data["retrieved"]:
        row.pop("text", None)
    return data


def _consume(events, stream: bool):
    """Run a streamed answer; show status, the sources being read and tokens on stderr when streaming."""
    answer = None
    streamed = False
    for event in events:
        if event.kind == "status" and stream and event.text:
            print(f"… {event.text}", file=sys.stderr, flush=True)
        elif event.kind == "searched" and stream:
            print(f"Searched: {event.text}", file=sys.stderr, flush=True)
        elif event.kind == "sources" and stream:
            print("Reading:", file=sys.stderr)
            for c in event.sources:
                print(f"  [{c.n}] {c.title} — {c.publisher or '?'}, {c.published_at or 'undated'} — {c.source}",
                      file=sys.stderr, flush=True)
        elif event.kind == "token" and stream:
            print(event.text, end="", file=sys.stderr, flush=True)
            streamed = True
        elif event.kind == "answer":
            answer = event.answer
    if streamed:
        print("\n", file=sys.stderr)
    return answer


def print_answer(answer) -> None:
    """The verified answer with its sources, for a terminal; a rewritten follow-up says what was searched."""
    if answer.standalone_question and answer.standalone_question != answer.question:
        print(f"Searched: {answer.standalone_question}")
    print(answer.answer)
    print()
    if answer.refused:
        if answer.closest_sources:
            print("Closest sources (they do NOT support an answer):")
            for c in answer.closest_sources:
                print(f"  - {c.source}: {c.title} ({c.publisher or '?'}, {c.published_at or 'undated'})")
    else:
        print("Sources:")
        for c in answer.citations:
            status = (c.level or "verified") if c.verified else "NOT verified"
            status = "partly supported: check the passage" if status == "partly supported" else status
            print(f"  [{c.n}] {c.title} — {c.publisher or '?'}, {c.published_at or 'undated'} — {c.source} chars {c.start}-{c.end} ({status})")
            quote = c.highlight or c.snippet[:200]
            print(f"      “{quote.strip()}”")
    ttft = f", first token {answer.ttft_s:.1f}s" if answer.ttft_s is not None else ""
    print(f"\n({answer.mode}, {answer.latency_s:.1f}s{ttft})")


def cmd_chat(args: argparse.Namespace, settings: Settings) -> int:
    from qa_bot.pipeline import QuestionError

    bot = _make_bot(settings)
    _require_articles(bot)
    history: list[tuple[str, str]] = []
    print("Ask about the articles. Commands: /new (new conversation), /quit.")
    while True:
        try:
            question = input("\nyou> ").strip()
        except EOFError:
            print()
            return 0
        if question in ("/quit", "/exit"):
            return 0
        if question == "/new":
            history.clear()
            print("(new conversation)")
            continue
        if not question:
            continue
        try:
            answer = _consume(bot.ask_stream(question, history, mode=args.mode), stream=True)
        except QuestionError as exc:
            print(f"qa-bot: {exc}")
            continue
        print_answer(answer)
        history.append((question, answer.answer))


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    from qa_bot.evaluation.cli import run

    return run(args, settings, lambda s=settings: _make_bot(s))


def cmd_ui(args: argparse.Namespace, settings: Settings) -> int:
    from ui.app import launch

    changes = {"ui_host": args.host, "ui_port": args.port}
    settings = settings.with_overrides(**changes)
    if args.host and args.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"warning: binding to {args.host} exposes the chat to your network", file=sys.stderr)
    if args.ingest:
        components = Components(settings)
        if components.store.count() == 0:
            meta = settings.articles_metadata if settings.articles_metadata and settings.articles_metadata.is_file() else None
            print(components.ingestor.ingest([settings.articles_dir], metadata_path=meta, progress=True).summary())
    launch(settings)
    return 0


def cmd_check_claims(args: argparse.Namespace, settings: Settings) -> int:
    """Score each claim against its source with the same verifier the answers use."""
    from pathlib import Path

    from tqdm import tqdm

    from qa_bot.checking.claims import check_claims, read_claims, split_source

    path = Path(args.pairs)
    if not path.is_file():
        raise UserError(f"no such file: {path}")
    claims, errors = read_claims(path)
    for error in errors:
        print(f"skipped {error}", file=sys.stderr)
    components = Components(settings.with_overrides(verifier=args.verifier))
    verifier = components.verifier
    if components.verifier_notice:
        print(components.verifier_notice, file=sys.stderr)
    count = components.embedder.tokenizer_counter()

    def split(text: str) -> list[str]:
        return split_source(text, count, settings.chunk_tokens, settings.chunk_overlap_tokens)

    verdicts = check_claims(claims, split, verifier.score_texts, verifier.threshold)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    supported = 0
    with out.open("w", encoding="utf-8") as f:
        for verdict in tqdm(verdicts, total=len(claims), unit="claim", disable=args.quiet or len(claims) < 20):
            supported += verdict.supported
            f.write(json.dumps(verdict.to_dict(), ensure_ascii=False) + "\n")
    print(f"{len(claims)} claims checked by the {verifier.name} verifier (threshold {verifier.threshold:.3f}): "
          f"{supported} supported, {len(claims) - supported} not; {len(errors)} bad lines skipped -> {out}")
    return 0 if claims or not errors else 1
