"""The query batcher with one batch in flight against one per engine (rag/embedders/batching.py), in one process,
alternated so that both see the same machine: every distinct team question at concurrency 8, with the sparse head
on (shipped) and off. Prints questions/s, the process's CPU ms per question and the cores it kept busy.

    flock /tmp/newsrag-measure.lock env PYTHONPATH=$PWD .venv/bin/python benchmarks/bench_batch_workers.py \
        --index benchmarks/out/api-index
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from rag.embedders.batching import BatchingEmbedder
from rag.indexing import backend
from rag.retrieval.engine import Searcher
from rag.runtime import load_embedders
from rag.settings import Settings
from rag.stores.japanese import default_analyzer

REPO = Path(__file__).resolve().parent.parent


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--index", type=Path, default=REPO / "benchmarks" / "out" / "api-index")
    p.add_argument("--seeds", type=Path, default=REPO / "seeds")
    p.add_argument("--rounds", type=int, default=2)
    args = p.parse_args()
    base = Settings.from_env({}, seeds_dir=args.seeds, index_dir=args.index)
    raw = {k: e.inner if isinstance(e, BatchingEmbedder) else e for k, e in load_embedders(base).items()}
    index, analyzer = backend.open_index(base), default_analyzer()
    lines = (REPO / "eval" / "questions" / "team.jsonl").read_text(encoding="utf-8").splitlines()
    qs = list(dict.fromkeys(json.loads(line)["question"] for line in lines if line.strip()))

    def searcher(workers: int, sparse: bool) -> Searcher:
        settings = dataclasses.replace(base, sparse=sparse)
        embedders = {k: BatchingEmbedder(v, settings.query_batch_ms, settings.query_batch_max) for k, v in raw.items()}
        for b in embedders.values():
            b._workers = min(b._workers, workers)  # the old behaviour is one worker
        s = Searcher(index, embedders, analyzer, settings)  # a fresh query-vector cache: every question is new
        s.search("warm-up", 5)
        return s

    print("| sparse head | batches in flight | questions/s | CPU ms per question | cores busy |\n|---|---:|---:|---:|---:|")
    for round_ in range(args.rounds):
        for sparse in (True, False):
            for workers in (1, 2) if round_ % 2 == 0 else (2, 1):
                s = searcher(workers, sparse)
                c0, w0 = time.process_time(), time.perf_counter()
                with ThreadPoolExecutor(8) as pool:
                    list(pool.map(lambda q: s.search(q, 5), qs))
                cpu, wall = time.process_time() - c0, time.perf_counter() - w0
                print(f"| {'on' if sparse else 'off'} | {workers} | {len(qs) / wall:.1f} | {cpu * 1000 / len(qs):.1f} | "
                      f"{cpu / wall:.2f} |", flush=True)


if __name__ == "__main__":
    main()
