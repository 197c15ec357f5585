"""The Searcher: one entry point for every retrieval mode, used alike by the CLI, the API and the evaluation.

It only encodes, asks components, fuses and de-duplicates: what each signal does lives in rag/components/.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, Literal, NamedTuple

import numpy as np

from ..components import Component, Need, Question, Ranking
from ..components.registry import assemble, missing_signals, term_grouper
from ..corpus.lines import has_cjk
from ..embedders import Embedder, one_pass
from ..errors import QueryError
from ..indexing.load import LoadedIndex, day_number
from ..indexing.manifest import check_models
from ..settings import Settings
from ..stores.bridge import Bridge
from ..stores.japanese import JapaneseAnalyzer
from ..types import Hit
from .fusion import diversify, rrf, weighted_sum
from .rerank import create_reranker
from .intake import QueryIntake
from .named import LEXICAL, names_first, question_names
from .sources import SourceRows, asks_for_source, source_kind, sources_first, without_sources

logger = logging.getLogger(__name__)

Language = Literal["en", "ja"]
POOL = 100
# Components rank side by side from this many passages on; below it each answers in about a millisecond, and handing
# work to a thread would cost more than it saves.
PARALLEL_ROWS = 20_000
CACHE_SIZE = 2048  # query vectors kept (a question's USE entry holds its words' too)


class _VectorCache(OrderedDict):
    """The query-vector cache: entries in least-recently-used order, bounded by the vectors they hold, since one
    entry of a non-batch-invariant embedder holds a whole call's (the question and its words)."""

    def __init__(self) -> None:
        super().__init__()
        self.rows = 0

    def put(self, key: tuple[str, Any], value: Any) -> None:
        old = self.pop(key, None)
        if old is not None:
            self.rows -= _rows(old)
        self[key] = value
        self.rows += _rows(value)
        while self.rows > CACHE_SIZE and len(self) > 1:
            _, evicted = self.popitem(last=False)
            self.rows -= _rows(evicted)


def _rows(value: Any) -> int:
    return len(value) if isinstance(value, tuple) else 1


PAIRED = "query+sparse"  # a text's dense and sparse vectors from one pass (e5's fused engine)


def _cache_key(embedder: str, kind: str) -> str:
    """The query-vector cache's (and the timings') name of an encoding: "e5" for its dense vector, "e5-sparse",
    "e5-query+sparse" for both from one pass."""
    return embedder if kind == "query" else f"{embedder}-{kind}"


_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}(?:$|T)")


def detect_language(text: str) -> Language:
    """'ja' when the question contains kana or kanji, else 'en'."""
    return "ja" if has_cjk(text) else "en"


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
                    # YYYY-MM-DD exactly: Python also reads 20250301, which the local store's day numbers do not (no
                    # bound at all) and Qdrant reads as a timestamp (which refused it with a traceback)
                    if not _ISO_DAY.match(value):
                        raise ValueError(value)
                    date.fromisoformat(value[:10])
                except (ValueError, TypeError):
                    raise QueryError(f"filters.{name}={value!r} is not an ISO date (YYYY-MM-DD)") from None
        if self.published_from and self.published_to and self.published_from[:10] > self.published_to[:10]:
            # an empty range: every search would answer nothing, and say nothing of why
            raise QueryError(f"filters.published_from={self.published_from!r} is after "
                             f"filters.published_to={self.published_to!r}")

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
    shed: tuple[str, ...] = ()  # components this hybrid question went without because the service was crowded


class FirstStage(NamedTuple):
    """A question's ranking before the second stage."""

    question: Question  # as encoded
    scores: dict[str, dict[int, float]]  # each component's, by row
    fused: dict[int, float]  # by row (a single mode: its component's)
    rows: list[int]  # best first


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
        self.components: list[Component] = assemble(index.parts, settings, analyzer)
        self._by_name = {c.name: c for c in self.components}
        for missing in missing_signals(index.parts, settings, self.embedders):
            logger.warning("index %s has %s. Update the index: rag index build --index %s", index.version, missing,
                           settings.index_dir)
        self._cache = _VectorCache()  # keys: _keys
        self._cache_lock = threading.Lock()
        # threads that only wait for the encoders, one per encoding a question needs beyond its first
        self._encoders = ThreadPoolExecutor(max_workers=32, thread_name_prefix="encode")
        self.intake = QueryIntake(settings, self.embedders)
        self.reranker = create_reranker(settings, index, analyzer)  # None when RAG_RERANK=none
        for component in self.components:  # what each would otherwise make in its first question (kernels, codes)
            component.warm()
        # the component that reads a question as BM25 term groups, which the reranker scores sentences with
        self._lexical = term_grouper(self.components)
        self._source_rows = SourceRows(index.passages)
        # the source rows' keys every search reads (rag/retrieval/sources.py), gathered now: ~60 ms at 1M passages
        index.passages.source_mask(np.zeros(0, np.int64))

    @property
    def modes(self) -> tuple[str, ...]:
        return ("hybrid", *self._by_name)

    def with_index(self, index: LoadedIndex) -> Searcher:
        """A searcher over another index version, sharing models and the query-vector cache."""
        other = Searcher(index, self.embedders, self.analyzer, self.settings)
        other._cache, other._cache_lock, other.intake = self._cache, self._cache_lock, self.intake
        other._encoders.shutdown()
        other._encoders = self._encoders
        return other

    def search(self, query: str, top_k: int = 5, mode: str | None = None, filters: Filters | None = None, *,
               about_source: bool | None = None) -> SearchResult:
        """Rank passages for `query`; raises QueryError for bad input. `about_source`: whether the question asks who
        wrote an article or where it appeared, when the query is not the question alone (a follow-up's words joined
        with the earlier turns'); by default, read from the query (rag/retrieval/sources.py)."""
        t0 = time.perf_counter()
        mode = self.settings.default_mode if mode is None else mode  # "" is a mode nobody has, not the default
        query, tokens = self._check(query, top_k, mode)
        sources = asks_for_source(query) if about_source is None else about_source
        with self.intake.admit(tokens) as in_flight:
            return self._search(t0, query, top_k, mode, filters or Filters(), in_flight, sources)

    def _shed(self, query: str, lang: Language, mode: str, in_flight: int) -> tuple[str, ...]:
        """The components a hybrid question goes without when more than `shed_sparse_above` questions are being
        answered (0: never): those that mark themselves `sheddable` (the sparse head: the SAE projection on e5's fused
        engine, a second e5 pass on the wheel's library) and whose encodings are not cached already, since skipping those saves nothing
        (docs/operations.md, "Shedding the sparse head under load")."""
        above = self.settings.shed_sparse_above
        if mode != "hybrid" or not above or in_flight <= above:
            return ()
        return tuple(c.name for c in self.components if c.sheddable and not self._cached(c.needs(query, lang)))

    def _cached(self, needs: list[Need]) -> bool:
        with self._cache_lock:
            return all(k in self._cache for n in needs for k in self._keys(n.embedder, n.kind, [n.text]))

    def _keys(self, embedder: str, kind: str, texts: list[str]) -> list[tuple[str, Any]]:
        """The query cache's keys for one encoding call: one per text for a batch-invariant embedder (e5), else one
        for the whole call, so that a USE row is only ever reused beside the very texts it was encoded with."""
        name = _cache_key(embedder, kind)
        if self._invariant(embedder):
            return [(name, t) for t in texts]
        return [(name, tuple(texts))]

    def _invariant(self, embedder: str) -> bool:
        return bool(getattr(self.embedders[embedder], "batch_invariant", False))

    def _search(self, t0: float, query: str, top_k: int, mode: str, filters: Filters, in_flight: int = 1,
                sources: bool = False) -> SearchResult:
        lang = detect_language(query)
        timings: dict[str, float] = {}
        shed = self._shed(query, lang, mode, in_flight)
        first = self._first_stage(query, lang, mode, filters, timings, shed, sources)
        parts, fused, ordered = first.scores, first.fused, first.rows
        if mode == "hybrid" and self.reranker is not None:
            # a second stage: the best candidates reordered by sentence-level evidence
            second = self.reranker.rerank(query, lang, ordered, fused, self._term_groups(first.question), timings)
            ordered, fused, parts["rerank"] = second.rows, second.scores, second.changes
        if (mode == "hybrid" and lang == "en" and "\n" not in query
                and (names := question_names(self.bridge, query, self.analyzer))):
            # a name only the lexical signal reads ("What did Miyashita say?"): its passage first, when the ranking's
            # first passages write it nowhere (rag/retrieval/named.py). Not a follow-up's conversation query, whose
            # names the conversation's search looks for itself (rag/retrieval/conversation.py)
            ordered, fused, moved = names_first(ordered, fused, parts.get(LEXICAL), self._text_of, self._article_of,
                                                names, self._article_text)
            if moved:
                parts["name"] = moved
        if mode == "hybrid" and sources:
            # only a source line answers the question: the line of the article the rest of it finds goes first
            ordered, fused, moved = sources_first(ordered, fused, self.index.passages, self._source_rows,
                                                  source_kind(query))
            if moved:
                parts["source"] = moved
        rows = diversify(ordered, self.index.passages, top_k)
        hits = tuple(
            Hit(rank=i + 1, score=float(fused[r]), passage=self.index.passages[r], citation=self.index.citation(r),
                scores={name: float(p[r]) for name, p in parts.items() if r in p},
                source=sources and (r in parts.get("source", ()) or self.index.passages.is_source(r)))
            for i, r in enumerate(rows)
        )
        took = (time.perf_counter() - t0) * 1000
        return SearchResult(query, mode, lang, hits, took, self.index.version, timings, shed)

    def _text_of(self, row: int) -> str:
        return self.index.passages[row].text

    def _article_text(self, row: int) -> str:
        """The text of the article a row's passage is of (its passage's, for an article the index does not hold)."""
        passage = self.index.passages[row]
        text = self.index.passages.article_text(passage.doc_id, passage.article)
        return passage.text if text is None else text

    def _article_of(self, row: int) -> tuple[int, int]:
        passages = self.index.passages
        return int(passages.doc[row]), int(passages.article[row])

    def source_lines_first(self, hits: Sequence[Hit], kind: str) -> tuple[Hit, ...]:
        """`hits` of a question about an article's origin fused from several searches (a follow-up's, "And Iran?"
        then "Who wrote it?"), each of which put its own article's line first: the source lines of the first
        passage's article first, as one search orders them (`sources_first`), taken from the index when the hits
        lack them; as many hits as before, the scores in their places (the first place keeps the first score)."""
        first = next((h for h in hits if not h.source), None)
        top = self.index.passages.row_of(first.passage.passage_id) if first is not None else None
        if top is None:
            return tuple(hits)
        rows, _, changes = sources_first([top], {top: first.score}, self.index.passages, self._source_rows, kind)
        lines = [r for r in rows if r in changes]  # the article's source lines, or its header standing in for them
        present = {h.passage.passage_id: h for h in hits}
        ahead = [replace(present[p.passage_id], source=True) if p.passage_id in present
                 else Hit(rank=0, score=0.0, passage=p, citation=self.index.citation(r), source=True)
                 for r in lines for p in [self.index.passages[r]]]
        if [(h.passage.passage_id, h.source) for h in hits[: len(ahead)]] == \
                [(h.passage.passage_id, True) for h in ahead]:
            return tuple(hits)
        moved = {h.passage.passage_id for h in ahead}
        order = [*ahead, *(h for h in hits if h.passage.passage_id not in moved)][: len(hits)]
        return tuple(replace(h, rank=i + 1, score=hits[i].score) for i, h in enumerate(order))

    def query_vectors(self, embedder: str, texts: list[str]) -> np.ndarray:
        """Query vectors of `texts` as the embedder's dense component reads them (with the acronyms the passages define
        written out), from this searcher's cache: a question just searched is not encoded again."""
        read = getattr(self._by_name.get(embedder), "read", str)
        return np.stack(self._vectors(embedder, "query", [read(t) for t in texts]))

    @property
    def bridge(self) -> Bridge | None:
        """The index's English→Japanese bridge (names, spellings); None for an index without BM25."""
        try:
            return self.index.bridge
        except (KeyError, IndexError, AttributeError):
            return None

    def term_groups(self, query: str) -> list[list[str]]:
        """The question's BM25 term groups as the search forms them: for English, bridge and aligned alternatives per
        word plus its own terms; for Japanese, its terms. The encodings are grouped as a hybrid search groups them, so
        after that search they come from its cache entries (the same vectors), and only BM25's are encoded otherwise."""
        lang = detect_language(query)
        if self._lexical is None:
            return self._term_groups(Question(query, lang, {}, None))
        wanted = {(n.embedder, n.kind) for n in self._lexical.needs(query, lang)}
        return self._term_groups(self._encode(query, lang, self.components, {}, only=wanted))

    # -- stages -------------------------------------------------------------------------------------------------

    def _first_stage(self, query: str, lang: Language, mode: str, filters: Filters | None, timings: dict[str, float],
                     shed: tuple[str, ...] = (), sources: bool = False) -> FirstStage:
        """The ranking before any reranking; a hybrid question asks every component but the `shed` ones; source lines
        only when `sources`."""
        components = [c for c in self.components if c.name not in shed] if mode == "hybrid" else [self._by_name[mode]]
        filters = filters or Filters()
        allowed = self._allowed(filters)
        question = self._encode(query, lang, components, timings, None if filters.empty else filters)
        rankings: dict[str, Ranking] = {}

        def ask(c: Component) -> tuple[str, Ranking, float]:
            t = time.perf_counter()
            return c.name, c.rank(question, POOL, allowed), (time.perf_counter() - t) * 1000

        if len(components) > 1 and len(self.index.passages) >= PARALLEL_ROWS:
            # side by side: the stores' heavy loops (FAISS, the sparse postings kernel) run without the GIL
            others = [self._encoders.submit(ask, c) for c in components[1:]]
            answers = [ask(components[0])] + [f.result() for f in others]
        else:
            answers = [ask(c) for c in components]
        if not sources:  # a source line answers only who wrote an article or where it appeared
            answers = without_sources(answers, self.index.passages)
        for name, ranking, ms in answers:
            rankings[name] = ranking
            timings[name] = timings.get(name, 0.0) + ms
        parts = {name: r.as_dict() for name, r in rankings.items()}
        if mode != "hybrid":
            return FirstStage(question, parts, parts[mode], rankings[mode].rows.tolist())
        fused = self._fuse(parts, rankings, {c.name: c.weight(lang) for c in components})
        return FirstStage(question, parts, fused, sorted(fused, key=lambda r: (-fused[r], r)))

    def _term_groups(self, question: Question) -> list[list[str]]:
        """The question's BM25 term groups (English: bridge and aligned alternatives per word), else its own terms."""
        groups = self._lexical.term_groups(question) if self._lexical is not None else None
        return groups or [[t] for t in self.analyzer.terms(question.text)]

    def check(self, query: str, top_k: int) -> tuple[str, int]:
        """(the question stripped, its tokens), as a search checks them; QueryError for a bad question or top_k."""
        query, tokens = self.intake.check(query)
        if isinstance(top_k, bool) or not isinstance(top_k, int) or not 1 <= top_k <= self.settings.max_top_k:
            raise QueryError(f"top_k={top_k!r}: must be an integer from 1 to {self.settings.max_top_k}")
        return query, tokens

    def _check(self, query: str, top_k: int, mode: str) -> tuple[str, int]:
        query, tokens = self.check(query, top_k)
        if mode not in self.modes:
            raise QueryError(f"mode={mode!r}: allowed {list(self.modes)!r}")
        return query, tokens

    def rows_allowed(self, f: Filters) -> np.ndarray | None:
        """The passage rows `f` lets through, None for every row; QueryError for a document the index lacks."""
        return self._allowed(f)

    def _allowed(self, f: Filters) -> np.ndarray | None:
        if f.empty:
            return None
        mask = np.ones(len(self.index.passages), dtype=bool)
        if f.doc_ids:
            unknown = [d for d in f.doc_ids if d not in self.index.docs]
            if unknown:
                raise QueryError(f"filters.doc_ids: unknown document(s) {unknown!r}")
            mask &= np.isin(self.index.passages.doc, [self.index.doc_ordinal[d] for d in f.doc_ids])
        if f.published_from or f.published_to:
            lo = day_number(f.published_from) if f.published_from else 1  # an undated row (0) is below any lo
            hi = day_number(f.published_to) if f.published_to else 99_999_999
            day = self.index.row_day  # YYYYMMDD numbers
            mask &= (day >= lo) & (day <= hi)
        # a filter that lets every row through (a date picker's whole range) ranks as no filter does: a store's
        # filtered search costs more (an IVF scan checking each id against a selector: 54 against 2 ms at 1M)
        return None if mask.all() else np.flatnonzero(mask)

    def _encode(self, query: str, lang: Language, components: list[Component], timings: dict[str, float],
                scope: Filters | None = None, only: set[tuple[str, str]] | None = None) -> Question:
        """Every encoding the components need, one batch per embedder and kind (uncached texts only); with `only`,
        just those (embedder, kind) batches."""
        needs = list(dict.fromkeys(n for c in components for n in c.needs(query, lang)))
        batches: dict[tuple[str, str], list[str]] = {}
        for n in needs:
            batches.setdefault((n.embedder, n.kind), []).append(n.text)
        if only is not None:
            batches = {k: v for k, v in batches.items() if k in only}
        encoded: dict[Need, Any] = {}

        def encode(embedder: str, kind: str, texts: list[str]) -> None:
            t = time.perf_counter()
            if kind == PAIRED:
                dense, sparse = self._paired_vectors(embedder, texts)
                for text, vec, row in zip(texts, dense, sparse):
                    encoded[Need(embedder, "query", text)] = vec
                    encoded[Need(embedder, "sparse", text)] = row
            else:
                for text, vec in zip(texts, self._vectors(embedder, kind, texts)):
                    encoded[Need(embedder, kind, text)] = vec
            timings[f"encode:{_cache_key(embedder, kind)}"] = (time.perf_counter() - t) * 1000

        # side by side: e5's passes run on two single-threaded engines, USE beside them; with e5's fused engine, the
        # texts that want both a dense and a sparse vector get them from one pass
        for e in [e for (e, k) in batches if k == "sparse" and (e, "query") in batches and self._pairs(e)]:
            wanted = set(batches[e, "sparse"])
            batches[e, PAIRED] = [t for t in batches[e, "query"] if t in wanted]
            paired = set(batches[e, PAIRED])
            for k in ("query", "sparse"):
                batches[e, k] = [t for t in batches[e, k] if t not in paired]
        jobs = [(e, k, texts) for (e, k), texts in batches.items() if texts]
        others = [self._encoders.submit(encode, *job) for job in jobs[1:]]
        if jobs:
            encode(*jobs[0])
        for f in others:
            f.result()
        return Question(query, lang, encoded, scope)

    def _vectors(self, embedder: str, kind: str, texts: list[str]) -> list[Any]:
        keys = self._keys(embedder, kind, texts)
        with self._cache_lock:
            found = [self._cache.get(k) for k in keys]
            for k, v in zip(keys, found):
                if v is not None:
                    self._cache.move_to_end(k)
        if not self._invariant(embedder):
            # one entry for the whole call (not batch-invariant): all of it from the cache, or all of it encoded
            if found[0] is None:
                found[0] = tuple(self._encoded(embedder, kind, texts))
                with self._cache_lock:
                    self._cache.put(keys[0], found[0])
            return list(found[0])
        missing = [i for i, v in enumerate(found) if v is None]
        if missing:
            fresh = self._encoded(embedder, kind, [texts[i] for i in missing])
            with self._cache_lock:
                for i, v in zip(missing, fresh):
                    found[i] = v
                    self._cache.put(keys[i], v)
        return found

    def _pairs(self, embedder: str) -> bool:
        """True when `embedder` makes a text's dense and sparse vectors in one pass (e5 on its fused engine); only a
        batch-invariant one, whose vectors are cached per text."""
        return self._invariant(embedder) and one_pass(self.embedders[embedder])

    def _paired_vectors(self, embedder: str, texts: list[str]) -> tuple[list[Any], list[Any]]:
        """Dense and sparse vectors of `texts`: from the cache, else one fused call for the texts missing either."""
        dense_keys, sparse_keys = self._keys(embedder, "query", texts), self._keys(embedder, "sparse", texts)
        with self._cache_lock:
            dense = [self._cache.get(k) for k in dense_keys]
            sparse = [self._cache.get(k) for k in sparse_keys]
            for k in [k for k, v in zip(dense_keys + sparse_keys, dense + sparse) if v is not None]:
                self._cache.move_to_end(k)
        missing = [i for i in range(len(texts)) if dense[i] is None or sparse[i] is None]
        if missing:
            vectors, rows = self.embedders[embedder].encode_queries_with_sparse([texts[i] for i in missing])
            with self._cache_lock:
                for i, vec, row in zip(missing, vectors, rows):
                    dense[i], sparse[i] = vec, row
                    self._cache.put(dense_keys[i], vec)
                    self._cache.put(sparse_keys[i], row)
        return dense, sparse

    def _encoded(self, embedder: str, kind: str, texts: list[str]) -> Any:
        emb = self.embedders[embedder]
        return emb.encode_queries(texts) if kind == "query" else emb.encode_sparse(texts)

    def _fuse(self, parts: dict[str, dict[int, float]], rankings: dict[str, Ranking],
              weights: dict[str, float]) -> dict[int, float]:
        if self.settings.fusion == "rrf":
            return rrf({n: r.rows.tolist() for n, r in rankings.items()}, weights, self.settings.rrf_k)
        return weighted_sum(parts, weights)
