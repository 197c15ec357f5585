"""Raw text as lines with exact offsets, and the line-shape predicates cleaning and splitting share."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff66-\uff9f]")
_LATIN = re.compile(r"[A-Za-z]")
_URL = re.compile(r"https?://\S+")
_SENTENCE_END = re.compile(r"[。！？!?．.」』)）]\s*$")

# 2025年02月28日 19:49 / 2023年3月29日(水)11時20分 / 2024-05-18 / 2025.05.10
DATE_RE = re.compile(
    r"(?P<y>(?:19|20)\d{2})\s*(?:年|[-/.])\s*(?P<m>\d{1,2})\s*(?:月|[-/.])\s*(?P<d>\d{1,2})\s*日?"
    r"(?:\s*[(（][月火水木金土日][)）])?"
    r"(?:\s*(?P<H>\d{1,2})\s*(?:時|:)\s*(?P<M>\d{2})\s*分?)?"
)


_BREAK = re.compile(r"\n|\r(?!\n)")  # a line's end: '\n', or a '\r' that no '\n' follows
# str.strip() whitespace plus the byte-order mark, which a UTF-8 file may start with.
SPACE = " \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"


@dataclass(frozen=True, slots=True)
class Line:
    """One line of raw text: `raw[start:end] == text` (the newline is not included)."""

    no: int
    start: int
    end: int
    text: str

    @property
    def stripped(self) -> str:
        return self.text.strip(SPACE)

    @property
    def blank(self) -> bool:
        return not self.text.strip(SPACE)


def split_lines(raw: str) -> list[Line]:
    """Split on '\\n', and on a '\\r' that no '\\n' follows (a file from classic Mac OS, whose lines end in '\\r'
    alone, was one line: its title the whole text, undated), keeping exact offsets; the '\\r' of '\\r\\n' stays
    inside its line, as it always did."""
    if "\r" not in raw:  # nearly every file: str.split, 0.042 s against 0.073 s for the expression on 3 M characters
        lines, pos = [], 0
        for no, part in enumerate(raw.split("\n")):
            lines.append(Line(no, pos, pos + len(part), part))
            pos += len(part) + 1
        return lines
    lines, pos = [], 0
    for no, m in enumerate(_BREAK.finditer(raw)):
        lines.append(Line(no, pos, m.start(), raw[pos:m.start()]))
        pos = m.end()
    lines.append(Line(len(lines), pos, len(raw), raw[pos:]))
    return lines


def norm(text: str) -> str:
    """Comparison key for repetition checks: NFKC, whitespace folded."""
    return " ".join(unicodedata.normalize("NFKC", text).split())


def has_cjk(text: str) -> bool:
    """Whether `text` holds kana or kanji (full- or half-width): how a question is told to be Japanese."""
    return bool(_CJK.search(text))


def latin_share(text: str) -> float:
    """Share of letters that are Latin, among Latin and CJK characters."""
    latin, cjk = len(_LATIN.findall(text)), len(_CJK.findall(text))
    return latin / (latin + cjk) if latin + cjk else 0.0


def url_share(text: str) -> float:
    """Share of the stripped line taken by URLs."""
    s = text.strip()
    return sum(len(u) for u in _URL.findall(s)) / len(s) if s else 0.0


def urls(text: str) -> list[str]:
    return _URL.findall(text)


def is_body(line: Line) -> bool:
    """A line of running prose rather than a heading, label or list item."""
    s = line.stripped
    return len(s) >= 80 or (len(s) >= 30 and bool(_SENTENCE_END.search(s)) and "。" in s)


def iso_date(match: re.Match[str]) -> str | None:
    """ISO date (or date-time) from a DATE_RE match; None if the numbers are not a calendar date."""
    y, m, d = int(match["y"]), int(match["m"]), int(match["d"])
    try:
        date(y, m, d)
    except ValueError:
        return None
    out = f"{y:04d}-{m:02d}-{d:02d}"
    if match["H"] is not None and int(match["H"]) < 24 and int(match["M"]) < 60:
        out += f"T{int(match['H']):02d}:{int(match['M']):02d}"
    return out
