"""Qdrant's server-side fusion (one `query_points` with a prefetch per signal, fused by RRF or DBSF) against the
product's client-side fusion, on the same published version: quality only (the local mode's times mean nothing).

    python benchmarks/qdrant_fusion.py [--index index] [--seeds seeds] [--sets team dev]

Server-side fusion sees each signal's top 100 and cannot apply the per-language weights, the English bridge groups'
best-term max (English BM25 goes in as the plain sum over every alternative), or the rerank stage.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from eval.questions import load_questions, read_seed_texts  # noqa: E402
from eval.relevance import evidence_occurrences, is_relevant  # noqa: E402
from rag.indexing import backend  # noqa: E402
from rag.qdrant import BM25  # noqa: E402
from rag.retrieval.engine import Searcher, detect_language  # noqa: E402
from rag.runtime import load_embedders  # noqa: E402
from rag.settings import Settings  # noqa: E402
from rag.stores.japanese import default_analyzer  # noqa: E402

PREFETCH = 100


@contextmanager
def published_searcher(index: Path, seeds: Path, name: str) -> Iterator[Searcher]:
    """A Searcher over the local index pushed into a fresh Qdrant local-mode folder (in /dev/shm if there is one,
    so that the push's per-point SQLite commits do not time the disk); the folder is removed afterwards."""
    local = Settings.from_env(index_dir=index, seeds_dir=seeds)
    folder = Path(tempfile.mkdtemp(prefix=f"newsrag-{name}-", dir="/dev/shm" if Path("/dev/shm").is_dir() else None))
    try:
        settings = local.replace(store="qdrant", qdrant_path=folder / "store")
        backend.push(settings)
        yield Searcher(backend.open_index(settings), load_embedders(settings), default_analyzer(), settings)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def server_fused(searcher: Searcher, conn, collection: str, question: str, method: str) -> list[int]:
    """Rows of one query_points call: a prefetch per signal, fused by Qdrant."""
    from qdrant_client import models as m

    q = searcher._encode(question, detect_language(question), searcher.components, {})
    prefetch = []
    for c in searcher.components:
        store = getattr(c, "store", None)
        if c.name in ("e5", "use"):
            prefetch.append(m.Prefetch(query=q.vector(c.name).tolist(), using=c.name, limit=PREFETCH))
        elif c.name.endswith("-sparse"):
            idx, val = q.vector(c.embedder, "sparse")
            prefetch.append(m.Prefetch(query=m.SparseVector(indices=[int(i) for i in idx], values=[float(v) for v in val]),
                                       using=c.name, limit=PREFETCH))
        elif c.name == "bm25":
            groups = c.term_groups(q) or [[t] for t in searcher.analyzer.terms(question)]
            vec = store._vector([t for g in groups for t in g])
            if vec is not None:
                prefetch.append(m.Prefetch(query=vec, using=BM25, limit=PREFETCH))
    fusion = m.Fusion.RRF if method == "rrf" else m.Fusion.DBSF
    res = conn.client.query_points(collection, prefetch=prefetch, query=m.FusionQuery(fusion=fusion), limit=10,
                                   with_payload=["row"])
    return [int(p.payload["row"]) for p in res.points]


def first_relevant(passages, evidence) -> int:
    """1-based rank of the first relevant passage, 0 when none is."""
    return next((i for i, p in enumerate(passages, 1) if is_relevant(p.doc_id, p.start, p.end, evidence)), 0)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--index", type=Path, default=REPO / "index")
    ap.add_argument("--seeds", type=Path, default=REPO / "seeds")
    ap.add_argument("--sets", nargs="+", default=["team", "dev"])
    args = ap.parse_args()
    with published_searcher(args.index, args.seeds, "fusion") as searcher:
        conn = next(iter({s.conn for s in searcher.index.dense.values()}))
        collection = next(iter(searcher.index.dense.values())).collection
        for name in args.sets:
            rows = load_questions(REPO / f"eval/questions/{name}.jsonl")
            texts = read_seed_texts(args.seeds, {e.doc for q in rows for e in q.evidence})
            out = {}
            for method in ("client", "rrf", "dbsf"):
                ranks = []
                for q in rows:
                    if method == "client":
                        hits = [h.passage for h in searcher.search(q.question, 10).hits]
                    else:
                        hits = [searcher.index.passages[r] for r in server_fused(searcher, conn, collection,
                                                                                  q.question, method)]
                    ranks.append(first_relevant(hits, evidence_occurrences(q, texts)))
                n = len(ranks)
                out[method] = {"hit@1": sum(r == 1 for r in ranks) / n, "recall@5": sum(0 < r <= 5 for r in ranks) / n,
                               "mrr@10": sum(1 / r for r in ranks if 0 < r <= 10) / n}
            print(name, json.dumps({k: {m: round(v, 3) for m, v in d.items()} for k, d in out.items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
