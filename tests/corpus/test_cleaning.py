"""Cleaning by exclusion: page chrome, link lines, feed excerpts, repeats and footers stay out of passages."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rag.chunking import ChunkParams, chunk_document
from rag.corpus import Corpus, build_document
from rag.corpus.cleaning import boilerplate_keys, chrome_reason, repeated_lines
from rag.corpus.lines import Line, split_lines
from rag.types import Passage

from .conftest import source_passages

D000 = "000_77323e78f047d601"
D001 = "001_9c689277a1938a75"
D002 = "002_4bfa712dfd589490"
D003 = "003_4dfd093ef708d448"
D004 = "004_b790a10d624dd4e2"

CHROME_MARKERS = [
    "Cloudflare", "Attention Required", "スポンサーリンク", "コメント利用規約", "シェアする", "人気ランキング",
    "あわせて読みたい", "タイトルとURLをコピー", "ランキングに参加中", "メールマガジン", "MAGAZINE", "好評発売中",
    "最新の画像もっと見る", "バックナンバー", "Continue reading", "元ネタ:", "https://",
]  # fmt: skip
# what an article's source rows hold, and its text never: where it came from (rag/retrieval/sources.py)
SOURCE_ROW_MARKERS = {"元ネタ:", "https://"}

REASONS = {"chrome", "links", "feed-excerpt", "duplicate", "boilerplate", "sources", "header", "footer"}


# ---------------------------------------------------------------------------------------------------------------
# The real seeds.
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("marker", CHROME_MARKERS)
def test_no_passage_contains_page_chrome(corpus: Corpus, passages: list[Passage], marker: str) -> None:
    assert any(marker in d.raw for d in corpus.documents), f"{marker!r} is not in the seeds: the check proves nothing"
    sources = source_passages(corpus.documents, passages)
    offenders = [p.passage_id for p in passages if marker in p.text and p not in sources]
    assert not offenders, f"{marker!r} leaked into {offenders}"
    rows = [p.text for p in sources if marker in p.text]
    assert not rows or marker in SOURCE_ROW_MARKERS, rows


def test_the_repeated_copy_of_000_yields_no_passages_and_is_reported_as_duplicate(
    corpus: Corpus, passages: list[Passage]
) -> None:
    doc = corpus.get(D000)
    raw = doc.raw
    first_paragraph = raw.split("\n")[2]
    assert first_paragraph.startswith("ロシアと米国が「新デタント")
    copy_start = raw.find(first_paragraph, raw.find(first_paragraph) + 1)
    assert copy_start > 0, "the seed should contain the article twice"
    copy_end = raw.find("【引用・参照・底本】", copy_start)

    mine = [p for p in passages if p.doc_id == D000]
    assert mine, "the first copy must still be chunked"
    assert max(p.end for p in mine) <= copy_start
    copied = sum(len(line.strip()) for line in raw[copy_start:copy_end].split("\n"))
    assert doc.excluded_chars().get("duplicate", 0) >= copied


@pytest.mark.parametrize(
    ("doc_id", "reasons"),
    [
        (D000, {"duplicate", "sources"}),
        (D001, {"chrome", "duplicate", "feed-excerpt"}),
        (D002, {"chrome", "links"}),
        (D003, {"chrome", "duplicate", "footer"}),
        (D004, {"chrome", "sources"}),
    ],
)
def test_excluded_characters_are_reported_per_reason(corpus: Corpus, doc_id: str, reasons: set[str]) -> None:
    excluded = corpus.get(doc_id).excluded_chars()
    assert reasons <= set(excluded), excluded
    assert set(excluded) <= REASONS
    assert all(n > 0 for n in excluded.values())


def test_the_newsweek_footer_of_003_is_excluded_as_footer(corpus: Corpus) -> None:
    doc = corpus.get(D003)
    footer = [doc.raw[e.start : e.end] for e in doc.exclusions if e.reason == "footer"]
    assert "ヒューマノイド・ロボット「ファントムMK1」がアメリカの戦場と戦争をこう変える" in footer
    assert doc.excluded_chars()["footer"] >= 900


def test_exclusions_are_stripped_non_overlapping_and_never_inside_a_passage(corpus: Corpus) -> None:
    for doc in corpus.documents:
        spans = sorted((e.start, e.end) for e in doc.exclusions)
        for start, end in spans:
            text = doc.raw[start:end]
            assert 0 <= start < end <= len(doc.raw) and text == text.strip() and text
        for (_, end), (start, _) in zip(spans, spans[1:]):
            assert end <= start
        for p in chunk_document(doc, ChunkParams()):
            for start, end in spans:
                assert end <= p.start or p.end <= start, (p.passage_id, doc.raw[start:end])


# ---------------------------------------------------------------------------------------------------------------
# Line rules.
# ---------------------------------------------------------------------------------------------------------------


def _line(text: str, no: int = 0) -> Line:
    return Line(no, 0, len(text), text)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Attention Required! | Cloudflare", "chrome"),
        ("スポンサーリンク", "chrome"),
        ("  • Xでシェアする", "chrome"),
        ("タイトルとURLをコピーしました", "chrome"),
        ("メールマガジンのご登録はこちらから。", "chrome"),
        ("• 7", "chrome"),
        ("元ネタ:https://www.understandingwar.org/backgrounder/putin", "links"),
        ("https://x.com/KpsZSU/status/1889666090436800853", "links"),
        ("Lavrov addressed the council in Moscow. " * 3 + 'Continue reading "The inside track"', "feed-excerpt"),
    ],
)
def test_chrome_link_and_feed_excerpt_lines_are_recognised(text: str, reason: str) -> None:
    assert chrome_reason(_line(text)) == reason


def test_a_body_on_one_long_line_that_quotes_a_feeds_marker_is_article_text_not_an_excerpt() -> None:
    body = "ラブロフ外相は中国との同盟について述べた。" * 400 + "（続きを読む）" + "会談は北京で行われた。" * 400
    assert chrome_reason(_line(body)) is None
    assert chrome_reason(_line(body + " 続きを読む")) == "feed-excerpt"  # at its end it is the excerpt's link again


@pytest.mark.parametrize(
    "text",
    [
        "まとめ",
        "国連での動きとその意義",
        "ラブロフ外相は、慎重な言葉で、ロシアは「中国との真の同盟関係の構築」に前向きな姿勢を持っていると宣言した。",
        "コメントを寄せた専門家は、今回の会談が両国関係の転機になると述べ、その影響は長く続くだろうと分析した。" * 2,
    ],
)
def test_headings_and_prose_are_not_chrome_even_when_they_mention_chrome_words(text: str) -> None:
    assert chrome_reason(_line(text)) is None


def test_a_long_repeated_line_is_a_duplicate_but_a_short_repeated_heading_is_kept() -> None:
    raw = "まとめ\nロシアと中国の関係は、ここ数年で大きく変化している。\n本文。\nまとめ\nロシアと中国の関係は、ここ数年で大きく変化している。\n"
    lines = split_lines(raw)
    assert repeated_lines(lines) == {4}


def test_a_run_of_three_repeated_short_lines_is_a_duplicate_block() -> None:
    raw = "見出しA\n項目B\n項目C\n本文の段落です。\n見出しA\n項目B\n項目C\n"
    assert repeated_lines(split_lines(raw)) == {4, 5, 6}


def test_a_document_that_repeats_itself_keeps_only_the_first_copy() -> None:
    body = "\n".join(f"第{n}段落:ロシアと中国の協力関係は着実に深まっていると分析されている。" for n in range(5))
    raw = f"中露関係の現状についての分析記事\n{body}\n{body}\n"
    doc = build_document("x", "x.txt", raw)
    second_copy = raw.rindex("第0段落")
    assert all(p.end <= second_copy for p in chunk_document(doc, ChunkParams()))
    assert doc.excluded_chars()["duplicate"] == len(body.replace("\n", ""))


def test_lines_shared_by_most_documents_are_boilerplate_only_with_three_or_more_documents() -> None:
    template = "しゅうさんのミリタリー雑談ブログ"
    docs = [split_lines(f"{template}\n固有の本文その{n}です。") for n in range(3)]
    assert boilerplate_keys(docs) == {template}
    assert boilerplate_keys(docs[:2]) == set()


def test_a_page_of_only_chrome_has_no_articles() -> None:
    doc = build_document("x", "x.txt", "Attention Required! | Cloudflare\nスポンサーリンク\nコメント\n")
    assert doc.articles == ()
    assert doc.excluded_chars() == {"chrome": len("Attention Required! | Cloudflare") + len("スポンサーリンク") + len("コメント")}


# ---------------------------------------------------------------------------------------------------------------
# Property: whatever the text, cleaning only excludes whole lines and never hands excluded text to chunking.
# ---------------------------------------------------------------------------------------------------------------

prose = st.sampled_from(
    [
        "ロシアと中国の関係は、ここ数年で大きく変化している。",
        "The summit in Beijing marked a turning point for both countries.",
        "ラブロフ外相は「真の同盟」について語った。",
        "米国は制裁を強化すると警告した。トランプ大統領は停戦を要求した。",
    ]
)
chrome = st.sampled_from(
    ["スポンサーリンク", "コメント", "Attention Required! | Cloudflare", "• Xでシェアする", "元ネタ:https://example.com/x",
     "人気ランキング", "• 3", "あわせて読みたい", "【引用・参照・底本】", "https://example.org/page", ""]
)  # fmt: skip
noisy_page = st.lists(st.one_of(prose, prose, chrome, st.text(alphabet="あいうえお漢字。、 ", max_size=30)), max_size=40)


@settings(max_examples=80, deadline=None)
@given(lines=noisy_page)
def test_kept_segments_and_passages_never_overlap_an_exclusion(lines: list[str]) -> None:
    raw = "\n".join(lines)
    doc = build_document("x", "x.txt", raw)
    exclusions = [(e.start, e.end) for e in doc.exclusions]
    for start, end in exclusions:
        assert 0 <= start < end <= len(raw)
    for article in doc.articles:
        for seg in article.kept:
            assert all(end <= seg.start or seg.end <= start for start, end in exclusions)
    passages = chunk_document(doc, ChunkParams(max_tokens=32))
    sources = source_passages([doc], passages)
    for p in passages:
        assert raw[p.start : p.end] == p.text
        assert all(end <= p.start or p.end <= start for start, end in exclusions)
        assert "スポンサーリンク" not in p.text and "Cloudflare" not in p.text
        # a link only in a source row (a 元ネタ: line, a source block's), never in article text
        assert "https://" not in p.text or p in sources
