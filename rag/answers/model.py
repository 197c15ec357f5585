"""The Answer type returned by every generator, its JSON shape, and the plain-text sources footer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from ..retrieval.serialize import citation_json, hit_json
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

    def as_json(self) -> dict[str, Any]:
        """The canonical JSON body (the API's ask response and `rag ask --json`)."""
        return {"question": self.question, "answer": self.answer,
                "citations": [citation_json(c) for c in self.citations],
                "passages": [hit_json(h) for h in self.passages],
                "took_ms": round(self.took_ms, 3), "generator": self.generator, "fallback": self.fallback,
                "index_version": self.index_version}


def sources_footer(answer: Answer) -> str:
    """A short "Sources:" list, one line per citation; empty when the answer cites nothing."""
    if not answer.citations:
        return ""
    lines = ["Sources:"]
    for n, c in enumerate(answer.citations, start=1):
        # the file name only (source_file is a posix path): chat clients need not see the server's seeds directory
        line = f"[{n}] {c.title} — {c.source_file.rsplit('/', 1)[-1]}[{c.start}:{c.end}]"
        lines.append(f"{line} {c.url}" if c.url else line)
    return "\n".join(lines)
