"""What an earlier turn contributes to a follow-up's search: its names (the entities a follow-up refers back to),
not its whole sentence.

An earlier question's full text drags the search toward what that question asked ("What did Xi say after the
talks?" keeps finding Xi's statement when the follow-up asks about the Ukraine crisis). Its names (Xi Jinping,
Beijing, プーチン, 朝鮮労働党) say which story the follow-up is about and leave what it asks to the follow-up's own
words. A turn that names nothing gives its content words instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..stores.japanese import STOP_WORDS, JapaneseAnalyzer

# A word of Latin script (accents included: Détente), with inner apostrophes and hyphens (Putin-Xi, Xi's).
_WORD = re.compile(r"[A-Za-z\u00c0-\u024f][A-Za-z\u00c0-\u024f'\u2019\-]*")
_POSSESSIVE = re.compile(r"['\u2019]s$", re.IGNORECASE)
_JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]")
_KATAKANA = re.compile(r"^[\u30a0-\u30ff]{2,}$")


def topic_words(turns: Iterable[str], analyzer: JapaneseAnalyzer, ignore: frozenset[str] = frozenset()) -> list[str]:
    """The names in `turns` (oldest first), each once; a turn without names gives its content words instead.
    `ignore` holds lower-cased English words that are never topic words (question words, pronouns)."""
    out: dict[str, None] = {}
    for turn in turns:
        words = names(turn, analyzer, ignore) or content_words(turn, analyzer, ignore)
        out.update(dict.fromkeys(words))
    return list(out)


def names(text: str, analyzer: JapaneseAnalyzer, ignore: frozenset[str] = frozenset()) -> list[str]:
    """Capitalised English words (possessive 's dropped), Japanese proper nouns and katakana words, in order."""
    found = [_POSSESSIVE.sub("", w) for w in _WORD.findall(text)
             if w[0].isupper() and not _stop(w, ignore)]
    if _JAPANESE.search(text):
        found += [t.surface for t in analyzer.tokens(text)
                  if t.term and not t.term.isascii()
                  and (t.pos[:2] == ("名詞", "固有名詞") or _KATAKANA.match(t.surface))]
    return list(dict.fromkeys(w for w in found if w))


def content_words(text: str, analyzer: JapaneseAnalyzer, ignore: frozenset[str] = frozenset()) -> list[str]:
    """English words that are not stop words, and Japanese nouns, in order."""
    found = [_POSSESSIVE.sub("", w) for w in _WORD.findall(text) if not _stop(w, ignore)]
    if _JAPANESE.search(text):
        found += [t.surface for t in analyzer.tokens(text)
                  if t.term and not t.term.isascii() and t.pos[0] == "名詞"]
    return list(dict.fromkeys(w for w in found if w))


def _stop(word: str, ignore: frozenset[str]) -> bool:
    lower = _POSSESSIVE.sub("", word.lower())
    return len(lower) < 2 or lower in STOP_WORDS or lower in ignore
