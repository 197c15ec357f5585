"""A new seed for version tests: a real seed with its headline replaced by a new section (a document no other seed
holds), and helpers to copy the session's seeds and index."""

from __future__ import annotations

import shutil
from pathlib import Path

NEW_DOC = "951_qdrant_probe"
BASE_SEED = "003_4dfd093ef708d448.txt"
HEADLINE = "習近平とプーチンの「兄弟関係」が逆転...兄が頼りの弟分は付き従うのみ"
NEW_SECTION = """北極海航路で日露の研究機関が共同観測を開始

北極海航路の海氷の状態を調べるため、日本とロシアの研究機関が共同観測を始めた。観測船はベーリング海峡から東シベリア海までを三週間かけて航行し、海氷の厚さと海水温を記録する。

観測に参加する稚内の港湾関係者は、砕氷船の運航費用が下がれば北極海航路を使う貨物船が増えると期待している。
"""
NEW_QUESTION = "北極海航路の共同観測で観測船はどこを航行するか"


def new_seed_text(seeds: Path) -> str:
    text = (seeds / BASE_SEED).read_text(encoding="utf-8")
    assert HEADLINE in text
    return text.replace(HEADLINE, NEW_SECTION, 1)


def copy_index(seeds: Path, index: Path, root: Path) -> tuple[Path, Path]:
    """Private copies of a seeds directory and its built index under `root`: (seeds, index)."""
    shutil.copytree(seeds, root / "seeds")
    shutil.copytree(index, root / "index", ignore=shutil.ignore_patterns(".build.lock"))
    return root / "seeds", root / "index"
