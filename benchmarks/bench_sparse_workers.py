"""Sparse-head encoding throughput with one single-threaded e5 engine vs N (`E5Embedder(engines=N)`, which replaced
the sparse workers this first measured), side by side in one run.

    flock /tmp/newsrag-measure.lock .venv/bin/python benchmarks/bench_sparse_workers.py --texts 48

Texts are the real seeds' passages; the outputs of both ways are checked to be identical.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from rag.chunking import ChunkParams, chunk_corpus  # noqa: E402
from rag.corpus import load_corpus  # noqa: E402
from rag.embedders.e5 import E5Embedder  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--texts", type=int, default=48)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    texts = [p.text for p in chunk_corpus(load_corpus(REPO / "seeds").documents, ChunkParams())][: args.texts]
    out, rows = {}, {}
    for n in (1, args.workers):
        e5 = E5Embedder(engines=n)
        e5.encode_sparse(texts[:2])  # warm: model load, worker start
        t = time.perf_counter()
        rows[n] = e5.encode_sparse(texts)
        out[f"workers_{n}_texts_per_s"] = round(len(texts) / (time.perf_counter() - t), 2)
        e5.close()  # its engines' threads and models, before the next one loads its own
    same = all(np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1]) for a, b in zip(rows[1], rows[args.workers]))
    out["speedup"] = round(out[f"workers_{args.workers}_texts_per_s"] / out["workers_1_texts_per_s"], 2)
    out["identical"] = bool(same)
    out["texts"] = len(texts)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
