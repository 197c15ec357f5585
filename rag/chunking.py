"""Sentence-aware, token-bounded chunking of kept article text into passages with exact offsets."""

from __future__ import annotations

import logging
import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

from . import tokens
from .errors import ConfigError
from .settings import CHUNK_MAX_TOKENS, CHUNK_MAX_TOKENS_LIMIT, CHUNK_OVERLAP
from .corpus.lines import SPACE
from .types import Document, Passage, Span

logger = logging.getLogger(__name__)

# What cleaning (rag/corpus) and chunking make of a document, recorded in each build's manifest with the chunker's
# settings: a build whose previous one was made under another id cleans and chunks every document again instead of
# reusing its passages (their vectors are still reused wherever a passage's text is unchanged). Change it whenever
# either changes its output; tests/corpus/test_chunking_id.py fails until the new output is recorded under a new id.
CHUNKING_ID = "v9"

_ENDERS = set("。！？!?")
_OPEN = {"「": "」", "『": "』", "（": "）", "(": ")", "【": "】", "“": "”"}
_CLOSE = {v: k for k, v in _OPEN.items()}
_SOFT_CUTS = set("、，,;；:： \u3000・")
# the only characters `sentences` acts on
_MARKS = re.compile("[" + re.escape("".join(sorted(_ENDERS | set(_OPEN) | set(_CLOSE) | {"\n", "\r", "."}))) + "]")


@dataclass(frozen=True, slots=True)
class ChunkParams:
    """Passage budget in cl100k tokens, and how many sentences consecutive passages share."""

    max_tokens: int = CHUNK_MAX_TOKENS
    overlap: int = CHUNK_OVERLAP

    def __post_init__(self) -> None:
        if not 16 <= self.max_tokens <= CHUNK_MAX_TOKENS_LIMIT:
            raise ConfigError(f"max_tokens={self.max_tokens!r}: must be 16..{CHUNK_MAX_TOKENS_LIMIT} (e5 reads "
                              f"{CHUNK_MAX_TOKENS_LIMIT} tokens at a time)")
        if self.overlap < 0:
            raise ConfigError(f"overlap={self.overlap!r}: must be >= 0")


def sentences(raw: str, span: Span, brackets: bool = True) -> list[Span]:
    """Sentence spans inside `span`: split after 。！？!? and at line breaks, never inside 「…」 or (…) unless
    `brackets` is False (used for a quotation too long to be one passage: it is cut at its own sentence ends)."""
    out: list[Span] = []
    stack: list[str] = []
    start = skip = span.start
    for mark in _MARKS.finditer(raw, span.start, span.end):  # every other character leaves the state as it was
        i = mark.start()
        if i < skip:
            continue  # an ender already taken into the cut before it
        ch = raw[i]
        cut = None
        if ch in "\n\r":  # a line break: '\r' alone ends a line of a file from classic Mac OS (in '\r\n' it only
            stack.clear()  # makes an empty piece); an unclosed bracket never swallows the next line
            cut = i
        elif brackets and ch in _OPEN and not (ch == "“" and stack and stack[-1] == "“"):
            stack.append(ch)
        elif brackets and ch in _CLOSE and stack and stack[-1] == _CLOSE[ch]:
            stack.pop()
        elif not stack and (ch in _ENDERS or (ch == "." and i + 1 < span.end and raw[i + 1] in " \n\r")):
            while i + 1 < span.end and raw[i + 1] in _ENDERS:
                i += 1
            cut = skip = i + 1
        if cut is not None:
            _add(raw, start, cut, out)
            start = cut
    _add(raw, start, span.end, out)
    return out


def _add(raw: str, start: int, end: int, out: list[Span]) -> None:
    piece = raw[start:end]
    stripped = piece.strip(SPACE)
    if stripped:
        lead = len(piece) - len(piece.lstrip(SPACE))
        out.append(Span(start + lead, start + lead + len(stripped)))


def fit(raw: str, span: Span, max_tokens: int) -> list[Span]:
    """Cut a span that is over budget into pieces that fit, preferring a comma or space near each cut."""
    if tokens.count(raw[span.start : span.end]) <= max_tokens:
        return [span]
    out: list[Span] = []
    start = span.start
    while start < span.end:
        while start < span.end and raw[start] in SPACE:
            start += 1  # count what will be emitted: " Cf" is one token but "Cf" is two
        if start >= span.end:
            break
        hi = min(span.end, start + max_tokens * 32)
        if tokens.count(raw[start:hi]) <= max_tokens:
            end = hi
        else:
            lo, top = start + 1, hi  # largest end in [lo, top) that fits
            while lo < top:
                mid = (lo + top + 1) // 2
                if tokens.count(raw[start:mid]) <= max_tokens:
                    lo = mid
                else:
                    top = mid - 1
            end = lo
            soft = max((k + 1 for k in range(start + (end - start) * 3 // 5, end) if raw[k] in _SOFT_CUTS), default=None)
            if soft is not None and soft < end:
                end = soft
        while end > start + 1 and tokens.count(raw[start:end].strip(SPACE)) > max_tokens:
            end -= 1  # stripping trailing space can, rarely, change the BPE split
        _add(raw, start, end, out)
        start = end
    return out


def chunk_spans(raw: str, segments: Iterable[Span], params: ChunkParams) -> list[Span]:
    """Pack the sentences of each segment greedily into passages of at most `max_tokens`, sharing `overlap`."""
    return [span for span, _ in _chunk(raw, segments, params)]


def _chunk(raw: str, segments: Iterable[Span], params: ChunkParams,
           sources: Collection[Span] = ()) -> list[tuple[Span, int]]:
    """`chunk_spans`, each passage with its token count (packing has counted it)."""
    out: list[tuple[Span, int]] = []
    for segment in segments:
        if segment in sources:
            # a source row (a source block's marker, title and link; a 元ネタ: line; the site's name): one passage
            # or none. Split, its title would be a passage of its own, its marker one that answers nothing, and a
            # link would be cut (rag/retrieval/sources.py). Over the budget, its first lines that fit (a block's
            # marker and title without a long link, as before links were in rows), never its marker alone
            row = _source_row(raw, segment, params.max_tokens)
            if row is not None:
                out.append(row)
            continue
        units: list[Span] = []
        counted: dict[tuple[int, int], int] = {}  # tokens in units a..b, each window counted once
        for s in sentences(raw, segment):
            size = tokens.count(raw[s.start : s.end])
            if size <= params.max_tokens:
                counted[len(units), len(units)] = size
                units.append(s)
            else:  # usually a long quotation: cut at its inner sentence ends before `fit` cuts mid-sentence
                units.extend(piece for inner in sentences(raw, s, brackets=False)
                             for piece in fit(raw, inner, params.max_tokens))
        out.extend(_pack(raw, units, params, counted))
    return out


def _source_row(raw: str, row: Span, max_tokens: int) -> tuple[Span, int] | None:
    """A source row's passage and its tokens: the whole row, or its longest run of first lines within the budget
    that holds more than its first line (a block's marker answers nothing alone), or None."""
    ends, at = [], row.start  # where each of the row's non-blank lines ends, space trimmed
    for line in raw[row.start : row.end].split("\n"):
        if line.strip(SPACE):
            ends.append(at + len(line.rstrip(SPACE)))
        at += len(line) + 1
    for end in reversed(ends[1:] or ends):
        size = tokens.count(raw[row.start : end])
        if size <= max_tokens:
            return Span(row.start, end), size
    return None


def _pack(raw: str, units: Sequence[Span], params: ChunkParams,
          counted: dict[tuple[int, int], int]) -> list[tuple[Span, int]]:
    def size(a: int, b: int) -> int:  # tokens in units a..b inclusive; a passage is the last window that fitted
        if (a, b) not in counted:
            counted[a, b] = tokens.count(raw[units[a].start : units[b].end])
        return counted[a, b]

    def fits(a: int, b: int) -> bool:
        return size(a, b) <= params.max_tokens

    out: list[tuple[Span, int]] = []
    i, n = 0, len(units)
    while i < n:
        j = i
        while j + 1 < n and fits(i, j + 1):
            j += 1
        out.append((Span(units[i].start, units[j].end), size(i, j)))
        if j + 1 >= n:
            break
        nxt = max(j + 1 - params.overlap, i + 1)
        while nxt <= j and not fits(nxt, j + 1):
            nxt += 1  # shrink the overlap until the next new sentence fits beside it
        i = nxt
    return out


def chunk_document(doc: Document, params: ChunkParams) -> list[Passage]:
    """Passages of every article of a document; none crosses an article boundary."""
    passages = []
    for article in doc.articles:
        for span, count in _chunk(doc.raw, article.kept, params, article.source_rows):
            text = doc.raw[span.start : span.end]
            passages.append(
                Passage(
                    passage_id=f"{doc.doc_id}#{span.start}-{span.end}",
                    doc_id=doc.doc_id,
                    article=article.index,
                    title=article.title,
                    start=span.start,
                    end=span.end,
                    text=text,
                    tokens=count,
                )
            )
    return passages


def chunk_corpus(documents: Iterable[Document], params: ChunkParams) -> list[Passage]:
    """Passages of all documents; a passage whose text repeats an earlier one (in any document) is dropped, but for
    a source row: each article's own (a blog's name heads each of its posts)."""
    docs = list(documents)
    rows = {(d.doc_id, r.start) for d in docs for a in d.articles for r in a.source_rows}
    kept = drop_repeats((chunk_document(doc, params) for doc in docs), rows)
    texts = {(p.doc_id, p.article) for p in kept if (p.doc_id, p.start) not in rows}
    return [p for p in kept if (p.doc_id, p.start) not in rows or (p.doc_id, p.article) in texts]  # no copy's rows


def drop_repeats(chunked: Iterable[Iterable[Passage]], rows: Collection[tuple[str, int]] = ()) -> list[Passage]:
    """Documents' passages in order, without a passage whose text (whitespace aside) repeats an earlier one; a
    passage in `rows` (document, start: the source rows) is never dropped."""
    seen: set[str] = set()
    out = []
    for passages in chunked:
        for p in passages:
            if (p.doc_id, p.start) in rows:  # a source row is never a repeat, nor makes another passage one
                out.append(p)
                continue
            key = " ".join(p.text.split())
            if key in seen:
                logger.info("dropping repeated passage %s", p.passage_id)
                continue
            seen.add(key)
            out.append(p)
    return out
