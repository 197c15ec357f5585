"""`rag index push`: publish the live local build into Qdrant as a new version (migrating a local index)."""

from __future__ import annotations

import argparse
import sys

from rag.errors import ConfigError
from rag.settings import Settings

from .common import index_flag, print_json, refuse_memory_store

NAME = "push"
HELP = "Publish the local index into Qdrant as a new version and move the alias to it (embeds nothing)."
EXAMPLE = "RAG_QDRANT_URL=http://localhost:6333 rag index push --index index --json"


def add_arguments(p: argparse.ArgumentParser) -> None:
    index_flag(p)
    p.add_argument("--url", dest="qdrant_url", help="Qdrant server or cluster (default: RAG_QDRANT_URL)")
    p.add_argument("--path", dest="qdrant_path", help="qdrant-client's local mode in this folder (RAG_QDRANT_PATH)")
    p.add_argument("--collection", dest="qdrant_collection", help="the alias to move (default: RAG_QDRANT_COLLECTION)")
    p.add_argument("--json", action="store_true", help="print one JSON object with what was written")


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Push the local build that settings.index_dir names, then print what it wrote."""
    from rag.indexing.backend import push
    from rag.qdrant.publish import layout_note
    from rag.runtime import StageProgress

    where = {k: getattr(args, k) for k in ("qdrant_url", "qdrant_path", "qdrant_collection") if getattr(args, k)}
    if "qdrant_url" in where or "qdrant_path" in where:  # a flag names the place: the other one does not apply
        where.setdefault("qdrant_url", None)
        where.setdefault("qdrant_path", None)
    if not (where.get("qdrant_url", settings.qdrant_url) or where.get("qdrant_path", settings.qdrant_path)):
        raise ConfigError("rag index push: name the Qdrant to publish to with --url/RAG_QDRANT_URL or "
                          "--path/RAG_QDRANT_PATH")
    settings = settings.replace(store="qdrant", **where)
    refuse_memory_store(settings, "rag index push")
    # what the store's publishing reports (`Store.publish`: only its `as_json` is the protocol's)
    pushed = push(settings, StageProgress(label="index push")).as_json()
    note = layout_note(pushed, settings.qdrant_shards, settings.qdrant_replicas)
    if note:
        print(f"note: {note}", file=sys.stderr)
    if args.json:
        print_json(pushed)
    elif pushed["already_live"]:
        print(f"index {pushed['index_version']} is already live in {pushed['collection']}; nothing written")
    else:
        print(f"index {pushed['index_version']} published as {pushed['collection']} ({pushed['points']} passages: "
              f"{pushed['upserted']} new or changed, {pushed['unchanged']} unchanged, {pushed['deleted']} gone) "
              f"in {pushed['seconds']:.1f}s; the alias {settings.qdrant_collection!r} now points at it")
    return 0
