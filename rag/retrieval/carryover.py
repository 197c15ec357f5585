"""The conversation query: what a follow-up carries over from the turns before it.

A follow-up is searched with the content words of the recent earlier turns (rag.retrieval.topic) put before it
(`conversation_query`; or, when it points back only by "he" or 彼 and names its own topic, with the name of the
person it means: rag.retrieval.referent). Only content words are carried over, not whole sentences, so that what an
earlier turn asked does not outweigh what the follow-up asks.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..stores.japanese import JapaneseAnalyzer
from .cues import NOT_TOPIC
from .topic import topic_words

# How many user turns, the last included, make up the conversation query.
RECENT_TURNS = 3


def conversation_query(turns: Sequence[str], analyzer: JapaneseAnalyzer, max_chars: int,
                       count: Callable[[str], int] | None = None, max_tokens: int | None = None) -> str:
    """The last of `turns` after the content words of the RECENT_TURNS - 1 turns before it (oldest first, each
    once), on a line of their own; the oldest words are cut first to fit max_chars and, with `count`, max_tokens
    (the whole query's tokens as `count` counts them). Just the last turn when they have none."""
    last = turns[-1].strip() if turns else ""
    # an earlier turn was never validated as a question: only its first max_chars are read
    earlier = [t[:max_chars] for t in turns[-RECENT_TURNS:-1] if t and t.strip()]
    words = topic_words(earlier, analyzer, NOT_TOPIC)
    while words and len(" ".join(words)) + 1 + len(last) > max_chars:
        words.pop(0)
    if words and count is not None and max_tokens is not None:
        words = words[_fewest_to_drop(words, last, count, max_tokens):]
    return f"{' '.join(words)}\n{last}" if words else last


def _fewest_to_drop(words: list[str], last: str, count: Callable[[str], int], max_tokens: int) -> int:
    """How many of the oldest `words` to drop so that they and `last` are at most max_tokens; a binary search (the
    tokens fall as words go, and each count runs the tokenizer). Dropping them all leaves the last turn alone."""
    low, high = 0, len(words)
    while low < high:
        mid = (low + high) // 2
        if count(f"{' '.join(words[mid:])}\n{last}") <= max_tokens:
            high = mid
        else:
            low = mid + 1
    return low
