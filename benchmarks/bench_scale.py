"""Scale benchmark: a synthetic N-passage corpus with the real corpus's statistics, built and searched by the product.

    .venv/bin/python benchmarks/bench_scale.py --passages 100000 --json
    .venv/bin/python benchmarks/bench_scale.py --passages 5000

The synthesiser (benchmarks/scale_synth.py) writes seed files and replaces only the embedders; cleaning, chunking,
BM25, the bridge, the alignment, the build and the Searcher are the real ones. Serving is measured in a fresh process
(peak RSS after loading, ranking time after query encoding, per component), then one document is added and removed
through incremental builds, timed without the stand-in embedders' own time.
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "benchmarks")]

from rag.embedders import Embedder  # noqa: E402
from rag.indexing.build import build_index  # noqa: E402
from rag.indexing.load import load_index  # noqa: E402
from rag.indexing.manifest import BUILDS, read_manifest  # noqa: E402
from rag.settings import Settings  # noqa: E402
from scale_synth import RealStats, SynthEmbedder, write_seeds  # noqa: E402

OUT = REPO / "benchmarks" / "out" / "scale"


class Timed:
    """Counts the time spent inside an embedder, so build timings can leave it out."""

    def __init__(self, inner: Embedder) -> None:
        self.inner, self.seconds = inner, 0.0
        for attr in ("name", "dim", "fingerprint", "sparse_dim"):
            if hasattr(inner, attr):
                setattr(self, attr, getattr(inner, attr))

    def _time(self, fn, texts):
        t = time.perf_counter()
        try:
            return fn(texts)
        finally:
            self.seconds += time.perf_counter() - t

    def encode_queries(self, texts):
        return self._time(self.inner.encode_queries, texts)

    def encode_passages(self, texts):
        return self._time(self.inner.encode_passages, texts)

    def encode_sparse(self, texts):
        return self._time(self.inner.encode_sparse, texts)

    def encode_sparse_passages(self, texts):
        return self._time(self.inner.encode_sparse_passages, texts)


def full_build(passages: int) -> Path:
    """The work directory of an earlier `--build-only` (or full) run of this size; exits with the command if none."""
    work = OUT / f"n{passages}"
    if not (work / "full-build.json").is_file():
        sys.exit(f"no full build at {work}: run bench_scale.py --passages {passages} --build-only first")
    return work


def real_index() -> Path:
    """The real seeds' index with the real embedders: the statistics the synthesiser copies."""
    from rag.runtime import build

    settings = Settings.from_env({}, seeds_dir=REPO / "seeds", index_dir=OUT / "real-index")
    build(settings)
    return settings.index_dir


def embedders(stats: RealStats) -> dict[str, Timed]:
    return {name: Timed(SynthEmbedder(name, stats)) for name in ("e5", "use")}


def questions() -> list[str]:
    rows = [json.loads(x) for p in sorted((REPO / "eval" / "questions").glob("*.jsonl"))
            for x in p.read_text("utf-8").splitlines() if x.strip()]
    return list(dict.fromkeys(r["question"] for r in rows if "question" in r))


def serving(index_dir: Path):
    """(index, searcher, load seconds): the index loaded as the server loads it, with the stand-in query encoders."""
    from rag.retrieval import Searcher
    from rag.stores.japanese import default_analyzer

    stats = RealStats(load_index(OUT / "real-index", ("e5", "use")))
    embs = {k: v.inner for k, v in embedders(stats).items()}
    t0 = time.perf_counter()
    index = load_index(index_dir, ("e5", "use"))
    searcher = Searcher(index, embs, default_analyzer(), Settings.from_env({}, index_dir=index_dir))
    return index, searcher, time.perf_counter() - t0


def question_list(n: int) -> list[str]:
    """n questions: the repository's question sets, repeated with a number after them where they run out."""
    return [q if i < len(questions()) else f"{q} {i}" for i, q in enumerate((questions() * 10)[:n])]


def rank_times(searcher, qs: list[str], profile=None) -> tuple[list[float], dict[str, list[float]]]:
    """Each question's hybrid ranking time after query encoding, and each component's time, in ms (with a
    cProfile.Profile, profiling the searches only)."""
    rank_ms: list[float] = []
    per: dict[str, list[float]] = {}
    for q in qs:
        if profile:
            profile.enable()
        r = searcher.search(q, top_k=10)
        if profile:
            profile.disable()
        enc = sum(v for k, v in r.timings.items() if k.startswith("encode:"))
        rank_ms.append(r.took_ms - enc)
        for k, v in r.timings.items():
            if not k.startswith("encode:"):
                per.setdefault(k, []).append(v)
    return rank_ms, per


def serve_child(index_dir: Path, n_queries: int) -> dict[str, object]:
    """In a fresh process: load the index as the server does, search, and report ranking times and peak RSS."""
    index, searcher, load_s = serving(index_dir)
    rss_loaded = peak_rss_mb()
    qs = question_list(n_queries)
    rank_ms, per = rank_times(searcher, qs)
    # the serving peak, before the exact searches below read every vector (mapped pages count as resident)
    peak = max(rss_loaded, peak_rss_mb())
    # of the resident set after serving, how much is the process's own memory, and how much the index files'
    # memory-mapped pages that the searches read (page cache the kernel can drop and read again)
    anon, mapped = status_mb("RssAnon"), status_mb("RssFile")
    recall: list[float] = []
    for q in qs:
        for name, store in index.dense.items():
            vec = searcher._vectors(name, "query", [q])[0]
            approx, _ = store.search(vec, 10)
            exact, _ = store.exact(vec, 10)  # every live vector, segment after segment
            recall.append(len(set(approx.tolist()) & set(exact.tolist())) / 10)
    return {"load_s": round(load_s, 2), "peak_rss_mb": round(peak),
            "rss_anon_mb": round(anon) if anon is not None else None,
            "rss_file_mb": round(mapped) if mapped is not None else None,
            "hybrid_rank_ms": pct(rank_ms), "component_ms": {k: pct(v) for k, v in per.items()},
            "dense_recall_at_10": round(float(np.mean(recall)), 4), "faiss_kind": index.summary()["faiss_kind"]}


def status_mb(field: str) -> float | None:
    """A memory figure of this process from /proc/self/status, in MB (None where there is none)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return None


def peak_rss_mb() -> float:
    """This process's own peak resident set (VmHWM). Not getrusage's ru_maxrss: Linux carries that over from the
    parent across fork and exec, so a child started by a process that has just built a 1M index reported the
    builder's 14.7 GB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def disk_mb(root: Path, skip: Path | None = None) -> int:
    """Bytes under `root` (not under `skip`) in MiB; a file hard-linked twice counts once."""
    seen, total = set(), 0
    for p in root.rglob("*"):
        if p.is_file() and not (skip and skip in p.parents):
            st = p.stat()
            if (st.st_ino, st.st_dev) not in seen:
                seen.add((st.st_ino, st.st_dev))
                total += st.st_size
    return round(total / 2**20)


def live_disk_mb(index_dir: Path) -> int:
    """The live index on disk: its manifest, its build directory and the index's caches, not the previous build that
    an index keeps for readers still opening it (that one goes at the next build)."""
    live = read_manifest(index_dir)["build"]
    builds = index_dir / BUILDS
    return disk_mb(index_dir, skip=builds) + disk_mb(builds / live)


def pct(values: list[float]) -> dict[str, float]:
    return {"p50": round(float(np.percentile(values, 50)), 2), "p95": round(float(np.percentile(values, 95)), 2)}


def incremental(settings: Settings, embs: dict[str, Timed], doc: Path, text: str | None) -> float:
    """Seconds of an incremental build after adding (text) or removing (None) one document, minus embedding."""
    if text is None:
        doc.unlink()
    else:
        doc.write_text(text, encoding="utf-8")
    before = sum(e.seconds for e in embs.values())
    t = time.perf_counter()
    build_index(settings, list(embs.values()))
    return time.perf_counter() - t - (sum(e.seconds for e in embs.values()) - before)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--passages", type=int, required=True)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--reuse", action="store_true", help="keep the full build of an earlier run of this size")
    ap.add_argument("--build-only", action="store_true", help="only the full build (then measure with --reuse)")
    ap.add_argument("--faiss-kind", default="auto", choices=("auto", "flat", "ivf", "hnsw"),
                    help="the dense stores' kind (RAG_FAISS_KIND); other than auto, the run has a work directory "
                         "of its own (n<passages>-<kind>) over the same synthetic corpus")
    ap.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(serve_child(args.child, args.queries)))
        return
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")  # the build's stages, on stderr
    stats = RealStats(load_index(real_index(), ("e5", "use")))
    work = OUT / (f"n{args.passages}" if args.faiss_kind == "auto" else f"n{args.passages}-{args.faiss_kind}")
    seeds = work / "seeds"
    if not seeds.is_dir():
        write_seeds(seeds, args.passages, stats)
    settings = Settings.from_env({}, seeds_dir=seeds, index_dir=work / "index", faiss_kind=args.faiss_kind)
    embs = embedders(stats)
    done = work / "full-build.json"
    if args.reuse and done.is_file():  # serving and incremental numbers over the full build of an earlier run
        built = json.loads(done.read_text())
    else:
        done.unlink(missing_ok=True)
        t = time.perf_counter()
        report = build_index(settings, list(embs.values()), full=True)
        build_s = time.perf_counter() - t
        embed_s = sum(e.seconds for e in embs.values())
        built = {"passages": report.passages, "documents": report.documents, "build_s": round(build_s, 1),
                 "build_s_without_embedding": round(build_s - embed_s, 1),
                 "build_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
                 "disk_mb": live_disk_mb(work / "index")}
        done.write_text(json.dumps(built))
    if args.build_only:
        print(json.dumps(built))
        return
    child = subprocess.run([sys.executable, __file__, "--passages", str(args.passages), "--queries", str(args.queries),
                            "--child", str(work / "index")], capture_output=True, text=True, check=True)
    served = json.loads(child.stdout.strip().splitlines()[-1])
    # a document of new text, sized like the seeds' (a copy of a seed would repeat its passages, which are dropped)
    extra = work / "extra"
    shutil.rmtree(extra, ignore_errors=True)
    write_seeds(extra, 60, stats, seed=1)
    new_doc = seeds / "zz-added.txt"
    add_s = incremental(settings, embs, new_doc, (extra / "s000000.txt").read_text("utf-8").replace("合成記事", "追加記事"))
    remove_s = incremental(settings, embs, new_doc, None)
    out = {**built, **served, "add_one_doc_s": round(add_s, 2), "remove_one_doc_s": round(remove_s, 2),
           # the live index after both, and everything under the index directory (the build kept for readers too;
           # files shared by hard links count once)
           "disk_mb_after_add_and_remove": live_disk_mb(work / "index"),
           "disk_mb_with_previous_build": disk_mb(work / "index")}
    print(json.dumps(out) if args.json else json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
