"""How many passages the merges rewrite over many one-document adds, by segment sizes alone: the shipped rule
(`merge_from`, the newest deltas of like size) against taking every delta at each merge. It calls the real
`merge_kind` and `merge_from` of rag/stores/segments.py on live counts per segment; nothing is built.

    .venv/bin/python benchmarks/merge_policy_sim.py [--base 1000000] [--doc 75] [--adds 100 1000 5000]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rag.stores.segments import merge_from, merge_kind  # noqa: E402


def simulate(base: int, doc: int, adds: int, every_delta: bool) -> dict[str, float]:
    """Segments' live passages (the base first) after each add; the passages each merge rewrites."""
    segments, merges = [base], []
    for _ in range(adds):
        segments.append(doc)
        total = sum(segments)
        kind = merge_kind(len(segments), total, 0, segments[0], 0, total - segments[0])
        if kind == "all":
            merges.append(total)
            segments = [total]
        elif kind == "deltas":
            first = 1 if every_delta else merge_from(segments)
            merges.append(sum(segments[first:]))
            segments = [*segments[:first], sum(segments[first:])]
    return {"merges": len(merges), "rewritten": sum(merges), "mean": sum(merges) / max(1, len(merges)),
            "largest": max(merges, default=0), "segments": len(segments)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base", type=int, default=1_000_000)
    ap.add_argument("--doc", type=int, default=75, help="passages per added document")
    ap.add_argument("--adds", type=int, nargs="+", default=[100, 1000, 5000])
    args = ap.parse_args()
    print("| adds | rule | merges | passages rewritten | per merge | largest merge |\n|---:|---|---:|---:|---:|---:|")
    for adds in args.adds:
        for every, name in ((False, "newest of like size"), (True, "every delta")):
            r = simulate(args.base, args.doc, adds, every)
            print(f"| {adds} | {name} | {r['merges']} | {r['rewritten']:,} | {r['mean']:,.0f} | {r['largest']:,} |")


if __name__ == "__main__":
    main()
