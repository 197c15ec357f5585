"""The Searcher: one entry point for every retrieval mode, used alike by the CLI, the API and the evaluation."""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

import numpy as np

from ..embedders import Embedder, sparse_capable
from ..errors import QueryError
from ..indexing.load import LoadedIndex
from ..indexing.manifest import check_models
from ..settings import Settings
from ..stores.bridge import english_words
from ..stores.japanese import _STOP, JapaneseAnalyzer
from ..types import Hit
from .fusion import diversify, rrf, weighted_sum
from .rerank import create_reranker

logger = logging.getLogger(__name__)

Language = Literal["en", "ja"]
_JA = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]")
POOL = 100
SPARSE = "-sparse"  # suffix of a sparse component's name and mode: "e5-sparse"


def detect_language(text: str) -> Language:
    """'ja' when the question contains kana or kanji, else 'en'."""
    return "ja" if _JA.search(text) else "en"


@dataclass(frozen=True, slots=True)
class Filters:
    """Optional restrictions: documents, and an inclusive published-date range (ISO dates)."""

    doc_ids: tuple[str, ...] | None = None
    published_from: str | None = None
    published_to: str | None = None

    def __post_init__(self) -> None:
        for name in ("published_from", "published_to"):
            value = getattr(self, name)
            if value is not None:
                try:
                    date.fromisoformat(value[:10])
                except (ValueError, TypeError):
                    raise QueryError(f"filters.{name}={value!r} is not an ISO date (YYYY-MM-DD)") from None

    @property
    def empty(self) -> bool:
        return not self.doc_ids and not self.published_from and not self.published_to


@dataclass(frozen=True, slots=True)
class SearchResult:
    """Ranked hits for one query, with the index version that produced every one of them."""

    query: str
    mode: str
    lang: Language
    hits: tuple[Hit, ...]
    took_ms: float
    index_version: str
    timings: dict[str, float] = field(default_factory=dict)


class Searcher:
    """Searches one loaded index version with the configured embedders."""

    def __init__(self, index: LoadedIndex, embedders: Mapping[str, Embedder], analyzer: JapaneseAnalyzer,
                 settings: Settings) -> None:
        # every way of pairing models with an index (start-up, CLI, hot reload) passes through here
        check_models(index.manifest, dict(embedders), settings.index_dir)
        self.index = index
        self.embedders = dict(embedders)
        self.analyzer = analyzer
        self.settings = settings
        # sparse heads that are both indexed and loaded; an index built with RAG_SPARSE=0 simply has none
        wanted = [spec for spec, emb in self.embedders.items() if settings.sparse and sparse_capable(emb)]
        self.sparse = tuple(spec for spec in wanted if spec in index.sparse)
        missing = [spec for spec in wanted if spec not in index.sparse]
        if missing:  # searches still work, but hybrid quality drops: say so rather than degrade silently
            logger.warning("index %s has no sparse vectors for %s although sparse search is on; hybrid runs without "
                           "them. Update the index: rag index build --index %s", index.version, ", ".join(missing),
                           settings.index_dir)
        # the embedder whose space aligns English question words with the index's Japanese terms, if both have it
        self.align = settings.align if settings.align in self.embedders and settings.align in index.align else None
        if settings.align in self.embedders and self.align is None:
            logger.warning("index %s has no term alignment for %s although align is on; English questions reach BM25 "
                           "through the dictionary only. Update the index: rag index build --index %s", index.version,
                           settings.align, settings.index_dir)
        self.reranker = create_reranker(settings, index, analyzer)  # None when RAG_RERANK=none
        self._cache: OrderedDict[tuple[str, str], object] = OrderedDict()
        self._cache_lock = threading.Lock()

    @property
    def modes(self) -> tuple[str, ...]:
        return ("hybrid", "bm25", *self.embedders, *(spec + SPARSE for spec in self.sparse))

    def with_index(self, index: LoadedIndex) -> Searcher:
        """A searcher over another index version, sharing models and the query-vector cache."""
        other = Searcher(index, self.embedders, self.analyzer, self.settings)
        other._cache, other._cache_lock = self._cache, self._cache_lock
        return other

    def search(self, query: str, top_k: int = 5, mode: str | None = None, filters: Filters | None = None) -> SearchResult:
        """Rank passages for `query`; raises QueryError for bad input."""
        t0 = time.perf_counter()
        mode = mode or self.settings.default_mode
        query = self._check(query, top_k, mode)
        filters = filters or Filters()
        allowed = self._allowed(filters)
        lang = detect_language(query)
        timings: dict[str, float] = {}
        if mode == "hybrid":
            rows, scores, parts = self._hybrid(query, lang, allowed, top_k, timings)
        elif mode == "bm25":
            ranked = self._bm25(query, lang, allowed, POOL, timings)
            rows, scores, parts = self._finish(ranked, top_k), {r: s for r, s in ranked}, {"bm25": dict(ranked)}
        elif mode.endswith(SPARSE):
            ranked = self._sparse(mode[: -len(SPARSE)], query, allowed, POOL, timings)
            rows, scores, parts = self._finish(ranked, top_k), {r: s for r, s in ranked}, {mode: dict(ranked)}
        else:
            ranked = self._dense(mode, query, allowed, POOL, timings)
            rows, scores, parts = self._finish(ranked, top_k), {r: s for r, s in ranked}, {mode: dict(ranked)}
        hits = tuple(
            Hit(rank=i + 1, score=float(scores[r]), passage=self.index.passages[r], citation=self.index.citation(r),
                scores={name: float(p[r]) for name, p in parts.items() if r in p})
            for i, r in enumerate(rows)
        )
        took = (time.perf_counter() - t0) * 1000
        return SearchResult(query, mode, lang, hits, took, self.index.version, timings)

    # -- stages -------------------------------------------------------------------------------------------------

    def _check(self, query: str, top_k: int, mode: str) -> str:
        if not isinstance(query, str) or not query.strip():
            raise QueryError("query is empty; send a question such as 'What did Lavrov say about China?'")
        if len(query) > self.settings.max_query_chars:
            raise QueryError(f"query has {len(query)} characters; the limit is {self.settings.max_query_chars}")
        if isinstance(top_k, bool) or not isinstance(top_k, int) or not 1 <= top_k <= self.settings.max_top_k:
            raise QueryError(f"top_k={top_k!r}: must be an integer from 1 to {self.settings.max_top_k}")
        if mode not in self.modes:
            raise QueryError(f"mode={mode!r}: allowed {list(self.modes)!r}")
        return query.strip()

    def _allowed(self, f: Filters) -> np.ndarray | None:
        if f.empty:
            return None
        mask = np.ones(len(self.index.passages), dtype=bool)
        if f.doc_ids:
            unknown = [d for d in f.doc_ids if d not in self.index.docs]
            if unknown:
                raise QueryError(f"filters.doc_ids: unknown document(s) {unknown!r}")
            mask &= np.isin(self.index.row_doc, list(f.doc_ids))
        if f.published_from or f.published_to:
            lo, hi = (f.published_from or "0000")[:10], (f.published_to or "9999")[:10]
            mask &= np.array([p is not None and lo <= p[:10] <= hi for p in self.index.row_published], dtype=bool)
        return np.flatnonzero(mask)

    def _vector(self, spec: str, query: str, sparse: bool = False):
        if not sparse:
            return self._query_vectors(spec, [query])[0]
        key = (spec + SPARSE, query)
        hit = self._cached(key)
        if hit is None:
            hit = self.embedders[spec].encode_sparse([query])[0]
            self._store(key, hit)
        return hit

    def _query_vectors(self, spec: str, texts: list[str]) -> np.ndarray:
        """Query vectors of `texts` (questions, or single words for alignment), encoding the uncached ones in one batch."""
        vecs = [self._cached((spec, t)) for t in texts]
        missing = [i for i, v in enumerate(vecs) if v is None]
        if missing:
            for i, v in zip(missing, self.embedders[spec].encode_queries([texts[i] for i in missing])):
                vecs[i] = v
                self._store((spec, texts[i]), v)
        return np.stack(vecs)

    def _cached(self, key: tuple[str, str]):
        with self._cache_lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
            return hit

    def _store(self, key: tuple[str, str], value: object) -> None:
        with self._cache_lock:
            self._cache[key] = value
            if len(self._cache) > 2048:
                self._cache.popitem(last=False)

    def _dense(self, spec: str, query: str, allowed: np.ndarray | None, k: int, timings: dict[str, float]) -> list[tuple[int, float]]:
        t = time.perf_counter()
        vec = self._vector(spec, query)
        rows, scores = self.index.dense[spec].search(vec, k, allowed)
        timings[spec] = (time.perf_counter() - t) * 1000
        return list(zip(rows.tolist(), scores.tolist()))

    def _sparse(self, spec: str, query: str, allowed: np.ndarray | None, k: int,
                timings: dict[str, float]) -> list[tuple[int, float]]:
        t = time.perf_counter()
        scores = self.index.sparse[spec].scores(self._vector(spec, query, sparse=True))
        timings[spec + SPARSE] = (time.perf_counter() - t) * 1000
        return _top(scores, allowed, k)

    def _bm25(self, query: str, lang: Language, allowed: np.ndarray | None, k: int,
              timings: dict[str, float]) -> list[tuple[int, float]]:
        t = time.perf_counter()
        groups = self._term_groups(query, lang, timings)
        if groups is not None:
            scores = self.index.bm25.group_scores(groups)
        else:
            scores = self.index.bm25.scores(self.analyzer.terms(query))
        ranked = _top(scores, allowed, k)
        timings["bm25"] = (time.perf_counter() - t) * 1000
        return ranked

    def _term_groups(self, query: str, lang: Language, timings: dict[str, float]) -> list[list[str]] | None:
        """An English question's BM25 term groups (alternatives per word); None for a question BM25 reads as is."""
        bridged = self.settings.bridge and len(self.index.bridge)
        if lang != "en" or not (bridged or self.align):
            return None
        # English words reach Japanese text through the dictionary bridge and through their nearest corpus terms
        # in an embedder's space; Latin terms (NATO, EU) match as is.
        groups = self.index.bridge.expand(query) if bridged else []
        groups += self._aligned(query, timings)
        groups += [[term] for term in self.analyzer.terms(query)]
        return groups

    def _align_words(self, query: str) -> list[str]:
        return list(dict.fromkeys(w for w in english_words(query) if len(w) > 1 and w not in _STOP))

    def _aligned(self, query: str, timings: dict[str, float]) -> list[list[str]]:
        """One group per English content word: its nearest Japanese BM25 terms in the alignment embedder's space."""
        if self.align is None:
            return []
        words = self._align_words(query)
        if not words:
            return []
        t = time.perf_counter()
        groups = self.index.align[self.align].groups(self._query_vectors(self.align, words), self.settings.align_terms,
                                                     self.settings.align_min_similarity)
        timings["align"] = timings.get("align", 0.0) + (time.perf_counter() - t) * 1000
        return groups

    def _finish(self, ranked: list[tuple[int, float]], top_k: int) -> list[int]:
        return diversify([r for r, _ in ranked], self.index.passages, top_k)

    def _hybrid(self, query: str, lang: Language, allowed: np.ndarray | None, top_k: int,
                timings: dict[str, float]) -> tuple[list[int], dict[int, float], dict[str, dict[int, float]]]:
        if lang == "en" and self.align is not None:
            # the question and its words in one batch: one encoder call instead of two (USE: ~3 ms saved)
            t = time.perf_counter()
            self._query_vectors(self.align, [query, *self._align_words(query)])
            timings["align"] = (time.perf_counter() - t) * 1000
        parts: dict[str, list[tuple[int, float]]] = {spec: self._dense(spec, query, allowed, POOL, timings) for spec in self.embedders}
        parts["bm25"] = self._bm25(query, lang, allowed, POOL, timings)
        weights = {spec: self.settings.dense_weight(spec) for spec in self.embedders}
        for spec in self.sparse:
            parts[spec + SPARSE] = self._sparse(spec, query, allowed, POOL, timings)
            weights[spec + SPARSE] = self.settings.sparse_weight
        # BM25 matches Japanese questions exactly but English questions share few terms with Japanese text.
        weights["bm25"] = self.settings.bm25_weight_ja if lang == "ja" else self.settings.bm25_weight_en
        if self.settings.fusion == "rrf":
            fused = rrf({n: [r for r, _ in p] for n, p in parts.items()}, weights, self.settings.rrf_k)
        else:
            fused = weighted_sum({n: dict(p) for n, p in parts.items()}, weights)
        ranked = sorted(fused, key=lambda r: (-fused[r], r))
        scores = {n: dict(p) for n, p in parts.items()}
        if self.reranker is not None:  # a second stage: the best candidates reordered by sentence-level evidence
            groups = self._term_groups(query, lang, timings) or [[t] for t in self.analyzer.terms(query)]
            ranked, fused, scores["rerank"] = self.reranker.rerank(query, lang, ranked, fused, groups, timings)
        return self._finish([(r, fused[r]) for r in ranked], top_k), fused, scores


def _top(scores: np.ndarray, allowed: np.ndarray | None, k: int) -> list[tuple[int, float]]:
    """The k best rows with a positive score (a lexical or sparse match), restricted to `allowed` rows."""
    if allowed is not None:
        masked = np.full_like(scores, -1.0)
        masked[allowed] = scores[allowed]
        scores = masked
    order = np.argsort(-scores, kind="stable")[:k]
    return [(int(r), float(scores[r])) for r in order if scores[r] > 0]
