"""Where a serving process's memory goes on a bench_scale index, and whether it serves inside a memory cap.

    .venv/bin/python benchmarks/scale_memory.py --passages 1000000 [--queries 200]
    .venv/bin/python benchmarks/scale_memory.py --passages 1000000 --cap-mb 6144 [--timeout 900]    # as root

Needs the index of an earlier `bench_scale.py --passages N` run. Without --cap-mb it loads the index as the server
does, asks the questions, and prints each mapped file's resident MB (`/proc/self/smaps`) after loading and after the
questions. With --cap-mb it drops the page cache (so that the index's pages are charged to the cap when they are
read again), then runs the same load and questions twice in a new memory cgroup (v2 `memory.max`, else v1
`memory.limit_in_bytes`) and reports each pass's ranking p50/p95, the cgroup's peak and how often the cap was hit, or
that it did not finish within --timeout seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "benchmarks")]

import bench_scale  # noqa: E402

_MAPPING = re.compile(r"^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$")


def resident_by_file() -> dict[str, float]:
    """Resident MB of each mapping of this process, by file (anonymous mappings under their bracketed name)."""
    out: dict[str, float] = {}
    name = "[anon]"
    for line in Path("/proc/self/smaps").read_text().splitlines():
        if m := _MAPPING.match(line):
            name = m.group(1) or "[anon]"
        elif line.startswith("Rss:"):
            out[name] = out.get(name, 0.0) + int(line.split()[1]) / 1024
    return out


def mapped_files(index_dir: Path, n_queries: int, top: int) -> None:
    _, searcher, load_s = bench_scale.serving(index_dir)
    loaded = resident_by_file()
    t = time.perf_counter()
    bench_scale.rank_times(searcher, bench_scale.question_list(n_queries))
    asked_s = time.perf_counter() - t
    after = resident_by_file()
    print(f"load {load_s:.1f} s, {n_queries} questions {asked_s:.1f} s; "
          "resident MB after loading / after the questions")
    print(f"{sum(loaded.values()):9.0f} {sum(after.values()):9.0f}  (all)")
    root = str(index_dir.resolve())
    for mb, before, name in sorted(((after.get(k, 0.0), loaded.get(k, 0.0), k) for k in set(loaded) | set(after)),
                                   reverse=True)[:top]:
        print(f"{before:9.0f} {mb:9.0f}  {name.replace(root, '<index>')}")


def two_passes(index_dir: Path, n_queries: int) -> dict[str, object]:
    """The child run inside the cap: load, then the questions twice (cold, then with what the cap let stay cached)."""
    _, searcher, load_s = bench_scale.serving(index_dir)
    qs = bench_scale.question_list(n_queries)
    out: dict[str, object] = {"load_s": round(load_s, 1)}
    print(f"loaded in {load_s:.1f} s", file=sys.stderr, flush=True)  # where an unfinished run was, on stderr
    for n in (1, 2):
        t = time.perf_counter()
        out[f"pass{n}_rank_ms"] = bench_scale.pct(bench_scale.rank_times(searcher, qs)[0])
        print(f"pass {n}: {len(qs)} questions in {time.perf_counter() - t:.1f} s", file=sys.stderr, flush=True)
    return out | {"vm_hwm_mb": round(bench_scale.peak_rss_mb())}


def cgroup(cap_mb: int) -> tuple[Path, str, str]:
    """A new memory cgroup capped at cap_mb: (its directory, its peak file, its cap-hit file)."""
    v2 = [r for r in (Path("/sys/fs/cgroup"), Path("/sys/fs/cgroup/unified"))  # where v2 has the memory controller
          if (r / "cgroup.controllers").is_file() and "memory" in (r / "cgroup.controllers").read_text().split()]
    if v2:
        root, limit, peak, hits = v2[0], "memory.max", "memory.peak", "memory.events"
    elif (Path("/sys/fs/cgroup/memory") / "memory.limit_in_bytes").is_file():
        root, limit, peak, hits = Path("/sys/fs/cgroup/memory"), "memory.limit_in_bytes", "memory.max_usage_in_bytes", \
            "memory.failcnt"
    else:
        raise SystemExit("no memory cgroup controller here (cgroup v1, or v2 with the memory controller)")
    group = root / f"newsrag-cap-{os.getpid()}"
    try:
        group.mkdir()
        (group / limit).write_text(str(cap_mb * 2**20))
    except OSError as exc:
        raise SystemExit(f"cannot create a memory cgroup under {root} ({exc.strerror or exc}); run as root") from None
    return group, peak, hits


def cap_hits(path: Path) -> str:
    """How often the cap refused memory: v1's failcnt, or v2's `max` event count."""
    text = path.read_text()
    if path.name == "memory.failcnt":
        return text.strip()
    return dict(line.split() for line in text.splitlines()).get("max", "0")


def capped(index_dir: Path, passages: int, n_queries: int, cap_mb: int, timeout: float) -> None:
    group, peak_file, hits_file = cgroup(cap_mb)
    try:
        os.sync()
        Path("/proc/sys/vm/drop_caches").write_text("1")
        t = time.perf_counter()
        child = subprocess.Popen(
            ["sh", "-c", f'echo $$ > {group / "cgroup.procs"} && exec "$0" "$@"', sys.executable, __file__,
             "--passages", str(passages), "--queries", str(n_queries), "--child"],
            stdout=subprocess.PIPE, text=True)
        try:
            out, _ = child.communicate(timeout=timeout)
            result: dict[str, object] = json.loads(out.strip().splitlines()[-1])
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
            result = {"finished": False}
        result |= {"cap_mb": cap_mb, "seconds": round(time.perf_counter() - t, 1),
                   "cgroup_peak_mb": round(int((group / peak_file).read_text()) / 2**20),
                   "cap_hits": cap_hits(group / hits_file)}
        print(json.dumps(result))
    finally:
        group.rmdir()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--passages", type=int, required=True)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--top", type=int, default=20, help="mappings to list (largest after the questions first)")
    ap.add_argument("--cap-mb", type=int, help="run in a memory cgroup capped at this many MB (root only)")
    ap.add_argument("--timeout", type=float, default=900.0, help="seconds before a capped run is called unfinished")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    index_dir = bench_scale.OUT / f"n{args.passages}" / "index"
    if not (index_dir / "manifest.json").is_file():
        raise SystemExit(f"no index at {index_dir}: run bench_scale.py --passages {args.passages} --build-only first")
    if args.child:
        print(json.dumps(two_passes(index_dir, args.queries)))
    elif args.cap_mb:
        capped(index_dir, args.passages, args.queries, args.cap_mb, args.timeout)
    else:
        mapped_files(index_dir, args.queries, args.top)


if __name__ == "__main__":
    main()
