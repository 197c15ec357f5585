"""Whether a katakana or Latin term is a spelling of a Latin-script name, by how the two sound: ラブロフ is "Lavrov",
トルコ is not "peru", タイム is not "weather".

Two readers: the answers' coverage check (rag/answers/coverage/) looks for a question's names in its top passages. The
articles write a foreign name in katakana, and the term alignment proposes a corpus term for every English word, so many
of the terms the search tries are neighbours in meaning, not spellings: "weather" → タイム, "peru" → トルコ, "Lionel Messi" →
a katakana name the articles do hold. A spelling keeps the name's consonants in order, so each side is reduced to a key
of consonant classes and two keys must be equal (or differ by one final class, when both are long). The bridge
(bridge.py) keeps an English word's own loanword among its Japanese terms (group → グループ) by the same test.

The classes merge what a katakana spelling cannot tell apart or routinely swaps: l and r, the labials (b, v, p, f:
"Lavrov" is ラブロフ), m and n (ン stands for both before b and p: "Trump" is トランプ), s and z, and ch, ti and t
(チ). Vowels, w and y, and the long-vowel and gemination marks are dropped, since katakana adds a vowel after every
consonant ("Kursk" is クルスク). Nothing here is specific to a corpus or a question set."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from itertools import groupby

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
_CLASSES = sorted(set(_KANA.values()))
_VOWELS = set("aeiouyw")  # w and y too: ワ and ヤ are written as vowels with a glide ("Woods" is ウッズ)


class _OnlyKana(dict):
    """str.translate's table: each kana of a class to its class, every other character dropped."""

    def __missing__(self, code: int) -> None:
        return None


_KANA_TABLE = _OnlyKana({ord(ch): cls for ch, cls in _KANA.items()} | {ord("\n"): "\n"})  # kana_keys' separator
_REPEATED = re.compile(r"([^\n])\1+")


@lru_cache(maxsize=8192)
def kana_key(term: str) -> str:
    """The consonant classes of a katakana term, in order, repeats collapsed (ラブロフ → "rbrb")."""
    return "".join(cls for cls, _ in groupby(term.translate(_KANA_TABLE)))


def kana_keys(terms: list[str]) -> list[str]:
    """`kana_key` of each of `terms` (which hold no newline), all at once: a build asks for hundreds of thousands."""
    return _REPEATED.sub(r"\1", "\n".join(terms).translate(_KANA_TABLE)).split("\n")


@lru_cache(maxsize=8192)
def latin_key(text: str) -> str:
    """The consonant classes of a Latin-script word or name, in order, repeats collapsed ("Lavrov" → "rbrb")."""
    return latin_keys(text)[0]


@lru_cache(maxsize=8192)
def latin_keys(text: str) -> tuple[str, ...]:
    """The name's key, and its key without an r after a vowel and before a consonant or the end ("Starmer" is
    スターマー: katakana writes such an r as ー; "Kursk" is クルスク: a Russian r is heard)."""
    return _read_latin(text)[0]


@lru_cache(maxsize=8192)
def _read_latin(text: str) -> tuple[tuple[str, ...], str]:
    """`latin_keys`, and the key with the vowels a, e, i, o and u in place (`sounds_like`)."""
    text = "".join(ch for ch in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(ch))  # í is i
    word = re.sub(r"[^a-z]", "", re.sub(r"ng\b", "n", text))  # a final ng is ン: "Hi-yong" is ヒヨン
    for pair, cls in _DIGRAPHS:
        word = word.replace(pair, cls if cls else "\0")  # "\0": a digraph heard as nothing, kept out of the rules
    out, soft, voiced = [], [], []
    for i, ch in enumerate(word):
        prev, nxt = word[i - 1] if i else "", word[i + 1] if i + 1 < len(word) else ""
        if ch in _VOWELS or ch == "\0":
            voiced.append(ch if ch in "aeiou" else "")
            continue
        if ch == "c":
            cls = "s" if nxt in ("e", "i", "y") else "k"
        elif ch == "h":
            cls = "h" if nxt in _VOWELS else ""  # an h before a vowel is heard (ハ行); after one, or at the end, not
        else:
            cls = _LETTER.get(ch, "")
        out.append(cls)
        voiced.append(cls)
        if not (ch == "r" and prev in _VOWELS and nxt not in _VOWELS):
            soft.append(cls)
    keys = (_collapse("".join(out)), _collapse("".join(soft)))
    return (keys if keys[1] != keys[0] else keys[:1]), _collapse("".join(voiced))


def _collapse(key: str) -> str:
    return re.sub(r"(.)\1+", r"\1", key)


def same_key(a: str, b: str) -> bool:
    """Two keys of one name: equal; or, when both have four classes or more, one of them the other with one more class
    at the end (a final consonant heard or not). Nothing looser: two or three classes are the key of many words
    (ロシア is "Eilish", イラン is "Elon"), and an edit anywhere else makes other names match (ブレトン is not "Hilton")."""
    if not a or not b:
        return False
    if a == b:
        return True
    lo, hi = sorted((a, b), key=len)
    return len(lo) >= 4 and len(hi) == len(lo) + 1 and hi.startswith(lo)


def same_keys(key: str) -> list[str]:
    """Every key `same_key` takes for `key`: itself, and when long enough, with one more or one fewer final class."""
    out = [key] if key else []
    if len(key) >= 4:
        out += [key + cls for cls in _CLASSES if cls != key[-1]]  # keys have no repeated class
    if len(key) >= 5:
        out.append(key[:-1])
    return out


def spells(term: str, name: str) -> bool:
    """Whether `term` (a katakana term, or a lowercase Latin one) may be a spelling of `name` (Latin script, one word
    or several): a Latin term by the same letters ("iaea" spells "IAEA"; "brother" is not "Bruce Lee"), a katakana
    one by the whole name's consonants ("ラザルス・グループ" spells "Lazarus Group"; "ラザルス" spells "Lazarus" but not
    "Lazarus Group", whose words are checked one by one)."""
    if term.isascii():  # the articles write a Latin name in its own letters
        return term == re.sub(r"[^a-z0-9]", "", name.lower())
    key = kana_key(term)
    return any(same_key(key, k) for k in latin_keys(name))


def _kana_vowel(ch: str) -> str:
    """A kana's vowel, as its Unicode name spells it (KATAKANA LETTER SMALL YA: a; KATAKANA LETTER N: none)."""
    last = unicodedata.name(ch, " ")[-1].lower()
    return last if last in "aeiou" else ""


@lru_cache(maxsize=8192)
def kana_voiced(term: str) -> str:
    """A katakana term's consonant classes with its vowels in place, repeats collapsed (モディ → "nodi", キム →
    "kinu"): a small kana gives the vowel of the kana before it (ディ is "di", キャ "ka"), and ッ and ー are not heard
    apart."""
    out: list[str] = []
    for ch in term:
        if ch in "ッー・":
            continue
        vowel = _kana_vowel(ch)
        if "SMALL" in unicodedata.name(ch, ""):
            if out and out[-1] in "aeiou":
                out[-1] = vowel
            elif vowel:
                out.append(vowel)
            continue
        out += [c for c in (_KANA.get(ch, ""), vowel) if c]
    return _collapse("".join(out))


def sounds_like(term: str, name: str) -> bool:
    """Whether the katakana `term` sounds as the Latin-script `name` reads, vowels and all, the vowel katakana adds
    after a consonant aside (`_ADDED`: キム is "Kim"): the test for a name of too few consonants for `spells`
    (モディ is "Modi", not "mod"; ロシア, whose key is "Eilish"'s, is not "Eilish")."""
    kana, latin = kana_voiced(term), _read_latin(name)[1]
    return bool(latin) and _follows(kana, latin)


# the vowel katakana writes after a consonant that has none (ム in キム, ト in "Scott" スコット, チ in "Rich" リッチ):
# u after most consonants, o after t and d, i after ch and j; not ディ's i nor モ's o, which are heard
_ADDED = {**dict.fromkeys("kgsnhbrj", "u"), "t": "oi", "d": "o", "j": "ui"}


def _follows(kana: str, latin: str, i: int = 0, j: int = 0) -> bool:
    """Whether kana[i:] reads as latin[j:], letter for letter, with a vowel katakana adds heard or not."""
    if i == len(kana):
        return j == len(latin)
    if j < len(latin) and kana[i] == latin[j] and _follows(kana, latin, i + 1, j + 1):
        return True
    return i > 0 and kana[i] in _ADDED.get(kana[i - 1], "") and _follows(kana, latin, i + 1, j)


def short(name: str) -> bool:
    """Whether a name's key has fewer than three classes: such a key is shared by many words (ロシア is "Eilish"), so a
    passage term of that sound needs more evidence than its sound (coverage/held.py, `names_held`: the search must
    try it too)."""
    return len(latin_key(name)) < 3
