"""Second-stage reranking of the hybrid's best fused candidates (RAG_RERANK; 'none' turns it off)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...errors import ConfigError
from .stage import DEFAULT_WEIGHTS, DEFAULT_WEIGHTS_JA, FEATURES, LexicalReranker

if TYPE_CHECKING:
    from ...indexing.load import LoadedIndex
    from ...settings import Settings
    from ...stores.japanese import JapaneseAnalyzer

RERANKERS = {"lexical": LexicalReranker}


def check_weights(settings: Settings) -> dict[str, dict[str, float]]:
    """The rerank weights by question language; ConfigError for a feature name the stage does not have."""
    weights = {lang: settings.rerank_weight_map(lang) for lang in ("en", "ja")}
    for lang, name in (("en", "rerank_weights"), ("ja", "rerank_weights_ja")):
        unknown = sorted(set(weights[lang]) - set(FEATURES))
        if unknown:
            raise ConfigError(f"{name}: unknown feature(s) {unknown!r}; allowed {list(FEATURES)!r}")
    return weights


def create_reranker(settings: Settings, index: LoadedIndex, analyzer: JapaneseAnalyzer) -> LexicalReranker | None:
    """The configured reranker over `index`, or None when settings.rerank is 'none'."""
    if settings.rerank == "none":
        return None
    weights = check_weights(settings)
    return RERANKERS[settings.rerank](index.passages, index.bm25, analyzer, settings.rerank_depth,
                                      weights["en"], settings.rerank_keep, weights_ja=weights["ja"])


__all__ = ["DEFAULT_WEIGHTS", "DEFAULT_WEIGHTS_JA", "FEATURES", "RERANKERS", "LexicalReranker", "check_weights",
           "create_reranker"]
