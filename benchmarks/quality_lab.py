"""Offline lab for the second ranking stage and the extractive answer (issues 19 and 15), on the choosing sets.

`collect` runs the real Searcher once per question (first stage only) and stores what later stages need: every row's
fused score, the question's BM25 term groups and its e5 query vector, the relevant rows under the shared rule and the
evidence quotes. `score` then replays any reranker / answer variant on that data without the embedders, with the
production code: `LexicalReranker.rerank`, `diversify`, `score_sentences` + `select` + `render`, `carries_evidence`.

Usage (the index is the test cache's; build it with the test suite or `rag index build`):
    .venv/bin/python benchmarks/quality_lab.py collect --out benchmarks/out/lab.pkl --sets team,dev
    .venv/bin/python benchmarks/quality_lab.py score --data benchmarks/out/lab.pkl --variant default --variant none
Variants are named in VARIANTS below. Never collect a held-out set that is still unseen.
"""

from __future__ import annotations

import argparse
import dataclasses
import pickle
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from eval.answers import carries_evidence  # noqa: E402
from eval.questions import load_questions, read_seed_texts  # noqa: E402
from eval.relevance import evidence_occurrences, is_relevant  # noqa: E402
from rag.answers import extractive as ex  # noqa: E402
from rag.answers.scoring import Weights  # noqa: E402
from rag.answers.selection import DEFAULT_SELECTION  # noqa: E402
from rag.retrieval.fusion import diversify  # noqa: E402
from rag.settings import Settings  # noqa: E402
from rag.types import Hit  # noqa: E402

QDIR = REPO / "eval" / "questions"


def collect(args) -> None:
    from rag.runtime import open_searcher

    settings = Settings.from_env().replace(rerank="none")
    searcher = open_searcher(settings)
    passages = searcher.index.passages
    data = {}
    for name in args.sets.split(","):
        qs = load_questions(QDIR / f"{name}.jsonl")
        texts = read_seed_texts(settings.seeds_dir, (e.doc for q in qs for e in q.evidence))
        rows = []
        for q in qs:
            ev = evidence_occurrences(q, texts)
            lang = "ja" if q.lang == "ja" else "en"
            question, parts, fused, ordered = searcher._first_stage(q.question, lang, "hybrid", None, {})
            rows.append({"id": q.id, "lang": q.lang, "q": q.question, "ranked": ordered, "fused": fused,
                         "parts": parts, "groups": searcher._term_groups(question),
                         "qvec": searcher.query_vectors("e5", [q.question])[0],
                         "rel": {r for r in ordered if is_relevant(passages[r].doc_id, passages[r].start,
                                                                         passages[r].end, ev)},
                         "quotes": [e.quote for e in q.evidence]})
        data[name] = rows
        print(f"collected {name}: {len(rows)}", file=sys.stderr)
    Path(args.out).write_bytes(pickle.dumps(data))


class LabSearcher:
    """What score_sentences needs from a Searcher, answered from the collected data."""

    def __init__(self, index, analyzer, qvecs, groups):
        self.index, self.analyzer = index, analyzer
        self.embedders = {"e5": None, "use": None}
        self._qvecs, self._groups = qvecs, groups

    def query_vectors(self, spec, texts):
        return np.stack([self._qvecs[t] for t in texts])

    def term_groups(self, query):
        return self._groups[query]


def run_rerank(reranker, d, top_k=10):
    ranked, fused = list(d["ranked"]), dict(d["fused"])
    if reranker is not None:
        ranked, fused, _ = reranker.rerank(d["q"], d["lang"], ranked, fused, d["groups"], {})
    return diversify(ranked, reranker_passages, top_k), fused


reranker_passages = None


def metrics(ranks):
    h1 = np.mean([r == 1 for r in ranks])
    r5 = np.mean([r is not None and r <= 5 for r in ranks])
    mrr = np.mean([1 / r if r and r <= 10 else 0 for r in ranks])
    return h1, r5, mrr


def score(args) -> None:
    global reranker_passages
    from rag.indexing.load import load_index
    from rag.retrieval.rerank import create_reranker
    from rag.stores.japanese import default_analyzer

    settings = Settings.from_env()
    data = pickle.loads(Path(args.data).read_bytes())
    index = load_index(settings.index_dir, settings.embedders)
    analyzer = default_analyzer()
    reranker_passages = index.passages
    all_rows = [d for rows in data.values() for d in rows]
    lab = LabSearcher(index, analyzer, {d["q"]: d["qvec"] for d in all_rows}, {d["q"]: d["groups"] for d in all_rows})
    print("| variant | set | n | hit@1 | R@5 | MRR@10 | en hit@1 | ja hit@1 | answer_evidence | cited |")
    for spec in args.variant:
        env = dict(kv.split("=", 1) for kv in spec.split(";") if "=" in kv)
        s = Settings.from_env({**{k: v for k, v in _environ().items()}, **env})
        reranker = create_reranker(s, index, analyzer)
        aw, sel = _answer_weights(env), _selection(env)
        for name, rows in data.items():
            ranks, ev, cited, detail, lens = [], [], [], [], []
            for d in rows:
                top, fused = run_rerank(reranker, d)
                r = next((i + 1 for i, row in enumerate(top) if row in d["rel"]), None)
                ranks.append(r)
                hits = [Hit(rank=i + 1, score=float(fused[row]), passage=index.passages[row],
                            citation=index.citation(row), scores={}) for i, row in enumerate(top[:5])]
                text, cites = ex.extractive_answer(d["q"], hits, lab, d["lang"], aw, sel)
                ok = carries_evidence(text, d["quotes"])
                lens.append((text.count("]"), len(text)))
                ev.append(ok)
                cited_rows = [h for h in hits if h.citation in cites]
                cited.append(any(index.passages.row_of(h.passage.passage_id) in d["rel"] for h in cited_rows))
                detail.append((d["id"], d["lang"], r, ok))
            en = [r for r, d in zip(ranks, rows) if d["lang"] == "en"]
            ja = [r for r, d in zip(ranks, rows) if d["lang"] == "ja"]
            h1, r5, mrr = metrics(ranks)
            print(f"| {spec} | {name} | {len(rows)} | {h1:.3f} | {r5:.3f} | {mrr:.3f} | {metrics(en)[0]:.3f} | "
                  f"{metrics(ja)[0]:.3f} | {np.mean(ev):.3f} | {np.mean(cited):.3f} | "
                  f"{np.mean([a for a, _ in lens]):.2f} | {np.mean([b for _, b in lens]):.0f} |")
            if args.misses:
                for qid, lang, r, ok in detail:
                    if r != 1 or not ok:
                        print(f"    {qid} {lang} rank={r} evidence={ok}")


def _environ():
    import os

    return {k: v for k, v in os.environ.items() if k.startswith("RAG_")}


def _answer_weights(env):
    """ANS_* keys of a variant override the answer Weights fields (ANS_kind=0.05)."""
    w = Weights()
    changes = {}
    for k, v in env.items():
        if k.startswith("ANS_"):
            field = k[4:]
            cur = getattr(w, field)
            changes[field] = (v.lower() in ("1", "true")) if isinstance(cur, bool) else type(cur)(v)
    return dataclasses.replace(w, **changes)


def _selection(env):
    """SEL_* keys of a variant override the answer Selection fields (SEL_cutoff=0.2)."""
    sel = DEFAULT_SELECTION
    changes = {k[4:]: (float(v) if getattr(sel, k[4:]) is None else type(getattr(sel, k[4:]))(v))
               for k, v in env.items() if k.startswith("SEL_")}
    return dataclasses.replace(sel, **changes)


def main() -> None:
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("collect")
    c.add_argument("--out", required=True)
    c.add_argument("--sets", default="team,dev")
    s = sub.add_parser("score")
    s.add_argument("--data", required=True)
    s.add_argument("--variant", action="append", default=[],
                   help="';'-separated RAG_X=... settings and ANS_field=... answer weights; 'default' for none")
    s.add_argument("--misses", action="store_true")
    args = ap.parse_args()
    collect(args) if args.cmd == "collect" else score(args)


if __name__ == "__main__":
    main()
