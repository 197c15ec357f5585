"""Where an OpenAI client's `max_tokens` (or `max_completion_tokens`) and `stop` end the assistant's text.

The answer is made whole (extracted, or written by the configured model) and then cut, the sources footer included,
as a model's output would be: at the first stop sequence, which is not sent (finish_reason "stop"), or after
`max_tokens` cl100k tokens, the tokens `usage` counts (finish_reason "length"). A stream is cut the same way: a piece
is held back while it may be the start of a stop sequence, so no client ever sees part of one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from rag.tokens import count

Finish = Literal["stop", "length"]


class Cut:
    """The assistant text as it grows, cut where the request says: feed it pieces, send what `feed` returns."""

    def __init__(self, max_tokens: int | None = None, stop: Sequence[str] = ()) -> None:
        self.max_tokens = max_tokens
        self.stop = [s for s in stop if s]
        self._hold = max((len(s) for s in self.stop), default=1) - 1  # characters that may begin a stop sequence
        self.text = ""  # everything kept so far (sent or held)
        self.sent = 0  # characters of `text` already handed out
        self.finish: Finish | None = None  # set once the text is cut

    @property
    def done(self) -> bool:
        return self.finish is not None

    def feed(self, piece: str) -> str:
        """The part of `text + piece` that can be sent now; nothing once the text is cut. The text ends at the first
        stop sequence, and then after max_tokens tokens: the tokens are counted only of text no later piece can make
        part of a stop sequence, so a stream is cut exactly where the whole text is."""
        if self.done:
            return ""
        start = max(0, len(self.text) - self._hold)  # a stop sequence may begin in the held characters
        self.text += piece
        hits = [i for s in self.stop if (i := self.text.find(s, start)) >= 0]
        if hits:
            self.text = self.text[: min(hits)]
        safe = len(self.text) if hits else max(self.sent, len(self.text) - self._hold)
        if self._over(safe):
            self.text, self.finish = self.text[: self._fitting(safe)], "length"
            safe = len(self.text)
        elif hits:
            self.finish = "stop"
        out, self.sent = self.text[self.sent : safe], safe
        return out

    def close(self) -> str:
        """What is still held at the end of the text (cut at max_tokens if it runs over)."""
        if not self.done and self._over(len(self.text)):
            self.text, self.finish = self.text[: self._fitting(len(self.text))], "length"
        out, self.sent = self.text[self.sent :], len(self.text)
        return out

    def _over(self, end: int) -> bool:
        return self.max_tokens is not None and count(self.text[:end]) > self.max_tokens

    def _fitting(self, end: int) -> int:
        """The most characters of `text[:end]` within max_tokens (a binary search: the count grows with the
        prefix)."""
        low, high = 0, end
        while low < high:
            mid = (low + high + 1) // 2
            if count(self.text[:mid]) <= self.max_tokens:  # type: ignore[operator]
                low = mid
            else:
                high = mid - 1
        return low


def cut_text(text: str, max_tokens: int | None = None, stop: Sequence[str] = ()) -> tuple[str, Finish]:
    """`text` cut as a stream of it would be, and why it ended."""
    cut = Cut(max_tokens, stop)
    out = cut.feed(text) + cut.close()
    return out, cut.finish or "stop"
