"""Lab: the returned top ten's topic centroid, subtracted, as a reranking signal. Not shipped (docs/precision.md).

    .venv/bin/python benchmarks/rerank_centroid.py --index <index> --seeds <seeds>

The passage ranked above the evidence is usually a neighbour on the same topic without the detail asked for. If the
detail makes the evidence passage less like the topic, a passage's similarity to the candidates' centroid should count
against it: feature = q·v − β·(c·v), c the mean of the ten returned passages' vectors (e5's, USE's, or both), min-max
scaled among the ten; the ten are reordered by score + λ × (score₁ − score₁₀) × feature. λ 0 is the shipped ranking.
Scored on the choosing sets (team + dev) and, for diagnosis only, the held-out sets already seen (5–13).
"""

from __future__ import annotations

import argparse
import collections
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from eval.questions import load_questions, read_seed_texts  # noqa: E402
from eval.relevance import evidence_occurrences, is_relevant  # noqa: E402
from rag.runtime import load_embedders, open_searcher  # noqa: E402
from rag.settings import Settings  # noqa: E402

SETS = {"team + dev": ["team", "dev"], "held-out 5–13 (seen)": [f"heldout{i}" for i in range(5, 14)]}
SIGNALS = (("e5",), ("use",), ("e5", "use"))


def collect(index: Path, seeds: Path) -> dict[str, list]:
    settings = Settings.from_env({}, seeds_dir=seeds, index_dir=index)
    embedders = load_embedders(settings)
    searcher = open_searcher(settings, embedders=embedders)
    row_of = {p.passage_id: i for i, p in enumerate(searcher.index.passages)}
    out: dict[str, list] = {}
    for name, files in SETS.items():
        questions = [q for f in files for q in load_questions(REPO / "eval" / "questions" / f"{f}.jsonl")]
        texts = read_seed_texts(seeds, {e.doc for q in questions for e in q.evidence})
        rows = []
        for q in questions:
            hits = searcher.search(q.question, top_k=10).hits
            at = np.array([row_of[h.passage.passage_id] for h in hits])
            vectors = {e: (np.asarray(embedders[e].encode_queries([q.question]))[0],
                           searcher.index.dense[e].row_vectors(at)) for e in ("e5", "use")}
            evidence = evidence_occurrences(q, texts)
            relevant = [is_relevant(h.passage.doc_id, h.passage.start, h.passage.end, evidence) for h in hits]
            rows.append((q.lang, np.array([h.score for h in hits]), vectors, relevant))
        out[name] = rows
    return out


def score(rows: list, signal: tuple[str, ...], beta: float, lam: float) -> str:
    ranks = collections.defaultdict(list)
    for lang, s, vectors, relevant in rows:
        features = []
        for e in signal:
            q, v = vectors[e]
            f = v @ q - beta * (v @ v.mean(axis=0))
            features.append((f - f.min()) / (f.max() - f.min() + 1e-9))
        order = np.argsort(-(s + lam * (s[0] - s[-1]) * np.mean(features, axis=0)), kind="stable")
        rank = next((i + 1 for i, j in enumerate(order) if relevant[j]), 0)
        ranks["all"].append(rank)
        ranks[lang].append(rank)
    h1 = {k: np.mean([r == 1 for r in v]) for k, v in ranks.items()}
    mrr = np.mean([1 / r if r else 0 for r in ranks["all"]])
    return f"{h1['all']:.3f} / {mrr:.3f} ({h1.get('en', 0):.3f}, {h1.get('ja', 0):.3f})"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--index", type=Path, required=True)
    p.add_argument("--seeds", type=Path, required=True)
    args = p.parse_args()
    data = collect(args.index, args.seeds)
    print("| signal | β | λ | " + " | ".join(f"{n}: hit@1 / MRR@10 (en, ja)" for n in data) + " |")
    print("|---|---:|---:|" + "---|" * len(data))
    print("| shipped | | 0 | " + " | ".join(score(r, ("e5",), 0, 0) for r in data.values()) + " |")
    for signal in SIGNALS:
        for beta in (0.0, 0.5, 1.0, 2.0):
            for lam in (0.1, 0.25, 0.5, 1.0):
                print(f"| {'+'.join(signal)} | {beta} | {lam} | "
                      + " | ".join(score(r, signal, beta, lam) for r in data.values()) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
