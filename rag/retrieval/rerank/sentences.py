"""A passage cut into sentences of POS-tagged tokens, cached per row because the index never changes under a reranker."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ...stores.japanese import Token

# Sudachi tags 。！？ (and NFKC's !?) as 句点; a line break ends a headline, a bullet or a table row just the same.
_END_POS = "句点"


@dataclass(frozen=True, slots=True)
class Sentence:
    """One sentence: its tokens and, in order, the BM25 terms among them."""

    tokens: tuple[Token, ...]
    terms: tuple[str, ...]


def split_sentences(tokens: Sequence[Token]) -> tuple[Sentence, ...]:
    """Cut a token stream after each sentence-final mark or line break; sentences without a BM25 term are dropped."""
    out: list[Sentence] = []
    current: list[Token] = []

    def close() -> None:
        terms = tuple(t.term for t in current if t.term is not None)
        if terms:
            out.append(Sentence(tuple(current), terms))
        current.clear()

    for tok in tokens:
        if "\n" in tok.surface:
            close()
            continue
        current.append(tok)
        if len(tok.pos) > 1 and tok.pos[1] == _END_POS:
            close()
    close()
    return tuple(out)


class SentenceCache:
    """Row → sentences, computed on first use and kept (LRU-bounded) for the life of one loaded index."""

    def __init__(self, text: Callable[[int], str], tokenize: Callable[[str], list[Token]], size: int = 50_000) -> None:
        self._text = text
        self._tokenize = tokenize
        self._size = size
        self._rows: OrderedDict[int, tuple[Sentence, ...]] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, row: int) -> tuple[Sentence, ...]:
        with self._lock:
            hit = self._rows.get(row)
            if hit is not None:
                self._rows.move_to_end(row)
                return hit
        # tokenizing outside the lock: two threads may both do one row, which is harmless (same result)
        sentences = split_sentences(self._tokenize(self._text(row)))
        with self._lock:
            self._rows[row] = sentences
            if len(self._rows) > self._size:
                self._rows.popitem(last=False)
        return sentences
