"""`rag chunks`: clean the seeds and print their passages."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict

from rag.settings import Settings

from .common import chunk_flags, seeds_flag

NAME = "chunks"
HELP = "Clean the seeds and print their passages."
EXAMPLE = "rag chunks --seeds seeds --json | head -3"


def add_arguments(p: argparse.ArgumentParser) -> None:
    seeds_flag(p)
    p.add_argument("--json", action="store_true", help="JSON Lines, one passage per line")
    chunk_flags(p)


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Print the passages (JSON Lines) or a per-document summary."""
    from rag.chunking import ChunkParams, chunk_corpus
    from rag.corpus import load_corpus

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
