"""What an earlier turn contributes to a follow-up's search: its content words, not its whole sentence.

An earlier question's scaffolding ("What did … say after …?") drags a search of the whole sentence toward what that
question asked. Its content words (names such as Xi Jinping or 朝鮮労働党, and the concepts it asked about: ceasefire,
sanctions) say which story the follow-up is about; put before the follow-up, which keeps all its own words, they
leave what is asked to the follow-up.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..corpus.lines import has_cjk
from ..stores.japanese import STOP_WORDS, JapaneseAnalyzer

# A word of Latin script (accents included: Détente), with inner apostrophes and hyphens (Putin-Xi, Xi's).
_WORD = re.compile(r"[A-Za-z\u00c0-\u024f][A-Za-z\u00c0-\u024f'\u2019\-]*")
_POSSESSIVE = re.compile(r"['\u2019]s$", re.IGNORECASE)


def topic_words(turns: Iterable[str], analyzer: JapaneseAnalyzer, ignore: frozenset[str] = frozenset()) -> list[str]:
    """The content words of `turns` (oldest first), each once. `ignore` holds lower-cased English words that are
    never topic words (question words, pronouns)."""
    out: dict[str, None] = {}
    for turn in turns:
        out.update(dict.fromkeys(content_words(turn, analyzer, ignore)))
    return list(out)


def content_words(text: str, analyzer: JapaneseAnalyzer, ignore: frozenset[str] = frozenset()) -> list[str]:
    """English words that are not stop words (possessive 's dropped), then Japanese nouns, in order, each once."""
    found = [_POSSESSIVE.sub("", w) for w in _WORD.findall(text) if not _stop(w, ignore)]
    if has_cjk(text):
        found += [t.surface for t in analyzer.tokens(text) if t.term and not t.term.isascii() and t.pos[0] == "名詞"]
    return list(dict.fromkeys(w for w in found if w))


def _stop(word: str, ignore: frozenset[str]) -> bool:
    lower = _POSSESSIVE.sub("", word.lower())
    return len(lower) < 2 or lower in STOP_WORDS or lower in ignore
