"""The components' stores over one Qdrant index version: the same ranking methods as the local stores, answered by
Qdrant queries against that version's collection (never the alias, so one response reads one version).

Rows are the passages' positions in the version's manifest order, stored in each point's payload. A search's filter
(documents, published dates) goes to Qdrant as a payload filter on the indexed `doc_id` and `published_day` fields.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..components import Ranking
from ..stores.bm25 import EMPTY, bm25_idfs
from . import BM25, Connection

logger = logging.getLogger(__name__)

# An English question's BM25 groups (best alternative per word) are not one sparse query: candidates come from the
# sum over all alternatives, with their stored BM25 vectors, and the groups are scored here.
GROUP_CANDIDATES = 1000
HNSW_EF = 128  # a server's HNSW search breadth for dense queries (small collections are scanned exactly anyway)


def payload_filter(scope: Any) -> Any:
    """A Qdrant filter for a search's restriction (doc ids, an inclusive published-date range), or None."""
    from qdrant_client import models as m

    if scope is None or scope.empty:
        return None
    must: list[Any] = []
    if scope.doc_ids:
        must.append(m.FieldCondition(key="doc_id", match=m.MatchAny(any=list(scope.doc_ids))))
    if scope.published_from or scope.published_to:
        lo = f"{scope.published_from[:10]}T00:00:00Z" if scope.published_from else None
        hi = f"{scope.published_to[:10]}T00:00:00Z" if scope.published_to else None
        must.append(m.FieldCondition(key="published_day", range=m.DatetimeRange(gte=lo, lte=hi)))
    return m.Filter(must=must)


def _ranking(points: Sequence[Any], k: int, positive: bool) -> Ranking:
    """Rows and scores of Qdrant's points, best first and ties by row, as the local stores order them."""
    pairs = [(int(p.payload["row"]), float(p.score)) for p in points if not positive or p.score > 0]
    pairs.sort(key=lambda rs: (-rs[1], rs[0]))
    pairs = pairs[:k]
    return Ranking(np.array([r for r, _ in pairs], np.int64), np.array([s for _, s in pairs], np.float32))


class _Collection:
    def __init__(self, conn: Connection, collection: str, size: int) -> None:
        self.conn = conn
        self.collection = collection
        self.size = size

    def __len__(self) -> int:
        return self.size

    def _query(self, query: Any, using: str, k: int, scope: Any) -> list[Any]:
        from qdrant_client import models as m

        res = self.conn.call(self.conn.client.query_points, self.collection, query=query, using=using, limit=max(k, 1),
                             query_filter=payload_filter(scope), with_payload=["row"],
                             search_params=None if self.conn.local else m.SearchParams(hnsw_ef=HNSW_EF))
        return res.points


class QdrantDense(_Collection):
    """A named dense vector of the passages' points; dot product of normalised vectors, as the local store."""

    def __init__(self, conn: Connection, collection: str, size: int, name: str, dim: int) -> None:
        super().__init__(conn, collection, size)
        self.name = name
        self.dim = dim

    def search(self, query: np.ndarray, k: int, allowed: np.ndarray | None = None,
               scope: Any = None) -> Ranking:
        if allowed is not None and allowed.size == 0:
            return Ranking.empty()
        points = self._query(np.asarray(query, np.float32).ravel().tolist(), self.name, k, scope)
        return _ranking(points, k, positive=False)


class QdrantSparse(_Collection):
    """e5's latent terms as a sparse vector: Qdrant's dot product over the question's features."""

    def __init__(self, conn: Connection, collection: str, size: int, name: str) -> None:
        super().__init__(conn, collection, size)
        self.name = name

    def top(self, query: tuple[np.ndarray, np.ndarray], k: int, allowed: np.ndarray | None = None,
            scope: Any = None) -> Ranking:
        from qdrant_client import models as m

        idx, val = (np.asarray(a) for a in query)
        keep = val != 0
        if not keep.any() or (allowed is not None and allowed.size == 0):
            return Ranking.empty()
        vec = m.SparseVector(indices=idx[keep].astype(int).tolist(), values=val[keep].astype(float).tolist())
        return _ranking(self._query(vec, self.name, k, scope), k, positive=True)


class QdrantBM25(_Collection):
    """BM25 as a sparse vector. On one shard its values are the saturated term frequencies and Qdrant's IDF modifier
    supplies the inverse document frequency over the version's points, the Lucene IDF bm25s uses (`idf_in="qdrant"`);
    on several shards, whose IDF would be each shard's own, the values already carry bm25s's IDF (`"stored"`)."""

    def __init__(self, conn: Connection, collection: str, size: int, terms: Sequence[str],
                 df: Sequence[int], idf_in: str = "qdrant", sequences: bool = False) -> None:
        super().__init__(conn, collection, size)
        self._terms = list(terms)
        self._vocab = {t: i for i, t in enumerate(self._terms)}
        self._df = np.asarray(df, np.int64)
        self._idf_in = idf_in
        # each point's BM25 term ids in text order (`bm25_seq`), which a version published before they were stored
        # lacks: the reranker then tokenizes its candidates instead
        self.has_sequences = sequences

    @property
    def vocabulary(self) -> set[str]:
        return set(self._vocab) - {EMPTY}

    def term_sequences(self, rows: Sequence[int]) -> list[list[str] | None]:
        """The passages' BM25 terms in text order, by row, read in one request (none for a source row)."""
        from qdrant_client import models as m

        if not self.has_sequences or not len(rows):
            return [None] * len(rows)
        wanted = [int(r) for r in rows]
        points, _ = self.conn.call(self.conn.client.scroll, self.collection, scroll_filter=m.Filter(must=[
            m.FieldCondition(key="row", match=m.MatchAny(any=sorted(set(wanted))))]), limit=len(set(wanted)),
            with_payload=["row", "bm25_seq"], with_vectors=False)
        found = {int(p.payload["row"]): p.payload.get("bm25_seq") or [] for p in points}
        if missing := [r for r in wanted if r not in found]:  # a point gone from the version: its proximity is 0
            logger.warning("%s: no point for rows %s; their term sequences are read as empty", self.collection,
                           missing[:5])
        return [[self._terms[t] for t in found.get(r, ())] for r in wanted]

    def document_frequency(self, term: str) -> int:
        i = self._vocab.get(term)
        return int(self._df[i]) if i is not None else 0

    def _vector(self, terms: Sequence[str]) -> Any:
        from qdrant_client import models as m

        counts: dict[int, float] = {}
        for t in terms:  # a repeated query term counts again, as bm25s adds its postings again
            if t in self._vocab:
                counts[self._vocab[t]] = counts.get(self._vocab[t], 0.0) + 1.0
        return m.SparseVector(indices=list(counts), values=list(counts.values())) if counts else None

    def top(self, terms: Sequence[str], k: int, allowed: np.ndarray | None = None, scope: Any = None) -> Ranking:
        vec = self._vector(terms)
        if vec is None or (allowed is not None and allowed.size == 0):
            return Ranking.empty()
        return _ranking(self._query(vec, BM25, k, scope), k, positive=True)

    def top_groups(self, groups: Sequence[Sequence[str]], k: int, allowed: np.ndarray | None = None,
                   scope: Any = None) -> Ranking:
        """Sum over groups of each group's best term. Qdrant proposes candidates by the sum over every alternative and
        returns their stored BM25 vectors; the groups are scored here with the same IDF (exact on the candidates,
        which hold every passage with any of the terms up to GROUP_CANDIDATES of them)."""
        from qdrant_client import models as m

        ids = [list(dict.fromkeys(self._vocab[t] for t in g if t in self._vocab)) for g in groups]
        ids = [g for g in ids if g]
        terms = list(dict.fromkeys(i for g in ids for i in g))
        if not terms or (allowed is not None and allowed.size == 0):
            return Ranking.empty()
        res = self.conn.call(self.conn.client.query_points, self.collection,
                             query=m.SparseVector(indices=terms, values=[1.0] * len(terms)), using=BM25,
                             limit=max(k, GROUP_CANDIDATES), query_filter=payload_filter(scope),
                             with_payload=["row"], with_vectors=[BM25])
        df = self._df[terms]
        weight = bm25_idfs(df, self.size) if self._idf_in == "qdrant" else np.ones(len(terms), np.float32)
        idf = dict(zip(terms, weight.tolist()))
        pairs = []
        for p in res.points:
            vec = p.vector[BM25]
            tf = dict(zip(vec.indices, vec.values))
            score = sum(max(idf[t] * tf.get(t, 0.0) for t in g) for g in ids)
            if score > 0:
                pairs.append((int(p.payload["row"]), score))
        pairs.sort(key=lambda rs: (-rs[1], rs[0]))
        pairs = pairs[:k]
        return Ranking(np.array([r for r, _ in pairs], np.int64), np.array([s for _, s in pairs], np.float32))


class QdrantAligner:
    """The BM25 vocabulary's term vectors in their own collection, queried for the terms nearest each English word."""

    def __init__(self, conn: Connection, collection: str, name: str, count: int) -> None:
        self.conn = conn
        self.collection = collection
        self.name = name
        self._count = count

    def __len__(self) -> int:
        return self._count

    def groups(self, word_vectors: np.ndarray, k: int, min_similarity: float) -> list[list[str]]:
        return [g for g in self.per_word(word_vectors, k, min_similarity) if g]

    def per_word(self, word_vectors: np.ndarray, k: int, min_similarity: float) -> list[list[str]]:
        from qdrant_client import models as m

        if not self._count or k <= 0 or not len(word_vectors):
            return [[] for _ in word_vectors]
        requests = [m.QueryRequest(query=np.asarray(v, np.float32).tolist(), using=self.name, limit=k,
                                   score_threshold=min_similarity, with_payload=["term"]) for v in word_vectors]
        results = self.conn.call(self.conn.client.query_batch_points, self.collection, requests)
        out = []
        for r in results:
            pts = sorted(r.points, key=lambda p: (-p.score, p.payload["term"]))
            out.append([p.payload["term"] for p in pts if p.score >= min_similarity])
        return out
