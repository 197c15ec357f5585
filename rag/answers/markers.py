"""Citation markers in generated text: drop the ones that point nowhere, renumber the rest by first use."""

from __future__ import annotations

import re

# Models also write [1, 2], ［１］ or 【1】, especially when answering in Japanese, and Markdown's footnotes, [^1].
_MARKER = r"[\[［【]\s*\^?\d+(?:\s*[,，、]\s*\^?\d+)*\s*[\]］】]"
# Adjacent markers form one run, so dropping [0] from "[0][2]" keeps the space before [2].
_RUN = re.compile(rf"(?P<ws>[ \t\u3000]*)(?P<markers>(?:{_MARKER})+)")
_NUMBER = re.compile(r"\d+")
# A source's own footnote references (…署名した[1]。, ［12］) and the lines of its list of notes ("[1] 原文による。")
_SOURCE_MARKER = re.compile(rf"[ \t\u3000]*{_MARKER}")
_NOTE_LINE = re.compile(rf"\s*{_MARKER}")


def without_markers(text: str) -> str:
    """A source's text without its own footnote references: in an answer, the answer's `[n]` citations, the chat's
    annotations and the page's buttons would read them as citations of the answer, pointing at the wrong passage or
    at none (docs/answers.md, "A source's own footnote markers")."""
    return _SOURCE_MARKER.sub("", text)


def note_line(text: str) -> bool:
    """Whether a source's sentence opens with a footnote number: a line of its notes, not a statement of the article."""
    return _NOTE_LINE.match(text) is not None


def renumber(text: str, available: int) -> tuple[str, tuple[int, ...]]:
    """Rewrite markers to [1]..[m] in order of first appearance; returns the text and the cited 1-based originals."""
    stream = MarkerStream(available)
    out = stream.feed(text) + stream.close()
    return out, tuple(stream.order)


def marker_numbers(text: str) -> list[int]:
    """Every number cited by a marker in `text`, in order, repeats included."""
    return [int(x) for m in re.finditer(_MARKER, text) for x in _NUMBER.findall(m.group())]


# What may still grow into a marker run at the end of streamed text: trailing whitespace, complete markers (another may
# follow), and an opened bracket with digits so far.
_TAIL = re.compile(rf"\s*(?:{_MARKER})*(?:[\[［【][\s\d,，、^]*)?\Z")
MAX_HELD = 64  # an "opened marker" longer than this is ordinary text


class MarkerStream:
    """`renumber` on text that arrives in pieces: feed() returns what is safe to show now, close() the rest.

    Text after an unclosed bracket is held back until the marker closes (or proves not to be one), and so is trailing
    whitespace, so the joined output equals renumber() of the joined input."""

    def __init__(self, available: int) -> None:
        self.available = available
        self.order: list[int] = []  # the cited 1-based original numbers, in order of first use
        self._pending = ""
        self._started = False

    def feed(self, piece: str) -> str:
        """The newly safe text (possibly empty)."""
        self._pending += piece
        tail = _TAIL.search(self._pending)
        cut = tail.start() if tail and len(self._pending) - tail.start() <= MAX_HELD else len(self._pending)
        safe, self._pending = self._pending[:cut], self._pending[cut:]
        return self._emit(_RUN.sub(self._replace, safe))

    def close(self) -> str:
        """Everything still held, with trailing whitespace dropped."""
        rest, self._pending = self._pending, ""
        return self._emit(_RUN.sub(self._replace, rest).rstrip())

    def _emit(self, text: str) -> str:
        if not self._started:
            text = text.lstrip()
            self._started = bool(text)
        return text

    def _replace(self, m: re.Match[str]) -> str:
        numbers = dict.fromkeys(int(x) for x in _NUMBER.findall(m.group("markers")))
        cited = [n for n in numbers if 1 <= n <= self.available]
        if not cited:
            return ""
        for n in cited:
            if n not in self.order:
                self.order.append(n)
        return m.group("ws") + "".join(f"[{self.order.index(n) + 1}]" for n in cited)
