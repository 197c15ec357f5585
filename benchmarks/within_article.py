"""Diagnosis: rank within the evidence's own article only. How much of the first-rank loss is choosing the article,
and how much is choosing the passage inside it?

    .venv/bin/python benchmarks/within_article.py --index <index> --seeds <seeds> --questions <set.jsonl> ...

Every question is asked once per signal with a `doc_ids` filter naming its evidence's articles (the filter the API
offers), and once without (hybrid); prints hit@1 and MRR@10 per signal and language.
"""

from __future__ import annotations

import argparse
import collections
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from eval.questions import load_questions, read_seed_texts  # noqa: E402
from eval.relevance import evidence_occurrences, is_relevant  # noqa: E402
from rag.retrieval.engine import Filters  # noqa: E402
from rag.runtime import load_embedders, open_searcher  # noqa: E402
from rag.settings import Settings  # noqa: E402

MODES = ("hybrid", "e5", "use", "bm25", "e5-sparse")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--index", type=Path, required=True)
    p.add_argument("--seeds", type=Path, required=True)
    p.add_argument("--questions", type=Path, action="append", required=True)
    args = p.parse_args()
    settings = Settings.from_env({}, seeds_dir=args.seeds, index_dir=args.index)
    searcher = open_searcher(settings, embedders=load_embedders(settings))
    questions = [q for path in args.questions for q in load_questions(path)]
    texts = read_seed_texts(args.seeds, {e.doc for q in questions for e in q.evidence})
    ranks: dict[tuple[str, str], list[int]] = collections.defaultdict(list)
    for q in questions:
        evidence = evidence_occurrences(q, texts)
        article = Filters(doc_ids=tuple(sorted({e.doc for e in q.evidence})))
        for name, mode, filters in [("hybrid, whole corpus", "hybrid", None),
                                    *((f"{m}, own article", m, article) for m in MODES)]:
            hits = searcher.search(q.question, top_k=10, mode=mode, filters=filters).hits
            rank = next((i + 1 for i, h in enumerate(hits)
                         if is_relevant(h.passage.doc_id, h.passage.start, h.passage.end, evidence)), 0)
            ranks[name, "all"].append(rank)
            ranks[name, q.lang].append(rank)
    print("| signal | n | hit@1 | MRR@10 | en hit@1 | ja hit@1 |\n|---|---:|---:|---:|---:|---:|")
    for name in dict.fromkeys(n for n, _ in ranks):
        def h1(lang: str) -> str:
            r = ranks.get((name, lang), [])
            return f"{sum(x == 1 for x in r) / len(r):.3f}" if r else "–"
        r = ranks[name, "all"]
        print(f"| {name} | {len(r)} | {h1('all')} | {sum(1 / x for x in r if x) / len(r):.3f} | {h1('en')} | "
              f"{h1('ja')} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
