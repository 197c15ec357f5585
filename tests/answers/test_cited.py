"""A question about a numbered source of the answer before ("Tell me more about [2]") is searched within that source's
document, the cited passage first, then its article's (rag/answers/service.py `retrieve`, `_cited_first`). Real
embedders on the session index of the real seeds."""

from __future__ import annotations

from rag.answers.service import retrieve


def _statement_header(searcher):
    # 004 holds two articles: Korybko's on the US stance (0), and the Global Times' on the joint statements (1)
    passages = searcher.index.passages
    doc = next(i for i, d in enumerate(passages.doc_ids) if d.startswith("004_"))
    return passages[passages.first_of(doc, 1)]


def test_the_cited_passage_comes_first_then_its_articles_though_the_conversation_is_on_the_other_article(searcher):
    cited = _statement_header(searcher)
    earlier = ["米国は和平交渉でどんな立場をとっている?"]  # the document's other article
    found = retrieve(searcher, "[2]について詳しく教えて", 5, earlier, cited={2: cited.passage_id})
    hits = found.result.hits
    assert {h.passage.doc_id for h in hits} == {cited.doc_id}
    assert hits[0].passage.passage_id == cited.passage_id
    articles = [h.passage.article for h in hits]
    assert articles == sorted(articles, key=lambda a: a != cited.article)  # its article's passages before the rest
    assert [h.rank for h in hits] == [1, 2, 3, 4, 5]
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_a_number_the_answer_before_did_not_list_leaves_the_question_as_it_was(searcher):
    cited = _statement_header(searcher)
    earlier = ["米国は和平交渉でどんな立場をとっている?"]
    listed = retrieve(searcher, "[3]について詳しく教えて", 5, earlier, cited={2: cited.passage_id})
    plain = retrieve(searcher, "[3]について詳しく教えて", 5, earlier)
    assert listed.result.hits == plain.result.hits


def test_several_numbers_are_searched_within_their_documents(searcher):
    passages = searcher.index.passages
    first = passages[passages.first_of(next(i for i, d in enumerate(passages.doc_ids) if d.startswith("000_")), 0)]
    cited = _statement_header(searcher)
    found = retrieve(searcher, "Compare [1] and [2].", 10, ["What did Lavrov say about an alliance with China?"],
                     cited={1: first.passage_id, 2: cited.passage_id})
    assert {h.passage.doc_id for h in found.result.hits} <= {first.doc_id, cited.doc_id}


def test_who_wrote_a_cited_source_is_told_its_articles_source_not_its_documents_other_article(searcher):
    # a reviewer's: after "What articles do you have?" (its [1], the Global Times article in 004), "Who wrote source
    # 1?" named Korybko, the author of 004's other article
    cited = _statement_header(searcher)
    found = retrieve(searcher, "Who wrote source 1?", 5, ["What articles do you have?"], cited={1: cited.passage_id})
    hits = found.result.hits
    assert hits[0].source and hits[0].passage.doc_id == cited.doc_id and hits[0].passage.article == cited.article
    assert "Korybko" not in hits[0].passage.text
    assert not [h for h in hits if h.source and h.passage.article != cited.article]
    assert len({h.passage.passage_id for h in hits}) == len(hits)


def test_a_cited_source_line_is_not_shown_twice(searcher):
    passages = searcher.index.passages
    line = next(p for p in passages if p.doc_id.startswith("000_") and searcher.index.is_source(p))
    found = retrieve(searcher, "Who wrote source 1?", 5, ["What is the New Détente?"], cited={1: line.passage_id})
    ids = [h.passage.passage_id for h in found.result.hits]
    assert ids[0] == line.passage_id and len(set(ids)) == len(ids)


def test_a_forged_view_url_past_any_document_is_no_passage(searcher):
    from api.chat_schemas import ChatMessage
    from api.openai_compat import cited_before

    passages = searcher.index.passages
    doc = passages.doc_ids[0]
    assert passages.row_of(f"{doc}#{1 << 40}-{(1 << 40) + 10}") is None  # its start would spill into the key's doc
    footer = f"An answer [1].\n\nSources:\n[1] T http://h/documents/{doc}?start=1099511627776123&end=1099511627776200"
    messages = [ChatMessage(role="user", content="q"), ChatMessage(role="assistant", content=footer),
                ChatMessage(role="user", content="Tell me more about [1]")]
    assert cited_before(messages) == {}  # more digits than any offset has


def test_a_follow_up_about_a_numbered_source_is_about_that_sources_document_not_the_first_ones(searcher):
    """出典2の会談はいつ?: the answer's date may lead only from source 2's document, the one searched; the first source's
    document is what a follow-up that names no source is about."""
    passages = searcher.index.passages
    first = passages[passages.first_of(next(i for i, d in enumerate(passages.doc_ids) if d.startswith("000_")), 0)]
    cited = _statement_header(searcher)
    earlier = ["What did Lavrov say about an alliance with China?"]
    sources = {1: first.passage_id, 2: cited.passage_id}
    assert retrieve(searcher, "出典2の会談はいつ?", 5, earlier, cited=sources).answered == cited.doc_id
    assert retrieve(searcher, "When was that?", 5, earlier, cited=sources).answered == first.doc_id
    assert retrieve(searcher, "Compare [1] and [2].", 5, earlier, cited=sources).answered is None
    assert retrieve(searcher, "When did Putin visit China?", 5, earlier, cited=sources).answered is None  # alone
