"""One document at a time, past the merge: on a bench_scale corpus (after `bench_scale.py --passages N
--build-only`), `--updates` incremental builds each add one new synthetic document, then one removes the first of
them. Every build's seconds (the stand-in embedders' own time left out), its segment count and the merge it did
(none, the deltas, or every slot). The builds run on a hard-linked copy of the full build's index (its files are
immutable), so the full build stays one segment for the next run; the documents are added to the full build's
seeds directory and removed from it at the end.

    .venv/bin/python benchmarks/scale_merge.py --passages 1000000 [--updates 10] [--json] [--merge-every-slot]

`--merge-every-slot` merges as the code before tiered merges did (every slot, whenever there are too many
segments), for a side-by-side comparison.
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "benchmarks")]

from bench_scale import embedders, full_build, incremental, real_index  # noqa: E402
from rag.indexing.load import load_index  # noqa: E402
from rag.indexing.manifest import read_manifest  # noqa: E402
from rag.settings import Settings  # noqa: E402
from scale_synth import RealStats, write_seeds  # noqa: E402


def merge_done(before: list[dict], after: list[dict]) -> str:
    """What a build did to the segments: 'all' (the base was rewritten), 'deltas' (fewer deltas than it would
    have appended) or 'none'."""
    if after[:1] != before[:1]:
        return "all"
    return "deltas" if len(after) <= len(before) and after[-1] not in before else "none"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--passages", type=int, required=True)
    ap.add_argument("--updates", type=int, default=10, help="one-document adds (the merge comes at the 8th)")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--merge-every-slot", action="store_true", help="merge as before tiered merges")
    args = ap.parse_args()
    if args.merge_every_slot:
        from rag.components import align
        from rag.stores import segments

        tiered = segments.merge_kind
        segments.merge_kind = align.merge_kind = lambda *a: "all" if tiered(*a) != "none" else "none"
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s", stream=sys.stderr)
    work = full_build(args.passages)
    stats = RealStats(load_index(real_index(), ("e5", "use")))
    copy = work / "merge-copy"
    shutil.rmtree(copy, ignore_errors=True)
    copy.mkdir()
    subprocess.run(["cp", "-al", str(work / "index"), str(copy / "index")], check=True)  # links, not copies
    settings = Settings.from_env({}, seeds_dir=work / "seeds", index_dir=copy / "index")
    embs = embedders(stats)
    write_seeds(copy / "extra", 80 * args.updates, stats, seed=4)
    docs = sorted((copy / "extra").iterdir())[: args.updates]
    added = [settings.seeds_dir / f"zz-merge-{i:03d}.txt" for i in range(len(docs))]
    rows = []
    try:
        for i, target in enumerate([*added, added[0]]):
            before = read_manifest(settings.index_dir)["segments"]
            body = None if i == len(docs) else docs[i].read_text("utf-8").replace("合成記事", f"追加記事{i}")
            seconds = incremental(settings, embs, target, body)
            after = read_manifest(settings.index_dir)["segments"]
            rows.append({"step": "remove" if body is None else "add", "s": round(seconds, 2),
                         "segments": len(after), "merge": merge_done(before, after)})
            if not args.json:
                print(f"{rows[-1]['step']:>6} {i + 1:2d}: {seconds:7.2f} s  segments {len(after)}  "
                      f"merge {rows[-1]['merge']}", flush=True)
    finally:
        for path in added:
            path.unlink(missing_ok=True)
        shutil.rmtree(copy, ignore_errors=True)
    adds = [r["s"] for r in rows if r["step"] == "add"]
    passages = json.loads((work / "full-build.json").read_text("utf-8"))["passages"]
    summary = {"passages": passages, "updates": rows, "max_add_s": max(adds),
               "merge_add_s": [r["s"] for r in rows if r["merge"] != "none"]}
    print(json.dumps(summary) if args.json else json.dumps({k: v for k, v in summary.items() if k != "updates"}))


if __name__ == "__main__":
    main()
