"""Source lines (rag/retrieval/sources.py): a source block's marker and title are a passage that answers who wrote
an article or where it first appeared, and that no other question is shown, in any mode."""

from __future__ import annotations

import pytest

from rag.answers import answer_question
from rag.retrieval.sources import LINK, ORIGINAL, PUBLISHER, asks_for_source, source_kind

WHO_WROTE = "Who wrote the analysis claiming that Russia and the US are pursuing a New Détente?"
ON_ITS_TOPIC = "What did Russia and the US do at the UN that shows a New Détente?"


@pytest.mark.parametrize("question", [
    WHO_WROTE,
    "Which newspaper's editorial is the summary of the joint statements based on?",
    "whose newsletter was this piece originally in",
    "What is the source of the article on the Xi-Putin relationship?",
    "Who is the author of the piece on the US negotiating stance?",
    "「新デタント」の記事を書いたのは誰ですか",
    "共同声明についての社説はどの新聞のものか",
    "この分析の出典は?",
    # a reviewer's: curly apostrophes as the seeds write them, "first appear", the outlet, by whom
    "Who’s the author of the piece?", "What is the author’s name?", "Where did the article first appear?",
    "Which outlet published the analysis?", "By whom was it written?", "Where is this article from?",
    "この記事を書いた人は誰", "著者は?", "誰の記事ですか", "どの新聞の記事か", "執筆者の名前は", "誰によって書かれた記事か",
    "「新デタント」を論じたニュースレター記事はいつ配信された?", "Which substack is this from?", "誰が寄稿した記事ですか",
    # a probe's follow-ups of a word or two, and "whose analysis"
    "source?", "Author?", "the author?", "Give me the source", "Cite the source", "Where did this come from?",
    "Where was this published?", "When was it published?", "Whose analysis is this?", "What is the original source?",
    "この記事はどこから?", "元のURLは?", "著者", "作者は誰?",
    "Where was the article about the US toughening its negotiating stance towards Russia published?",
    "米国の交渉姿勢強硬化の記事はどこで公開された?",
    # the original's own title, and what a post is based on (held back before: the forty-first session's source set)
    "What was the original English headline of the piece on Russia and the US at the UN?",
    "english title of the editorial behind the post on the xi-putin joint statements",
    "original headline of the article the blog summarized about trump and vance",
    "Which think tank's report is it based on?", "この記事の原題は?", "元のタイトルは?", "英語の見出しは何?",
    "ISWレポートの翻訳を載せたブログの名前は?",
    # where to read it, and the blog's name asked in English (a reviewer's: these were content questions)
    "What is the link to the ISW report?", "What is the URL of the Substack post about the UN?",
    "link to the original?", "the source url please", "What is the name of the blog that ran the ISW translation?",
    "Which blog?", "Which blog is it from?", "Which outlet first ran the piece?",
    # Japanese ones of a few words (a second reviewer's: lost to the first fix)
    "どのサイトで公開された?", "どの媒体で発表された?", "どのサイトが元ですか", "どの新聞の報道ですか?", "どの新聞が報じた?",
    # where it appeared, naming nothing before it or the writing (an eleventh probe's fix keeps these)
    "どの雑誌に掲載された?", "それはどこに載っていたの?", "この記事はどこに掲載されましたか", "もともとどの媒体に掲載されたもの?",
    "このニュースはどこに載っていましたか", "この報道はどこに掲載されましたか",  # a reviewer's
    "記事はもともとどこに掲載された?",
    # a third reviewer's: what a first version of the fix lost
    "この文章はどこに掲載されましたか", "この記事の原文はどこに掲載されていますか", "この記事、元はどこに掲載されてたの？",
    "じゃあそれはどこに載ってたの？", "この記事はいつ、どこに掲載されましたか", "このレポートはどこに掲載されましたか",
    "ISWのレポートはどこに掲載されましたか",
    # a fourth reviewer's: the writing as the topic, whatever it reports
    "中露の共同声明の記事はもともとどこに掲載された？", "東北大学の研究チームの発表を伝えた記事は、もともとどこに掲載された？",
    "認知症の研究結果を伝える記事は元々どこに載っていた？", "この調査報道はどこに掲載されましたか",
])
def test_a_question_about_who_wrote_an_article_or_where_it_appeared_asks_for_its_source(question) -> None:
    assert asks_for_source(question)


@pytest.mark.parametrize("question", [
    ON_ITS_TOPIC,
    "What does the author say about Russia abandoning China?",  # the article's content, not its author
    "Who did Lavrov meet in Astana?",
    "筆者はロシアと中国の関係をどう見ているか",
    "ラブロフ外相は中国との同盟について何と言ったか",
    # the nouns in questions about content (a reviewer's)
    "What are the sources of tension between Russia and China?", "Which energy sources does Russia sell to China?",
    "What do sources say about the deal?", "What was the original plan for the pipeline?",
    "What did Putin originally propose?", "Was there a column of troops near Kursk?", "Who is behind the attack?",
    "Who wrote the letter to Putin?", "Who published the sanctions list?", "Which media did Lavrov speak to?",
    "How many international treaties has China joined, according to the Global Times editorial?",
    # a newsletter named as where the content is (a reviewer's, after the source line was put first)
    "According to Korybko's newsletter, what did Putin propose to China about defence spending?",
    "What does the newsletter say Iran might do?", "ニュースレターによると、プーチンは中国に何を提案したか",
    "共同声明はいつ発表された?",
    # a probe's: "post", "published", "author", "original version", "source of" about things that are not the writing
    "When did Russia post troops near the border?", "When was the China-Russia joint statement published?",
    "What is the original version of the peace plan?", "Who is the author of the peace proposal?",
    "What is the source of the tension between Russia and the US?", "Where did the missiles come from?",
    "What sources of friction does the article identify between Russia and China?",
    "ソースコードは公開されたか", "情報源によると何が起きたか", "原文ではどう書かれているか", "初出の発言は何か",
    # titles and bases of things that are not the writing
    "What is the title of the joint statement?", "What is the headline figure for Russia's oil exports?",
    "What is the peace plan based on?", "Which countries is the proposal based on?", "新聞の見出しでは何が強調されたか",
    # a reviewer's: links, websites and publications that are not the writing's
    "Is there a link to the original Chinese peace plan?", "Is there a link to the original joint statement?",
    "Which website did Lavrov criticise?", "Which publication did Lavrov speak at?",
    "どのサイトでラブロフの演説が公開されましたか?",
    # a second reviewer's
    "Is there a link to the text of the Xi-Putin joint statement?", "Give me a link to the summary of the call.",
    "Is there a link to the report's data?", "What is the name of the site where the missile fell?",
    "What's the name of the site Musk bought?", "What is the name of the outlet Putin spoke to?",
    "Which website did Lavrov say that the West controls?", "Which site did the troops withdraw from?",
    "Which newspaper did Putin name?", "Which site was attacked first?",
    "Which website did Lavrov criticise, and what did he say about it?", "どのメディアが米軍の分析を報じた?",
    "どの新聞がもともと反対していたか",
    # where a study the article reports appeared (an eleventh probe's: answered by the article's title line)
    "緑地と認知症の研究成果はどの雑誌に掲載されたか", "論文はどこに発表されたか", "研究結果はどの学会で発表された?",
    "その研究はどの雑誌に載ったのか", "この研究はどこに掲載されましたか",
    # the news as the source of the content, and 報道官, 報道陣 (a second reviewer's)
    "報道によると、研究はどの雑誌に発表されましたか", "ニュースで紹介された研究はどこに掲載されましたか",
    "研究成果はどの雑誌に掲載されたとニュースで報じられましたか", "報道官の発言はどこに掲載されましたか",
    # a fourth reviewer's: where a warning was issued, which journal, a group's announcement
    "津波注意報はどこに発表されましたか", "気象庁は津波注意報をどこに発表した？",
    "ナトリウムイオン電池の新材料はどの科学誌に掲載された？", "新しい負極材料の開発はどこに発表されましたか",
    "千葉大学のグループはどこに発表した？",
])
def test_other_questions_do_not(question) -> None:
    assert not asks_for_source(question)


def _source_hits(searcher, question: str, mode: str):
    return [h for h in searcher.search(question, top_k=10, mode=mode).hits if searcher.index.is_source(h.passage)]


def test_the_source_line_answers_who_wrote_an_article_and_no_question_on_its_topic(searcher) -> None:
    # the line of the article the question is about, first ("according to the Global Times editorial" asks for the
    # content: no source line)
    for question in (WHO_WROTE, "Whose newsletter is the New Détente analysis from?"):
        first = _source_hits(searcher, question, "hybrid")[0]
        assert first.rank == 1 and first.citation.doc_id.startswith("000_"), question
        assert "Andrew Korybko's Newsletter 2025.02.25" in first.passage.text
    for mode in searcher.modes:
        # the same words without "who wrote": in every ranking but BM25's the English title would sit near the top
        assert _source_hits(searcher, ON_ITS_TOPIC, mode) == [], mode
        assert _source_hits(searcher, WHO_WROTE, mode) or mode == "bm25", mode
    # BM25 counts no term of a source line: Korybko's Latin spelling, which only the lines hold, is no term of it
    assert "korybko" not in searcher.index.bm25.vocabulary and "コリブコ" in searcher.index.bm25.vocabulary


@pytest.mark.parametrize(("question", "article", "title", "moved"), [
    ("Who wrote the piece on the US negotiating stance towards Russia?", 0, "The US Is Toughening Its Negotiating",
     False),
    ("米国の対ロ交渉姿勢が強硬になったという分析の出典は?", 0, "The US Is Toughening Its Negotiating", True),
    ("中露共同声明についての社説はどの新聞のものか", 1, "Global Times editorial", True),
])
def test_a_question_about_an_articles_origin_is_shown_that_articles_source_line_first(searcher, question, article,
                                                                                       title, moved) -> None:
    # The seed 004 holds two articles, each with its source block. The line's words need not match the question's
    # (the Japanese ones share none with the English titles): the line of the article that the rest of the question
    # finds first goes above it, and says by how much it was moved. An English question may find it first by its
    # own words (its title and link), and it then keeps its own score.
    hits = searcher.search(question, top_k=10).hits
    first, second = hits[0], hits[1]
    assert searcher.index.is_source(first.passage) and title in first.passage.text
    assert first.citation.doc_id.startswith("004_") and first.passage.article == article
    assert not searcher.index.is_source(second.passage)
    assert (second.citation.doc_id, second.passage.article) == (first.citation.doc_id, article)
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True) and (first.score == second.score) == moved
    assert (first.scores.get("source", 0) > 0) == moved
    # no other article's line is moved: a question about one article is not told another's source
    assert not [h for h in hits[1:] if "source" in h.scores]


def test_the_original_headline_of_an_article_is_its_source_lines_title(searcher) -> None:
    """Not asked as a source question before: "headline" and "title" were no words of one, and the English title was
    in no passage a content search ranks (the source lines are kept out of those)."""
    question = ("What was the original English headline of the piece on Russia and the US coordinating their votes on "
                "Ukraine resolutions at the UN?")
    first = searcher.search(question, top_k=5).hits[0]
    assert searcher.index.is_source(first.passage) and first.citation.doc_id.startswith("000_")
    assert "Russia & The US’ Diplomatic Choreography At The UN" in first.passage.text


def test_an_article_without_a_source_block_is_answered_by_its_header_in_place(searcher) -> None:
    # 003 names its author in its own first lines and has no source block: its first passage stands in for the
    # source lines, where it already is (no score change), and no other article's line is moved above it
    hits = searcher.search("Who wrote the Newsweek piece on the Xi-Putin 'big brother' relationship?", top_k=5).hits
    assert hits[0].citation.doc_id.startswith("003_") and not searcher.index.is_source(hits[0].passage)
    assert hits[0].source and hits[0].scores["source"] == 0.0 and "フィリップ・イワノフ" in hits[0].passage.text
    assert not [h for h in hits[1:] if "source" in h.scores]


CONTENT_003 = "中国とロシアの関係で主導権を握っているのはどちら?"


@pytest.mark.parametrize(("follow_up", "answer", "not_answer"), [
    ("この記事を書いたのは誰?", "フィリップ・イワノフ(米ジョージタウン大学客員研究員)", "プーチンが得たものも大きい"),
    ("この記事はいつ公開された?", "2023年3月29日", "プーチンが得たものも大きい"),
    ("Who wrote this?", "フィリップ・イワノフ", "プーチンが得たものも大きい"),
])
def test_who_wrote_it_after_an_answer_from_an_article_without_a_source_block_is_told_its_header(
        searcher, built_index, follow_up, answer, not_answer) -> None:
    """A probe's: after an answer drawn from 003, "Who wrote this?" and この記事はいつ公開された? repeated its content
    sentences. Its header (title, English title, date, byline) now answers, and none of its prose."""
    from rag.retrieval.conversation import search_conversation

    settings, _ = built_index
    hits = search_conversation(searcher, [CONTENT_003, follow_up], 5).result.hits
    assert hits[0].citation.doc_id.startswith("003_") and hits[0].source and hits[0].passage.start < 20
    assert not [h for h in hits[1:] if h.source]
    text = answer_question(searcher, follow_up, 5, settings, history=[CONTENT_003]).answer
    assert answer in text and not_answer not in text


def test_an_article_whose_document_has_source_lines_elsewhere_is_not_given_its_header(searcher) -> None:
    # 001's first article has no source rows, its second (Indian Punchline's column) has: they may be the first's too
    from rag.retrieval.sources import SourceRows, sources_first

    passages = searcher.index.passages
    rows = SourceRows(passages)
    doc = passages.doc_ids.index(next(d for d in passages.doc_ids if d.startswith("001_")))
    assert rows.of(doc, 0) == () and rows.of(doc, 1) != () and rows.in_document(doc)
    first = passages.first_of(doc, 0)
    body = next(r for r in range(len(passages)) if passages.doc[r] == doc and passages.article[r] == 0 and r != first)
    assert sources_first([body], {body: 1.0}, passages, rows) == ([body], {body: 1.0}, {})


@pytest.mark.parametrize(("text", "answer"), [
    ("習近平とプーチン...付き従うのみ\n\n“Big Brother” Xi Meets Putin\n\n2023年3月29日(水)11時20分\n"
     "フィリップ・イワノフ(米ジョージタウン大学客員研究員)\n\nプーチンが得たものも大きい。孤立を深める。",
     "習近平とプーチン...付き従うのみ “Big Brother” Xi Meets Putin 2023年3月29日(水)11時20分 "
     "フィリップ・イワノフ(米ジョージタウン大学客員研究員)"),
    ("ロシアは中国を裏切るのか?\n2025年2月28日\n本文の最初の文です。", "ロシアは中国を裏切るのか? 2025年2月28日"),  # a title may ask
    ("Big Brother Xi Meets Putin\nBy John Smith Jr.\nThe two leaders met in Moscow for three days.\nMore.",
     "Big Brother Xi Meets Putin By John Smith Jr."),  # an English body line is prose too
])
def test_a_header_answers_with_its_lines_before_its_prose(text, answer) -> None:
    from rag.answers.extractive import source_answer

    assert source_answer(text, header=True) == answer


def test_the_answer_to_who_wrote_an_article_quotes_the_sources_title_not_its_marker(searcher, built_index) -> None:
    settings, _ = built_index
    answer = answer_question(searcher, WHO_WROTE, 5, settings)
    assert "Andrew Korybko's Newsletter 2025.02.25" in answer.answer
    assert "【引用・参照・底本】" not in answer.answer and answer.covered
    # asked in Japanese, the English title opens the answer too (it scored below the Japanese sentences around it)
    for question, title in (("米国の対ロ交渉姿勢が強硬になったという分析の出典は?", "The US Is Toughening Its Negotiating"),
                            ("中露共同声明についての社説はどの新聞のものか", "Global Times editorial")):
        answer = answer_question(searcher, question, 5, settings)
        assert title in answer.answer.split("[1]", 1)[0], answer.answer  # the answer's first sentence
        assert "【引用・参照・底本】" not in answer.answer and answer.covered
    # a follow-up's answer too: its sentences are scored against the conversation's words and its own, which need
    # not read as a question about the source ("toughening … source?")
    for follow_up in ("source?", "誰が書いた記事ですか"):
        answer = answer_question(searcher, follow_up, 5, settings,
                                 history=["Why is the US toughening its negotiating stance towards Russia?"])
        assert "The US Is Toughening Its Negotiating" in answer.answer.split("[1]", 1)[0], answer.answer
    # a question about content that names the newsletter quotes no source line
    answer = answer_question(searcher, "According to Korybko's newsletter, what did Putin propose to China about "
                             "defence spending?", 5, settings)
    assert "Newsletter" not in answer.answer and answer.covered


def test_an_answer_quotes_a_source_line_only_when_it_is_the_first_hit(searcher) -> None:
    # 003 names its author in its own lines and has no source block: another article's line further down the hits
    # names another article's source, and must not open the answer
    import dataclasses

    from rag.answers.extractive import extractive_answer

    question = "Who wrote the piece about Xi now acting as Putin's 'big brother'?"
    content = searcher.search(question, 1).hits[0]
    line = searcher.search("Whose newsletter is the New Détente analysis from?", 1).hits[0]
    assert content.citation.doc_id.startswith("003_") and searcher.index.is_source(line.passage)
    text, _ = extractive_answer(question, [content, dataclasses.replace(line, rank=2)], searcher, "en")
    assert "Newsletter" not in text and "イワノフ" in text
    # a probe's: the English title of a line at rank 4 matched the English question best of all the sentences. The
    # report's own line now comes first (002's 元ネタ: line, the ISW report's link), and it is the answer, whole
    question = "Who wrote the report about Russia deepening ties with US adversaries?"
    hits = searcher.search(question, 5).hits
    assert hits[0].source and hits[0].passage.text.startswith("元ネタ:https://www.understandingwar.org/")
    text, _ = extractive_answer(question, hits, searcher, "en")
    assert text == f"{hits[0].passage.text} [1]" and "Newsletter" not in text  # a space after a link
    text, _ = extractive_answer(question, [dataclasses.replace(h, rank=h.rank - 1) for h in hits[1:]], searcher, "en")
    assert "Newsletter" not in text and "understandingwar" not in text  # further down, no line is quoted
    text, _ = extractive_answer(question, [dataclasses.replace(line, rank=1), dataclasses.replace(content, rank=2)],
                                searcher, "en")
    assert text.startswith("Russia & The US")  # first, it is the line the search put first: its title is quoted


def test_a_follow_up_on_content_is_not_shown_source_lines_that_its_earlier_turns_asked_for(searcher) -> None:
    # the follow-up's search joins the earlier turns' words ("newsletter …"): its own words decide, not theirs
    from rag.retrieval.conversation import search_conversation

    for asked, follow_up in (("What is the byline of the New Détente analysis?", "And what about the UN vote?"),
                             ("新デタントの分析の出典は?", "じゃあ国連での投票は?")):
        found = search_conversation(searcher, [asked, follow_up], 10)
        assert found.context is not None and asks_for_source(found.context)  # the joined words do ask for it
        assert not [h for h in found.result.hits if searcher.index.is_source(h.passage)]
    # a follow-up that asks for the source gets the line of the article the conversation is about, first
    stance = "Why is the US toughening its negotiating stance towards Russia?"
    for turns, doc, article in ((["What does the New Détente analysis say about China?", "Who wrote it?"], "000_", 0),
                                (["How is the US toughening its negotiating stance towards Russia?",
                                  "Who wrote that analysis?"], "004_", 0),
                                (["中露共同声明の意義は何ですか", "出典は?"], "004_", 1),
                                # a probe's: these named no topic and stood alone, or "analysis" found 000's
                                # "この分析は…" and its line
                                *(([stance, f], "004_", 0) for f in ("source?", "Whose analysis is this?",
                                                                    "元記事はどこ?", "What is the original source?",
                                                                    "誰が書いた記事ですか", "この記事は誰が書いたの?"))):
        first = search_conversation(searcher, turns, 10).result.hits[0]
        assert searcher.index.is_source(first.passage), turns
        assert first.citation.doc_id.startswith(doc) and first.passage.article == article, turns
    # a second probe's: after a Japanese question, the earlier turn's words alone found another article, and
    # lower-case "source?" fared otherwise than "Source?"; now the turn before is searched again, as about the source
    for follow_up in ("著者は?", "元記事はどこ?", "誰が書いたの?", "Who wrote it?", "source?", "Source?"):
        first = search_conversation(searcher, ["ロシアは中国を裏切るのか?", follow_up], 10).result.hits[0]
        assert searcher.index.is_source(first.passage) and first.citation.doc_id.startswith("000_"), follow_up
    # after a question about 002 (no source block: a 元ネタ: line), its line is put first, no other article's
    isw = "What did the ISW report say about Putin strengthening ties with US adversaries?"
    for follow_up in ("Whose analysis is this?", "source?"):
        first = search_conversation(searcher, [isw, follow_up], 10).result.hits[0]
        assert first.citation.doc_id.startswith("002_") and first.passage.text.startswith("元ネタ:"), follow_up
    # an earlier turn no search takes (pasted text over the limit, a NUL) is read for its words, as before: the
    # follow-up is not refused for it
    for earlier in ("ロシアと中国の関係について " * 400, "What about\x00 Lavrov?"):
        assert search_conversation(searcher, [earlier, "source?"], 5).result.hits
    # a reviewer's: small talk or a blank turn between the question and the follow-up sent the search to that turn
    for between in ("Thanks!", "ありがとう", ""):
        first = search_conversation(searcher, ["ロシアは中国を裏切るのか?", between, "著者は?"], 10).result.hits[0]
        assert searcher.index.is_source(first.passage) and first.citation.doc_id.startswith("000_"), between
    # and a turn before the follow-up whose own earlier turns carry nothing kept the follow-up's question about the
    # source only on the way in: no line at all came back
    hits = search_conversation(searcher, ["hi", "And the UN vote?", "source?"], 10).result.hits
    assert searcher.index.is_source(hits[0].passage)
    # after small talk there is no article to be about: the question is searched alone, as before
    assert search_conversation(searcher, ["hi", "source?"], 5).context is None
    # one that names its own article stands alone: the conversation's article does not take its place
    found = search_conversation(searcher, [stance, "Who wrote the Newsweek piece about Xi and Putin?"], 10)
    assert found.context is None and found.result.hits[0].citation.doc_id.startswith("003_")


@pytest.mark.parametrize(("question", "kind"), [
    ("Can you give me the link to the original article?", LINK), ("url of the original isw backgrounder", LINK),
    ("元記事へのリンクを教えて", LINK), ("出典のURLは?", LINK),
    ("Which blog published the post on Putin's ties with US adversaries?", PUBLISHER),
    ("What is the name of the blog that ran it?", PUBLISHER), ("どのブログに載った記事?", PUBLISHER),
    ("ブログの名前は?", PUBLISHER),
    # the original, not the site that reposted it
    ("Which website originally published the article?", ORIGINAL), ("Which outlet first ran the piece?", ORIGINAL),
    ("もともとどの媒体に掲載されたもの?", ORIGINAL), ("Who wrote it?", ORIGINAL), ("元ネタはどこのレポート?", ORIGINAL),
    ("What is the analysis based on?", ORIGINAL),
])
def test_a_question_about_an_articles_origin_says_which_of_its_source_rows_answers_it(question, kind) -> None:
    assert source_kind(question) == kind


def test_a_post_with_no_source_block_is_answered_by_its_header_and_its_moto_neta_lines(searcher, built_index) -> None:
    """002 names its blog only in its page's header and its sources only in 元ネタ:/参考ネタ: lines, which were no
    passage: "Which blog published it?" and "link to the original?" found nothing to answer with. Each of those lines
    is a row of its own now; the blog's name answers the first, the ISW report's link the second."""
    settings, _ = built_index
    topic = "the post on Putin deepening ties with US adversaries while US-Russia talks began"
    for question, line in ((f"Which blog published {topic}?", "しゅうさんのミリタリー雑談ブログ"),
                           (f"{topic}: which blog is it from?", "しゅうさんのミリタリー雑談ブログ"),
                           (f"Link to the original report behind {topic}?", "元ネタ:https://www.understandingwar.org/"),
                           (f"{topic}: what is it based on?", "元ネタ:https://www.understandingwar.org/")):
        hits = searcher.search(question, top_k=10).hits
        assert hits[0].source and hits[0].passage.text.startswith(line), (question, hits[0].passage.text)
        answer = answer_question(searcher, question, 5, settings)
        assert answer.answer == f"{hits[0].passage.text}{' ' if '://' in line else ''}[1]", answer.answer
        assert answer.covered
        assert answer.citations[0].doc_id.startswith("002_")
    # on its topic, none of them is shown, in any ranking
    for mode in searcher.modes:
        assert _source_hits(searcher, f"What did {topic} say about North Korea?", mode) == [], mode


def test_a_link_asked_for_is_the_source_blocks_link_without_its_tracking_query(searcher, built_index) -> None:
    settings, _ = built_index
    for question in ("Can you give me the link to the original article about the US toughening its negotiating "
                     "stance towards Russia?", "米国が和平交渉で立場を強硬化させているという記事の元記事のURLは?"):
        answer = answer_question(searcher, question, 5, settings)
        assert answer.answer == ("The US Is Toughening Its Negotiating Stance Towards Russia Andrew Korybko's "
                                 "Newsletter 2025.05.10 "
                                 "https://open.substack.com/pub/korybko/p/the-us-is-toughening-its-negotiating [1]"
                                 ), answer.answer
        # the citation carries the link as the page gave it
        assert answer.citations[0].url.startswith("https://open.substack.com/pub/korybko/p/the-us-is-toughening-its-"
                                                  "negotiating?utm_source=")


def test_an_articles_feed_headline_answers_for_its_original_title(searcher, built_index) -> None:
    settings, _ = built_index
    answer = answer_question(searcher, "中露首脳会談の「内部路線」の記事の元の英語の見出しは?", 5, settings)
    assert answer.answer == "The ‘inside track’ of Putin-Xi Jinping talks - Indian Punchline[1]", answer.answer


@pytest.mark.parametrize("turns", [
    ["What did Lavrov say about an alliance with China?", "And Iran?", "Who wrote it?"],
    ["ラヴロフ外相は中国との同盟について何と言ったか", "じゃあイランは?", "著者は?"],
])
def test_who_wrote_it_after_a_follow_up_about_another_name_is_told_that_answers_article(searcher, turns) -> None:
    """A probe's: "And Iran?" after the Lavrov question is answered from the ISW report (002); "Who wrote it?" then
    got the Iran passages again, 002's line third under them, and 著者は? 001's line (002's was not among the hits):
    each of the two searches the follow-up fuses put its own article's line first."""
    from rag.retrieval.conversation import search_conversation

    answered_from = search_conversation(searcher, turns[:2], 10).result.hits[0].citation.doc_id
    hits = search_conversation(searcher, turns, 10).result.hits
    assert searcher.index.is_source(hits[0].passage) and hits[0].citation.doc_id == answered_from
    assert [h.rank for h in hits] == list(range(1, len(hits) + 1))
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_a_header_already_first_in_a_fused_follow_up_is_flagged_as_the_source(searcher, built_index) -> None:
    # a reviewer's: when the follow-up's fused ranking already has the header first, it must still be marked as the
    # source that answers, or the answer quotes its prose as for any question
    from rag.retrieval.conversation import search_conversation

    settings, _ = built_index
    turns = ["Who is the big brother now, Xi or Putin?", "Who wrote this?"]
    hits = search_conversation(searcher, turns, 5).result.hits
    assert hits[0].citation.doc_id.startswith("003_") and hits[0].source and hits[0].passage.start < 20
    text = answer_question(searcher, turns[1], 5, settings, history=turns[:1]).answer
    assert "フィリップ・イワノフ" in text and "プーチンが得たものも大きい" not in text


def test_source_lines_first_flags_an_unflagged_header_that_is_already_first(searcher) -> None:
    # a fused follow-up may hold the header unflagged (taken from the search that did not rank it first): in place, it
    # is still the answer's source
    from dataclasses import replace

    from rag.types import Hit

    passages = searcher.index.passages
    header = passages.first_of(next(i for i, d in enumerate(passages.doc_ids) if d.startswith("003_")), 0)
    others = [h for h in searcher.search(CONTENT_003, 5).hits if h.passage.passage_id != passages[header].passage_id]
    top = Hit(rank=1, score=1.0, passage=passages[header], citation=searcher.index.citation(header))
    fused = (top, *(replace(h, rank=i + 2, score=0.5 - i / 100) for i, h in enumerate(others)))
    out = searcher.source_lines_first(fused, ORIGINAL)
    assert out[0].passage.passage_id == top.passage.passage_id and out[0].source
    assert [h.passage.passage_id for h in out] == [h.passage.passage_id for h in fused]
