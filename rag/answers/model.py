"""The Answer type returned by every generator, and the plain-text sources footer (its JSON shape is api's)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ..types import Citation, Hit

Generator = Literal["extractive", "llm"]


@dataclass(frozen=True, slots=True)
class Answer:
    """An answer with [n] markers; n is the 1-based index into `citations`."""

    question: str
    answer: str
    citations: tuple[Citation, ...]
    passages: tuple[Hit, ...]
    took_ms: float
    generator: Generator
    fallback: str | None = None
    index_version: str = ""
    lang: str = "en"
    shed: tuple[str, ...] = ()  # signals its search went without because the service was crowded
    # False: the passages found were not about the question, and the answer says so instead of quoting them
    covered: bool = True


# the heading of an answer's plain-text source list, in the question's language, as the answer's own framing is (the
# page's JavaScript knows both: it shows its own list instead)
SOURCES_HEADING = {"en": "Sources:", "ja": "出典:"}


def sources_footer(answer: Answer) -> str:
    """A short "Sources:" list (出典: for a Japanese question), one line per citation; empty when the answer cites
    nothing."""
    if not answer.citations:
        return ""
    lines = [SOURCES_HEADING[answer.lang]]
    for n, c in enumerate(answer.citations, start=1):
        # the file name only (source_file is a posix path): chat clients need not see the server's seeds directory
        line = f"[{n}] {c.title} — {c.source_file.rsplit('/', 1)[-1]}[{c.start}:{c.end}]"
        lines.append(f"{line} {c.url}" if c.url else line)
    return "\n".join(lines)
