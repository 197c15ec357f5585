"""Lab: BM25's k1 and b, never tuned since the first round (1.2 / 0.75, the textbook values), swept through the
whole hybrid search (fusion, second stage, de-duplication), one loaded index, in process.

    .venv/bin/python benchmarks/bm25_params.py --index <index> --seeds <seeds> --questions <set.jsonl> ... \
        [--k1 0.6,0.9,1.2,1.5,2.0] [--b 0.3,0.5,0.75,0.9] [--modes hybrid,bm25]

BM25's length normalisation is computed when the store loads (`BM25Store._norm`), from each passage's stored length,
so a setting is tried by recomputing it on the loaded store: nothing is rebuilt. The fusion min-max normalises each
component's scores, so the missing (k1 + 1) factor of the store's weights does not matter. Prints hit@1 / R@5 /
MRR@10 per set and language for each cell.
"""

from __future__ import annotations

import argparse
import collections
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from eval.questions import load_questions, read_seed_texts  # noqa: E402
from eval.relevance import evidence_occurrences, is_relevant  # noqa: E402
from rag.runtime import load_embedders, open_searcher  # noqa: E402
from rag.settings import Settings  # noqa: E402


def set_params(store, k1: float, b: float) -> None:
    store.k1, store.b = k1, b
    store._norm = k1 * ((1 - b) + b * store._dl.astype(np.float64) / store.avgdl)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--index", type=Path, required=True)
    p.add_argument("--seeds", type=Path, required=True)
    p.add_argument("--questions", type=Path, action="append", required=True)
    p.add_argument("--k1", default="0.6,0.9,1.2,1.5,2.0")
    p.add_argument("--b", default="0.3,0.5,0.75,0.9")
    p.add_argument("--modes", default="hybrid")
    args = p.parse_args()
    settings = Settings.from_env({}, seeds_dir=args.seeds, index_dir=args.index)
    searcher = open_searcher(settings, embedders=load_embedders(settings))
    stores = [c.store for c in searcher.components if type(c).__name__ == "BM25Component"]
    sets = {path.stem: load_questions(path) for path in args.questions}
    texts = read_seed_texts(args.seeds, {e.doc for qs in sets.values() for q in qs for e in q.evidence})
    evidence = {(name, i): evidence_occurrences(q, texts) for name, qs in sets.items() for i, q in enumerate(qs)}
    cells = [(float(k1), float(b)) for k1 in args.k1.split(",") for b in args.b.split(",")]
    print(f"{len(stores)} BM25 store(s); sets: {', '.join(f'{n} ({len(q)})' for n, q in sets.items())}")
    for mode in args.modes.split(","):
        print(f"\n## {mode}\n\n| k1 | b | " + " | ".join(f"{n} all | {n} en | {n} ja" for n in sets) + " |")
        print("|---|---|" + "---|" * (3 * len(sets)))
        for k1, b in cells:
            for s in stores:
                set_params(s, k1, b)
            ranks: dict[tuple[str, str], list[int]] = collections.defaultdict(list)
            for name, qs in sets.items():
                for i, q in enumerate(qs):
                    hits = searcher.search(q.question, top_k=10, mode=mode).hits
                    rank = next((j + 1 for j, h in enumerate(hits) if is_relevant(
                        h.passage.doc_id, h.passage.start, h.passage.end, evidence[name, i])), 0)
                    ranks[name, "all"].append(rank)
                    ranks[name, q.lang].append(rank)

            def cell(r: list[int]) -> str:
                if not r:
                    return "–"
                return (f"{sum(x == 1 for x in r) / len(r):.3f} / {sum(0 < x <= 5 for x in r) / len(r):.3f} / "
                        f"{sum(1 / x for x in r if x) / len(r):.3f}")
            print(f"| {k1} | {b} | " + " | ".join(cell(ranks[n, lang]) for n in sets for lang in ("all", "en", "ja"))
                  + " |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
