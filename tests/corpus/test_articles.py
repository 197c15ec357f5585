"""Article splitting and headers: titles, dates, cited sources and article spans (rag/corpus/articles.py)."""

from __future__ import annotations

import pytest

from rag.corpus import Corpus, build_document
from rag.corpus.articles import dated_headline, names_sources
from rag import tokens
from rag.chunking import ChunkParams, chunk_document
from rag.corpus.lines import Line, norm

from .conftest import source_passages

D000 = "000_77323e78f047d601"
D001 = "001_9c689277a1938a75"
D002 = "002_4bfa712dfd589490"
D003 = "003_4dfd093ef708d448"
D004 = "004_b790a10d624dd4e2"

# (doc_id, article index, title exactly as it appears in the file, published)
EXPECTED_ARTICLES = [
    (D000, 0, "「ロシアが中国を裏切る」との主張を否定", "2025-02-28T19:49"),
    (D001, 0, "中露協商が世界政治の地殻変動を引き起こす", None),
    (D001, 1, "プーチン・習近平会談の「内部路線」", None),
    (D002, 0, "“米ロ協議が始まっているのに、プーチン大統領は米国の敵対国との結びつきを強化”(2025.2.27 ISWレポート)", None),
    (D003, 0, "習近平とプーチンの「兄弟関係」が逆転...兄が頼りの弟分は付き従うのみ", "2023-03-29T11:20"),
    (D004, 0, "米国:和平交渉における立場を明確に強硬化", "2025-05-10T21:32"),
    (D004, 1, "中・露共同声明", "2025-05-10T23:25"),
]


def _article(corpus: Corpus, doc_id: str, index: int):
    doc = corpus.get(doc_id)
    assert doc is not None, f"{doc_id} was not loaded"
    return doc.articles[index]


# ---------------------------------------------------------------------------------------------------------------
# The real seeds.
# ---------------------------------------------------------------------------------------------------------------


def test_the_seeds_hold_exactly_seven_articles_with_their_titles_and_dates_in_file_order(corpus: Corpus) -> None:
    found = [(d.doc_id, a.index, a.title, a.published) for d in corpus.documents for a in d.articles]
    assert found == EXPECTED_ARTICLES


def test_the_seeds_load_without_warnings_in_doc_id_order(corpus: Corpus) -> None:
    assert corpus.warnings == ()
    assert [d.doc_id for d in corpus.documents] == [D000, D001, D002, D003, D004]


@pytest.mark.parametrize(("doc_id", "index", "title", "published"), EXPECTED_ARTICLES)
def test_each_article_title_appears_verbatim_inside_its_article_span(
    corpus: Corpus, doc_id: str, index: int, title: str, published: str | None
) -> None:
    doc = corpus.get(doc_id)
    article = doc.articles[index]
    at = doc.raw.find(title, article.start)
    assert article.start <= at and at + len(title) <= article.end, (at, article.start, article.end)


def test_the_korybko_article_cites_its_substack_post_as_primary_url(corpus: Corpus) -> None:
    article = _article(corpus, D000, 0)
    assert article.url.startswith("https://korybko.substack.com/p/russia-and-the-us-diplomatic-choreography")
    assert any(s.title and "Diplomatic Choreography" in s.title for s in article.sources)


def test_the_isw_translation_cites_the_moto_neta_line_as_primary_url_before_the_sanko_neta_links(
    corpus: Corpus,
) -> None:
    article = _article(corpus, D002, 0)
    primary = (
        "https://www.understandingwar.org/backgrounder/putin-deepens-russias-ties-us-adversaries-us-russia-talks-begin"
    )
    assert article.url == primary
    # The 参考ネタ links come earlier in the file but are secondary sources.
    doc = corpus.get(D002)
    assert doc.raw.index("参考ネタ:https://www.ukrinform.jp") < doc.raw.index("元ネタ:" + primary)
    secondary = [s.url for s in article.sources[1:]]
    assert secondary and all(u.startswith("https://www.ukrinform.jp/") for u in secondary)


def test_the_two_articles_of_004_cite_substack_and_global_times(corpus: Corpus) -> None:
    first, second = corpus.get(D004).articles
    assert first.url.startswith("https://open.substack.com/pub/korybko/p/the-us-is-toughening-its-negotiating")
    assert second.url == "https://www.globaltimes.cn/page/202505/1333712.shtml"
    assert any(s.title and "Global Times editorial" in s.title for s in second.sources)
    assert not any(s.url and "globaltimes" in s.url for s in first.sources), "a source leaked into the wrong article"


def test_the_indian_punchline_feed_headline_is_a_source_title_of_the_second_001_article(corpus: Corpus) -> None:
    first, second = corpus.get(D001).articles
    titles = [s.title for s in second.sources if s.title]
    assert any("Indian Punchline" in t for t in titles), second.sources
    assert "The ‘inside track’ of Putin-Xi Jinping talks" in titles[0]
    assert first.url is None and not any("Indian Punchline" in (s.title or "") for s in first.sources)


def test_articles_without_a_cited_source_have_no_url(corpus: Corpus) -> None:
    assert _article(corpus, D001, 0).url is None
    assert _article(corpus, D003, 0).url is None


def test_article_spans_lie_inside_the_file_are_ordered_and_do_not_overlap(corpus: Corpus) -> None:
    for doc in corpus.documents:
        assert doc.articles, doc.doc_id
        for a in doc.articles:
            assert a.doc_id == doc.doc_id
            assert 0 <= a.start < a.end <= len(doc.raw)
        for prev, nxt in zip(doc.articles, doc.articles[1:]):
            assert prev.end <= nxt.start, (doc.doc_id, prev.index, nxt.index)
        assert [a.index for a in doc.articles] == list(range(len(doc.articles)))


def test_kept_segments_lie_inside_their_article_in_order_without_surrounding_space(corpus: Corpus) -> None:
    for doc in corpus.documents:
        for a in doc.articles:
            assert a.kept, (doc.doc_id, a.index)
            for seg in a.kept:
                assert a.start <= seg.start < seg.end <= a.end
                text = doc.raw[seg.start : seg.end]
                assert text == text.strip()
            for prev, nxt in zip(a.kept, a.kept[1:]):
                assert prev.end < nxt.start


def test_the_seeds_source_rows_are_segments_of_their_own_and_their_links_are_in_no_text(corpus: Corpus) -> None:
    blocks, lines, headers = [], [], []
    for doc in corpus.documents:
        for a in doc.articles:
            assert all(r in a.kept for r in a.source_rows)
            text = [doc.raw[s.start : s.end] for s in a.kept if s not in a.source_rows]
            # the marker only ever opens a row: the marker, the block's first title and that title's link
            assert not any("【引用・参照・底本】" in t for t in text), (doc.doc_id, a.index)
            for url in (s.url for s in a.sources if s.url):
                assert not any(url in t for t in text), (doc.doc_id, url)
            for r in a.source_rows:
                row = doc.raw[r.start : r.end]
                if names_sources(row):
                    marker, title, link = [ln for ln in row.splitlines() if ln.strip()]
                    # the link as cited, without a newsletter's tracking query (rag/corpus/__init__.py)
                    assert marker == "【引用・参照・底本】" and any(s.title == title and s.url.startswith(link)
                                                                  for s in a.sources)
                    blocks.append(title)
                elif "ネタ:" in row:
                    assert any(s.url and row.endswith(s.url) for s in a.sources)
                    lines.append(row)
                else:
                    headers.append(row)
    # the seeds' three blocks (000's second copy is a duplicate, and stays out), 002's three 元ネタ/参考ネタ lines,
    # 002's blog in its header and 001's feed headline ("Title - Site")
    assert len(blocks) == 3 and sum("Korybko's Newsletter" in t for t in blocks) == 2
    assert len(lines) == 3 and sum(row.startswith("元ネタ:") for row in lines) == 1
    assert sorted(headers) == ["The ‘inside track’ of Putin-Xi Jinping talks - Indian Punchline", "しゅうさんのミリタリー雑談ブログ"]


# ---------------------------------------------------------------------------------------------------------------
# Headlines and source lines on small documents.
# ---------------------------------------------------------------------------------------------------------------

BODY_1 = "本文の一段落目です。これはテストのための十分に長い段落で、記事の本文として扱われるべき内容を含んでいます。"
BODY_2 = "二つ目の記事の本文です。これもテストのための十分に長い段落で、記事の本文として扱われるべき内容を含んでいます。"


def _line(text: str) -> Line:
    return Line(0, 0, len(text), text)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("「ロシアが中国を裏切る」との主張を否定 ― 2025年02月28日 19:49", ("「ロシアが中国を裏切る」との主張を否定", "2025-02-28T19:49")),
        ("中・露共同声明2025年05月10日 23:25", ("中・露共同声明", "2025-05-10T23:25")),
        ("米国の立場 | 2024-05-18 09:05", ("米国の立場", "2024-05-18T09:05")),
    ],
    ids=["dash-kanji-date-time", "no-separator", "bar-iso-date-time"],
)
def test_a_headline_ending_in_a_date_and_time_is_a_dated_headline(line: str, expected: tuple[str, str]) -> None:
    assert dated_headline(_line(line)) == expected


@pytest.mark.parametrize(
    "line",
    [
        "歓迎式典で出迎えた中国の習近平国家主席(左)、北京、2024年5月16日",  # a photo caption
        "会談は2025年5月10日 23:25に行われた。",  # a sentence that mentions a date
        "2025年05月10日 23:25",  # a bare date has no title
    ],
    ids=["caption", "sentence", "bare-date"],
)
def test_captions_sentences_and_bare_dates_are_not_dated_headlines(line: str) -> None:
    assert dated_headline(_line(line)) is None


@pytest.mark.parametrize(
    "line", ["ロシアの主張を否定する記事 ― 2025年02月28日", "ロシアの主張を否定する記事 - 2025-02-28"], ids=["kanji-date", "iso-date"]
)
def test_a_headline_with_a_dash_and_a_date_without_time_is_a_dated_headline(line: str) -> None:
    assert dated_headline(_line(line)) == ("ロシアの主張を否定する記事", "2025-02-28")


def test_dash_dated_headlines_without_a_time_start_articles_with_their_dates() -> None:
    raw = f"米国の立場を明確に強硬化 ― 2025年05月10日\n{BODY_1}\n中・露共同声明 ― 2025年05月11日\n{BODY_2}\n"
    doc = build_document("x", "x.txt", raw)
    assert [(a.title, a.published) for a in doc.articles] == [
        ("米国の立場を明確に強硬化", "2025-05-10"),
        ("中・露共同声明", "2025-05-11"),
    ]


def test_a_headline_with_an_impossible_calendar_date_gets_no_published_date() -> None:
    doc = build_document("x", "x.txt", f"米国の立場を明確に強硬化 ― 2025年02月30日 21:32\n{BODY_1}\n")
    assert doc.articles[0].published is None


def test_each_dated_headline_starts_a_new_article_with_its_title_and_date() -> None:
    raw = (
        f"米国の立場を明確に強硬化 ― 2025年05月10日 21:32\n{BODY_1}\n"
        f"中・露共同声明 ― 2025年05月11日 08:05\n{BODY_2}\n"
    )
    doc = build_document("x", "x.txt", raw)
    assert [(a.title, a.published) for a in doc.articles] == [
        ("米国の立場を明確に強硬化", "2025-05-10T21:32"),
        ("中・露共同声明", "2025-05-11T08:05"),
    ]
    first, second = doc.articles
    assert raw[first.start : first.end].endswith(BODY_1)
    assert raw[second.start :].startswith("中・露共同声明")


def test_a_moto_neta_line_gives_the_article_its_url_and_is_a_source_row_not_text() -> None:
    raw = f"米国の立場を明確に強硬化 ― 2025年05月10日 21:32\n{BODY_1}\n元ネタ:https://example.com/a.\n"
    doc = build_document("x", "x.txt", raw)
    (article,) = doc.articles
    assert article.url == "https://example.com/a"
    body, line = article.kept
    assert "example.com" not in raw_of(doc, body) and article.source_rows == (line,)
    assert raw_of(doc, line) == "元ネタ:https://example.com/a." and doc.excluded_chars() == {}
    # a repeat of the line is no second row
    doc = build_document("x", "x.txt", raw + "元ネタ:https://example.com/a.\n")
    assert [raw_of(doc, s) for s in doc.articles[0].source_rows] == ["元ネタ:https://example.com/a."]


def test_a_citation_block_names_the_source_title_and_url_of_the_article_above_it() -> None:
    raw = (
        f"中・露共同声明 ― 2025年05月11日 08:05\n{BODY_2}\n"
        "【引用・参照・底本】\n"
        "These joint statements carry significance: Global Times editorial GT 2025.05.10\n"
        "https://www.globaltimes.cn/page/202505/1333712.shtml\n"
    )
    doc = build_document("x", "x.txt", raw)
    (article,) = doc.articles
    assert article.sources[0].title.startswith("These joint statements")
    assert article.url == "https://www.globaltimes.cn/page/202505/1333712.shtml"
    assert doc.excluded_chars() == {}  # the URL is the source row's
    body, named = article.kept
    assert "Global Times" not in raw[body.start : body.end] and raw[body.start : body.end].endswith(BODY_2[-10:])
    title = "These joint statements carry significance: Global Times editorial GT 2025.05.10"
    assert raw[named.start : named.end] == f"【引用・参照・底本】\n{title}\nhttps://www.globaltimes.cn/page/202505/1333712.shtml"
    assert article.source_rows == (named,)


def test_a_source_block_with_no_title_before_its_url_or_in_a_copied_block_keeps_nothing() -> None:
    url = "https://www.globaltimes.cn/page/202505/1333712.shtml"
    doc = build_document("x", "x.txt", f"中・露共同声明 ― 2025年05月11日 08:05\n{BODY_2}\n【引用・参照・底本】\n{url}\n")
    (article,) = doc.articles
    assert article.url == url and len(article.kept) == 1 and "【" not in raw_of(doc, article.kept[0])
    assert article.source_rows == ()
    # a document that repeats its article, block and all: the copy's lines are duplicates, the block's included
    one = f"中・露共同声明 ― 2025年05月11日 08:05\n{BODY_2}\n【引用・参照・底本】\nGlobal Times editorial GT 2025.05.10\n{url}\n"
    doc = build_document("x", "x.txt", one + "\n" + one)
    assert rows_of(doc) == [f"【引用・参照・底本】\nGlobal Times editorial GT 2025.05.10\n{url}"]


def test_a_note_under_a_reference_heading_stays_article_text_and_names_no_source() -> None:
    # "【参考】" heads a cited title as often as a note of the author's; a note ends as a sentence and has no URL. It was
    # taken for a source's title: in every citation's `sources`, out of the article's text, and after it a new article
    note = "ミンスク合意とは、2014年と2015年にウクライナ東部の停戦のために結ばれた二つの合意である。"
    raw = f"中・露共同声明 ― 2025年05月11日 08:05\n{BODY_2}\n【参考】\n{note}\n\n以上。\n"
    doc = build_document("x", "x.txt", raw)
    (article,) = doc.articles
    assert article.sources == () and doc.excluded_chars() == {"note heading": len("【参考】")}
    kept = [raw_of(doc, s) for s in article.kept]
    assert kept[-1] == f"{note}\n\n以上。" and article.source_rows == ()
    # a title under it, even without a URL, is still the article's source, and a passage of its own
    title = "中露協商が世界政治の地殻変動を引き起こす"
    raw = f"中・露共同声明 ― 2025年05月11日 08:05\n{BODY_2}\n【参考】\n{title}\n"
    doc = build_document("x", "x.txt", raw)
    assert [s.title for a in doc.articles for s in a.sources] == [title]
    assert rows_of(doc) == [f"【参考】\n{title}"]


def raw_of(doc, span) -> str:
    return doc.raw[span.start : span.end]


def rows_of(doc) -> list[str]:
    """A document's source rows, each one of its article's kept segments."""
    assert all(r in a.kept for a in doc.articles for r in a.source_rows)
    return [raw_of(doc, r) for a in doc.articles for r in a.source_rows]


def test_a_source_blocks_marker_that_most_pages_carry_still_opens_its_source_segment() -> None:
    # from three documents on, a line in most of them is boilerplate: the marker of a site whose every page cites
    raw = (f"中・露共同声明 ― 2025年05月11日 08:05\n{BODY_2}\n【引用・参照・底本】\n"
           "Global Times editorial GT 2025.05.10\nhttps://www.globaltimes.cn/page/202505/1333712.shtml\n")
    doc = build_document("x", "x.txt", raw, boilerplate={norm("【引用・参照・底本】")})
    assert rows_of(doc) == [
        "【引用・参照・底本】\nGlobal Times editorial GT 2025.05.10\nhttps://www.globaltimes.cn/page/202505/1333712.shtml"]


@pytest.mark.parametrize("max_tokens", [16, 48, 200])
def test_a_source_row_is_one_passage_or_none_never_split_and_without_its_links_tracking_query(max_tokens: int) -> None:
    # split, its title would be a passage of its own that every question is shown, its marker one that answers
    # nothing, and its link would be cut; a row over the budget (a long title, a small RAG_CHUNK_MAX_TOKENS) makes none
    title = "These joint statements carry significance of the times beyond bilateral scope: Global Times editorial"
    row = f"【引用・参照・底本】\n{title}\nhttps://example.org/gt"
    query = "?utm_source=post-email-title&publication_id=835783&token=eyJ1c2VyX2lkIjoxMTQ3ODcsInBvc3RfaWQiOjE2MzI1"
    doc = build_document("x", "x.txt", f"中・露共同声明 ― 2025年05月11日 08:05\n{BODY_2}\n{row}{query}\n")
    assert len(doc.articles) == 1
    assert rows_of(doc) == [row] and doc.excluded_chars() == {"sources": len(query)}
    passages = chunk_document(doc, ChunkParams(max_tokens=max_tokens, overlap=0))
    fits = tokens.count(row) <= max_tokens
    assert [p.text for p in source_passages([doc], passages)] == ([row] if fits else [])
    assert fits or max_tokens < 48
    assert not any("Global Times" in p.text or "【引用" in p.text or "utm_" in p.text for p in passages if p.text != row)
    # a query without tracking parameters may be the page itself: it stays
    doc = build_document("x", "x.txt", f"中・露共同声明 ― 2025年05月11日 08:05\n{BODY_2}\n{row}?id=1333712\n")
    assert rows_of(doc) == [f"{row}?id=1333712"] and doc.excluded_chars() == {}


def test_text_after_a_citation_block_starts_a_new_article() -> None:
    raw = (
        f"米国の立場を明確に強硬化 ― 2025年05月10日 21:32\n{BODY_1}\n"
        "【引用・参照・底本】\nSome English Source Title 2025.05.10\nhttps://example.org/b\n"
        f"次の記事の見出しになる行です\n{BODY_2}\n"
    )
    doc = build_document("x", "x.txt", raw)
    assert [a.title for a in doc.articles] == ["米国の立場を明確に強硬化", "次の記事の見出しになる行です"]
    assert doc.articles[0].url == "https://example.org/b"
    assert doc.articles[1].url is None


def test_a_blogs_name_heading_each_of_its_posts_is_each_posts_source_row_and_no_repeat_is_dropped() -> None:
    # a reviewer's: a passage repeating an earlier one is dropped, in any document; a blog's name heads each of its
    # posts (the boilerplate rule takes it only past half the documents), so every post but the first lost its row
    from rag.chunking import chunk_corpus

    def post(title: str, body: str) -> str:
        return f"見出し画像\n\nしゅうさんのミリタリー雑談ブログ\n\n{title}\n\n{body}\n\n元ネタ:https://example.org/isw\n"

    docs = [build_document(f"00{n}", f"00{n}.txt", post(t, b), set())
            for n, (t, b) in enumerate([("“米ロ協議が始まっているのに”(2025.2.27 ISWレポート)", BODY_1),
                                        ("“米国は交渉姿勢を強硬にした”(2025.5.10 ISWレポート)", BODY_2)])]
    for doc in docs:
        assert rows_of(doc) == ["しゅうさんのミリタリー雑談ブログ", "元ネタ:https://example.org/isw"]
    passages = chunk_corpus(docs, ChunkParams())
    rows = [(p.doc_id, p.text) for p in source_passages(docs, passages)]
    assert rows == [(d.doc_id, t) for d in docs for t in ("しゅうさんのミリタリー雑談ブログ", "元ネタ:https://example.org/isw")]
    # but a copy of a post under another name, all of whose text repeats, keeps no rows either: they are no article
    copy = build_document("009", "009.txt", docs[0].raw, set())
    assert rows_of(copy) and not [p for p in chunk_corpus([*docs, copy], ChunkParams()) if p.doc_id == "009"]
    # the same line twice in one article is one row; in two articles of one document, each article's
    twice = f"米国の立場を明確に強硬化 ― 2025年05月10日 21:32\n{BODY_1}\n元ネタ:https://example.org/a\n"
    doc = build_document("x", "x.txt", twice + "元ネタ:https://example.org/a\n")
    assert rows_of(doc) == ["元ネタ:https://example.org/a"]
    doc = build_document("x", "x.txt", twice + f"中・露共同声明 ― 2025年05月11日 08:05\n{BODY_2}\n元ネタ:https://example.org/a\n")
    assert rows_of(doc) == ["元ネタ:https://example.org/a"] * 2 and len(doc.articles) == 2


@pytest.mark.parametrize(("link", "kept"), [
    ("https://www.youtube.com/watch?v=abc123&utm_source=x&utm_medium=email", "https://www.youtube.com/watch?v=abc123"),
    ("https://blog.example/?p=1234&utm_source=twitter", "https://blog.example/?p=1234"),
    ("https://korybko.substack.com/p/russia?utm_source=post-email-title&publication_id=835783",
     "https://korybko.substack.com/p/russia"),
    ("https://example.org/page?id=123", "https://example.org/page?id=123"),
    # a second reviewer's: a reader's token or referral id before the utm_ parameters is the mailing's too
    ("https://korybko.substack.com/p/slug?token=eyJ1c2VyX2lkIjoxMTQ3ODcs&utm_source=x",
     "https://korybko.substack.com/p/slug"),
    ("https://open.substack.com/pub/korybko/p/slug?r=2gkj&utm_campaign=post",
     "https://open.substack.com/pub/korybko/p/slug"),
    ("https://example.org/page?id=123&r=2gkj", "https://example.org/page?id=123&r=2gkj"),  # nothing tracks here
])
def test_a_links_tracking_parameters_are_cut_and_the_pages_own_kept(link: str, kept: str) -> None:
    doc = build_document("x", "x.txt", f"米国の立場を明確に強硬化 ― 2025年05月10日 21:32\n{BODY_1}\n元ネタ:{link}\n")
    assert rows_of(doc) == [f"元ネタ:{kept}"] and doc.articles[0].url == link
    assert doc.excluded_chars() == ({"sources": len(link) - len(kept)} if link != kept else {})


def test_a_source_row_over_the_budget_keeps_its_first_lines_and_never_its_marker_alone() -> None:
    # a reviewer's: a block with a long percent-encoded link made no passage at all; its marker and title did before
    title = "プーチン大統領、ウクライナ情勢で会見　日本経済新聞"
    link = "https://www.nikkei.com/article/" + "%E3%83%97%E3%83%BC%E3%83%81%E3%83%B3" * 30
    raw = f"中・露共同声明 ― 2025年05月11日 08:05\n{BODY_2}\n【引用・参照・底本】\n{title}\n{link}\n"
    doc = build_document("x", "x.txt", raw)
    (article,) = doc.articles
    assert rows_of(doc) == [f"【引用・参照・底本】\n{title}\n{link}"] and tokens.count(link) > 200
    passages = chunk_document(doc, ChunkParams())
    (row,) = source_passages([doc], passages)
    assert row.text == f"【引用・参照・底本】\n{title}" and row.start == article.source_rows[0].start
    # a budget that holds only the marker makes no passage; a one-line row over it neither
    passages = chunk_document(doc, ChunkParams(max_tokens=16, overlap=0))
    assert not source_passages([doc], passages)


def test_source_lines_before_the_first_article_stay_excluded() -> None:
    # a reviewer's: such a line was taken out of the exclusions, and no article held it
    for head in ("元ネタ:https://example.org/a", "【引用・参照・底本】\nSome English Title 2025.05.10\nhttps://example.org/b"):
        raw = f"{head}\n米国の立場を明確に強硬化 ― 2025年05月10日 21:32\n{BODY_1}\n"
        doc = build_document("x", "x.txt", raw)
        kept = sum(len(s) for a in doc.articles for s in a.kept)
        excluded = sum(e.end - e.start for e in doc.exclusions)
        assert rows_of(doc) == [] and excluded >= len(head.replace("\n", "")), doc.exclusions
        assert kept + excluded >= len(raw.replace("\n", "")) - 5  # every character of text somewhere (spaces aside)


@pytest.mark.parametrize("stamp, published", [
    ("2025/12/20 09:30 配信", "2025-12-20T09:30"), ("【2025年12月20日】", "2025-12-20"),
    ("2025年12月20日 9時30分 更新", "2025-12-20T09:30"), ("2025.12.20", "2025-12-20"),
])
def test_a_title_after_prose_with_its_date_on_the_next_line_starts_an_article(stamp: str, published: str) -> None:
    """News sites write the date under the title ("2025/12/20 09:30 配信"): the second article of a file was read as
    part of the first, and its passages cited under the first one's title and date (a probe's finding)."""
    raw = (f"日銀が政策金利を0.75%に引き上げ、30年ぶりの水準\n2025/12/19 14:05 配信\n{BODY_1}\n\n"
           f"新潟の酒蔵、パリの日本酒コンクールで最高賞\n{stamp}\n{BODY_2}\n")
    doc = build_document("x", "x.txt", raw)
    assert [(a.title, a.published) for a in doc.articles] == [
        ("日銀が政策金利を0.75%に引き上げ、30年ぶりの水準", "2025-12-19T14:05"),
        ("新潟の酒蔵、パリの日本酒コンクールで最高賞", published)]
    assert raw[doc.articles[1].start:].startswith("新潟の酒蔵")


def test_a_second_title_line_under_the_first_is_no_article_of_its_own() -> None:
    # 003's header: the title, the original's English title, then the date; no prose before the second title
    raw = f"習近平とプーチンの「兄弟関係」が逆転したという論評\n“Big Brother” Xi Meets Putin again\n2023年3月29日(水)11時20分\n{BODY_1}\n"
    doc = build_document("x", "x.txt", raw)
    assert [(a.title, a.published) for a in doc.articles] == [
        ("習近平とプーチンの「兄弟関係」が逆転したという論評", "2023-03-29T11:20")]


_HEAD = f"ロシアと中国の新時代の関係を読む\n2025年3月1日\n{BODY_1}\n"


@pytest.mark.parametrize("inside", [
    "筆者：田中一郎（国際政治学者）\n2025年3月1日\n",  # a sign-off at the end: no prose after it
    f"写真：記者会見するプーチン大統領（ロイター）\n2025年3月1日\n{BODY_2}\n",  # a photo's caption
    f"関連記事：「中露協商が世界政治を変える」\n【2025年2月10日】\n{BODY_2}\n",  # a related article
    "※この記事は一部の表現を修正しました\n2025/03/02 10:00 更新\n",  # a note
    f"Updated with Kremlin comment and reaction\n2025/03/02 10:00\n{BODY_2}\n",  # an English line
    "ロシアがウクライナへの全面侵攻を開始した日\n2022年2月24日\n・キーウ近郊で戦闘\n",  # a timeline's entry and item
    # photo captions (a probe's findings): a place and a date at the end, or when and where in brackets
    f"記者会見する青森県の宮下宗一郎知事(左)、青森市、2025年12月19日\n2025年12月19日 17:40\n{BODY_2}\n",
    f"除雪作業に追われる市職員(15日午前、秋田市で)\n2025年12月15日 07:30\n{BODY_2}\n",
])
@pytest.mark.parametrize("gap", ["", "\n"], ids=["no-blank", "blank"])
def test_a_line_above_a_date_inside_an_article_starts_no_article(inside: str, gap: str) -> None:
    """A reviewer's cases: each split one article in two, the rest of its body cited under that line and its date."""
    doc = build_document("x", "x.txt", _HEAD + gap + inside)
    assert [(a.title, a.published) for a in doc.articles] == [("ロシアと中国の新時代の関係を読む", "2025-03-01")]


def test_a_title_and_date_line_after_prose_need_a_blank_line_before_them() -> None:
    # a timeline's entry followed by prose looks like an article's start, but for the blank line articles are set by
    raw = _HEAD + f"ロシアがウクライナへの全面侵攻を開始した日\n2022年2月24日\n{BODY_2}\n"
    assert len(build_document("x", "x.txt", raw).articles) == 1
    assert len(build_document("x", "x.txt", raw.replace(f"{BODY_1}\n", f"{BODY_1}\n\n")).articles) == 2


_BOJ = f"日銀が政策金利を0.75%に引き上げ、30年ぶりの水準\n2025/12/19 14:05 配信\n\n{BODY_1}\n\n"


@pytest.mark.parametrize("title, between", [
    ("【独自】新潟の酒蔵、パリの日本酒コンクールで最高賞", ""), ("（社説）日銀の利上げ、賃上げの持続が試される", ""),
    ("注目の日銀会合、追加利上げの判断は来年に持ち越し", ""), ("記者会見で首相、衆院解散を否定　年内の選挙は見送り", ""),
    ("関連法案が衆院を通過、特定秘密の範囲を拡大へ", ""), ("写真家の森山大道さん、パリで大規模回顧展", ""),
    ("新潟の酒蔵、パリの日本酒コンクールで最高賞", "共同通信\n\n"),  # a byline between the date and the prose
    ("新潟の酒蔵、パリの日本酒コンクールで最高賞", "新潟の酒蔵が最高賞を受けた。\n\n"),  # a short first paragraph
])
def test_a_title_that_opens_with_a_tag_or_a_marker_word_still_starts_an_article(title: str, between: str) -> None:
    """A second reviewer's cases: the first fix refused each, and merged the article into the one before."""
    doc = build_document("x", "x.txt", f"{_BOJ}{title}\n2025/12/20 09:30 配信\n\n{between}{BODY_2}\n")
    assert [a.title for a in doc.articles][1:] == [title]


@pytest.mark.parametrize("line, stamp", [
    ("あわせて読みたい：中露協商が世界政治を変える", "2025年2月10日"), ("前回の記事「中露協商が世界政治を変える」", "2025/02/10 公開"),
    ("訂正とおわび　植田総裁の発言の一部に誤りがありました", "2025/12/20 10:00 更新"),
    ("追記　植田総裁の会見での発言を加えました", "2025/12/19 18:00 更新"), ("【関連記事】中露協商が世界政治を変える", "2025年2月10日"),
])
def test_a_related_article_a_correction_or_an_addendum_above_a_date_starts_no_article(line: str, stamp: str) -> None:
    doc = build_document("x", "x.txt", f"{_BOJ}{line}\n{stamp}\n\n{BODY_2}\n")
    assert len(doc.articles) == 1

