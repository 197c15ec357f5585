"""Does a question's USE vector depend on what else runs in the process? (docs/operations.md, "The last race")

    .venv/bin/python benchmarks/blas_race.py [--processes 24] [--seconds 1.5]

In each of N fresh processes, one thread asks the term alignment for the groups of six word vectors, again and again,
while the main thread encodes one question with USE again and again; it counts the encodings that differ, bit for
bit, from the first one. Fresh processes, because a race on BLAS's thread count, once lost, left the count at one
thread for the rest of the process. Until the stop of Dec 2 (fourteenth session) USE and the alignment each switched
BLAS's process-wide thread count around their calls: 11 and then 7 of 24 processes saw a differing encoding on
that code, 0 of 24 twice after.
To run the code of an older commit, check it out in a git worktree and set PYTHONPATH to it.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import threading
import time

import numpy as np


def one_process(seconds: float) -> int:
    import rag  # noqa: F401  (OpenMP's and BLAS's thread settings)
    from rag.embedders.use import USEEmbedder
    from rag.stores.align import TermAligner

    rng = np.random.default_rng(0)
    aligner = TermAligner([f"t{i}" for i in range(2000)], rng.standard_normal((2000, 512)).astype(np.float32))
    use = USEEmbedder()
    question = ["What did Lavrov say about an alliance with China?"]
    first = use.encode_queries(question)
    stop = time.monotonic() + seconds

    def align() -> None:
        words = rng.standard_normal((6, 512)).astype(np.float32)
        while time.monotonic() < stop:
            aligner.groups(words, 5, 0.0)

    other = threading.Thread(target=align)
    other.start()
    differing = 0
    while time.monotonic() < stop:
        differing += not np.array_equal(use.encode_queries(question), first)
    other.join()
    return differing


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--processes", type=int, default=24)
    p.add_argument("--seconds", type=float, default=1.5, help="how long each process encodes")
    p.add_argument("--one", action="store_true", help=argparse.SUPPRESS)  # a child: print its count
    args = p.parse_args()
    if args.one:
        print(one_process(args.seconds))
        return 0
    counts = []
    for _ in range(args.processes):
        out = subprocess.run([sys.executable, __file__, "--one", "--seconds", str(args.seconds)], capture_output=True,
                             text=True, check=True)
        counts.append(int(out.stdout.split()[-1]))
    print(f"{sum(c > 0 for c in counts)} of {len(counts)} processes saw a differing USE encoding "
          f"({sum(counts)} encodings in all)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
