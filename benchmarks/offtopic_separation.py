"""Lab: can a question the articles do not cover be told from one they do, by e5's best cosine with the top 5?

    .venv/bin/python benchmarks/offtopic_separation.py --index <index> --seeds <seeds>

On-topic: every question of eval/questions (the conversations aside). Off-topic: 25 general questions written for
this lab (15 English, 10 Japanese) about nothing the seeds hold. Prints both distributions and, per threshold, how
many of each fall below it (docs/answers.md, "Saying the articles do not cover it"). Not shipped.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from eval.questions import load_questions  # noqa: E402
from rag.runtime import load_embedders, open_searcher  # noqa: E402
from rag.settings import Settings  # noqa: E402

OFF_TOPIC = [
    "What is the recipe for sushi rice?", "How do I fix a flat bicycle tyre?", "What is the capital of Peru?",
    "Who won the 2018 football World Cup?", "How tall is Mount Everest?",
    "What is the boiling point of water at altitude?", "How do I install Python on Windows?",
    "What are the symptoms of the flu?", "Which planets have rings?", "How many calories are in a banana?",
    "What is the plot of Hamlet?", "How does photosynthesis work?", "What time does the Louvre open?",
    "Best way to learn the guitar?", "What is a good name for a cat?",
    "寿司飯の作り方は？", "自転車のパンクの直し方は？", "ペルーの首都はどこ？", "富士山の高さは？", "猫の名前のおすすめは？",
    "光合成の仕組みは？", "インフルエンザの症状は？", "ハムレットのあらすじは？", "バナナのカロリーは？", "ギターの上達法は？",
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--index", type=Path, required=True)
    ap.add_argument("--seeds", type=Path, required=True)
    args = ap.parse_args()
    settings = Settings.from_env({}, seeds_dir=args.seeds, index_dir=args.index)
    embedders = load_embedders(settings)
    searcher = open_searcher(settings, embedders=embedders)
    row_of = {p.passage_id: i for i, p in enumerate(searcher.index.passages)}

    def best(question: str) -> float:
        rows = np.array([row_of[h.passage.passage_id] for h in searcher.search(question, 5).hits])
        vector = np.asarray(embedders["e5"].encode_queries([question]))[0]
        return float((searcher.index.dense["e5"].row_vectors(rows) @ vector).max())

    on_topic = [q.question for f in sorted((REPO / "eval" / "questions").glob("*.jsonl"))
                if "conversation" not in f.name for q in load_questions(f)]
    a, b = np.array([best(q) for q in on_topic]), np.array([best(q) for q in OFF_TOPIC])
    print(f"on-topic ({len(a)}): min {a.min():.3f}, 1st percentile {np.percentile(a, 1):.3f}, 5th "
          f"{np.percentile(a, 5):.3f}, median {np.median(a):.3f}")
    print(f"off-topic ({len(b)}): max {b.max():.3f}, median {np.median(b):.3f}")
    for t in (0.76, 0.78, 0.80, 0.82):
        print(f"below {t}: {int((a < t).sum())} on-topic, {int((b < t).sum())} off-topic")


if __name__ == "__main__":
    main()
