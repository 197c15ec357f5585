"""The `rag` command, the composition root: the one package that imports `rag`, `api` and `eval` together.

Each subcommand is a module here (NAME, HELP, EXAMPLE, add_arguments, run); a new one is a module plus an entry in
COMMANDS, or in INDEX_COMMANDS for `rag index <name>`. Exit codes: 0 success, 1 domain error, 2 usage error.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from rag.errors import ConfigError, RagError

from ..logtext import OneLineFormatter
from . import ask, chunks, evaluate, index_build, index_info, index_push, search, serve
from .common import Parser, UsageError, add_command, add_group, settings_from

COMMANDS = (chunks, search, ask, serve, evaluate)
INDEX_COMMANDS = (index_build, index_info, index_push)


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser (also used by tests)."""
    p = Parser(prog="rag", description="Cross-lingual question answering over news articles.")
    p.add_argument("-v", "--verbose", action="count", default=0, help="more logging (-vv for debug)")
    subs = p.add_subparsers(dest="command", required=True, parser_class=Parser)
    add_command(subs, chunks)
    add_group(subs, "index", "Build or inspect the index.", INDEX_COMMANDS)
    for command in COMMANDS[1:]:
        add_command(subs, command)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: parse, configure logging, dispatch, map errors to exit codes."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except UsageError as exc:
        print(f"{exc}\nTry 'rag --help'.", file=sys.stderr)
        return 2
    except SystemExit as exc:  # --help
        return int(exc.code or 0)
    level = logging.WARNING - 10 * min(args.verbose, 2)
    handler = logging.StreamHandler(sys.stderr)
    # one line a record: a client's path in a server's log line cannot start a line of its own (api/logtext.py)
    handler.setFormatter(OneLineFormatter("%(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=level, handlers=[handler])
    try:
        settings = settings_from(args)
        return int(args.handler(args, settings) or 0)
    except ConfigError as exc:
        print(f"rag: configuration error: {exc}", file=sys.stderr)
        return 2
    except RagError as exc:
        print(f"rag: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("rag: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except OSError as exc:  # a file the index or the seeds need that cannot be read or written: say which, and why
        where = f" {exc.filename!r}" if exc.filename else ""
        print(f"rag: error: cannot use{where}: {exc.strerror or exc}; check its permissions and the disk",
              file=sys.stderr)
        return 1


__all__ = ["build_parser", "main"]
