"""Stand-alone questions inside a conversation: each question of a set preceded by the one before it.

Writes a conversation file whose line i has turns [question i-1, question i] and question i's evidence, so that
`rag eval` scores every question alone (mode "hybrid") and after an unrelated earlier turn ("hybrid+conversation").
The two must not differ: the follow-up logic must leave stand-alone questions as they are.

    python benchmarks/standalone_after_previous.py eval/questions/team.jsonl > /tmp/team-after-previous.jsonl
    rag eval --questions /tmp/team-after-previous.jsonl --modes hybrid
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main(path: str) -> None:
    lines = [json.loads(line) for line in Path(path).read_text("utf-8").split("\n") if line.strip()]
    for before, q in zip([lines[-1], *lines[:-1]], lines):
        out = {"id": q["id"], "lang": q["lang"], "turns": [before["question"], q["question"]],
               "evidence": q["evidence"]}
        sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: standalone_after_previous.py QUESTIONS.jsonl > OUT.jsonl")
    main(sys.argv[1])
