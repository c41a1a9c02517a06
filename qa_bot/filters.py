"""Search filters from command-line arguments."""

from __future__ import annotations

import argparse

from vectorstore.retrieval import SearchFilters


def filters_from_args(args: argparse.Namespace) -> SearchFilters:
    return SearchFilters(
        publisher=getattr(args, "publisher", None),
        sources=getattr(args, "sources", None),
        date_from=getattr(args, "since", None),
        date_to=getattr(args, "until", None),
    )
