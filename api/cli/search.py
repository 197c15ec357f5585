"""`rag search`: rank passages for a question; `--json` prints the /v1/search body."""

from __future__ import annotations

import argparse

from rag.settings import Settings

from .common import embedders_flag, index_flag, print_json, question_flags, seeds_flag

NAME = "search"
HELP = "Rank passages for a question."
EXAMPLE = 'rag search "What did Lavrov say about an alliance with China?" --top-k 5 --json'


def add_arguments(p: argparse.ArgumentParser) -> None:
    question_flags(p)
    p.add_argument("--mode", help="hybrid (default), bm25, or an embedder name such as e5, use")
    index_flag(p)
    seeds_flag(p, "the seeds folder the index was built from, where the printed sources are (default: seeds/)")
    embedders_flag(p)
    p.add_argument("--doc", action="append", dest="doc_ids", help="restrict to a doc_id (repeatable)")
    p.add_argument("--from", dest="published_from", help="published on or after YYYY-MM-DD")
    p.add_argument("--to", dest="published_to", help="published on or before YYYY-MM-DD")
    p.add_argument("--json", action="store_true", help="print the /v1/search response body")


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Search once and print the hits (readable, or the API's JSON body), each source a path in the seeds directory."""
    from rag.retrieval import Filters
    from rag.runtime import open_searcher

    from ..wire import local_paths, result_json

    searcher = open_searcher(settings)
    filters = Filters(tuple(args.doc_ids) if args.doc_ids else None, args.published_from, args.published_to)
    result = searcher.search(args.question, args.top_k, args.mode, filters)
    if args.json:
        print_json(result_json(result, settings.seeds_dir))
        return 0
    path = local_paths(settings.seeds_dir)
    print(f"{result.mode} ({result.lang}) in {result.took_ms:.1f} ms, index {result.index_version}")
    for h in result.hits:
        c = h.citation
        text = " ".join(h.passage.text.split())
        print(f"{h.rank:>2}. [{h.score:.4f}] {c.title} — {path(c.source_file)}[{c.start}:{c.end}]")
        print(f"    {text[:200]}{'…' if len(text) > 200 else ''}")
    return 0
