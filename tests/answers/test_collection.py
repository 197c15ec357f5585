"""A question about the collection itself ("What articles do you have?", 記事は何本ある?) is answered from the index's
list of articles (rag/answers/collection.py): how many it holds, and the newest, each cited by its first passage.
Real embedders on the session index of the real seeds."""

from __future__ import annotations

import re

import pytest

from rag.answers.collection import LISTED, asks_about_collection
from rag.answers.service import answer_question, retrieve
from rag.answers.streaming import stream_answer


@pytest.mark.parametrize("question", [
    "What articles do you have?", "Which articles are in the index?", "How many articles are there?",
    "How many documents do you have?", "List the articles", "What can I ask?", "What can I ask about?",
    "What do you cover?", "What's in the index?", "What kinds of topics can you answer?",
    "記事は何本ある?", "記事は全部で何件ありますか", "どんな記事がある?", "どんな話題について聞ける?", "記事の一覧",
    "何について聞ける?", "索引には何が入っている?", "How many articles are in the collection?", "Show all 7 articles",
    "What is the oldest article?", "What topics do the articles cover?", "一番新しい記事は?", "全部の記事を見せて",
])
def test_a_question_about_what_the_index_holds_is_recognised(question) -> None:
    assert asks_about_collection(question)


@pytest.mark.parametrize("question", [
    "How many articles did Korybko write about China?", "What articles of the treaty did Russia cite?",
    "Which documents did Xi and Putin sign?", "How many documents were signed?", "What topics did Lavrov discuss?",
    "List the sources of tension between the US and China", "What do you know about Korybko?",
    "How many documents are there in the joint statement?", "What topics are covered in the statement?",
    "What can I ask Lavrov?", "共同声明の文書はいくつ署名された?", "どんな文書に署名した?", "何について話し合った?",
    "ロシアはどんな資料を持っている?", "プーチンは何について知っている?",
])
def test_a_question_on_a_topic_is_not(question) -> None:
    assert not asks_about_collection(question)


def _counts(searcher) -> tuple[int, int]:
    documents = searcher.index.passages.documents
    return sum(len(d.articles) for d in documents), len(documents)


@pytest.mark.parametrize("question, heading", [
    ("What articles do you have?", "The index holds {a} articles in {d} documents."),
    ("記事は何本ある?", "索引には{d}件の文書に{a}本の記事があります。"),
])
def test_the_answer_counts_the_articles_and_cites_the_newest_by_their_first_passages(searcher, built_index, question,
                                                                                     heading) -> None:
    settings, _ = built_index
    articles, documents = _counts(searcher)
    answer = answer_question(searcher, question, 5, settings)
    assert answer.answer.startswith(heading.format(a=articles, d=documents)) and answer.covered
    # every article, up to at least LISTED of them (top_k, when larger)
    assert len(answer.citations) == min(max(5, LISTED), articles) == len(re.findall(r"\[\d+\]", answer.answer))
    for h in answer.passages:  # each an article's first passage: no passage of its article starts before it
        passages = searcher.index.passages
        assert not any(p.doc_id == h.passage.doc_id and p.article == h.passage.article and p.start < h.passage.start
                       for p in passages)
    dates = [c.published for c in answer.citations if c.published]
    assert dates == sorted(dates, reverse=True) and dates  # the newest first
    assert all(c.title in answer.answer for c in answer.citations)


def test_it_is_answered_so_after_other_turns_and_when_streamed(searcher, built_index) -> None:
    settings, _ = built_index
    alone = answer_question(searcher, "What articles do you have?", 5, settings)
    after = answer_question(searcher, "What articles do you have?", 5, settings,
                            history=["What did Lavrov say about an alliance with China?"])
    assert after.answer == alone.answer and after.citations == alone.citations
    *pieces, streamed = list(stream_answer(retrieve(searcher, "What articles do you have?", 5), searcher, settings))
    assert "".join(pieces) == alone.answer and streamed.citations == alone.citations


def test_a_question_about_the_collection_is_still_checked_as_a_question(searcher, built_index) -> None:
    from rag.errors import QueryError

    settings, _ = built_index
    with pytest.raises(QueryError):
        answer_question(searcher, "What articles do you have?\x00", 5, settings)


@pytest.mark.parametrize("question", [
    # a reviewer's: counts and kinds of a topic's documents, and "sources" after an answer (that answer's)
    "中露が署名した文書はいくつありますか?", "署名された文書は何件ありますか?", "ロシアの記事は何本ある?",
    "コリブコの記事は何本ありますか?", "中国に関する記事は何件ありますか?", "索引に何か中国の記事はある?",
    "どんな資料がある?プーチンについて", "What sources do you have?", "List the sources",
])
def test_a_count_or_a_kind_of_a_topics_documents_is_a_question_on_the_topic(question) -> None:
    assert not asks_about_collection(question)


def test_a_bad_top_k_is_refused_as_for_a_search(searcher, built_index) -> None:
    from rag.errors import QueryError

    settings, _ = built_index
    for top_k in (0, -1, settings.max_top_k + 1):
        with pytest.raises(QueryError, match="top_k"):
            answer_question(searcher, "What articles do you have?", top_k, settings)


def test_with_a_model_configured_the_list_is_still_answered_as_it_is(searcher, built_index) -> None:
    # a reviewer's: the model was given the articles' first passages without the count, and could only guess it
    try:
        from answers.fake_llm import FakeLLM
    except ImportError:  # pragma: no cover - when tests/ becomes a package
        from tests.answers.fake_llm import FakeLLM

    settings, _ = built_index
    articles, documents = _counts(searcher)
    with FakeLLM(["reply"], content="There are 5 articles [1].") as llm:
        with_model = settings.replace(llm_base_url=llm.base_url)
        answer = answer_question(searcher, "How many articles are there?", 5, with_model)
        *pieces, streamed = list(stream_answer(retrieve(searcher, "How many articles are there?", 5), searcher,
                                               with_model))
    assert answer.generator == "extractive" and f"{articles} articles in {documents} documents" in answer.answer
    assert streamed.generator == "extractive" and "".join(pieces) == answer.answer
    assert not llm.requests  # the model was not asked
