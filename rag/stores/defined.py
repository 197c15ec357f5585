"""Acronyms the articles define: 上海協力機構(SCO), 朝鮮労働党(WPK), イラン核合意(JCPOA).

Japanese news writes an organisation's name in full at its first mention and glosses it with the Latin acronym in
parentheses; an English reader asks with the acronym ("the SCO foreign ministers' meeting"), which the passages that
write the name in full do not hold and JMdict mostly lacks. A build reads these glosses from its passages and the
bridge gives the acronym the terms of its definition, as the spelled-out name would get.

The pairs are kept per passage slot, in a file beside each BM25 term segment, so an incremental build carries the
pairs of the passages it does not read again (a carried segment's file is linked, a reused passage's pairs are
taken by slot) and only the new passages are scanned: scanning every passage at each build costs ~6 s at a million.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from ..corpus.lines import has_cjk
from ..errors import IndexCorruptError

FILE = "defined.json"  # beside a segment's BM25 term files: {"id": DEFINED_ID, "pairs": [[slot, acronym, name], ...]}
DEFINED_ID = "glosses/v1"  # how the pairs were read: pairs read otherwise are read from the passages again
# a run of kanji and katakana (2–16 characters) glossed by a run of 2–8 Latin capitals in ASCII or full-width
# parentheses; a gloss closing a dateline (【ワシントン(AP)】) names a news agency, not the run before it
_GLOSS = re.compile(r"(?<!【)([\u4e00-\u9fff\u3005\u30a1-\u30fa\u30fb\u30fc]{2,16})[(（]([A-ZＡ-Ｚ]{2,8})[)）](?!】)")
_OPEN = ("(", "（")

Pair = tuple[str, str]


def glosses(text: str) -> list[Pair]:
    """The (acronym, definition) pairs `text` writes, each once, in order: 上海協力機構(SCO) → ("SCO", "上海協力機構")."""
    if not any(p in text for p in _OPEN):  # most passages have no parenthesis: no regex pass
        return []
    found = [(unicodedata.normalize("NFKC", m.group(2)), m.group(1)) for m in _GLOSS.finditer(text)]
    return list(dict.fromkeys(found))


def save(path: Path, rows: Iterable[tuple[int, Sequence[Pair]]]) -> None:
    """A segment's pairs by slot (its local slot index)."""
    flat = [[slot, acronym, definition] for slot, pairs in rows for acronym, definition in pairs]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"id": DEFINED_ID, "pairs": flat}, ensure_ascii=False), encoding="utf-8")


def load(path: Path, slots: int) -> dict[int, list[Pair]] | None:
    """A segment's pairs by local slot (0 ≤ slot < `slots`), or None when they were read by another rule."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("id") != DEFINED_ID:
            return None
        out: dict[int, list[Pair]] = {}
        for slot, acronym, definition in data["pairs"]:
            if not (isinstance(slot, int) and 0 <= slot < slots and isinstance(acronym, str)
                    and isinstance(definition, str)):
                raise ValueError(f"slot {slot!r}: not a slot of the segment's {slots}, or not an acronym and a name")
            out.setdefault(slot, []).append((acronym, definition))
    except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
        raise IndexCorruptError(f"{path.name}: the acronyms the passages define cannot be read: {exc}") from None
    return out


def choose(pairs: Iterable[Pair]) -> dict[str, str]:
    """Each acronym's definition: the one most passages write (a longer run that took in a word before the name,
    同日上海協力機構, is rarer than the name itself), the shorter, then the first in code-point order on a tie."""
    counts = Counter(pairs)
    best: dict[str, tuple[int, int, str]] = {}
    for (acronym, definition), n in counts.items():
        rank = (-n, len(definition), definition)
        if acronym not in best or rank < best[acronym]:
            best[acronym] = rank
    return {acronym: rank[2] for acronym, rank in sorted(best.items())}


def live_pairs(by_segment: Mapping[str, Mapping[int, list[Pair]]], rows_of: Mapping[str, Sequence[int]]) -> list[Pair]:
    """The pairs of the slots that hold a live passage (row ≥ 0), over every segment."""
    out: list[Pair] = []
    for name, slots in by_segment.items():
        rows = rows_of[name]
        for slot, pairs in slots.items():
            if rows[slot] >= 0:
                out += pairs
    return out


# a run of 2–8 capitals, ASCII or full-width (a Japanese keyboard types ＳＣＯ), between no other Latin letters
_CAPITALS = re.compile(r"(?<![A-Za-zＡ-Ｚａ-ｚ])[A-ZＡ-Ｚ]{2,8}(?![A-Za-zＡ-Ｚａ-ｚ])")
_LOWER = re.compile(r"[a-zａ-ｚ]")
_NAMED = re.compile(r"\s*[(（]")  # an acronym the question itself glosses, SCO(上海協力機構), or glosses with: (SCO)
MAX_GLOSSED = 4  # acronyms written out per question: a question of many acronyms must not grow by all their names


class Glosser:
    """Writes a question's defined acronyms with their names, as the passages do at a first mention, for the
    encoders: "the SCO foreign ministers' meeting" → "the SCO(上海協力機構) foreign ministers' meeting". e5 and USE read
    the name in the passages' own language, which the acronym alone does not bring them (it reaches the passages that
    list the acronym among others). A word in capitals is an acronym in a question with lower case or with Japanese
    (a question written all in capitals says nothing by its case). Each acronym is written out once, at its first
    mention, and not where the question already glosses it or writes its name; at most MAX_GLOSSED of them, so a
    question grows by a few names at most past the size the intake checked. A question with none is returned as it
    is."""

    def __init__(self, names: dict[str, str]) -> None:
        self.names = dict(names)

    def __call__(self, text: str) -> str:
        if not self.names or not (_LOWER.search(text) or has_cjk(text)):  # has_cjk: how a question is told Japanese
            return text
        done: set[str] = set()

        def gloss(m: re.Match[str]) -> str:
            acronym = unicodedata.normalize("NFKC", m.group(0))
            name = self.names.get(acronym)
            if (name is None or acronym in done or len(done) >= MAX_GLOSSED or name in text
                    or _NAMED.match(text, m.end()) or text[max(m.start() - 1, 0) : m.start()] in ("(", "（")):
                return m.group(0)
            done.add(acronym)
            return f"{m.group(0)}({name})"

        return _CAPITALS.sub(gloss, text)
