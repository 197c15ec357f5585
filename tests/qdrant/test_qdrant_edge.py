"""The published data scored by Qdrant's real engine (qdrant-edge: the Rust shard, in-process), not the client's
local mode, which re-implements search in Python: BM25 through the `bm25` sparse vector and Qdrant's IDF modifier,
e5's latent terms, and dense search under the payload filters the Qdrant stores send.

The shard holds exactly the points `rag.qdrant.publish` writes, with the payload indexes it creates (`doc_id` keyword,
`published_day` and `published` datetime, `row` integer). Each check runs on the shard as uploaded (one appendable
segment) and after the optimizer has rebuilt it into an indexed segment (HNSW, an immutable sparse inverted index,
indexed payload), as a server holds a collection later. The engine's default HNSW parameters still scan a segment
this small exactly, so dense scores are compared exactly; one shard, so IDF across shards is not checked here.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import qdrant_edge as qe

from rag.indexing import records
from rag.indexing.columns import PASSAGE_COLUMNS, PassageColumns
from rag.indexing.load import load_index
from rag.indexing.manifest import read_manifest, verify_files
from rag.qdrant import BM25
from rag.qdrant.publish import _points
from rag.qdrant.stores import payload_filter
from rag.retrieval.engine import Filters
from rag.stores.japanese import default_analyzer
from rag.stores.ranking import Ranking

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]
JAPANESE = [q["question"] for q in map(json.loads, (REPO / "eval/questions/team.jsonl").read_text().splitlines())
            if q["lang"] == "ja"]
SHM = Path("/dev/shm")
REL = 1e-4  # Qdrant scores in float32; bm25s stores float32 idf × tf, and the publisher divides that idf back out


def edge_point(p: Any) -> Any:
    """A qdrant-client PointStruct as the engine's Point: the same id, vectors and payload."""
    vectors = {name: qe.SparseVector(indices=list(v.indices), values=list(v.values)) if hasattr(v, "indices") else v
               for name, v in p.vector.items()}
    return qe.Point(id=p.id, vector=vectors, payload=p.payload)


def edge_filter(flt: Any) -> Any:
    """The qdrant-client filter the Qdrant stores send (`payload_filter`), as the engine's Filter."""
    must = []
    for c in flt.must:
        if c.match is not None:
            must.append(qe.FieldCondition(key=c.key, match=qe.MatchAny(any=list(c.match.any))))
        else:
            lo, hi = (None if v is None else v.isoformat() for v in (c.range.gte, c.range.lte))
            must.append(qe.FieldCondition(key=c.key, range=qe.RangeDateTime(gte=lo, lte=hi)))
    return qe.Filter(must=must)


@pytest.fixture(scope="module")
def published_points(built_index) -> tuple[list[dict[str, Any]], list[Any]]:
    """(the build's component entries, the passages' points exactly as the publisher writes them)."""
    settings, _ = built_index
    manifest = read_manifest(settings.index_dir)
    build_dir = verify_files(settings.index_dir, manifest)
    docs = {row["doc_id"]: row for row in records.read_documents(build_dir / records.DOCUMENTS)}
    entries = manifest["components"]
    local = load_index(settings.index_dir, settings.embedders)
    passages, keys = list(local.passages), PassageColumns.load(build_dir / PASSAGE_COLUMNS).keys()
    return entries, [edge_point(p) for p in _points(local, passages, keys, docs)]


@pytest.fixture(scope="module", params=["uploaded", "optimized"])
def shard(request, published_points) -> Iterator[Any]:
    """An EdgeShard configured as `publish._create_points` configures the collection (vectors, payload indexes),
    holding its points."""
    entries, points = published_points
    optimized = request.param == "optimized"
    config = qe.EdgeConfig(
        vectors={e["name"]: qe.EdgeVectorParams(size=int(e["params"]["dim"]), distance=qe.Distance.Dot)
                 for e in entries if e["kind"] == "dense"},
        sparse_vectors={**{e["name"]: qe.EdgeSparseVectorParams() for e in entries if e["kind"] == "sparse"},
                        BM25: qe.EdgeSparseVectorParams(modifier=qe.Modifier.Idf)},
        # a 1 KB threshold makes the optimizer index this small shard, as a server indexes a large collection
        optimizers=qe.EdgeOptimizersConfig(indexing_threshold=1) if optimized else None)
    root = Path(tempfile.mkdtemp(prefix="newsrag-edge-", dir=SHM if SHM.is_dir() else None))
    s = qe.EdgeShard.create(str(root / "shard"), config)
    try:
        kind = qe.PayloadSchemaType
        for field, schema in (("doc_id", kind.Keyword), ("published_day", kind.Datetime),
                              ("published", kind.Datetime), ("row", kind.Integer)):
            s.update(qe.UpdateOperation.create_field_index(field, schema))
        s.update(qe.UpdateOperation.upsert_points(points))
        if optimized:
            assert s.optimize()
        info = s.info()
        assert info.points_count == len(points)
        # every point carries both dense and both sparse vectors; indexed, the dense ones are in HNSW too
        assert info.indexed_vectors_count == len(points) * (4 if optimized else 2)
        yield s
    finally:
        s.close()
        shutil.rmtree(root, ignore_errors=True)


def query(shard: Any, vector: Any, using: str, limit: int, flt: Any = None) -> list[tuple[int, float]]:
    res = shard.query(qe.QueryRequest(limit=limit, query=qe.Query.Nearest(vector, using=using), filter=flt,
                                      with_payload=["row"]))
    return [(int(p.payload["row"]), float(p.score)) for p in res]


def assert_ranks_as(local: Ranking, every: np.ndarray, got: Sequence[tuple[int, float]]) -> None:
    """`got` is the local top: the same scores best first, each row scored as the local store scores it (`every` is
    its score of every row), so rows may differ only among equal scores."""
    rows = [r for r, _ in got]
    assert len(set(rows)) == len(rows)
    assert [s for _, s in got] == pytest.approx(local.scores.tolist(), rel=REL)
    assert [float(every[r]) for r in rows] == pytest.approx([s for _, s in got], rel=REL)


def bm25_query(vocab: dict[str, int], terms: Sequence[str]) -> Any:
    """The question's BM25 vector as QdrantBM25 builds it: term ids, each weighted by how often the question says it."""
    counts: dict[int, float] = {}
    for t in terms:
        if t in vocab:
            counts[vocab[t]] = counts.get(vocab[t], 0.0) + 1.0
    return qe.SparseVector(indices=list(counts), values=list(counts.values()))


@pytest.fixture(scope="module")
def vocab(searcher) -> dict[str, int]:
    """BM25's term ids (the store's vocabulary order, which the publisher's `bm25` vectors index)."""
    _, terms, _ = searcher.index.bm25.term_frequencies()
    return {t: i for i, t in enumerate(terms) if t in searcher.index.bm25.vocabulary}


def test_qdrant_idf_is_the_lucene_idf_bm25s_uses(shard, searcher, vocab):
    """Qdrant's IDF modifier multiplies ln(1 + (N − df + 0.5)/(df + 0.5)), N the shard's live points that have a
    `bm25` vector (in every segment) and df those whose vector holds the term. Every passage has one (bm25s gives a
    passage without terms a marker term), so N and df are bm25s's num_docs and postings length, and score ÷ the
    stored saturated tf gives back bm25s's IDF for every term of the questions."""
    bm25, n = searcher.index.bm25, len(searcher.index.passages)
    assert shard.count(qe.CountRequest(filter=qe.Filter(must=[qe.HasVectorCondition(BM25)]))) == n
    terms = sorted({t for q in JAPANESE for t in default_analyzer().terms(q) if t in vocab})
    assert len(terms) > 50
    for t in terms:
        point, = shard.query(qe.QueryRequest(limit=1, query=qe.Query.Nearest(
            qe.SparseVector(indices=[vocab[t]], values=[1.0]), using=BM25), with_vector=[BM25]))
        score, stored = point.score, point.vector[BM25]
        tf = stored.values[stored.indices.index(vocab[t])]
        df = bm25.document_frequency(t)
        assert score / tf == pytest.approx(np.log(1 + (n - df + 0.5) / (df + 0.5)), rel=REL), t


@pytest.mark.parametrize("limit", [10, None])
def test_bm25_through_qdrants_idf_ranks_and_scores_as_bm25s(shard, searcher, vocab, limit):
    bm25, n = searcher.index.bm25, len(searcher.index.passages)
    k = limit or n  # None: every passage holding a question term
    for q in JAPANESE:
        terms = default_analyzer().terms(q)
        local = bm25.top(terms, k)
        assert local.rows.size > 0, q
        assert_ranks_as(local, bm25.scores(terms), query(shard, bm25_query(vocab, terms), BM25, k))


@pytest.fixture(scope="module")
def sparse_questions(embedders) -> list[tuple[np.ndarray, np.ndarray]]:
    return embedders["e5"].encode_sparse(JAPANESE)


@pytest.mark.parametrize("limit", [10, None])
def test_e5_latent_terms_dot_products_equal_the_local_sparse_store(shard, searcher, sparse_questions, limit):
    store, n = searcher.index.sparse["e5"], len(searcher.index.passages)
    k = limit or n
    for q, (idx, val) in zip(JAPANESE, sparse_questions):
        keep = val != 0
        local = store.top((idx, val), k)
        assert local.rows.size > 0, q
        got = query(shard, qe.SparseVector(indices=idx[keep].astype(int).tolist(),
                                           values=val[keep].astype(float).tolist()), "e5-sparse", k)
        assert_ranks_as(local, store.scores((idx, val)), [(r, s) for r, s in got if s > 0])


def _filters(searcher) -> list[Filters]:
    """Restrictions drawn from the index itself: single and several documents, open and closed date ranges."""
    docs = sorted(searcher.index.docs)
    day_numbers = {d for d in searcher.index.row_day.tolist() if d}  # YYYYMMDD, 0 for an undated row
    days = sorted(f"{d // 10000:04d}-{d // 100 % 100:02d}-{d % 100:02d}" for d in day_numbers)
    return [Filters(doc_ids=(docs[1],)), Filters(doc_ids=(docs[0], docs[-1])),
            Filters(published_from=days[len(days) // 3]), Filters(published_to=days[len(days) // 2]),
            Filters(doc_ids=tuple(docs[::2]), published_from=days[1], published_to=days[-2])]


def test_filtered_dense_search_returns_the_local_results_restricted_to_the_same_rows(shard, searcher, embedders):
    store, n = searcher.index.dense["e5"], len(searcher.index.passages)
    questions = JAPANESE[::4]
    vectors = embedders["e5"].encode_queries(questions)
    for f in _filters(searcher):
        allowed = searcher._allowed(f)
        assert 0 < allowed.size < n, f
        flt = edge_filter(payload_filter(f))
        everything = [r for r, _ in query(shard, vectors[0].tolist(), "e5", n, flt)]
        assert sorted(everything) == allowed.tolist(), f  # the engine's filter keeps exactly the allowed rows
        for q, v in zip(questions, vectors):
            rows, scores = store.search(v, 10, allowed)
            assert_ranks_as(Ranking(rows, scores), store.vectors @ v, query(shard, v.tolist(), "e5", 10, flt))
