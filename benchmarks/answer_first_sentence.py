"""Does the first sentence of an extractive answer carry the evidence? The best-scored sentence first, against all in
reading order, and against the detail asked for first, on the same retrieval.

    .venv/bin/python benchmarks/answer_first_sentence.py --index <index> --seeds <seeds>

A chat user reads the first sentence; `rag eval --answers` scores whether any sentence carries the evidence, which
the order does not change. For each stand-alone question of the sets (team + dev, the choosing sets; held-out 3-13,
seen), the answer is made three ways (`Selection.best_first`; then, as shipped, a sentence with the date, number or
place asked for first: `extractive_answer(asked=)`) and its first sentence (the text before its first [n] marker) is
checked with eval's rule (half of an evidence quote as one unbroken piece). Prints, per set, the share of questions
whose first sentence carries it, and whose whole answer does (docs/answers.md, "The best sentence first" and "The
detail asked for, first").
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

SETS = {"team + dev": ["team", "dev"], "held-out 3-13": [f"heldout{i}" for i in range(3, 14)]}
MARKER = re.compile(r"\[\d+\]")


def main() -> None:
    from eval.answers import carries_evidence
    from eval.questions import load_questions
    from rag.answers.extractive import extractive_answer
    from rag.answers.selection import Selection
    from rag.answers.service import retrieve
    from rag.retrieval.followup import asked_detail
    from rag.runtime import open_searcher
    from rag.settings import Settings

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index", type=Path, default=REPO / "index")
    ap.add_argument("--seeds", type=Path, default=REPO / "seeds")
    args = ap.parse_args()
    searcher = open_searcher(Settings.from_env(seeds_dir=args.seeds, index_dir=args.index))
    for name, files in SETS.items():
        questions = [q for f in files for q in load_questions(REPO / "eval" / "questions" / f"{f}.jsonl")
                     if len(q.turns) <= 1]
        ways = {"reading order": (Selection(best_first=False), False), "best first": (Selection(), False),
                "the detail first": (Selection(), True)}
        first = dict.fromkeys(ways, 0)
        whole = dict.fromkeys(ways, 0)
        for q in questions:
            r = retrieve(searcher, q.question, 5)
            hits = sorted(r.result.hits, key=lambda h: h.rank)[:5]
            quotes = [e.quote for e in q.evidence]
            for way, (selection, detail) in ways.items():
                text, _ = extractive_answer(r.focus, hits, searcher, r.result.lang, selection=selection,
                                            asked=asked_detail(r.result.query) if detail else None)
                first[way] += carries_evidence(MARKER.split(text)[0], quotes)
                whole[way] += carries_evidence(text, quotes)
        n = len(questions)
        print(f"{name} ({n}): first sentence carries the evidence "
              + ", ".join(f"{first[w] / n:.3f} {w}" for w in ways) + "; the whole answer "
              + " / ".join(f"{whole[w] / n:.3f}" for w in ways))


if __name__ == "__main__":
    main()
