"""Where an incremental add and remove spend their time on a bench_scale corpus (after `bench_scale.py --passages N
--build-only`): one add and one remove of a synthetic document, each under cProfile, the top entries by cumulative
time, and each step's wall time (the stand-in embedders' own time left out).

    .venv/bin/python benchmarks/scale_add_profile.py --passages 200000 [--top 40] [--no-profile]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "benchmarks")]

from bench_scale import embedders, full_build, incremental, real_index  # noqa: E402
from rag.indexing.load import load_index  # noqa: E402
from rag.settings import Settings  # noqa: E402
from scale_synth import RealStats, write_seeds  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--passages", type=int, required=True)
    ap.add_argument("--top", type=int, default=35)
    ap.add_argument("--no-profile", action="store_true", help="wall times only")
    args = ap.parse_args()
    work = full_build(args.passages)
    stats = RealStats(load_index(real_index(), ("e5", "use")))
    settings = Settings.from_env({}, seeds_dir=work / "seeds", index_dir=work / "index")
    embs = embedders(stats)
    extra = work / "extra"
    shutil.rmtree(extra, ignore_errors=True)
    write_seeds(extra, 60, stats, seed=1)
    new_doc = work / "seeds" / "zz-added.txt"
    text = (extra / "s000000.txt").read_text("utf-8").replace("合成記事", "追加記事")
    for step, body in (("add", text), ("remove", None)):
        prof = None if args.no_profile else cProfile.Profile()
        if prof:
            prof.enable()
        seconds = incremental(settings, embs, new_doc, body)
        if prof:
            prof.disable()
            out = io.StringIO()
            pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(args.top)
            print(out.getvalue())
        print(f"{step}: {seconds:.2f} s")


if __name__ == "__main__":
    main()
