"""`rag serve`: the HTTP API (building the index first if it is missing)."""

from __future__ import annotations

import argparse

from rag.settings import Settings

from .common import embedders_flag, index_flag, seeds_flag

NAME = "serve"
HELP = "Serve the HTTP API (builds the index first if it is missing)."
EXAMPLE = "rag serve --host 127.0.0.1 --port 8000"
WATCH_SECONDS = 5.0  # `rag serve --watch` without a value


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    seeds_flag(p)
    index_flag(p)
    embedders_flag(p, "comma-separated embedders (default: e5,use)")
    p.add_argument("--watch", nargs="?", type=float, const=WATCH_SECONDS, metavar="SECONDS",
                   help=f"poll the seeds directory every SECONDS (default {WATCH_SECONDS:g}) and rebuild the index "
                        "in the background once changes settle (same as RAG_WATCH_SECONDS)")


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Serve until interrupted."""
    import faulthandler

    from ..server import serve  # Litestar and uvicorn load only for this subcommand

    # a fatal signal (SIGBUS when a memory-mapped file of the served index is cut short under it, SIGSEGV) ends the
    # process whatever is done; it then says so, with every thread's stack, on stderr, not silently mid-request
    try:
        faulthandler.enable()
    except (AttributeError, ValueError, OSError):  # a stderr with no file descriptor (captured): none to write to
        pass

    if args.watch is not None:
        settings = settings.replace(watch_seconds=args.watch)
    return serve(settings)
