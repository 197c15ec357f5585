"""How far Qdrant's BM25 (the `bm25` sparse vector with the IDF modifier) drifts from bm25s when a version's collection
has several shards: Qdrant computes the IDF per shard (N and df of that shard's points), not per collection.

The published points are split over S in-process engine shards (qdrant-edge) by a hash of their id, as Qdrant's auto
sharding spreads them; each shard answers with its own IDF and the per-shard top lists are merged by score, as the
collection's coordinator merges them. Reported per S: Japanese team questions whose BM25 top-10 is bm25s's, the mean
top-10 overlap, and the largest relative score difference.
Usage: .venv/bin/python benchmarks/qdrant_shard_idf.py [--index index] [--shards 1 2 3]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import tempfile
from pathlib import Path

import numpy as np
import qdrant_edge as qe

from rag.indexing import records
from rag.indexing.columns import PASSAGE_COLUMNS, PassageColumns
from rag.indexing.load import load_index
from rag.indexing.manifest import read_manifest, verify_files
from rag.qdrant import BM25
from rag.qdrant.publish import _points
from rag.stores.bm25 import BM25Store
from rag.stores.japanese import default_analyzer

REPO = Path(__file__).resolve().parents[1]
K = 10


def shard_of(point_id: str, shards: int) -> int:
    return int(hashlib.sha1(point_id.encode()).hexdigest(), 16) % shards


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index", type=Path, default=REPO / "index")
    ap.add_argument("--shards", type=int, nargs="+", default=[1, 2, 3])
    args = ap.parse_args()
    manifest = read_manifest(args.index)
    build_dir = verify_files(args.index, manifest)
    local = load_index(args.index, tuple(e["spec"] for e in manifest["embedders"]))
    passages, keys = list(local.passages), PassageColumns.load(build_dir / PASSAGE_COLUMNS).keys()
    docs = {row["doc_id"]: row for row in records.read_documents(build_dir / records.DOCUMENTS)}
    bm25 = local.bm25  # the term ids Qdrant's points carry are this store's (bm25.term_frequencies)
    vocab = {t: i for i, t in enumerate(bm25.vocab)}
    points = [(p.id, int(p.payload["row"]), p.vector[BM25]) for p in _points(local, passages, keys, docs)]
    questions = [q["question"] for q in map(json.loads, (REPO / "eval/questions/team.jsonl").read_text().splitlines())
                 if q["lang"] == "ja"]
    print(f"{len(passages)} passages, {len(questions)} Japanese questions, BM25 top-{K}")
    for s in args.shards:
        with tempfile.TemporaryDirectory(prefix="newsrag-shard-idf-") as tmp:
            report(s, Path(tmp), points, questions, vocab, bm25)


def report(s: int, tmp: Path, points: list, questions: list[str], vocab: dict[str, int], bm25: BM25Store) -> None:
    config = qe.EdgeConfig(sparse_vectors={BM25: qe.EdgeSparseVectorParams(modifier=qe.Modifier.Idf)})
    engines = []
    for i in range(s):
        e = qe.EdgeShard.create(str(tmp / str(i)), config)
        e.update(qe.UpdateOperation.upsert_points([
            qe.Point(id=pid, vector={BM25: qe.SparseVector(indices=list(v.indices), values=list(v.values))},
                     payload={"row": row}) for pid, row, v in points if shard_of(pid, s) == i]))
        engines.append(e)
    analyzer = default_analyzer()
    same, overlap, worst = 0, [], 0.0
    for q in questions:
        terms = analyzer.terms(q)
        counts: dict[int, float] = {}
        for t in terms:
            if t in vocab:
                counts[vocab[t]] = counts.get(vocab[t], 0.0) + 1.0
        vec = qe.SparseVector(indices=list(counts), values=list(counts.values()))
        hits = [(int(p.payload["row"]), p.score) for e in engines for p in e.query(qe.QueryRequest(
            limit=K, query=qe.Query.Nearest(vec, using=BM25), with_payload=["row"]))]
        hits = sorted(hits, key=lambda h: (-h[1], h[0]))[:K]  # the coordinator's merge of the shards' top lists
        local, every = bm25.top(terms, K), bm25.scores(terms)
        same += [r for r, _ in hits] == local.rows.tolist()
        overlap.append(len({r for r, _ in hits} & set(local.rows.tolist())) / max(1, local.rows.size))
        worst = max(worst, max(abs(sc - every[r]) / every[r] for r, sc in hits))
    sizes = [e.info().points_count for e in engines]
    print(f"shards={s} {sizes}: identical top-{K} {same}/{len(questions)}, mean overlap {np.mean(overlap):.3f}, "
          f"largest relative score difference {worst:.3f}")
    for e in engines:
        e.close()


if __name__ == "__main__":
    main()
