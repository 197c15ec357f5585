"""dense-e5: the tutorial default, a flat FAISS index over e5 passage vectors and nothing else."""

from __future__ import annotations

import faiss

from .common import TOP_K, Corpus, E5Adapter, Search


def build(corpus: Corpus, e5: E5Adapter, terms: None = None) -> Search:
    """Inner product over normalised vectors (a tutorial's IndexFlatL2 ranks normalised vectors the same way)."""
    index = faiss.IndexFlatIP(e5.dim)
    index.add(e5.encode_passages(corpus.texts))
    k = min(TOP_K, len(corpus.ids))

    def search(question: str) -> list[tuple[str, float]]:
        scores, rows = index.search(e5.encode_queries([question]), k)
        return [(corpus.ids[r], float(s)) for r, s in zip(rows[0], scores[0]) if r >= 0]

    return search
