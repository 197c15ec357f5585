"""The shape of a sentence as a piece of an answer: whole, or a fragment (a heading, a list item, a piece cut
mid-sentence); a list item; a near duplicate of another. The selection and the leads both ask these, so this module
imports neither."""

from __future__ import annotations

import re

MIN_CHARS = 8
# Shorter than this, or without a sentence end, a picked sentence is a fragment (a heading, a cut piece).
FRAGMENT_CHARS = 20
DUPLICATE_JACCARD = 0.6
# A list item: a line that opens with a bullet as the articles' summaries and breakdowns write them (・, ➢, ⇨); not ■
# or ▶, which open headings and link lines, nor •, which opens the sites' menus and rankings.
LIST_ITEM = re.compile(r"\s*[・➢⇨]\s*\S")


def fragment(text: str) -> bool:
    """A heading, a list item or a piece cut mid-sentence: too short, or not ended like a sentence."""
    return len(text) < FRAGMENT_CHARS or not ends_a_sentence(text)


def ends_a_sentence(text: str) -> bool:
    return text.rstrip("」』）)】”\"'").endswith(("。", "！", "？", "!", "?", "."))


def near_duplicate(a: str, b: str) -> bool:
    """True when one sentence contains the other or their character bigrams mostly overlap."""
    x, y = "".join(a.split()), "".join(b.split())
    if x in y or y in x:
        return True
    ga, gb = _bigrams(x), _bigrams(y)
    return bool(ga and gb) and len(ga & gb) / len(ga | gb) >= DUPLICATE_JACCARD


def _bigrams(s: str) -> set[str]:
    return {s[i : i + 2] for i in range(len(s) - 1)}
