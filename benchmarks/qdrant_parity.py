"""`rag eval` on every question set with the local backend and with Qdrant (qdrant-client's local mode), side by side.

    python benchmarks/qdrant_parity.py [--index index] [--seeds seeds] [--sets team dev ...] [--json]

The local index is published into a fresh local-mode folder (on /dev/shm when the machine has it) and both backends
are scored by the same in-process evaluation (the product's Searcher, fusion and rerank stage). Quality only: the
local mode scans every point in Python, so its latencies say nothing about a Qdrant server.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from eval.run import EvalOptions, run_eval  # noqa: E402
from rag.indexing import backend  # noqa: E402
from rag.settings import Settings  # noqa: E402

SETS = ("team", "dev", "holdout", "holdout2", "heldout3", "heldout4")
METRICS = ("hit@1", "recall@5", "mrr@10")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--index", type=Path, default=REPO / "index")
    ap.add_argument("--seeds", type=Path, default=REPO / "seeds")
    ap.add_argument("--sets", nargs="+", default=[s for s in SETS if (REPO / f"eval/questions/{s}.jsonl").exists()])
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    local = Settings.from_env(index_dir=args.index, seeds_dir=args.seeds)
    folder = Path(tempfile.mkdtemp(prefix="newsrag-parity-", dir="/dev/shm" if Path("/dev/shm").is_dir() else None))
    try:
        qdrant = local.replace(store="qdrant", qdrant_path=folder / "store")
        pushed = backend.push(qdrant)
        rows = {}
        for name in args.sets:
            options = EvalOptions(questions=(REPO / f"eval/questions/{name}.jsonl",), modes=("hybrid",), ks=(1, 5, 10))
            got = {label: run_eval(s, options).as_json()["hybrid"]["all"]
                   for label, s in (("local", local), ("qdrant", qdrant))}
            rows[name] = {label: {m: round(v[m], 3) for m in METRICS} for label, v in got.items()}
            rows[name]["max_abs_diff"] = round(max(abs(got["local"][m] - got["qdrant"][m]) for m in METRICS), 4)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if args.json:
        print(json.dumps({"index_version": pushed.index_version, "sets": rows}))
        return 0
    print(f"index {pushed.index_version}, hybrid, local | qdrant (local mode)")
    print("| set | hit@1 | R@5 | MRR@10 | max difference |\n|---|---|---|---|---|")
    for name, r in rows.items():
        cells = " | ".join(f"{r['local'][m]:.3f} \\| {r['qdrant'][m]:.3f}" for m in METRICS)
        print(f"| {name} | {cells} | {r['max_abs_diff']:.4f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
