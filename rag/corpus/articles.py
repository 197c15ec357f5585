"""Split a cleaned document into articles and read each one's title, date and cited sources."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..types import Source
from .cleaning import FEED_EXCERPT_RE, is_footer_marker
from .lines import DATE_RE, Line, has_cjk, is_body, iso_date, latin_share, urls

# 「…」との主張を否定 ― 2025年02月28日 19:49   /   中・露共同声明2025年05月10日 23:25
_DATED_HEADLINE = re.compile(r"^(?P<title>.{4,120}?)\s*(?P<sep>[―—–\-|｜])?\s*(?P<date>" + DATE_RE.pattern + r")\s*$")
# a date line of its own: 2023年3月29日(水)11時20分, and as news sites write it, 【2025年12月20日】, "2025/12/20 09:30 配信"
STANDALONE_DATE = re.compile(r"^\s*[【\[]?\s*" + DATE_RE.pattern + r"\s*[】\]]?\s*(?:配信|更新|公開|掲載|投稿|発行)?\s*$")
_SOURCE_BLOCK = re.compile(r"^\s*【[^】]*(?:引用|参照|底本|出典|参考)[^】]*】\s*$")
_SOURCE_LINE = re.compile(r"^\s*(?:元ネタ|参考ネタ|元記事|出典|引用元|ソース|参考|Source|Via)\s*[:：]\s*(?P<url>https?://\S+)")
_SITE_NAME = re.compile(r"(?:ブログ|blog|Blog|新聞|日報|通信|ニュース|News|TIMES|Times|Online|オンライン)$")
_MIN_TITLE_CHARS = 12
_PROSE_WITHIN = 3  # a new article's prose starts within this many lines after its date line
# a photo's caption: it ends with its place and date (「…知事(左)、青森市、2025年12月19日」), or with when and where it was
# taken in brackets (「除雪作業に追われる市職員(15日午前、秋田市で)」); a date line under it is no article's (a probe's finding)
PLACE_DATE_CAPTION = re.compile(r"、[^、。\n]{1,15}、\d{4}年\d{1,2}月\d{1,2}日\s*$")  # the answers' caption too
_CAPTION_LINE = re.compile(rf"(?:{PLACE_DATE_CAPTION.pattern}|[(（][^()（）]*(?:で|撮影|提供)[)）]\s*$)")
# what opens a line inside an article, not a title: a caption, a related article, a note, a byline, each with its
# separator (not 注目, 記者会見, 関連法案, which open headlines), a bracket holding one (【関連記事】; not 【独自】 nor
# （社説）, which open them too), or a mark
_MARKER = r"(?:写真|画像|図|表|出典|引用|関連(?:記事)?|参考(?:記事)?|注|筆者|文|記者|編集|前回の記事|過去の記事|あわせて読みたい|訂正|追記)"
_NOT_A_TITLE = re.compile(rf"^(?:{_MARKER}(?:とおわび)?\s*[:：／/　「]|[【（(＜<《〈\[][^】）)＞>》〉\]]*{_MARKER}|"
                          r"[※■□▼▽◆◇●○★☆・➢⇨>])")
_MAX_SITE_NAME = 60
_MIN_FOOTER_BODY = 200


@dataclass
class ArticleDraft:
    """Mutable working state for one article while the document is split."""

    first: int  # index into lines
    last: int  # inclusive
    title: str = ""
    published: str | None = None
    sources: list[Source] = field(default_factory=list)
    # header lines that name where the article came from: the site's name, a feed headline ("Title - Site")
    header_sources: list[int] = field(default_factory=list)


def dated_headline(line: Line) -> tuple[str, str | None] | None:
    """(title, iso date) when the line is a headline ending in its publication date."""
    s = line.stripped
    if len(s) > 140 or is_body(line) or "。" in s:
        return None
    m = _DATED_HEADLINE.match(s)
    if not m:
        return None
    dm = DATE_RE.search(m["date"])
    # A caption ("…、北京、2024年5月16日") ends its text with a comma; a headline stamp carries a time or a dash.
    if not dm or m["title"].rstrip().endswith(("、", ",", "，")):
        return None
    if dm["H"] is None and m["sep"] is None:
        return None
    title = m["title"].strip(" ―—–-|｜")
    return (title, iso_date(dm)) if len(title) >= 4 else None


def _feed_title(lines: Sequence[Line], i: int, reasons: dict[int, str]) -> bool:
    """A short Latin headline directly followed by a feed excerpt ("… Continue reading")."""
    s = lines[i].stripped
    if not s or len(s) > 160 or latin_share(s) < 0.8:
        return False
    nxt = next((j for j in range(i + 1, min(i + 3, len(lines))) if not lines[j].blank), None)
    return nxt is not None and reasons.get(nxt) == "feed-excerpt" and bool(FEED_EXCERPT_RE.search(lines[nxt].text))


def _titled(lines: Sequence[Line], i: int, reasons: dict[int, str]) -> bool:
    """A title on its own line with its date on the next ("新潟の酒蔵、パリで最高賞" / "2025/12/20 09:30 配信"), a blank
    line before it and prose after: a new article, not a line inside one. A reviewer found these inside one article,
    each above a date: a photo's caption (写真：…), a related article (関連記事：…), a note (※…), a sign-off at the end
    (筆者：…), an English line ("Updated with Kremlin comment"), a timeline's entry (each is refused below)."""
    s = lines[i].stripped
    if (is_body(lines[i]) or not _title_like(s) or not has_cjk(s) or _NOT_A_TITLE.match(s) or _CAPTION_LINE.search(s)
            or i == 0 or not lines[i - 1].blank):
        return False
    date = next((j for j in range(i + 1, min(i + 3, len(lines))) if not lines[j].blank), None)
    if date is None or not STANDALONE_DATE.match(lines[date].text):
        return False
    # prose among the first lines after the date (a byline or a caption may come between)
    after = [j for j in range(date + 1, len(lines)) if not lines[j].blank][:_PROSE_WITHIN]
    return any(is_body(lines[j]) and j not in reasons for j in after)


def split_articles(lines: Sequence[Line], reasons: dict[int, str]) -> list[ArticleDraft]:
    """Find article starts among kept lines: dated headlines, feed headlines, a title after prose whose date stands on
    the next line, and text after a source block."""
    kept = [i for i, ln in enumerate(lines) if not ln.blank and i not in reasons]
    if not kept:
        return []
    starts = {kept[0]}
    after_sources = after_prose = False
    for i in range(kept[0] + 1, len(lines)):
        ln = lines[i]
        if ln.blank:
            continue
        if reasons.get(i) == "sources":
            after_sources = True
            continue
        if i not in reasons and (after_sources or dated_headline(ln) or _feed_title(lines, i, reasons)
                                 or (after_prose and _titled(lines, i, reasons))):
            starts.add(i)
        if i not in reasons or reasons[i] not in {"links"}:
            after_sources = False
        if i not in reasons:
            after_prose = is_body(ln)
    ordered = sorted(starts)
    return [
        ArticleDraft(first, (ordered[n + 1] - 1) if n + 1 < len(ordered) else len(lines) - 1)
        for n, first in enumerate(ordered)
    ]


def find_sources(lines: Sequence[Line], reasons: dict[int, str]
                 ) -> tuple[list[tuple[int, Source, bool]], list[tuple[int, int]]]:
    """(line, source, primary) for 【引用・参照・底本】 blocks and 元ネタ:-style lines; block lines become "sources".

    Also the source rows among them, as (first line, last line): each block's marker with its first title and that
    title's link, when nothing else excluded the marker and title, and each 元ネタ: line. build_document shows each
    as a passage of its own, so that a question about who wrote an article, where it first appeared or where to read
    the original can find it (rag/retrieval/sources.py keeps them out of the answers to every other question)."""
    found: list[tuple[int, Source, bool]] = []
    rows: list[tuple[int, int]] = []
    i = 0
    while i < len(lines):
        ln = lines[i]
        m = _SOURCE_LINE.match(ln.text)
        if m:
            primary = not ln.stripped.startswith(("参考", "Via"))
            found.append((i, Source(None, m["url"].rstrip(".,、。)")), primary))
            if reasons.get(i) in (None, "links"):  # the line itself (build_document drops a repeat in one article)
                rows.append((i, i))
        if _SOURCE_BLOCK.match(ln.text):
            title = next((j for j in range(i + 1, len(lines)) if not lines[j].blank), None)
            # the marker is the same line in most of a site's pages, so it may be boilerplate already; the title not
            shown = reasons.get(i) in (None, "boilerplate") and title is not None and title not in reasons
            reasons.setdefault(i, "sources")
            end = _read_block(lines, i, reasons, found)
            if end == title:  # a note under the heading, not a source: the heading is no source marker either
                if reasons[i] == "sources":
                    reasons[i] = "note heading"
            elif shown and title < end and not urls(lines[title].stripped):
                link = next((j for j in range(title + 1, end) if not lines[j].blank), None)
                rows.append((i, link if link is not None and urls(lines[link].stripped) else title))
            i = end
            continue
        i += 1
    return found, rows


SOURCE_OPEN = "【"  # what a source block's marker, and so every passage names_sources accepts, starts with


def source_marker(line: str) -> bool:
    """Whether a line is a source block's marker (【引用・参照・底本】)."""
    return bool(_SOURCE_BLOCK.match(line))


def names_sources(text: str) -> bool:
    """Whether a passage is a source block's marker and title (find_sources), not article text."""
    return text.startswith(SOURCE_OPEN) and bool(_SOURCE_BLOCK.match(text.split("\n", 1)[0]))  # passages start trimmed


def _read_block(lines: Sequence[Line], marker: int, reasons: dict[int, str], found: list) -> int:
    """Read `title` / `url` lines after a source-block marker; return the index after the block."""
    pending: str | None = None
    pending_at, before = -1, None
    count = 0
    i = marker + 1
    while i < len(lines):
        ln = lines[i]
        s = ln.stripped
        if not s:
            i += 1
            continue
        found_urls = urls(s)
        if found_urls and len(found_urls[0]) >= len(s) * 0.5:
            found.append((marker, Source(pending, found_urls[0]), True))
            pending, count = None, count + 1
        elif pending is None and not dated_headline(ln) and (count == 0 or latin_share(s) >= 0.8) and len(s) <= 300:
            pending, pending_at, before = s, i, reasons.get(i)
        else:
            break
        reasons[i] = "sources"
        i += 1
    if pending is not None and count == 0 and _sentence(pending):
        # a note under a 【参考】 heading ("ミンスク合意とは、…である。"), not a cited title: no URL, and it ends as a
        # sentence does. It stays article text (of the same article); the block ends before it.
        if before is None:
            del reasons[pending_at]
        else:
            reasons[pending_at] = before
        return pending_at
    if pending is not None:
        found.append((marker, Source(pending, None), True))
    return i


def _sentence(text: str) -> bool:
    """Japanese prose that ends as a sentence does (a title rarely ends in 。)."""
    return has_cjk(text) and text.rstrip("」』）)】”\"'").endswith(("。", "！", "？"))


def read_header(lines: Sequence[Line], draft: ArticleDraft, reasons: dict[int, str]) -> None:
    """Pick the title and date from the article's leading lines; lines before the title are page header."""
    first_line = lines[draft.first]
    dh = dated_headline(first_line)
    if dh and reasons.get(draft.first) is None:
        draft.title, draft.published = dh
        return
    header: list[int] = []
    for i in range(draft.first, draft.last + 1):
        if lines[i].blank:
            continue
        if is_body(lines[i]) and reasons.get(i) is None:
            break
        header.append(i)
    candidates = [i for i in header if reasons.get(i) is None and _title_like(lines[i].stripped)]
    cjk = [i for i in candidates if has_cjk(lines[i].stripped)]
    pick = (cjk or candidates or [None])[0]
    if pick is None:
        kept = [i for i in range(draft.first, draft.last + 1) if reasons.get(i) is None and not lines[i].blank]
        draft.title = lines[kept[0]].stripped[:80] if kept else ""
    else:
        draft.title = lines[pick].stripped
        for i in header:
            if i < pick:
                reasons.setdefault(i, "header")
    for i in header:
        m = STANDALONE_DATE.match(lines[i].text)
        if m and draft.published is None:
            draft.published = iso_date(m)
    for i in header:
        if pick is None or i >= pick or reasons.get(i) != "header":
            continue
        # A feed headline ("Title - Site") before the native title names the article's original source.
        if _latin_headline(lines, i):
            draft.sources.insert(0, Source(lines[i].stripped, None))
            draft.header_sources.append(i)
        elif len(lines[i].stripped) <= _MAX_SITE_NAME and _SITE_NAME.search(lines[i].stripped):  # the blog's name
            draft.header_sources.append(i)


def _title_like(s: str) -> bool:
    return len(s) >= _MIN_TITLE_CHARS and not _SITE_NAME.search(s) and not STANDALONE_DATE.match(s) and "。" not in s


def _latin_headline(lines: Sequence[Line], i: int) -> bool:
    s = lines[i].stripped
    return 8 <= len(s) <= 160 and latin_share(s) >= 0.8 and not urls(s)


def cut_footer(lines: Sequence[Line], draft: ArticleDraft, reasons: dict[int, str]) -> None:
    """After enough article text, the first footer marker starts page furniture up to the article's end."""
    body = 0
    for i in range(draft.first, draft.last + 1):
        if is_footer_marker(lines[i]) and body >= _MIN_FOOTER_BODY:
            for j in range(i, draft.last + 1):
                if not lines[j].blank:
                    reasons.setdefault(j, "footer")
            return
        if reasons.get(i) is None:
            body += len(lines[i].stripped)
