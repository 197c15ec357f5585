"""The peer pipelines of benchmarks/peers.py, one module each, registered by row name.

A row is (module, analyzed): `analyzed` rows plug our Japanese analyzer into the peer's BM25 (its best case); the
others keep the peer's default tokenization (what a user gets). Modules are imported only when their row runs, so a
missing optional package names itself in the error."""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from .common import Corpus, E5Adapter, Search, Terms


@dataclass(frozen=True, slots=True)
class Row:
    """One peer row: which module builds it and whether BM25 gets our analyzer."""

    module: str
    analyzed: bool
    package: str  # the distribution to install when the module is missing


ROWS: dict[str, Row] = {
    "haystack": Row("haystack_peer", False, "haystack-ai"),
    "haystack+ja": Row("haystack_peer", True, "haystack-ai"),
    "llamaindex": Row("llamaindex_peer", False, "llama-index-core, llama-index-retrievers-bm25"),
    "llamaindex+ja": Row("llamaindex_peer", True, "llama-index-core, llama-index-retrievers-bm25"),
    "dense-e5": Row("faiss_peer", False, "faiss-cpu"),
}


def build(name: str, corpus: Corpus, e5: E5Adapter, terms: Terms) -> Search:
    """Build the named row's pipeline over the corpus."""
    row = ROWS[name]
    module = importlib.import_module(f"{__name__}.{row.module}")
    return module.build(corpus, e5, terms if row.analyzed else None)


__all__ = ["ROWS", "Corpus", "E5Adapter", "Row", "Search", "build"]
