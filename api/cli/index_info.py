"""`rag index info`: the manifest summary of the index, as JSON."""

from __future__ import annotations

import argparse
import sys

from rag.settings import Settings

from .common import embedders_flag, index_flag, print_json

NAME = "info"
HELP = "Show the manifest summary of the index."
EXAMPLE = "rag index info --index index"


def add_arguments(p: argparse.ArgumentParser) -> None:
    index_flag(p)
    embedders_flag(p, "comma-separated embedders the index must match")


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Print the summary of the index that settings name (local files, or Qdrant's live version with RAG_STORE=qdrant).
    An index built with other embedders than RAG_EMBEDDERS is shown, with a warning, since that is when an operator
    asks which ones it has; `--embedders` refuses a mismatch, as loading does."""
    from rag.errors import IndexMismatchError
    from rag.indexing.backend import open_index

    try:
        summary = open_index(settings).summary()
    except IndexMismatchError as exc:
        if args.embedders or not exc.built:
            raise
        summary = open_index(settings.replace(embedders=exc.built)).summary()
        print(f"warning: {exc}", file=sys.stderr)
    print_json(summary)
    return 0
