"""The second ranking stage: the best fused candidates reordered by sentence-level lexical and answer-type evidence.

A candidate's new score is its fused score plus a bonus ≥ 0, in units of the fused scores' spread over the candidates:
a passage can climb over neighbours whose fused score is close to its own, not over clearly better ones, and rows
below the candidates keep their order and stay below (the ranking stays sorted by score).

The first stage's best `keep` distinct passages stay the best `keep`: the stage reorders them among themselves, and the
other candidates among themselves. Sentence evidence decides well which of a few close passages to read first, worse
which passages belong in the top five at all (unbounded, it pushed answer-bearing passages from rank 5 to 6 and cost
recall@5; docs/precision.md); the answer is drawn from the top five, so their set is left to the first stage.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from ...stores.bm25 import bm25_idf
from ...stores.japanese import JapaneseAnalyzer
from ..fusion import diversify
from . import answer_type, lexical
from .sentences import Sentence, SentenceCache

logger = logging.getLogger(__name__)

FEATURES = ("sentence", "coverage", "proximity", "answer")
# English questions. Chosen on the team and dev sets (benchmarks/rerank_tune.py, docs/precision.md): only proximity
# helped on both; the others are measured but weigh 0 by default (RAG_RERANK_WEIGHTS turns them on).
DEFAULT_WEIGHTS: Mapping[str, float] = {"sentence": 0.0, "coverage": 0.0, "proximity": 0.25, "answer": 0.0}
# Japanese questions. The proximity weight is learned from the corpus alone: pairwise logistic regression of
# "the passage that holds a pseudo-question's source sentence above its same-article neighbours" over Japanese
# pseudo-questions made from the seeds' sentences (benchmarks/rerank_learn.py: 5.33, rounded). The weight learned
# from English pseudo-questions (9.6) lost English team and dev questions, so English keeps 0.25 (docs/precision.md).
DEFAULT_WEIGHTS_JA: Mapping[str, float] = {"sentence": 0.0, "coverage": 0.0, "proximity": 5.0, "answer": 0.0}
WINDOW = 12  # terms: about one clause of Japanese news text
KEEP = 5  # the first stage's top distinct passages that stay on top (the passages an answer is drawn from)


@dataclass(frozen=True, slots=True)
class Candidates:
    """What the stage computed for one query: rows in first-stage order and one feature row per candidate."""

    kind: answer_type.Kind
    rows: tuple[int, ...]
    features: np.ndarray  # [len(rows), len(FEATURES)], each in [0, 1]


class Reranked(NamedTuple):
    """The second stage's ranking."""

    rows: list[int]  # best first: the candidates reordered, then the rest as they were
    scores: dict[int, float]  # every row's, by row
    changes: dict[int, float]  # each candidate's score change


class LexicalReranker:
    """Reorders the top `depth` fused candidates by their best sentence's BM25, term proximity and answer type."""

    def __init__(self, passages: Sequence, bm25, analyzer: JapaneseAnalyzer, depth: int = 20,
                 weights: Mapping[str, float] | None = None, keep: int = KEEP,
                 weights_ja: Mapping[str, float] | None = None) -> None:
        self.depth = depth
        self.keep = keep
        self._passages = passages
        self.weights = np.array([(weights or {}).get(f, DEFAULT_WEIGHTS[f]) for f in FEATURES])
        self.weights_ja = np.array([(weights_ja or {}).get(f, DEFAULT_WEIGHTS_JA[f]) for f in FEATURES])
        self.analyzer = analyzer
        self._bm25 = bm25
        self._sentences = SentenceCache(lambda row: passages[row].text, analyzer.tokens)
        self._idf: dict[str, float] = {}
        self._idf_lock = threading.Lock()

    def rerank(self, query: str, lang: str, ranked: Sequence[int], fused: Mapping[int, float],
               groups: Sequence[Sequence[str]], timings: dict[str, float]) -> Reranked:
        """The first `depth` rows (the candidates) reordered; a candidate's score change is its bonus ≥ 0, except for
        one capped below the kept ones."""
        t = time.perf_counter()
        head = list(ranked[: self.depth])
        if len(head) < 2:
            return Reranked(list(ranked), dict(fused), {})
        weights = self.weights_for(lang)
        # a feature that weighs 0 changes no score: it is not computed (the defaults weigh proximity only)
        cand = self.features(query, lang, head, groups, {f for f, w in zip(FEATURES, weights) if w})
        spread = fused[head[0]] - fused[head[-1]]
        unit = spread if spread > 0 else 1.0
        bonus = unit * (cand.features @ weights)
        scores = dict(fused)
        for row, b in zip(head, bonus):
            scores[row] = fused[row] + float(b)
        kept = self.kept(head)
        order = [sorted((i for i in range(len(head)) if (head[i] in kept) == first), key=lambda i: (-scores[head[i]], i))
                 for first in (True, False)]
        if order[0]:
            # the other candidates stay below the kept ones, so hits stay sorted by score: a passage that overtook a
            # kept one scores like the lowest kept one (its "rerank" value, the score change, is then negative)
            floor = min(scores[head[i]] for i in order[0])
            for i in order[1]:
                scores[head[i]] = min(scores[head[i]], floor)
        timings["rerank"] = (time.perf_counter() - t) * 1000
        rows = [head[i] for i in order[0] + order[1]] + list(ranked[self.depth :])
        return Reranked(rows, scores, {r: scores[r] - fused[r] for r in head})

    def weights_for(self, lang: str) -> np.ndarray:
        """The feature weights for a question in `lang` (Japanese has its own, learned from the corpus)."""
        return self.weights_ja if lang == "ja" else self.weights

    def kept(self, head: Sequence[int]) -> frozenset[int]:
        """The candidates that are the first stage's best `keep` distinct passages (none when keep is 0); a passage
        that diversify drops for overlapping one of them is not kept, so it cannot take that one's place."""
        if self.keep <= 0:
            return frozenset()
        return frozenset(diversify(head, self._passages, self.keep))

    def features(self, query: str, lang: str, rows: Sequence[int], groups: Sequence[Sequence[str]],
                 only: Collection[str] = FEATURES, kind: answer_type.Kind | None = None) -> Candidates:
        """The feature matrix of `rows` for a question whose BM25 term groups are `groups` (columns not in `only`
        are left 0); the kind of answer it asks for is read from `query` unless given."""
        groups = [list(g) for g in (_content(g) for g in groups) if g]
        idfs = self._idfs({t for g in groups for t in g})
        weights = lexical.group_weights(groups, idfs)
        kind = kind or answer_type.classify(query, lang)
        out = np.zeros((len(rows), len(FEATURES)))
        if only and set(only) <= {"proximity"} and self._bm25.has_sequences:
            # proximity reads each passage's terms in order, which the index stores: no Sudachi pass per candidate
            # (at 100k passages the candidates are rarely cached, and tokenizing 20 of them cost ~20 ms a query)
            for i, sequence in enumerate(self._bm25.term_sequences(rows)):
                out[i, FEATURES.index("proximity")] = lexical.proximity(sequence, groups, weights, WINDOW)
            return Candidates(kind, tuple(rows), out)
        q_tokens = self.analyzer.tokens(query)
        known_terms = {t for g in groups for t in g} | {t.term for t in q_tokens if t.term}
        known_numbers = answer_type.question_numbers(query, q_tokens)
        per_row = [self._sentences(r) for r in rows]
        lengths = [len(s.terms) for sents in per_row for s in sents]
        avg_len = sum(lengths) / len(lengths) if lengths else 1.0
        for i, sents in enumerate(per_row):
            out[i] = _row_features(sents, groups, idfs, weights, avg_len, kind, known_terms, known_numbers, only)
        top = out[:, 0].max()
        if top > 0:
            out[:, 0] /= top  # sentence BM25 is unbounded: relative to the best candidate's
        return Candidates(kind, tuple(rows), out)

    def _idfs(self, terms: set[str]) -> dict[str, float]:
        with self._idf_lock:
            missing = [t for t in terms if t not in self._idf]
        found = {}
        # a term's document frequency: the length of its postings; its idf as a float, as a float32 would keep the
        # features' arithmetic in float32
        for t in missing:
            df = self._bm25.document_frequency(t)
            found[t] = float(bm25_idf(df, self._bm25.size)) if df else 0.0
        with self._idf_lock:
            self._idf.update(found)
            return {t: self._idf[t] for t in terms}


def _content(group: Sequence[str]) -> list[str]:
    return [t for t in group if not answer_type.is_interrogative(t)]


def _row_features(sents: Sequence[Sentence], groups, idfs, weights, avg_len: float, kind: answer_type.Kind,
                  known_terms: set[str], known_numbers: frozenset[str], only: Collection[str]) -> list[float]:
    best_bm25 = best_cov = answer = 0.0
    sentence_level = "coverage" in only or "answer" in only
    for s in sents:
        if "sentence" in only:
            best_bm25 = max(best_bm25, lexical.bm25(s.terms, groups, idfs, avg_len))
        if sentence_level:
            cov = lexical.coverage(s.terms, groups, weights)
            best_cov = max(best_cov, cov)
            if "answer" in only and cov > answer and answer_type.has_evidence(s.tokens, kind, known_terms,
                                                                              known_numbers):
                answer = cov  # the detail asked for, in a sentence that matches the question: weighted by how well
    near = 0.0
    if "proximity" in only:
        near = lexical.proximity([t for s in sents for t in s.terms], groups, weights, WINDOW)
    return [best_bm25, best_cov if "coverage" in only else 0.0, near, answer]
