"""Subcommands beyond `chunks`: index build/info, search, ask, serve, eval (registered into the `rag` parser).

The CLI is the composition root: it is the one place allowed to import `api` and `eval` (lazily, per command).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

from .settings import Settings

WATCH_SECONDS = 5.0  # `rag serve --watch` without a value


def register(subs: argparse._SubParsersAction, sub: Callable, chunk_flags: Callable) -> None:
    """Add the subcommands to the parser."""
    from . import cli

    subs.choices["chunks"].set_defaults(handler=cli.cmd_chunks)

    idx = sub(subs, "index", "Build or inspect the index.")
    isubs = idx.add_subparsers(dest="index_command", required=True, parser_class=type(idx))
    b = sub(isubs, "build", "Build or incrementally update the index from the seeds.", key="index build")
    b.add_argument("--seeds", type=Path, help="seeds directory (default: seeds/)")
    b.add_argument("--index", type=Path, help="index directory (default: index/)")
    b.add_argument("--full", action="store_true", help="re-embed everything instead of reusing stored vectors")
    b.add_argument("--embedders", help="comma-separated: e5,use,st:<hub id or path> (default: e5,use)")
    b.add_argument("--faiss", choices=["auto", "flat", "hnsw", "ivf"], help="FAISS index kind (default: auto, exact below RAG_ANN_THRESHOLD passages)")
    b.add_argument("--json", action="store_true", help="print one JSON object with the counts")
    chunk_flags(b)
    b.set_defaults(handler=cmd_index_build)
    info = sub(isubs, "info", "Show the manifest summary of the index.", key="index build")
    info.add_argument("--index", type=Path, help="index directory (default: index/)")
    info.add_argument("--embedders", help="comma-separated embedders the index must match")
    info.set_defaults(handler=cmd_index_info)

    s = sub(subs, "search", "Rank passages for a question.")
    s.add_argument("question")
    s.add_argument("--top-k", type=int, default=5)
    s.add_argument("--mode", help="hybrid (default), bm25, or an embedder name such as e5, use")
    s.add_argument("--index", type=Path, help="index directory (default: index/)")
    s.add_argument("--embedders", help="comma-separated embedders (must match the index)")
    s.add_argument("--doc", action="append", dest="doc_ids", help="restrict to a doc_id (repeatable)")
    s.add_argument("--from", dest="published_from", help="published on or after YYYY-MM-DD")
    s.add_argument("--to", dest="published_to", help="published on or before YYYY-MM-DD")
    s.add_argument("--json", action="store_true", help="print the /v1/search response body")
    s.set_defaults(handler=cmd_search)

    a = sub(subs, "ask", "Answer a question with cited passages.")
    a.add_argument("question")
    a.add_argument("--top-k", type=int, default=5)
    a.add_argument("--index", type=Path, help="index directory (default: index/)")
    a.add_argument("--embedders", help="comma-separated embedders (must match the index)")
    a.add_argument("--json", action="store_true", help="print the /v1/ask response body")
    a.set_defaults(handler=cmd_ask)

    v = sub(subs, "serve", "Serve the HTTP API (builds the index first if it is missing).")
    v.add_argument("--host")
    v.add_argument("--port", type=int)
    v.add_argument("--seeds", type=Path, help="seeds directory (default: seeds/)")
    v.add_argument("--index", type=Path, help="index directory (default: index/)")
    v.add_argument("--embedders", help="comma-separated embedders (default: e5,use)")
    v.add_argument("--watch", nargs="?", type=float, const=WATCH_SECONDS, metavar="SECONDS",
                   help=f"poll the seeds directory every SECONDS (default {WATCH_SECONDS:g}) and rebuild the index "
                        "in the background once changes settle (same as RAG_WATCH_SECONDS)")
    v.set_defaults(handler=cmd_serve)

    e = sub(subs, "eval", "Score retrieval on a question set.")
    e.add_argument("--questions", type=Path, required=True, action="append", help="question-set JSONL (repeatable)")
    e.add_argument("--index", type=Path, help="index directory (default: index/)")
    e.add_argument("--seeds", type=Path, help="seeds directory holding the raw files quotes refer to (default: seeds/)")
    e.add_argument("--embedders", help="comma-separated embedders (must match the index)")
    e.add_argument("--modes", default=None, help="comma-separated modes (default: hybrid,e5,use,bm25)")
    e.add_argument("--k", default="1,5,10", help="cut-offs for recall@k (default: 1,5,10)")
    e.add_argument("--url", help="score a running service's /v1/search instead of the in-process pipeline")
    e.add_argument("--answers", action="store_true", help="also ask each question (/v1/ask with --url) and score "
                   "answer_evidence and answer_cited")
    e.add_argument("--json", action="store_true", help="print one JSON object: mode → all/en/ja → metric")
    e.add_argument("--out", type=Path, help="write TREC runs, qrels, report.md and a recall@k plot here")
    e.set_defaults(handler=cmd_eval)


def _print_json(obj) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")


def cmd_index_build(args: argparse.Namespace, settings: Settings) -> int:
    from .runtime import build

    report = build(settings, full=args.full)
    if args.json:
        _print_json(report.as_json())
        return 0
    r = report
    print(f"index {r.index_version} at {settings.index_dir}: {r.passages} passages from {r.documents} documents "
          f"({r.articles} articles) in {r.seconds:.1f}s")
    print(f"  added {r.added}, changed {r.changed}, removed {r.removed}, unchanged {r.unchanged}; "
          f"embedded {r.embedded}")
    for w in r.warnings:
        print(f"  warning: {w}")
    return 0


def cmd_index_info(args: argparse.Namespace, settings: Settings) -> int:
    from .indexing.load import load_index

    _print_json(load_index(settings.index_dir, settings.embedders).summary())
    return 0


def cmd_search(args: argparse.Namespace, settings: Settings) -> int:
    from .retrieval import Filters
    from api.wire import result_json  # the CLI is the composition root
    from .runtime import open_searcher

    searcher = open_searcher(settings)
    filters = Filters(tuple(args.doc_ids) if args.doc_ids else None, args.published_from, args.published_to)
    result = searcher.search(args.question, args.top_k, args.mode, filters)
    if args.json:
        _print_json(result_json(result))
        return 0
    print(f"{result.mode} ({result.lang}) in {result.took_ms:.1f} ms, index {result.index_version}")
    for h in result.hits:
        c = h.citation
        text = " ".join(h.passage.text.split())
        print(f"{h.rank:>2}. [{h.score:.4f}] {c.title} — {c.source_file}[{c.start}:{c.end}]")
        print(f"    {text[:200]}{'…' if len(text) > 200 else ''}")
    return 0


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    from .answers import answer_question
    from .runtime import open_searcher

    searcher = open_searcher(settings)
    reply = answer_question(searcher, args.question, args.top_k, settings)
    if args.json:
        from api.wire import answer_json

        _print_json(answer_json(reply))
        return 0
    print(reply.answer)
    print()
    for n, c in enumerate(reply.citations, start=1):
        print(f"[{n}] {c.title} — {c.source_file}[{c.start}:{c.end}]{'  ' + c.url if c.url else ''}")
    return 0


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from api.server import serve  # the CLI is the composition root

    if args.watch is not None:
        settings = settings.replace(watch_seconds=args.watch)
    return serve(settings)


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    from eval.cli import run  # the CLI is the composition root

    return run(args, settings)
