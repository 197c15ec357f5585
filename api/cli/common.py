"""What every subcommand shares: the parser class, how a subcommand is added, flags → Settings, JSON output."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from rag.settings import Settings

# flag dest → Settings field, for whichever of these flags a subcommand has
SETTING_FLAGS = {
    "seeds": "seeds_dir", "index": "index_dir", "chunk_max_tokens": "chunk_max_tokens",
    "chunk_overlap": "chunk_overlap", "host": "host", "port": "port", "embedders": "embedders",
    "faiss": "faiss_kind",
}


class UsageError(Exception):
    """Bad command-line usage (exit code 2)."""


class Parser(argparse.ArgumentParser):
    """An ArgumentParser that raises UsageError instead of exiting, so that main keeps one exit path."""

    def error(self, message: str) -> None:
        raise UsageError(f"{self.prog}: {message}")


def add_command(subs: argparse._SubParsersAction, command: ModuleType) -> argparse.ArgumentParser:
    """Add a subcommand module (NAME, HELP, EXAMPLE, add_arguments, run) with its example as the help's epilog."""
    p = subs.add_parser(command.NAME, help=command.HELP, description=command.HELP,
                        epilog=f"example:\n  {command.EXAMPLE}", formatter_class=argparse.RawDescriptionHelpFormatter)
    command.add_arguments(p)
    p.set_defaults(handler=command.run)
    return p


def add_group(subs: argparse._SubParsersAction, name: str, help_: str,
              commands: tuple[ModuleType, ...]) -> argparse.ArgumentParser:
    """A subcommand with subcommands of its own (`rag index build`); its help lists their examples."""
    examples = "\n".join(f"  {c.EXAMPLE}" for c in commands)
    p = subs.add_parser(name, help=help_, description=help_, epilog=f"examples:\n{examples}",
                        formatter_class=argparse.RawDescriptionHelpFormatter)
    inner = p.add_subparsers(dest=f"{name}_command", required=True, parser_class=Parser)
    for c in commands:
        add_command(inner, c)
    return p


def chunk_flags(p: argparse.ArgumentParser) -> None:
    """--max-tokens and --overlap: the chunker's parameters."""
    p.add_argument("--max-tokens", type=int, dest="chunk_max_tokens", help="passage budget in cl100k tokens")
    p.add_argument("--overlap", type=int, dest="chunk_overlap", help="sentences shared by consecutive passages")


def settings_from(args: argparse.Namespace) -> Settings:
    """Settings from env, overridden by whichever flags this subcommand has (Settings parses "e5,use")."""
    overrides = {dst: getattr(args, src) for src, dst in SETTING_FLAGS.items() if getattr(args, src, None) is not None}
    return Settings.from_env(**overrides)


def print_json(obj: Any) -> None:
    """One JSON document on one line of stdout."""
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")


def seeds_flag(p: argparse.ArgumentParser, help_: str = "seeds directory (default: seeds/)") -> None:
    p.add_argument("--seeds", type=Path, help=help_)


def index_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument("--index", type=Path, help="index directory (default: index/)")


def question_flags(p: argparse.ArgumentParser) -> None:
    """The question and how many passages to use (search, ask)."""
    p.add_argument("question")
    p.add_argument("--top-k", type=int, default=5)


def embedders_flag(p: argparse.ArgumentParser, help_: str = "comma-separated embedders (must match the index)") -> None:
    p.add_argument("--embedders", help=help_)


def refuse_memory_store(settings: Settings, command: str) -> None:
    """A command that publishes into Qdrant's `:memory:` local mode publishes into its own memory, which is gone when
    it exits: it reported success for a store no later command could read."""
    from rag.errors import ConfigError
    from rag.indexing import backend

    if backend.store(settings).in_process(settings):  # the message names Qdrant's :memory:, the only such store
        raise ConfigError(f"{command}: RAG_QDRANT_PATH=:memory: keeps Qdrant in this command's own memory, gone when "
                          "it exits; name a folder (RAG_QDRANT_PATH) or a server (RAG_QDRANT_URL). `rag serve` "
                          "serves :memory: for trying it out")
