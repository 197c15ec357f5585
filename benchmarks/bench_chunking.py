"""What chunking costs, this tree's chunker beside another commit's, on the same documents: CPU seconds per round
(interleaved, so that the machine's drift falls on both), how many texts each gave tiktoken and how many characters,
and whether both made the same passages (ids, texts and token counts). Nothing is embedded.

Usage: .venv/bin/python benchmarks/bench_chunking.py --seeds DIR [--against dff1228~1] [--rounds 3]
Synthetic seeds of any size: .venv/bin/python -c "..." with benchmarks/scale_synth.py's write_seeds (docs/results.md).
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from rag import tokens  # noqa: E402
import rag.chunking as ours  # noqa: E402
from rag.chunking import ChunkParams  # noqa: E402
from rag.corpus import load_corpus  # noqa: E402


def chunker_at(rev: str):
    """rag/chunking.py as it was at `rev`, imported beside this tree's (its relative imports made absolute)."""
    source = subprocess.run(["git", "-C", str(REPO), "show", f"{rev}:rag/chunking.py"], check=True,
                            capture_output=True, text=True).stdout
    source = source.replace("from . import tokens", "from rag import tokens").replace("from .", "from rag.")
    path = Path(tempfile.mkdtemp()) / "chunking_then.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("chunking_then", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["chunking_then"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def digest(passages) -> str:
    return hashlib.sha256(repr([(p.passage_id, p.tokens, p.text) for p in passages]).encode()).hexdigest()[:16]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=Path, required=True)
    ap.add_argument("--against", default="dff1228~1", help="the commit whose chunker to compare with")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()

    documents = load_corpus(args.seeds).documents
    chunkers = {"this tree": ours, args.against: chunker_at(args.against)}
    params = ChunkParams()
    count = tokens.count
    for name, module in chunkers.items():
        texts = chars = 0

        def counting(text: str) -> int:
            nonlocal texts, chars
            texts, chars = texts + 1, chars + len(text)
            return count(text)

        tokens.count = counting
        made = module.chunk_corpus(documents, params)
        tokens.count = count
        print(f"{name}: {len(made)} passages, {texts} texts counted, {chars} characters, passages {digest(made)}")
    for r in range(args.rounds):
        order = list(chunkers.items()) if r % 2 == 0 else list(chunkers.items())[::-1]
        for name, module in order:
            t = time.process_time()
            module.chunk_corpus(documents, params)
            print(f"round {r + 1}: {name} {time.process_time() - t:.2f} s CPU", flush=True)


if __name__ == "__main__":
    main()
