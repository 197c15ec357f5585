"""Second-stage reranking of the hybrid's best fused candidates (RAG_RERANK; 'none' turns it off)."""

from __future__ import annotations

from ...errors import ConfigError
from .stage import DEFAULT_WEIGHTS, FEATURES, LexicalReranker

RERANKERS = {"lexical": LexicalReranker}


def create_reranker(settings, index, analyzer) -> LexicalReranker | None:
    """The configured reranker over `index`, or None when settings.rerank is 'none'."""
    if settings.rerank == "none":
        return None
    weights = settings.rerank_weight_map()
    unknown = sorted(set(weights) - set(FEATURES))
    if unknown:
        raise ConfigError(f"rerank_weights: unknown feature(s) {unknown!r}; allowed {list(FEATURES)!r}")
    return RERANKERS[settings.rerank](index.passages, index.bm25, analyzer, settings.rerank_depth,
                                      weights, settings.rerank_keep)


__all__ = ["DEFAULT_WEIGHTS", "FEATURES", "RERANKERS", "LexicalReranker", "create_reranker"]
