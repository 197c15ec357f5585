"""The term alignment's two paths, on real USE vectors: the exact product with every term against the IVF index
(rag/stores/align.py, `ANN_TERMS`), at several vocabulary sizes.

    .venv/bin/python benchmarks/align_ann.py [--sizes 2000,5000,10000,20000,35000,50000] [--rounds 3] [--nprobe 16,64]

The vocabulary is Japanese terms of JMdict (the bridge's dictionary table, which `make test` or a build leaves under
.cache/tables/), shuffled with a fixed seed, the smaller sizes nested in the larger; the words are the English content
words of every question set under eval/questions/, encoded as the aligner encodes them (USE, one word per call). For
each size: the time of one English question's alignment (five words in one call, as the BM25 component asks), each
path, alternating; how many words get the same group (the same terms in the same order) from both; the share of the
exact groups' terms that the IVF path finds too; and how often it finds each word's nearest term.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import time
from pathlib import Path

import faiss
import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from rag.embedders.use import USEEmbedder  # noqa: E402
from rag.stores import align  # noqa: E402
from rag.stores.english import content_words  # noqa: E402


def japanese_terms(n: int) -> list[str]:
    tables = sorted((REPO / ".cache" / "tables").glob("jmdict-terms-*.sqlite"))
    if not tables:
        sys.exit("no dictionary table under .cache/tables/: run `make test` (or build an index) first")
    with sqlite3.connect(f"{tables[-1].resolve().as_uri()}?mode=ro", uri=True) as con:
        terms = [t for (t,) in con.execute("SELECT term FROM terms") if 1 < len(t) <= 12]
    rng = np.random.default_rng(0)
    return [terms[i] for i in rng.permutation(len(terms))[:n]]


def english_words() -> list[str]:
    words: dict[str, None] = {}
    for path in sorted((REPO / "eval" / "questions").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            q = json.loads(line) if line.strip() else {}
            text = q.get("question") or ""
            if text and not any("\u3040" <= c <= "\u9fff" for c in text):
                words.update(dict.fromkeys(content_words(text)))
    return list(words)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default="2000,5000,10000,20000,35000,50000")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--k", type=int, default=5)
    p.add_argument("--floor", type=float, default=0.4)
    p.add_argument("--nprobe", default=str(align.ALIGN_NPROBE), help="IVF lists searched per word; several: a row each")
    args = p.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    use = USEEmbedder()
    terms = japanese_terms(max(sizes))
    t = time.perf_counter()
    vectors = np.concatenate([use.encode_queries(terms[b : b + 4096]) for b in range(0, len(terms), 4096)])
    print(f"{len(terms)} terms encoded in {time.perf_counter() - t:.1f} s", flush=True)
    words = english_words()
    wv = np.stack([use.encode_queries([w])[0] for w in words])
    print(f"{len(words)} English words\n")
    probes = [int(x) for x in args.nprobe.split(",")]
    print("| terms | IVF lists | nprobe | exact ms / question | IVF ms / question | same group | terms found by both "
          "| nearest term found |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    questions = [wv[i : i + 5] for i in range(0, len(wv) - 4, 5)]
    for n in sizes:
        order = sorted(range(n), key=lambda i: terms[i])  # the aligner keeps its terms sorted
        vocab, vecs = [terms[i] for i in order], np.ascontiguousarray(vectors[order])
        exact = align.TermAligner(vocab, vecs)
        index = align.ann_index(vecs)
        for nprobe in probes:
            row(args, n, nprobe, index, exact, align.TermAligner(vocab, vecs, ann=index), wv, questions)
    return 0


def row(args, n: int, nprobe: int, index: faiss.Index, exact: align.TermAligner, approx: align.TermAligner,
        wv: np.ndarray, questions: list[np.ndarray]) -> None:
    """One table row: each path's time per question (alternating), and how the IVF path's groups compare."""
    saved, saved_probe = align.ANN_TERMS, align.ALIGN_NPROBE
    align.ALIGN_NPROBE = nprobe  # read when the aligner makes its IVF store, at its first approximate search
    try:
        align.ANN_TERMS = n + 1  # one word at a time: a word with no term above the floor has no group
        ge = [exact.groups(wv[i : i + 1], args.k, args.floor) for i in range(len(wv))]
        align.ANN_TERMS = 1
        ga = [approx.groups(wv[i : i + 1], args.k, args.floor) for i in range(len(wv))]
        times: dict[str, list[float]] = {"exact": [], "ivf": []}
        for r in range(args.rounds):
            for name, aligner, limit in (("exact", exact, n + 1), ("ivf", approx, 1))[:: 1 if r % 2 == 0 else -1]:
                align.ANN_TERMS = limit
                for q in questions:
                    t = time.perf_counter()
                    aligner.groups(q, args.k, args.floor)
                    times[name].append(time.perf_counter() - t)
    finally:
        align.ANN_TERMS, align.ALIGN_NPROBE = saved, saved_probe
    ge, ga = [g[0] if g else [] for g in ge], [g[0] if g else [] for g in ga]
    same = sum(a == b for a, b in zip(ge, ga))
    found = sum(len(set(a) & set(b)) for a, b in zip(ge, ga)) / max(1, sum(len(a) for a in ge))
    first = sum(a[0] in b for a, b in zip(ge, ga) if a) / max(1, sum(1 for a in ge if a))
    print(f"| {n:,} | {faiss.extract_index_ivf(index).nlist} | {nprobe} | {np.median(times['exact']) * 1e3:.2f} | "
          f"{np.median(times['ivf']) * 1e3:.2f} | {same} / {len(ge)} | {found:.4f} | {first:.4f} |", flush=True)


if __name__ == "__main__":
    sys.exit(main())
