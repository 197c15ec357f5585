"""Cleaning by exclusion: classify lines as page chrome, link lines, feed excerpts or repeats; never rewrite text."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from .lines import Line, norm, url_share

# Known chrome vocabulary of Japanese and English news/blog pages, matched against a whole (bullet-less) line.
_CHROME = [
    r"Attention Required! \| Cloudflare", r".*Cloudflare Ray ID.*", r"Just a moment\.\.\.", r"Checking your browser.*",
    r"スポンサーリンク", r"広告", r"PR", r"Advertisement",
    r"コメント", r"コメント[:：]", r"名前[:：]?", r"メール(?:アドレス)?[:：]?", r"URL[:：]",
    r"コメント(?:を投稿|する|を書く|利用規約).*", r"※.*(?:顔文字|文字化け).*", r".*コメント投稿.*",
    r"タイトルとURLをコピーしました", r"URLをコピー(?:する|しました)?",
    r"(?:X|Twitter|Facebook|LINE|はてな|Pocket|Pinterest|Threads|note)\s*(?:で|に)?\s*(?:シェア|共有|ポスト|送る).*",
    r"はてなブックマークに追加(?:する)?", r"(?:ツイート|シェア|いいね|Share|Tweet)(?:する)?",
    r"最新記事", r"最近の記事", r"人気記事", r"関連記事", r"おすすめ記事", r"注目記事", r"新着記事",
    r"人気ランキング", r"アクセスランキング", r"ランキング", r"あわせて読みたい", r"こちらもおすすめ",
    r"バックナンバー", r".*もっと見る", r"ニュース速報", r"トップへ戻る", r"ページ(?:の)?先頭へ", r"前の記事", r"次の記事",
    r"カテゴリー?", r"アーカイブ", r"タグ", r"MAGAZINE", r"MOOK", r"好評発売中", r".*メール(?:マガジン|マガ).*",
    r".*ニュースレター.*(?:登録|購読).*", r"(?:特集|別冊)[:：].*", r".*日本版別冊", r".*号\s*[(（].{0,10}発売[)）]",
    r"ランキングに参加中.*", r".*クリックして応援.*", r"見出し画像", r"アイキャッチ画像.*", r"画像(?:引用|出典)[:：].*",
    r".{1,40}で作成", r"Continue reading.*", r"Read more.*", r"続きを読む",
    r"\d{1,3}", r"\d{1,3}位",
]
CHROME_RE = re.compile("(?:" + "|".join(_CHROME) + r")\s*$")
# Lines after which the rest of an article is page furniture (comments, rankings, related links, share bars).
FOOTER_RE = re.compile(
    r"(?:スポンサーリンク|コメント|名前[:：]?|タイトルとURLをコピーしました|あわせて読みたい|関連記事|人気ランキング"
    r"|ランキングに参加中.*|(?:X|Twitter|Facebook|LINE)\s*(?:で|に)?\s*シェア.*|最新の画像もっと見る)\s*$"
)
_BULLET = re.compile(r"^[\s•・*\-–—·●○■□◆◇▶►>]+")
FEED_EXCERPT_RE = re.compile(r"(?:Continue reading|Read more|続きを読む)")
FEED_EXCERPT_TAIL = 200  # the marker starts within this many characters of the line's end
MIN_REPEAT_CHARS = 20
MIN_REPEAT_RUN = 3


def bare(text: str) -> str:
    """The line without surrounding space and leading bullet marks."""
    return _BULLET.sub("", text.strip()).strip()


def _excerpt_end(s: str) -> bool:
    """Whether the line ends as a feed's excerpt does: a summary, then "Continue reading …" (the next article's title
    may follow). A body written on one long line that quotes the words further up is article text: such a line of
    20,000 characters was dropped whole."""
    return any(m.start() >= len(s) - FEED_EXCERPT_TAIL for m in FEED_EXCERPT_RE.finditer(s))


def chrome_reason(line: Line) -> str | None:
    """Why this single line is not article text, judged by its own shape and vocabulary."""
    s = line.stripped
    if not s:
        return None
    if url_share(s) >= 0.5:
        return "links"
    if len(s) >= 100 and _excerpt_end(s):
        return "feed-excerpt"
    b = bare(s)
    if len(b) <= 60 and (CHROME_RE.fullmatch(b) or not b):
        return "chrome"
    return None


def is_footer_marker(line: Line) -> bool:
    return bool(FOOTER_RE.fullmatch(bare(line.stripped)))


def repeated_lines(lines: Sequence[Line]) -> set[int]:
    """Line numbers that repeat earlier text of the same document.

    A repeated line counts when it is long enough to be content (>= MIN_REPEAT_CHARS), or when it sits in a
    run of MIN_REPEAT_RUN consecutive repeated lines (a copied block); short isolated repeats such as a
    section heading used twice are kept.
    """
    seen: set[str] = set()
    repeat: list[tuple[int, bool]] = []  # (line index, is a repeat), non-blank lines only
    for i, ln in enumerate(lines):
        if ln.blank:
            continue
        key = norm(ln.text)
        repeat.append((i, key in seen))
        seen.add(key)
    out: set[int] = set()
    run: list[int] = []
    for i, is_rep in repeat + [(-1, False)]:
        if is_rep:
            run.append(i)
            continue
        if len(run) >= MIN_REPEAT_RUN:
            out.update(run)
        else:
            out.update(j for j in run if len(lines[j].stripped) >= MIN_REPEAT_CHARS)
        run = []
    return out


def line_keys(lines: Sequence[Line]) -> set[str]:
    """A document's lines that can count as boilerplate, as comparison keys (6 characters or more)."""
    return {norm(ln.text) for ln in lines if len(ln.stripped) >= 6}


def boilerplate_need(documents: int, min_docs: int = 3, min_share: float = 0.5) -> int | None:
    """How many documents a line must appear in to be boilerplate (None: too few documents to tell)."""
    return None if documents < min_docs else max(min_docs, int(documents * min_share + 0.999))


def boilerplate_keys(documents: Iterable[Sequence[Line]], min_docs: int = 3, min_share: float = 0.5) -> set[str]:
    """Lines shared by many documents of the corpus (site templates), as comparison keys."""
    docs = list(documents)
    need = boilerplate_need(len(docs), min_docs, min_share)
    if need is None:
        return set()
    counts: dict[str, int] = {}
    for lines in docs:
        for key in line_keys(lines):
            counts[key] = counts.get(key, 0) + 1
    return {k for k, c in counts.items() if c >= need}
