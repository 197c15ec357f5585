"""Domain types shared by every stage: frozen dataclasses with named fields."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Source:
    """An original source an article cites (a 底本 block, a 元ネタ line)."""

    title: str | None
    url: str | None


@dataclass(frozen=True, slots=True)
class Span:
    """A half-open character range [start, end) in a raw seed file."""

    start: int
    end: int

    def __len__(self) -> int:
        return self.end - self.start


@dataclass(frozen=True, slots=True)
class Exclusion:
    """A span of raw text kept out of passages, with the reason."""

    start: int
    end: int
    reason: str


@dataclass(frozen=True, slots=True)
class Article:
    """One article inside a seed file; offsets index the raw file text."""

    doc_id: str
    index: int
    title: str
    published: str | None
    sources: tuple[Source, ...]
    start: int
    end: int
    kept: tuple[Span, ...] = ()
    # the kept segments that name where the article came from, not its text (a source block's marker, title and
    # link, a 元ネタ: line, the site's name or a feed headline in its header): each makes one passage at most (the
    # row, or its first lines when the whole is over the budget: rag/chunking.py), which only a question about the
    # article's origin is shown (rag/retrieval/sources.py)
    source_rows: tuple[Span, ...] = ()

    @property
    def url(self) -> str | None:
        """The primary source URL, if the article cites one."""
        return next((s.url for s in self.sources if s.url), None)


@dataclass(frozen=True, slots=True)
class Document:
    """A seed file: its raw text, articles and what cleaning excluded."""

    doc_id: str
    path: str
    raw: str
    sha256: str
    articles: tuple[Article, ...]
    exclusions: tuple[Exclusion, ...] = ()

    def excluded_chars(self) -> dict[str, int]:
        """Characters excluded from passages, per reason."""
        out: dict[str, int] = {}
        for ex in self.exclusions:
            out[ex.reason] = out.get(ex.reason, 0) + (ex.end - ex.start)
        return out


@dataclass(frozen=True, slots=True)
class Passage:
    """A retrievable unit: `text == raw[start:end]` of its seed file, exactly."""

    passage_id: str
    doc_id: str
    article: int
    title: str
    start: int
    end: int
    text: str
    tokens: int


@dataclass(frozen=True, slots=True)
class Citation:
    """Where a passage comes from, precise enough to open and highlight it."""

    doc_id: str
    title: str
    published: str | None
    source_file: str
    start: int
    end: int
    url: str | None
    sources: tuple[Source, ...] = ()


@dataclass(frozen=True, slots=True)
class Hit:
    """One ranked search result."""

    rank: int
    score: float
    passage: Passage
    citation: Citation
    scores: dict[str, float] = field(default_factory=dict, compare=False)
    # a source row (who wrote the article, where it appeared, its link), not article text: only a question about the
    # article's origin is shown one (rag/retrieval/sources.py)
    source: bool = False
