"""Corpus loading: seed files → documents with articles, kept spans and an exclusion report."""

from __future__ import annotations

import codecs
import hashlib
import logging
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

from ..errors import CorpusError
from ..types import Article, Document, Exclusion, Span
from .articles import cut_footer, find_sources, read_header, split_articles
from .cleaning import boilerplate_keys, chrome_reason, repeated_lines
from .lines import SPACE, Line, norm, split_lines

logger = logging.getLogger(__name__)

__all__ = ["Corpus", "CorpusWarning", "build_document", "load_corpus", "read_seed", "seed_paths", "shown",
           "unreadable"]


@dataclass(frozen=True, slots=True)
class CorpusWarning:
    """A seed file that was skipped or yielded nothing, and why."""

    path: str
    message: str


@dataclass(frozen=True, slots=True)
class Corpus:
    """The documents of a seeds directory, in doc_id order, plus the files that were skipped."""

    seeds_dir: Path
    documents: tuple[Document, ...]
    warnings: tuple[CorpusWarning, ...]

    def get(self, doc_id: str) -> Document | None:
        return next((d for d in self.documents if d.doc_id == doc_id), None)


def shown(path: Path) -> str:
    """A path as text that can always be printed or stored in JSON, on one line: undecodable name bytes and control
    characters (a line break in a file name) as \\xNN."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", os.fsencode(path).decode("utf-8", "backslashreplace"))


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def read_seed(path: Path) -> tuple[str | None, str | None]:
    """(text, None) for a readable UTF-8 text file with a UTF-8 name, else (None, reason)."""
    try:
        path.name.encode("utf-8")
    except UnicodeEncodeError:  # undecodable name bytes come through os.listdir as lone surrogates
        return None, "file name is not valid UTF-8 (its id could not be stored or cited); rename the file"
    data = path.read_bytes()
    if not data.strip():
        return None, "file is empty"
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):  # before UTF-16's: FF FE 00 00 opens with FF FE
        return None, "file is UTF-32 text (it opens with a UTF-32 byte order mark); re-save it as UTF-8"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):  # Windows Notepad's "Unicode": text, with NULs
        return None, "file is UTF-16 text (it opens with a UTF-16 byte order mark); re-save it as UTF-8"
    nul = data.find(b"\x00")  # anywhere: one after the first 8 KB was indexed, and served in passages
    if nul >= 0 and (order := _utf16_without_mark(data)):
        return None, f"file looks like UTF-16 text ({order}, without a byte order mark); re-save it as UTF-8"
    if nul >= 0:
        return None, f"file looks binary (contains NUL bytes, the first at byte {nul}); a text file holds none"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, f"file is not valid UTF-8 (byte {exc.start}: {data[exc.start:exc.start + 1]!r}); re-save it as UTF-8"
    control = sum(1 for ch in text[:8192] if ord(ch) < 32 and ch not in "\n\r\t\f")
    if control > 0.05 * min(len(text), 8192):
        return None, "file looks binary (many control characters)"
    return text, None


def _utf16_without_mark(data: bytes) -> str | None:
    """"little-endian" or "big-endian" when bytes with NULs read as text in that UTF-16 order (nearly every character
    printable), else None: binary data reads as unassigned and control characters."""
    head = data[:8192]
    head = head[: len(head) - len(head) % 2]  # whole code units
    for encoding, order in (("utf-16-le", "little-endian"), ("utf-16-be", "big-endian")):
        try:
            text = head.decode(encoding)
        except UnicodeDecodeError:
            continue
        if text and sum(ch.isprintable() or ch in "\n\r\t" for ch in text) >= 0.98 * len(text):
            return order
    return None


def unreadable(path: Path, seeds_dir: Path, exc: OSError) -> CorpusError:
    """The error for a seed that cannot be read at all: not its content but the machine's state (permissions, a disk
    error, a file being replaced). Skipping it would remove a document the index holds, so a build stops instead."""
    return CorpusError(f"seed {shown(path)} cannot be read ({exc.strerror or exc}); fix it, or move it out of "
                       f"{str(seeds_dir)!r} to drop it from the index (nothing was changed)")


def seed_paths(seeds_dir: Path, log: bool = True) -> tuple[list[Path], list[CorpusWarning]]:
    """The seed files of `seeds_dir` in name order, and a warning for each entry named like one that is not read: a
    hidden file (an editor's or the system's; ".txt" alone had the id ".txt" and a citation of a file ".txt.txt"), a
    name ending in ".TXT" (its citations would name a file that is not there), what is no regular file (a
    directory, a FIFO, a link to nothing), which was skipped without a word, a link out of the folder, a name with a
    control character, and a subfolder that holds .txt files (seeds are not read recursively). Both readers of the
    seeds (this module's loader and the build's, rag/indexing/reuse.py) take their files from here."""
    paths, warnings = [], []
    inside = Path(seeds_dir).resolve()
    for path in sorted(Path(seeds_dir).iterdir()):
        if not path.name.lower().endswith(".txt"):
            if _holds_seeds(path):  # seeds/2024/*.txt was skipped without a word
                problem = "a folder of .txt files: seeds are read from the seeds folder itself, not its subfolders"
                warnings.append(CorpusWarning(shown(path), problem))
                if log:
                    logger.warning("skipping %s: %s", shown(path), problem)
            continue
        if path.name.startswith("."):
            problem = "hidden file (its name starts with '.'): not read as a seed"
        elif any(ord(ch) < 32 or ord(ch) == 127 for ch in path.name):
            # a line break in the name went into the document's id, its citations and the log lines that name it
            problem = "its name holds a control character (a line break?): rename the file to index it"
        elif not path.name.endswith(".txt"):
            problem = f"seeds end in lowercase .txt: rename it to {path.stem}.txt to index it"
        elif not path.is_file():
            kind = ("a directory" if path.is_dir() else "a link to nothing" if path.is_symlink() and not path.exists()
                    else "not a regular file")
            problem = f"{kind}: not read as a seed"
        elif path.is_symlink() and not path.resolve().is_relative_to(inside):
            # every seed's text is served to any client (/v1/documents): a link placed by mistake published whatever
            # file it pointed at (/etc/passwd, in a probe)
            problem = "a link to a file outside the seeds folder: not read as a seed (copy the file in to index it)"
        else:
            paths.append(path)
            continue
        warnings.append(CorpusWarning(shown(path), problem))
        if log:
            logger.warning("skipping %s: %s", shown(path), problem)
    return paths, warnings


def _holds_seeds(path: Path) -> bool:
    """Whether `path` is a visible folder with a .txt file directly in it."""
    if path.name.startswith("."):
        return False
    try:
        return path.is_dir() and any(p.name.lower().endswith(".txt") for p in path.iterdir())
    except OSError:
        return False


def load_corpus(seeds_dir: Path) -> Corpus:
    """Read every *.txt in `seeds_dir`; a file whose content is bad (empty, binary, not UTF-8) is skipped with a
    warning and never stops the others; a file that cannot be read at all is a CorpusError."""
    t0 = time.perf_counter()
    seeds_dir = Path(seeds_dir)
    if not seeds_dir.is_dir():
        raise CorpusError(f"seeds directory {str(seeds_dir)!r} does not exist or is not a directory")
    paths, warnings = seed_paths(seeds_dir)
    texts: dict[str, tuple[Path, str]] = {}
    for path in paths:
        try:
            text, problem = read_seed(path)
        except OSError as exc:
            raise unreadable(path, seeds_dir, exc) from None
        if problem:
            warnings.append(CorpusWarning(shown(path), problem))
            logger.warning("skipping %s: %s", shown(path), problem)
            continue
        texts[path.stem] = (path, text)
    split = {doc_id: split_lines(text) for doc_id, (_, text) in texts.items()}
    boiler = boilerplate_keys(split.values())
    documents = []
    for doc_id, (path, text) in texts.items():
        doc = build_document(doc_id, str(path), text, boiler, split[doc_id])
        if not doc.articles:
            msg = "no article text left after cleaning (only page chrome or repeats)"
            warnings.append(CorpusWarning(shown(path), msg))
            logger.warning("%s: %s", shown(path), msg)
        documents.append(doc)
    logger.info("loaded %d documents (%d skipped) in %.3fs", len(documents), len(warnings), time.perf_counter() - t0)
    return Corpus(seeds_dir, tuple(documents), tuple(warnings))


def build_document(
    doc_id: str, path: str, raw: str, boilerplate: set[str] | frozenset[str] = frozenset(), lines: list[Line] | None = None
) -> Document:
    """Clean and split one seed text. Pure: the same inputs always give the same document."""
    lines = lines if lines is not None else split_lines(raw)
    reasons: dict[int, str] = {}
    for ln in lines:
        why = chrome_reason(ln)
        if why:
            reasons[ln.no] = why
    for i in repeated_lines(lines):
        reasons.setdefault(i, "duplicate")
    for ln in lines:
        if not ln.blank and norm(ln.text) in boilerplate:
            reasons.setdefault(ln.no, "boilerplate")
    sources, rows = find_sources(lines, reasons)
    drafts = split_articles(lines, reasons)
    for d in drafts:
        read_header(lines, d, reasons)
        cut_footer(lines, d, reasons)
    rows = _placed(lines, drafts, rows + [(i, i) for d in drafts for i in d.header_sources])
    # the source rows (a source block's marker, title and link, a 元ネタ: line, the site's name in the header): each
    # a segment of its own, after the articles were found
    for _, first, last in rows:
        for i in range(first, last + 1):
            reasons.pop(i, None)
    breaks = frozenset(i for _, first, last in rows
                       for i in (first, next((j for j in range(last + 1, len(lines)) if not lines[j].blank), -1)))
    articles, tracking = [], []
    for n, d in enumerate(drafts):
        segments = _segments(lines, d.first, d.last, reasons, breaks=breaks)
        source_rows = []
        for _, first, last in (r for r in rows if r[0] == n):
            row = _trim([lines[i] for i in range(first, last + 1) if not lines[i].blank])
            end = _tracking_query(raw, row)
            if end is not None:  # the row ends where its link's tracking query starts: that is no text
                segments = [Span(row.start, end) if s == row else s for s in segments]
                tracking.append(Exclusion(end, row.end, "sources"))
                row = Span(row.start, end)
            source_rows.append(row)
        if all(s in source_rows for s in segments):  # no text of its own (a repeated copy's 元ネタ: line): no article
            for row in source_rows:
                tracking.append(Exclusion(row.start, row.end, "sources"))
            continue
        cited = [s for (i, s, primary) in sources if d.first <= i <= d.last and primary]
        cited += [s for (i, s, primary) in sources if d.first <= i <= d.last and not primary]
        all_sources = tuple(dict.fromkeys([*d.sources, *cited]))
        articles.append(
            Article(
                doc_id=doc_id,
                index=len(articles),
                title=d.title,
                published=d.published,
                sources=all_sources,
                start=lines[d.first].start,
                end=lines[d.last].end,
                kept=tuple(segments),
                source_rows=tuple(source_rows),
            )
        )
    exclusions = tuple(sorted([*(_exclusion(lines[i], why) for i, why in sorted(reasons.items()) if not lines[i].blank),
                               *tracking], key=lambda e: e.start))
    sha = hashlib.sha256(raw.encode("utf-8")).hexdigest()
    return Document(doc_id, path, raw, sha, tuple(articles), exclusions)


def _placed(lines: list[Line], drafts: list, rows: list[tuple[int, int]]) -> list[tuple[int, int, int]]:
    """(article, first line, last line) of each source row inside an article, in order: a row before the first
    article stays excluded, and a row that repeats an earlier one of its article (its lines alike) is no row."""
    out, seen = [], set()
    for first, last in sorted(rows):
        n = next((k for k, d in enumerate(drafts) if d.first <= first <= d.last), None)
        key = (n, tuple(norm(lines[i].text) for i in range(first, last + 1) if not lines[i].blank))
        if n is not None and key not in seen:
            seen.add(key)
            out.append((n, first, last))
    return out


# A newsletter's link carries its mailing's tracking query (?utm_source=…&publication_id=…&token=…, a reader's own
# token among them): ~150 cl100k tokens, which put a source row over the passages' budget, and nothing a reader of the
# original needs. When a link's query holds a utm_ parameter, a token or a click id, the row ends before the first of
# its tracking parameters: mailings append them after the page's own (watch?v=abc123&utm_source=… keeps ?v=abc123).
# A query without them (?id=123) stays whole.
_TRACKING = re.compile(r"(?:utm_\w*|token|fbclid|gclid|mc_cid|mc_eid)=", re.IGNORECASE)
_TRACKING_KEY = re.compile(r"(?:utm_\w*|token|fbclid|gclid|mc_cid|mc_eid|r|ref|publication_id|post_id|isfreemail|"
                           r"triedredirect)=", re.IGNORECASE)


def _tracking_query(raw: str, row: Span) -> int | None:
    """Where the link that ends a source row starts its tracking parameters, or None."""
    words = raw[row.start : row.end].split()
    link = words[-1] if words else ""
    if "://" not in link or "?" not in link or not _TRACKING.search(link, link.index("?")):
        return None
    at = row.end - len(link)  # the row is trimmed: its last word ends it
    for m in re.finditer(r"[?&]([^&#]*)", link[link.index("?") :]):
        if _TRACKING_KEY.match(m.group(1)):
            return at + link.index("?") + m.start()
    return None


def _segments(lines: list[Line], first: int, last: int, reasons: dict[int, str],
              breaks: frozenset[int] = frozenset()) -> list[Span]:
    """Maximal runs of kept lines (blank lines may sit inside a run, excluded lines may not), trimmed of space; a
    line in `breaks` starts a new run."""
    out: list[Span] = []
    run: list[Line] = []
    for i in range(first, last + 1):
        ln = lines[i]
        if ln.blank:
            continue
        if i in breaks and run:
            out.append(_trim(run))
            run = []
        if i in reasons:
            if run:
                out.append(_trim(run))
            run = []
            continue
        run.append(ln)
    if run:
        out.append(_trim(run))
    return out


def _trim(run: list[Line]) -> Span:
    first, last = run[0], run[-1]
    start = first.start + (len(first.text) - len(first.text.lstrip(SPACE)))
    end = last.end - (len(last.text) - len(last.text.rstrip(SPACE)))
    return Span(start, end)


def _exclusion(line: Line, reason: str) -> Exclusion:
    start = line.start + (len(line.text) - len(line.text.lstrip(SPACE)))
    end = line.end - (len(line.text) - len(line.text.rstrip(SPACE)))
    return Exclusion(start, end, reason)


