"""How often the bridge spells an ordinary English word as a name, with 5,000 random katakana names added to the
names it can spell (what a large corpus holds: most consonant keys then have an unknown katakana term), over the
English questions of the given sets, split into questions written all in lower case and the others.

    .venv/bin/python benchmarks/random_names.py --index <index> eval/questions/*.jsonl

A question with capitals has only its capitalised words spelled by their sound (sentence-initial words among
them); one written all in lower case says nothing by its case, so each word the dictionary lacks may be spelled
(rag/stores/bridge.py, Bridge.expand). Prints each count and the lower-case questions that got a random name's group.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from eval.questions import load_questions  # noqa: E402
from rag.stores.bridge import Bridge  # noqa: E402
from rag.stores.sounds import kana_key  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--index", type=Path, required=True, help="a built index directory")
    p.add_argument("--names", type=int, default=5000)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("sets", nargs="+", type=Path)
    args = p.parse_args()
    bridge = Bridge.load(next(args.index.rglob("bridge*.json")))
    rnd = random.Random(args.seed)
    kana = [chr(c) for c in range(ord("ァ"), ord("ヶ"))]
    names = {k: list(v) for k, v in bridge.names.items()}
    own = {t for v in bridge.names.values() for t in v}
    for _ in range(args.names):
        term = "".join(rnd.choice(kana) for _ in range(rnd.randint(3, 6)))
        names.setdefault(kana_key(term), []).append(term)
    random_terms = {t for v in names.values() for t in v} - own
    many = Bridge(bridge.table, names, bridge.words, bridge.defined, bridge.defined_names)
    questions = [q.question for path in args.sets for q in load_questions(path) if q.lang == "en"]
    lower = [q for q in questions if q == q.lower()]
    others = [q for q in questions if q != q.lower()]

    def spurious(question: str) -> list[list[str]]:
        return [g for g in many.expand(question) if any(t in random_terms for t in g)]

    for label, group in (("written all in lower case", lower), ("with capitals", others)):
        print(f"{label}: {sum(bool(spurious(q)) for q in group)} of {len(group)} got a random name's group")
    for q in lower:
        if found := spurious(q):
            print(f"  {q[:90]} -> {[g[0] for g in found]}")


if __name__ == "__main__":
    main()
