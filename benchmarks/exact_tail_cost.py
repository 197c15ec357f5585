"""What the exact tail costs a question at its largest (rag/stores/dense.py, `exact_tail`): on a bench_scale index,
each dense component's search as it is, and the exact scan of `EXACT_TAIL` (or --tail) slots that a search adds when an
approximate index stops that many slots short of the end (p50 / p95 over the benchmark's questions, in ms).

    .venv/bin/python benchmarks/exact_tail_cost.py --passages 1000000 [--queries 200] [--tail 4096]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "benchmarks")]

from bench_scale import full_build, pct  # noqa: E402
from rag.indexing.load import load_index  # noqa: E402
from rag.stores.dense import EXACT_TAIL  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--passages", type=int, required=True)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--tail", type=int, default=EXACT_TAIL, help="slots scanned exactly (default: EXACT_TAIL)")
    args = ap.parse_args()
    index = load_index(full_build(args.passages) / "index", ("e5", "use"))
    rng = np.random.default_rng(0)
    out = {}
    for name, store in index.dense.items():
        rows = rng.choice(len(store), args.queries, replace=False)
        queries = store.row_vectors(rows) + 0.3 * rng.standard_normal((args.queries, store.dim)).astype(np.float32)
        queries /= np.linalg.norm(queries, axis=1, keepdims=True)
        start = len(store.slots) - args.tail
        search, tail = [], []
        for q in queries:
            t = time.perf_counter()
            store.search(q, 50)
            search.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            sims = store.slots.products_from(start, q[None])[0]
            np.argpartition(-sims, 49)[:50]
            tail.append((time.perf_counter() - t) * 1000)
        out[name] = {"indexed": store.indexed, "slots": len(store.slots), "search_ms": pct(search),
                     f"exact_scan_of_{args.tail}_slots_ms": pct(tail)}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
