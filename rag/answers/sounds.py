"""Whether a katakana or Latin term is a spelling of a Latin-script name, by how the two sound: ラブロフ is "Lavrov",
トルコ is not "peru", タイム is not "weather".

The coverage check (coverage.py) looks for a question's names in its top passages. The articles write a foreign name
in katakana, and the term alignment proposes a corpus term for every English word, so many of the terms the search
tries are neighbours in meaning, not spellings: "weather" → タイム, "peru" → トルコ, "Lionel Messi" → a katakana name
the articles do hold. A spelling keeps the name's consonants in order, so each side is reduced to a key of consonant
classes and two keys must be equal, or one edit apart when both have four classes or more.

The classes merge what a katakana spelling cannot tell apart or routinely swaps: l and r, the labials (b, v, p, f:
"Lavrov" is ラブロフ), m and n (ン stands for both before b and p: "Trump" is トランプ), s and z, and ch, ti and t
(チ). Vowels, w and y, and the long-vowel and gemination marks are dropped, since katakana adds a vowel after every
consonant ("Kursk" is クルスク). Nothing here is specific to a corpus or a question set."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_KANA = {}
for chars, cls in (("カキクケコ", "k"), ("ガギグゲゴ", "g"), ("サシスセソザズゼゾ", "s"), ("ジ", "j"), ("ヂ", "j"),
                   ("タチテト", "t"), ("ツヅ", "s"), ("ダデド", "d"), ("ナニヌネノンマミムメモ", "n"),
                   ("ハヒヘホ", "h"), ("フバビブベボパピプペポヴ", "b"), ("ラリルレロ", "r")):
    for ch in chars:
        _KANA[ch] = cls

_DIGRAPHS = [("sch", "s"), ("sh", "s"), ("ch", "t"), ("th", "s"), ("ph", "b"), ("gh", "g"), ("ck", "k"),
             ("qu", "k"), ("ts", "s"), ("tz", "s"), ("ds", "s"), ("dz", "s"), ("dh", "d"), ("kh", "h"), ("zh", "j"),
             ("dj", "j")]
_LETTER = {**dict.fromkeys("bvpf", "b"), **dict.fromkeys("lr", "r"), **dict.fromkeys("mn", "n"),
           **dict.fromkeys("sz", "s"), **dict.fromkeys("kq", "k"), "d": "d", "g": "g", "j": "j", "t": "t", "x": "ks"}
_VOWELS = set("aeiouyw")  # w and y too: ワ and ヤ are written as vowels with a glide ("Woods" is ウッズ)


@lru_cache(maxsize=8192)
def kana_key(term: str) -> str:
    """The consonant classes of a katakana term, in order, repeats collapsed (ラブロフ → "rbrb")."""
    return _collapse("".join(_KANA.get(ch, "") for ch in term))


@lru_cache(maxsize=8192)
def latin_key(text: str) -> str:
    """The consonant classes of a Latin-script word or name, in order, repeats collapsed ("Lavrov" → "rbrb")."""
    text = "".join(ch for ch in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(ch))  # í is i
    word = re.sub(r"[^a-z]", "", re.sub(r"ng\b", "n", text))  # a final ng is ン: "Hi-yong" is ヒヨン
    for pair, cls in _DIGRAPHS:
        word = word.replace(pair, cls if cls else "\0")  # "\0": a digraph heard as nothing, kept out of the rules
    out = []
    for i, ch in enumerate(word):
        nxt = word[i + 1] if i + 1 < len(word) else ""
        if ch in _VOWELS or ch == "\0":
            continue
        if ch == "c":
            out.append("s" if nxt in ("e", "i", "y") else "k")
        elif ch == "h":
            if nxt in _VOWELS:  # an h before a vowel is heard (ハ行); after one, or at the end, it is not
                out.append("h")
        else:
            out.append(_LETTER.get(ch, ""))
    return _collapse("".join(out))


def _collapse(key: str) -> str:
    return re.sub(r"(.)\1+", r"\1", key)


def _within_one(a: str, b: str) -> bool:
    """Equal, or one insertion, deletion or substitution apart."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    return a[i + 1:] == b[i + 1:] if len(a) == len(b) else a[i:] == b[i + 1:]


def same_key(a: str, b: str) -> bool:
    """Two keys of one name: equal, or one edit apart when both have four classes or more (short keys one edit apart
    are too many words: マソウド is not "Messi", ビジネス is not "Python")."""
    if not a or not b:
        return False
    return a == b or (min(len(a), len(b)) >= 4 and _within_one(a, b))


def spells(term: str, name: str) -> bool:
    """Whether `term` (a katakana term, or a lowercase Latin one) may be a spelling of `name` (Latin script, one word
    or several): its consonants are the whole name's ("ラザルス・グループ" spells "Lazarus Group", "ラザルス" spells
    "Lazarus" but not "Lazarus Group", whose words are checked one by one)."""
    key = kana_key(term) if not term.isascii() else latin_key(term)
    return same_key(key, latin_key(name))
