"""Can a question the articles do not cover be told from one they do? The closest of its top 5, and the shipped rule.

    .venv/bin/python benchmarks/offtopic_separation.py --index <index> --seeds <seeds>

For each question, the cosine between the question and the closest of its hybrid top 5, for e5 and for USE (the
hybrid search's own scores, `Hit.scores`). The sets:
- on-topic: every question of eval/questions (the conversations aside), written from the seeds;
- benchmarks/offtopic/lab_*.txt: 60 off-topic messages (greetings, general knowledge, requests) and 40 short or vague
  on-topic queries, written for the lab, on which a threshold was chosen;
- benchmarks/offtopic/heldout{1,…,6}_*.txt: six pairs written afterwards by helpers that read only the seeds (the
  second and third ask for bare names in half of their on-topic queries). Held-out 1 and 2 were each scored once
  with USE alone and then seen; the name rule was added after held-out 2; held-out 3 was scored once with it;
  held-out 4, all in lowercase, was scored once with the lowercase rule; held-out 5 (mixed casing) was seen while
  the spellings-by-sound rule was made, and held-out 6 (mixed casing) was scored once with it; held-out 7 (21
  near-misses among its off-topic messages) and held-out 8 (36) were each scored once with the rule of the stop of
  Dec 5, fortieth session, and with a terms rule that was tried and removed (docs/answers.md).
Prints each set's distribution and, per threshold, how many fall below it, then how many the shipped rule
(rag/answers/coverage/ at RAG_NOT_COVERED_BELOW) says are not covered (docs/answers.md, "Saying the articles do
not cover it").
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from eval.questions import load_questions  # noqa: E402
from rag.answers.coverage import passages_cover  # noqa: E402
from rag.retrieval.engine import detect_language  # noqa: E402
from rag.runtime import load_embedders, open_searcher  # noqa: E402
from rag.settings import Settings  # noqa: E402

SETS = REPO / "benchmarks" / "offtopic"
SIGNALS = ("e5", "use")
THRESHOLDS = {"e5": (0.76, 0.78, 0.80), "use": (0.12, 0.15, 0.18, 0.22)}


def lines(name: str) -> list[str]:
    return [line.strip() for line in (SETS / name).read_text(encoding="utf-8").splitlines() if line.strip()]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--index", type=Path, required=True)
    ap.add_argument("--seeds", type=Path, required=True)
    args = ap.parse_args()
    settings = Settings.from_env({}, seeds_dir=args.seeds, index_dir=args.index)
    searcher = open_searcher(settings, embedders=load_embedders(settings))

    found = {}

    def search(question: str):
        if question not in found:
            found[question] = searcher.search(question, 5)
        return found[question]

    def closest(question: str) -> dict[str, float]:
        hits = search(question).hits
        return {s: max((h.scores[s] for h in hits if s in h.scores), default=float("nan")) for s in SIGNALS}

    sets = {
        "on-topic (eval/questions)": [q.question for f in sorted((REPO / "eval" / "questions").glob("*.jsonl"))
                                      if "conversation" not in f.name for q in load_questions(f)],
        "lab short on-topic": lines("lab_short_on_topic.txt"),
        "lab off-topic": lines("lab_off_topic.txt"),
        "held-out 1 on-topic": lines("heldout1_on_topic.txt"),
        "held-out 1 off-topic": lines("heldout1_off_topic.txt"),
        "held-out 2 on-topic": lines("heldout2_on_topic.txt"),
        "held-out 2 off-topic": lines("heldout2_off_topic.txt"),
        "held-out 3 on-topic": lines("heldout3_on_topic.txt"),
        "held-out 3 off-topic": lines("heldout3_off_topic.txt"),
        "held-out 4 on-topic (lowercase)": lines("heldout4_on_topic.txt"),
        "held-out 4 off-topic (lowercase)": lines("heldout4_off_topic.txt"),
        "held-out 5 on-topic": lines("heldout5_on_topic.txt"),
        "held-out 5 off-topic": lines("heldout5_off_topic.txt"),
        "held-out 6 on-topic": lines("heldout6_on_topic.txt"),
        "held-out 6 off-topic": lines("heldout6_off_topic.txt"),
        "held-out 7 on-topic": lines("heldout7_on_topic.txt"),
        "held-out 7 off-topic": lines("heldout7_off_topic.txt"),
        "held-out 8 on-topic": lines("heldout8_on_topic.txt"),
        "held-out 8 off-topic": lines("heldout8_off_topic.txt"),
    }
    for signal in SIGNALS:
        print(f"\n{signal}: the closest of the top 5")
        for name, questions in sets.items():
            values = np.array([closest(q)[signal] for q in questions])
            below = ", ".join(f"<{t}: {int((values < t).sum())}" for t in THRESHOLDS[signal])
            print(f"  {name:28s} n={len(values):4d}  min {np.nanmin(values):.3f}  median {np.nanmedian(values):.3f}  "
                  f"max {np.nanmax(values):.3f}  {below}")
    print(f"\nthe shipped rule (USE below {settings.not_covered_below}, {settings.not_covered_below_ja} for Japanese, "
          "and no name of the question in a top passage)")

    def floor(question: str) -> float:
        return settings.not_covered_below_ja if detect_language(question) == "ja" else settings.not_covered_below

    for name, questions in sets.items():
        said = [q for q in questions if not passages_cover(searcher, q, search(q).hits, floor(q))]
        shown = f"  {said}" if "on-topic" in name and said else ""
        print(f"  {name:28s} said not covered: {len(said)} of {len(questions)}{shown}")


if __name__ == "__main__":
    main()
