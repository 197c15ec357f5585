"""Each kanji's Sino-Japanese readings (音読み), from KANJIDIC2 in the jamdict-data database, for a name no dictionary
holds: an inn's 翠嵐閣 is "Suirankaku", read スイ + ラン + カク, where Sudachi reads 翠 + 嵐 + 閣 as ミドリ + アラシ + カク
(a twenty-second probe's: every question naming it in Latin letters was refused as not covered).

Loaded once per process, on first use (~13,000 characters, ~0.1 s), and only by the coverage check's last resort."""

from __future__ import annotations

import functools
import sqlite3
from contextlib import closing

from .dictionary import db_path
from .romaji import folded, romanized


@functools.lru_cache(maxsize=1)
def on_readings() -> dict[str, tuple[str, ...]]:
    """Each kanji's on readings in Hepburn's letters, folded (嵐: ("ran",)); empty without the database."""
    path = db_path()
    if path is None:
        return {}
    out: dict[str, list[str]] = {}
    # as the dictionary's own reads open it: a '?' or '#' in the path is the path's (as_uri), and it is closed after
    # (sqlite3's context manager only commits)
    with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as db:
        rows = db.execute("SELECT c.literal, r.value FROM character c JOIN rm_group g ON g.cid = c.ID "
                          "JOIN reading r ON r.gid = g.ID WHERE r.r_type = 'ja_on'").fetchall()
    for char, value in rows:
        read = folded(romanized(value.replace("-", "")))
        if read and read not in out.setdefault(char, []):
            out[char].append(read)
    return {char: tuple(reads) for char, reads in out.items()}


def reads_on(word: str, kanji: str) -> bool:
    """Whether the run of kanji `kanji` (two or more) reads as `word` (Hepburn's letters, folded) by one on reading of
    each of its characters in turn."""
    table = on_readings()

    def match(at: int, i: int) -> bool:
        if i == len(kanji):
            return at == len(word)
        return any(word.startswith(r, at) and match(at + len(r), i + 1) for r in table.get(kanji[i], ()))

    return len(kanji) >= 2 and match(0, 0)
