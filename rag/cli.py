"""The `rag` command: thin subcommands over the core. Exit codes: 0 success, 1 domain error, 2 usage error."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

from .errors import ConfigError, RagError
from .settings import Settings

logger = logging.getLogger("rag")

EXAMPLES = {
    "chunks": "rag chunks --seeds seeds --json | head -3",
    "index build": "rag index build --seeds seeds --index index --json",
    "search": 'rag search "What did Lavrov say about an alliance with China?" --top-k 5 --json',
    "ask": 'rag ask "ラヴロフ外相は中国との同盟について何と言ったか"',
    "serve": "rag serve --host 127.0.0.1 --port 8000",
    "eval": "rag eval --questions eval/questions/team.jsonl --modes hybrid,e5,use,bm25 --json",
}


class UsageError(Exception):
    """Bad command-line usage (exit code 2)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse would exit(2) itself; keep one exit path
        raise UsageError(f"{self.prog}: {message}")


def _sub(subs: argparse._SubParsersAction, name: str, help_: str, key: str | None = None) -> argparse.ArgumentParser:
    example = EXAMPLES.get(key or name, "")
    return subs.add_parser(
        name, help=help_, description=help_, epilog=f"example:\n  {example}" if example else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser (also used by tests)."""
    p = _Parser(prog="rag", description="Cross-lingual question answering over news articles.")
    p.add_argument("-v", "--verbose", action="count", default=0, help="more logging (-vv for debug)")
    subs = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    c = _sub(subs, "chunks", "Clean the seeds and print their passages.")
    c.add_argument("--seeds", type=Path, help="seeds directory (default: seeds/)")
    c.add_argument("--json", action="store_true", help="JSON Lines, one passage per line")
    _chunk_flags(c)

    from . import cli_commands

    cli_commands.register(subs, _sub, _chunk_flags)
    return p


def _chunk_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--max-tokens", type=int, dest="chunk_max_tokens", help="passage budget in cl100k tokens")
    p.add_argument("--overlap", type=int, dest="chunk_overlap", help="sentences shared by consecutive passages")


def settings_from(args: argparse.Namespace) -> Settings:
    """Settings from env, overridden by whichever flags this subcommand has."""
    names = {
        "seeds": "seeds_dir", "index": "index_dir", "chunk_max_tokens": "chunk_max_tokens",
        "chunk_overlap": "chunk_overlap", "host": "host", "port": "port", "embedders": "embedders",
        "faiss": "faiss_kind",
    }
    if getattr(args, "embedders", None):
        args.embedders = tuple(x.strip() for x in args.embedders.split(",") if x.strip())
    overrides = {dst: getattr(args, src) for src, dst in names.items() if getattr(args, src, None) is not None}
    return Settings.from_env(**overrides)


def cmd_chunks(args: argparse.Namespace, settings: Settings) -> int:
    from .chunking import ChunkParams, chunk_corpus
    from .corpus import load_corpus

    corpus = load_corpus(settings.seeds_dir)
    passages = chunk_corpus(corpus.documents, ChunkParams(settings.chunk_max_tokens, settings.chunk_overlap))
    out = sys.stdout
    if args.json:
        for p in passages:
            out.write(json.dumps(asdict(p), ensure_ascii=False) + "\n")
        return 0
    for doc in corpus.documents:
        mine = [p for p in passages if p.doc_id == doc.doc_id]
        excluded = doc.excluded_chars()
        out.write(f"{doc.doc_id}: {len(doc.articles)} article(s), {len(mine)} passage(s), "
                  f"{sum(excluded.values())} chars excluded {dict(sorted(excluded.items()))}\n")
        for a in doc.articles:
            date = a.published or "no date"
            out.write(f"  [{a.index}] {a.title} ({date}){'  ← ' + a.url if a.url else ''}\n")
    for w in corpus.warnings:
        out.write(f"skipped {w.path}: {w.message}\n")
    out.write(f"total: {sum(len(d.articles) for d in corpus.documents)} articles, {len(passages)} passages\n")
    return 0


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
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
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


if __name__ == "__main__":
    sys.exit(main())
