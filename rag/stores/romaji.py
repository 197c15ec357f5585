"""Japanese written in Latin letters (Hepburn romanization, as English news writes Japanese names: Tanaka, Ofunato,
Takuya): whether a word reads as Japanese syllables, and a katakana reading (Sudachi's) in those letters, so that
"Tanaka" can be told from every name a passage writes in kanji (田中: タナカ).

Unlike a foreign name's katakana (rag/stores/sounds.py), which spells its sound many ways, a Japanese name has one
romanization up to its long vowels, which English drops or writes several ways (Ōno, Ohno, Ono, Oono; Kyōto, Kyoto;
Jun'ichirō): `folded` writes each long vowel as one, and m before b, p or m as n (Namba, Nanba)."""

from __future__ import annotations

import re

# one syllable: a consonant (or a digraph) and a vowel in Hepburn's spelling (shi, chi, tsu, fu, ji; not si, ti, tu,
# hu, di, du, which Hepburn does not write), a lone vowel, the moraic n, or the first letter of a doubled consonant
# (Hattori, Matsuda: tch in Hatchōbori), or the h English adds after o for a long vowel (Ohno)
_SYLLABLE = (r"(?:(?:ky|gy|sh|ch|ny|hy|by|py|my|ry|ts|j|f)[aiueo]|[kgszdnhbpmr][aeo]|[kgnhbpmr]i|[kgsznbpmr]u|"
             r"t[aeo]|d[aeo]|[yw]a|y[uo]|wo|[aiueo]|n(?![aiueoy])|([kstp])(?=\1)|t(?=ch)|h(?![aiueoy]))")
_JAPANESE = re.compile(rf"(?:{_SYLLABLE})+")

_ROWS = {"": "アイウエオ", "k": "カキクケコ", "s": "サシスセソ", "t": "タチツテト", "n": "ナニヌネノ", "h": "ハヒフヘホ",
         "m": "マミムメモ", "y": "ヤ_ユ_ヨ", "r": "ラリルレロ", "w": "ワ___ヲ", "g": "ガギグゲゴ", "z": "ザジズゼゾ",
         "d": "ダヂヅデド", "b": "バビブベボ", "p": "パピプペポ"}
_KANA = {k: c + v for c, row in _ROWS.items() for v, k in zip("aiueo", row) if k != "_"}
_KANA |= {"シ": "shi", "チ": "chi", "ツ": "tsu", "フ": "fu", "ジ": "ji", "ヂ": "ji", "ヅ": "zu", "ヲ": "o", "ン": "n",
          "ヴ": "vu"}
_SMALL = {"ャ": "a", "ュ": "u", "ョ": "o", "ァ": "a", "ィ": "i", "ゥ": "u", "ェ": "e", "ォ": "o"}


def reads_as_japanese(word: str) -> bool:
    """Whether a Latin word (any case) is Japanese syllables as Hepburn writes them: "Tanaka", "Ofunato", "Shinkansen";
    not "Putin" (ti), "Lavrov", "Harris"."""
    return bool(_JAPANESE.fullmatch(word.lower()))


def romanized(kana: str) -> str:
    """A reading in kana in Hepburn's letters (タナカ and たなか: tanaka, キョウト: kyouto, マッチ: matchi); "" when it
    holds anything else."""
    out = ""
    double = False
    for ch in kana:
        if "ぁ" <= ch <= "ゖ":  # hiragana is read as its katakana
            ch = chr(ord(ch) + 0x60)
        if ch == "ッ":
            double = True
            continue
        if ch == "ー":
            continue
        if ch in _SMALL:  # a small kana sets the vowel of the one before (キャ: kya, シャ: sha, ティ: ti)
            vowel = _SMALL[ch]
            if out[-1:] in ("a", "i", "u", "e", "o"):
                head = out[:-1]
                glide = ch in "ャュョ" and not head.endswith(("sh", "ch", "j"))
                out = head + ("y" if glide else "") + vowel
            else:
                out += vowel
            continue
        syllable = _KANA.get(ch)
        if syllable is None:
            return ""
        if double:  # ッ doubles the next consonant (ッチ: tchi)
            syllable = ("t" if syllable.startswith("ch") else syllable[0]) + syllable
            double = False
        out += syllable
    return out


def folded(word: str) -> str:
    """A romanized word with each long vowel written once and m before b, p or m written n, lower-cased: "Ohno",
    "Oono" and "Ono" are "ono"; "Kyouto" is "kyoto"; "Namba" is "nanba"."""
    word = re.sub(r"m(?=[bpm])", "n", word.lower().replace("'", ""))
    word = re.sub(r"oh(?![aiueoy])", "o", word)
    word = word.replace("ou", "o")
    return re.sub(r"([aiueo])\1+", r"\1", word)
