"""Subcommands beyond `chunks`: index build, search, ask, serve, eval (registered into the `rag` parser)."""

from __future__ import annotations

import argparse
from collections.abc import Callable


def register(subs: argparse._SubParsersAction, sub: Callable, chunk_flags: Callable) -> None:
    """Add the subcommands to the parser."""
    from . import cli

    subs.choices["chunks"].set_defaults(handler=cli.cmd_chunks)
