"""What one question costs each encoder, by its e5 token count: why the token limit and the long-question lane exist.

    .venv/bin/python benchmarks/bench_query_cost.py

Encodes, in this process, a normal question and questions of rare kanji, made-up English words and emoji of growing
length with e5 (dense, then its sparse head) and USE, once each after a warm-up on a different text (the encoders
cache nothing, but a first call pays lazy set-up). Prints a Markdown table.
"""

from __future__ import annotations

import random
import sys
import time

from rag.embedders import create


def main() -> int:
    e5, use = create("e5"), create("use")
    rng = random.Random(1)

    def rare(n: int) -> str:
        return "".join(chr(0x20000 + rng.randrange(40000)) for _ in range(n))

    def words(n: int) -> str:
        return " ".join("".join(rng.choice("bcdfgklmnprstvz") + rng.choice("aeiou") for _ in range(3)) for _ in range(n))

    texts = {"a normal question": "What did Lavrov say about an alliance with China?", "rare kanji": rare(120),
             "rare kanji ": rare(250), "rare kanji  ": rare(505), "made-up English words": words(200),
             "emoji": "".join(chr(0x1F300 + rng.randrange(700)) for _ in range(2000))}
    print("| text | characters | e5 tokens | e5 dense ms | e5 sparse ms | USE ms |\n|---|---:|---:|---:|---:|---:|")
    for name, text in texts.items():
        row = [name.strip(), str(len(text)), str(e5.count_tokens(text))]
        for encode in (e5.encode_queries, e5.encode_sparse, use.encode_queries):
            encode([text + "x"])
            t0 = time.perf_counter()
            encode([text])
            row.append(f"{(time.perf_counter() - t0) * 1000:.0f}")
        print("| " + " | ".join(row) + " |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
