"""Japanese-aware lexical analysis for BM25: NFKC, katakana variant folding, Sudachi morphemes, lower-cased Latin."""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache
from typing import NamedTuple

# Orthographic variants that name the same thing: ラヴロフ/ラブロフ, ヴィ/ビ, ヂ/ジ, ヅ/ズ.
_FOLD = [
    ("ヴァ", "バ"), ("ヴィ", "ビ"), ("ヴェ", "ベ"), ("ヴォ", "ボ"), ("ヴュ", "ビュ"), ("ヴ", "ブ"),
    ("ヂ", "ジ"), ("ヅ", "ズ"), ("ヰ", "イ"), ("ヱ", "エ"), ("ヲ", "オ"),
]
_FOLD_MAP = dict(_FOLD)
_FOLD_RE = re.compile("|".join(a for a, _ in _FOLD))
_KATAKANA_WORD = re.compile(r"^[\u30a0-\u30ff]+$")
_LATIN_WORD = re.compile(r"^[0-9A-Za-z][0-9A-Za-z.\-']*$")
_KEEP_POS = {"名詞", "動詞", "形容詞", "形状詞", "副詞", "接頭辞", "連体詞", "代名詞"}
STOP_WORDS = {"する", "ある", "いる", "なる", "れる", "られる", "こと", "もの", "よう", "ため", "これ", "それ", "その",
         "この", "為る", "有る", "居る", "成る", "為", "其の", "此の", "事", "物", "様", "是", "其れ", "此れ", "出来る", "the", "a", "an", "of", "to", "in", "and", "or", "is", "are", "was", "were", "be", "for", "on",
         "with", "by", "at", "as", "that", "this", "it", "from", "what", "which", "who", "did", "does", "do",
         "about", "how", "why", "when", "say", "said", "through", "against", "its", "their", "his", "her", "they",
         "he", "she", "we", "you", "does", "according", "into", "over", "under", "than", "then", "there", "these",
         "those", "would", "could", "should", "will", "can", "has", "have", "had", "not", "no", "any", "some",
         "such", "very", "also", "only", "other", "after", "before", "between", "during", "where", "whom", "whose",
         "piece", "article", "author", "writer", "according"}
ANALYZER_ID = "sudachi-core-B/nfkc/kana-fold/v4"  # v4: a municipality's head (松本市 + 長: 市長, `_title_after`)
# the divisions whose head is written with 長 after the place's name (市長, 町長, 村長, 区長)
_HEADED = frozenset("市町村区")


class Token(NamedTuple):
    """One morpheme with its part of speech; `term` is its BM25 term, or None when BM25 ignores it."""

    surface: str
    term: str | None
    pos: tuple[str, ...]


def fold(text: str) -> str:
    """NFKC, then fold katakana spelling variants so that ラヴロフ and ラブロフ compare equal."""
    text = unicodedata.normalize("NFKC", text)
    # one pass, the two-letter spellings first: no replacement makes a spelling that another one would match
    return _FOLD_RE.sub(_fold_one, text) if _FOLD_RE.search(text) else text


def _fold_one(match: re.Match[str]) -> str:
    return _FOLD_MAP[match.group()]


def fold_term(term: str) -> str:
    """A token's comparison form: lower-case; a katakana word loses its final long-vowel mark (コンピューター/タ)."""
    term = term.lower()
    if _KATAKANA_WORD.match(term) and len(term) > 3:
        term = term.rstrip("ー")
    return term


class JapaneseAnalyzer:
    """Tokenizes mixed Japanese/English text into BM25 terms (content-word lemmas)."""

    analyzer_id = ANALYZER_ID

    def __init__(self) -> None:
        from sudachipy import Dictionary, SplitMode

        self._dict = Dictionary(dict="core")
        self._mode = SplitMode.B
        self._local = threading.local()  # Sudachi tokenizers are not safe to share between threads

    def _tokenizer(self):
        tok = getattr(self._local, "tok", None)
        if tok is None:
            tok = self._local.tok = self._dict.create(self._mode)
        return tok

    def terms(self, text: str) -> list[str]:
        """BM25 terms of `text`, in order, with repeats."""
        out: list[str] = []
        # Sudachi refuses inputs over ~49 KB; long texts go through in slices cut at line ends or spaces.
        for piece in _slices(fold(text), 12000):
            out += self.morpheme_terms(self._tokenizer().tokenize(piece))
        return out

    @staticmethod
    def morpheme_terms(morphemes) -> list[str]:
        """The BM25 terms of Sudachi morphemes of a folded text (what `terms` gives for that text, when it is one
        slice): for a caller that reads the same morphemes' parts of speech, so that the text is tokenized once."""
        out: list[str] = []
        before: tuple[str, tuple[str, ...]] = ("", ())
        for m in morphemes:
            surface, pos, after = m.surface(), m.part_of_speech(), before
            before = (surface, tuple(pos[:2]))
            if (title := _title_after(after, surface, pos)) is not None:
                out.append(title)
                continue
            if pos[0] not in _KEEP_POS:
                continue
            # Sudachi "normalises" English words to katakana (China → チャイナ); Latin passes through as is.
            term = fold_term(surface if _LATIN_WORD.match(surface) else fold(m.normalized_form()))
            if term and term not in STOP_WORDS and not term.isspace():
                out.append(term)
        return out

    def tokens(self, text: str) -> list[Token]:
        """Every morpheme of `text` (NFKC and kana-folded), in order, with its Sudachi part of speech and the BM25
        term `terms` would give it (so the terms of `tokens(text)` are `terms(text)`)."""
        out: list[Token] = []
        for piece in _slices(fold(text), 12000):
            before: tuple[str, tuple[str, ...]] = ("", ())
            for m in self._tokenizer().tokenize(piece):
                pos = tuple(m.part_of_speech()[:4])
                term = _title_after(before, m.surface(), pos)
                before = (m.surface(), pos[:2])
                if term is None and pos[0] in _KEEP_POS:
                    surface = m.surface()
                    term = fold_term(surface if _LATIN_WORD.match(surface) else fold(m.normalized_form()))
                    term = term if term and term not in STOP_WORDS and not term.isspace() else None
                out.append(Token(m.surface(), term, pos))
        return out

    def entries(self, term: str) -> list[tuple[str, ...]]:
        """The parts of speech of Sudachi's dictionary entries written exactly as `term` ([] for a word it does not
        hold, or reads as several): a look-up, ~2 µs, where `tags` tokenizes (~20 µs)."""
        return [tuple(m.part_of_speech()[:4]) for m in self._dict.lookup(term)]

    def readings(self, term: str) -> list[str]:
        """The readings (katakana) of Sudachi's dictionary entries written exactly as `term`: 隆 is タカシ, リュウ…"""
        return [m.reading_form() for m in self._dict.lookup(term)]

    def noun_readings(self, term: str) -> list[str]:
        """The readings (katakana) of Sudachi's dictionary entries written exactly as `term` that are nouns: 交通 is
        コウツウ, 大岩 オオイワ; none for a verb's or a word the dictionary does not hold."""
        return [m.reading_form() for m in self._dict.lookup(term) if m.part_of_speech()[0] == "名詞"]

    def person_readings(self, term: str) -> list[str]:
        """The readings (katakana) of Sudachi's entries written exactly as `term` that are people's names (東海林:
        ショウジ); none for a term that is a common noun too (政治 is a given name, セイジ, and 健康, 大学 others), unless
        it is a place as well, as many a surname is (上田, 甲斐, 山本: a noun of a field, of worth, of a mountain)."""
        found = [(tuple(m.part_of_speech()[:3]), m.reading_form()) for m in self._dict.lookup(term)]
        if any(tag[1] == "普通名詞" for tag, _ in found) and not any(tag[2] == "地名" for tag, _ in found):
            return []
        return [reading for tag, reading in found if tag == ("名詞", "固有名詞", "人名")]

    def tags(self, term: str) -> tuple[str, ...]:
        """Sudachi's part of speech of `term` read alone as one morpheme; () when it reads as several."""
        tokens = self.tokens(term)
        return tokens[0].pos if len(tokens) == 1 else ()


def _title_after(before: tuple[str, tuple[str, ...]], surface: str, pos) -> str | None:
    """The term of a municipality's head that Sudachi cuts after the place's name or a given name, its division's
    kanji read with them or alone (松本市 + 長, 大野浩市長 as 大野 + 浩市 + 長, 松本浩二町長 as … + 二 + 町 + 長; 横浜市長
    is 横浜 + 市長): 市長, as the title is written elsewhere; None for any other morpheme. "mayor" found no 大野浩市長
    (a twenty-second probe's), nor 松本浩二町長 (a twentieth's). `before`: the morpheme before, its surface and its
    part of speech: a name (固有名詞) or the division's kanji alone; not a common noun (地区 + 長 is a neighbourhood's
    head, 都市 + 長 no title: a reviewer's)."""
    word, kind = before
    if (surface == "長" and pos[0] == "接尾辞" and word[-1:] in _HEADED
            and (len(word) == 1 or kind[1:2] == ("固有名詞",))):
        return word[-1] + "長"
    return None


def _slices(text: str, size: int) -> list[str]:
    out, start = [], 0
    while start < len(text):
        end = min(len(text), start + size)
        if end < len(text):
            cut = max(text.rfind("\n", start, end), text.rfind(" ", start, end), text.rfind("。", start, end))
            end = cut + 1 if cut > start else end
        out.append(text[start:end])
        start = end
    return out


@lru_cache(maxsize=1)
def default_analyzer() -> JapaneseAnalyzer:
    """One analyzer per process: loading the Sudachi dictionary costs ~0.3 s."""
    return JapaneseAnalyzer()
