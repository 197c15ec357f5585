"""A push of a local index into a fresh Qdrant local-mode folder, timed, in each given directory (a disk and tmpfs).

    python benchmarks/qdrant_folder_push.py --index <index> --seeds <seeds> [--dirs /tmp /dev/shm] [--rounds 2]

Run it at two commits in one sitting to compare them (docs/qdrant.md, "One SQLite transaction per upsert call").
The first push of a process also imports and warms up; it is reported but not counted.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from rag.indexing import backend  # noqa: E402
from rag.settings import Settings  # noqa: E402


def push_once(index: Path, seeds: Path, where: Path) -> tuple[float, float]:
    folder = Path(tempfile.mkdtemp(prefix="newsrag-push-", dir=where))
    try:
        settings = Settings.from_env({}).replace(index_dir=index, seeds_dir=seeds, store="qdrant",
                                                 qdrant_path=folder / "store")
        wall, cpu = time.perf_counter(), time.process_time()
        backend.push(settings)
        return time.perf_counter() - wall, time.process_time() - cpu
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--index", type=Path, default=REPO / "index")
    ap.add_argument("--seeds", type=Path, default=REPO / "seeds")
    ap.add_argument("--dirs", type=Path, nargs="+", default=[Path(tempfile.gettempdir()), Path("/dev/shm")])
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    warm = push_once(args.index, args.seeds, args.dirs[0])
    print(f"first push (imports, warm-up; not counted): {warm[0]:.2f} s wall")
    times: dict[Path, list[tuple[float, float]]] = {d: [] for d in args.dirs}
    for _ in range(args.rounds):
        for d in args.dirs:  # alternated
            times[d].append(push_once(args.index, args.seeds, d))
    for d, ts in times.items():
        walls = [w for w, _ in ts]
        print(f"{str(d):>12}: wall {min(walls):.2f}-{max(walls):.2f} s (median {statistics.median(walls):.2f}), "
              f"cpu {statistics.median(c for _, c in ts):.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
