"""What each ``qa-bot`` subcommand does; the parser lives in :mod:`qa_bot.cli`."""

from __future__ import annotations

import argparse
import json
import sys

from qa_bot.components import Components
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


def cmd_search(args: argparse.Namespace, settings: Settings) -> int:
    from qa_bot.filters import filters_from_args

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


def cmd_stats(args: argparse.Namespace, settings: Settings) -> int:
    components = Components(settings)
    articles = components.store.articles()
    info = {
        "store": str(settings.store_path) if settings.store_mode == "embedded" else f"http://{settings.store_host}:{settings.store_port}",
        "collection": settings.collection,
        "articles": len(articles),
        "chunks": components.store.count(),
        "publishers": sorted({a["publisher"] for a in articles if a["publisher"]}),
        "dates": [min((a["published_at"] for a in articles if a["published_at"]), default=""),
                  max((a["published_at"] for a in articles if a["published_at"]), default="")],
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
