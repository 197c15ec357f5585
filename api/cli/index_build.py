"""`rag index build`: build the index from the seeds, or update it incrementally."""

from __future__ import annotations

import argparse

from rag.settings import Settings

from .common import chunk_flags, embedders_flag, index_flag, print_json, refuse_memory_store, seeds_flag

NAME = "build"
HELP = "Build or incrementally update the index from the seeds."
EXAMPLE = "rag index build --seeds seeds --index index --json"


def add_arguments(p: argparse.ArgumentParser) -> None:
    seeds_flag(p)
    index_flag(p)
    p.add_argument("--full", action="store_true", help="re-embed everything instead of reusing stored vectors")
    embedders_flag(p, "comma-separated: e5,use,st:<hub id or path> (default: e5,use)")
    p.add_argument("--faiss", choices=["auto", "flat", "hnsw", "ivf"],
                   help="FAISS index kind (default: auto, exact below RAG_ANN_THRESHOLD passages)")
    p.add_argument("--json", action="store_true", help="print one JSON object with the counts")
    p.add_argument("--allow-removals", action="store_true",
                   help="let this build remove any share of the indexed documents (default: refused above "
                        "RAG_MAX_REMOVED_SHARE, 0.5, as a mistyped --seeds would)")
    chunk_flags(p)


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Build, then print the report (one JSON object, or two readable lines and the warnings)."""
    from rag.runtime import build  # loads the embedders: not before the flags are known to be good

    refuse_memory_store(settings, "rag index build")
    if args.allow_removals:
        settings = settings.replace(max_removed_share=1.0)
    report = build(settings, full=args.full)
    if args.json:
        print_json(report.as_json())
        return 0
    r = report
    print(f"index {r.index_version} at {settings.index_dir}: {r.passages} passages from {r.documents} documents "
          f"({r.articles} articles) in {r.seconds:.1f}s"
          + ("; it was up to date, and stays the live version" if r.up_to_date else ""))
    print(f"  added {r.added}, changed {r.changed}, removed {r.removed}, unchanged {r.unchanged}; "
          f"embedded {r.embedded}")
    if r.store and "qdrant" in r.store:
        q = r.store["qdrant"]
        print(f"  published to Qdrant as {q['collection']}: {q['upserted']} passages new or changed, "
              f"{q['unchanged']} unchanged, {q['deleted']} gone")
    for w in r.warnings:
        print(f"  warning: {w}")
    return 0
