"""`rag index info`: the manifest summary of the index, as JSON."""

from __future__ import annotations

import argparse

from rag.settings import Settings

from .common import embedders_flag, index_flag, print_json

NAME = "info"
HELP = "Show the manifest summary of the index."
EXAMPLE = "rag index info --index index"


def add_arguments(p: argparse.ArgumentParser) -> None:
    index_flag(p)
    embedders_flag(p, "comma-separated embedders the index must match")


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Print the summary of the index that settings name (local files, or Qdrant's live version with RAG_STORE=qdrant) (refusing a mismatch, as loading does)."""
    from rag.indexing.backend import open_index

    print_json(open_index(settings).summary())
    return 0
