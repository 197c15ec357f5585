"""The local mode's sparse scoring, the client's Python loop against rag/qdrant/sparse_local.py, side by side in one
run: hybrid search p50 on the published seed index, and one sparse query's scoring time over more stored vectors.

    python benchmarks/qdrant_local_sparse.py [--index index] [--seeds seeds] [--rounds 3] [--sizes 245 2450 24500]

The larger sizes repeat the seed index's own stored vectors (e5's latent terms and BM25's), so their lengths and
overlaps are the corpus's; the queries are the team questions' own sparse queries. Rankings are compared too.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from qdrant_fusion import published_searcher  # noqa: E402
from rag.qdrant import sparse_local  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--index", type=Path, default=REPO / "index")
    ap.add_argument("--seeds", type=Path, default=REPO / "seeds")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--sizes", type=int, nargs="+", default=[245, 2450, 24500])
    args = ap.parse_args()
    from qdrant_client.local import local_collection
    from qdrant_client.local.sparse_distances import calculate_distance_sparse as clients_own

    questions = [json.loads(line)["question"] for line in (REPO / "eval/questions/team.jsonl").read_text().splitlines()]
    with published_searcher(args.index, args.seeds, "sparse") as searcher:
        for q in questions:  # each question's encodings cached before any is timed, so both time the same work
            searcher.search(q, 10)
        scorers = {"client's loop": clients_own, "numpy": sparse_local.calculate_distance_sparse}
        times: dict[str, list[float]] = {name: [] for name in scorers}
        rankings: dict[str, list] = {}
        captured: list = []  # (query, stored vectors) of the sparse queries asked, for the sizes below
        for r in range(args.rounds):
            for name, scorer in scorers.items():
                def spy(query, vectors, empty_is_zero=False, _scorer=scorer, _keep=(r == 0 and name == "numpy")):
                    if _keep:
                        captured.append((query, vectors))
                    return _scorer(query, vectors, empty_is_zero)

                local_collection.calculate_distance_sparse = spy
                ranked = []
                for q in questions:
                    t = time.perf_counter()
                    hits = searcher.search(q, 10).hits
                    times[name].append(time.perf_counter() - t)
                    ranked.append([(h.passage.passage_id, h.score) for h in hits])
                rankings.setdefault(name, ranked)
        local_collection.calculate_distance_sparse = sparse_local.calculate_distance_sparse
        same = rankings["client's loop"] == rankings["numpy"]
        print(f"hybrid search over the {len(searcher.index.passages)} seed passages, {len(questions)} team questions "
              f"x {args.rounds} rounds, alternated, encodings cached; identical rankings and scores: {same}")
        for name, ts in times.items():
            print(f"  {name:>13}: p50 {statistics.median(ts) * 1e3:6.1f} ms, mean {statistics.mean(ts) * 1e3:6.1f} ms")
        by_store: dict[int, tuple] = {}
        for query, vectors in captured:
            by_store.setdefault(len(vectors), (query, vectors))
        print("one sparse query's scoring (ms, median of the queries asked of each stored signal):")
        for size in args.sizes:
            row = {name: [] for name in scorers}
            for query, vectors in list(by_store.values())[:2]:
                grown = (list(vectors) * (size // len(vectors) + 1))[:size]
                for name, scorer in scorers.items():
                    scorer(query, grown)  # numpy's flat form is kept after the first query, as a serving version's is
                    t = time.perf_counter()
                    scorer(query, grown)
                    row[name].append(time.perf_counter() - t)
            print(f"  {size:>6} vectors: " + ", ".join(f"{name} {statistics.median(v) * 1e3:8.2f}"
                                                        for name, v in row.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
