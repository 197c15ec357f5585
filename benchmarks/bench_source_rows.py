"""What knowing the source rows costs a search at a million passages: the index's passages repeated (each copy a
document of its own) to about a million rows, then the first question about a source (every article's rows found)
and a search's hiding of them among 300 candidates (rag/retrieval/sources.py `without_sources`).

    .venv/bin/python benchmarks/bench_source_rows.py --index index [--rows 1000000]

Run it with an older checkout first on the path (PYTHONPATH=<checkout>) to compare code side by side.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from rag.indexing.load import load_index  # noqa: E402
from rag.indexing.passages import PassageTable  # noqa: E402
from rag.retrieval.sources import SourceRows, without_sources  # noqa: E402
from rag.stores.ranking import Ranking  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--index", type=Path, required=True, help="a built index directory")
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--embedders", default="e5,use", help="the index's embedders")
    args = p.parse_args()
    index = load_index(args.index, tuple(args.embedders.split(",")))
    base = index.passages
    copies = args.rows // len(base) + 1
    docs = {f"{d}~{k}": index.docs[d] for k in range(copies) for d in base.doc_ids}
    n = len(base.doc_ids)
    table = PassageTable(docs, np.concatenate([base.doc + k * n for k in range(copies)]).astype(np.int32),
                         np.tile(base.article, copies), np.tile(base.start, copies), np.tile(base.end, copies),
                         np.tile(base.tokens, copies))
    t = time.perf_counter()
    found = SourceRows(table).found()
    print(f"{len(table):,} rows, {sum(map(len, found.values())):,} source rows; each article's rows found in "
          f"{time.perf_counter() - t:.3f} s")
    rng = np.random.default_rng(0)
    answers = [(name, Ranking(rng.choice(len(table), 100, replace=False).astype(np.int64),
                              np.ones(100, np.float32)), 0.0) for name in ("a", "b", "c")]
    t = time.perf_counter()
    without_sources(answers, table)
    print(f"first search's hiding: {(time.perf_counter() - t) * 1e3:.1f} ms")
    t = time.perf_counter()
    for _ in range(200):
        without_sources(answers, table)
    print(f"then a search's hiding of 300 candidates: {(time.perf_counter() - t) / 200 * 1e6:.0f} µs")


if __name__ == "__main__":
    main()
