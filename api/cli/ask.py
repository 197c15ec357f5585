"""`rag ask`: answer a question with cited passages; `--json` prints the /v1/ask body."""

from __future__ import annotations

import argparse

from rag.settings import Settings

from .common import embedders_flag, index_flag, print_json, question_flags, seeds_flag

NAME = "ask"
HELP = "Answer a question with cited passages."
EXAMPLE = 'rag ask "ラヴロフ外相は中国との同盟について何と言ったか"'


def add_arguments(p: argparse.ArgumentParser) -> None:
    question_flags(p)
    index_flag(p)
    seeds_flag(p, "the seeds folder the index was built from, where the printed sources are (default: seeds/)")
    embedders_flag(p)
    p.add_argument("--json", action="store_true", help="print the /v1/ask response body")


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Answer once and print it with its numbered sources (or the API's JSON body), each source a path in the seeds directory."""
    from rag.answers import answer_question
    from rag.runtime import open_searcher

    from ..wire import answer_json, local_paths

    searcher = open_searcher(settings)
    reply = answer_question(searcher, args.question, args.top_k, settings)
    if args.json:
        print_json(answer_json(reply, settings.seeds_dir))
        return 0
    path = local_paths(settings.seeds_dir)
    print(reply.answer)
    print()
    for n, c in enumerate(reply.citations, start=1):
        print(f"[{n}] {c.title} — {path(c.source_file)}[{c.start}:{c.end}]{'  ' + c.url if c.url else ''}")
    return 0
