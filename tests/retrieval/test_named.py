"""A name only the lexical signal reads (rag/retrieval/named.py): when the fused ranking's first passages write the
question's name nowhere, BM25's best passage that does goes first."""

from __future__ import annotations

import pytest

from rag.retrieval.named import CHECKED, names_first, question_names


def test_the_names_are_capitalised_words_only_the_name_dictionaries_hold_in_the_terms_that_write_a_name(
        searcher) -> None:
    """A tenth probe's "What did Miyashita say?" (宮下, a JMnedict surname); not a ship's "Maru" (円 to JMnedict), nor a
    word a pair of words let through, nor a question's first word (which any question capitalises)."""
    bridge, entries = searcher.bridge, searcher.analyzer
    assert question_names(bridge, "What did Lavrov say about China?", entries) == [["ラブロフ"]]
    assert question_names(bridge, "How many passengers were aboard the ferry Setokaze Maru?", entries) == []
    assert question_names(bridge, "By what percentage have prices risen from a year earlier?", entries) == []
    assert question_names(bridge, "Lavrov said what?", entries) == []
    assert question_names(bridge, "what did lavrov say", entries) == []
    assert question_names(None, "What did Lavrov say?", entries) == []
    # a word in Japanese syllables by the kanji Sudachi reads as it: "Kobayashi" is no 神林, which reads Kanbayashi
    # (a reviewer's, in an index that held 神林 and no 小林)
    from rag.stores.bridge import Bridge

    probe = Bridge({"kobayashi": ["神林"], "miyashita": ["宮下"]}, words=["what", "did", "say"])
    assert question_names(probe, "What did Kobayashi say?", entries) == []
    assert question_names(probe, "What did Miyashita say?", entries) == [["宮下"]]
    # a word no dictionary of the table holds, read by the vocabulary's nouns: a place (a twenty-second probe's
    # "Tsuganomori Kanko": 栂ノ森, ninth under passages on presidents), not a person's name (a famous "Ohtani" the
    # index never names put a chairlift operator's 小谷 first, a reviewer's)
    read = Bridge({}, words=["what", "did", "the", "president", "of", "say"],
                  readings={"tsuganomori": ["栂ノ森"], "otani": ["小谷"]})
    assert question_names(read, "What did the president of Tsuganomori say?", entries) == [["栂ノ森"]]
    assert question_names(read, "What did Ohtani say?", entries) == []


def test_a_japanese_name_after_a_title_is_a_name_whatever_the_dictionaries_call_its_kanji(searcher) -> None:
    """A nineteenth probe's "What did Mayor Kai say at the press conference?": JMdict's "kai" (皆) kept the word from the
    names, and Sudachi holds 甲斐 as a word ("worth"), so the answer opened with another city's mayor. After a title,
    a word read in Japanese syllables names whoever the kanji reading as it write; not the kanji that read otherwise
    (皆: みな), nor without the title, nor a word of no Japanese reading (President Trump: by the name terms alone)."""
    from rag.stores.bridge import Bridge

    entries = searcher.analyzer
    probe = Bridge({"kai": ["皆", "甲斐"], "mayor": ["市長"]}, words=["what", "did", "say", "kai", "mayor"])
    assert question_names(probe, "What did Mayor Kai say?", entries) == [["甲斐"]]
    assert question_names(probe, "What did mayor Kai say?", entries) == [["甲斐"]]
    assert question_names(probe, "What did Kai say?", entries) == []
    assert question_names(probe, "What did the mayor say about Kai?", entries) == []
    # a reviewer's: the name's punctuation and possessive, a given name before it, and a given name alone is no
    # surname ("Ambassador Yuri Ushakov": not 有利)
    for asked in ("Who is Mayor Kai?", "What did Mayor Kai's office say?", "What did Mayor Hiroshi Kai say?",
                  # a second reviewer's: surname first, as NHK writes, and a list of titled names
                  "What did Mayor Kai Hiroshi say?", "What did Mayor Kai, Governor Suzuki and Mayor Sato say?"):
        assert question_names(probe, asked, entries) == [["甲斐"]], asked
    # a question in title case: its stop words end the name ("Say" was read as a name's part, a third reviewer's)
    assert question_names(probe, "What Did Mayor Kai Say About The Flood?", entries) == [["甲斐"]]
    envoy = Bridge({"yuri": ["有利"], "ushakov": ["ウシャコフ"]}, words=["what", "did", "say", "yuri", "ambassador"])
    assert ["有利"] not in question_names(envoy, "What did Ambassador Yuri Ushakov say?", entries)


def test_a_ranking_whose_first_passages_do_not_write_the_name_gets_bm25s_best_that_does_first(searcher) -> None:
    """On the session index: a ranking of passages that do not write ラブロフ (the fused top five of a question the
    embedders read as about something else) gets the passage BM25 ranks first among those that do, scoring as the
    first did; a ranking whose first passages write it, or hold a passage of that one's article, is left as it is."""
    index = searcher.index
    passages = index.passages

    def text_of(row: int) -> str:
        return passages[row].text

    def article_of(row: int) -> tuple[int, int]:
        return int(passages.doc[row]), int(passages.article[row])

    def rows_of(question: str, mode: str) -> list[int]:
        return [passages.row_of(h.passage.passage_id) for h in searcher.search(question, top_k=10, mode=mode).hits]

    names = [["ラブロフ"]]
    lexical_rows = rows_of("What did Lavrov say?", "bm25")
    lexical = {r: float(len(lexical_rows) - i) for i, r in enumerate(lexical_rows)}
    best = next(r for r in lexical_rows if "ラブロフ" in text_of(r))
    others = [r for r in rows_of("北朝鮮の核実験", "hybrid") if "ラブロフ" not in text_of(r)
              and article_of(r) != article_of(best)][:CHECKED + 2]
    assert len(others) > CHECKED
    scores = {r: 10.0 - i for i, r in enumerate(others)}
    rows, moved_scores, changes = names_first(others, scores, lexical, text_of, article_of, names)
    assert rows == [best, *others] and moved_scores[best] == scores[others[0]] and set(changes) == {best}
    # a passage that writes the name among the first ones, or one of its article: as they are
    for kept in ([*others[:2], best, *others[2:]], [*others[:2], *[r for r in range(len(passages))
                 if article_of(r) == article_of(best) and r != best][:1], *others[2:]]):
        kept_scores = {r: 10.0 - i for i, r in enumerate(kept)}
        assert names_first(kept, kept_scores, lexical, text_of, article_of, names)[0] == kept
    # any of the names: "What did Sergei Lavrov say…?" is answered by passages that write ラブロフ and not セルゲイ
    surname_only = next(r for r in range(len(passages)) if "ラブロフ" in text_of(r) and "セルゲイ" not in text_of(r))
    ranked = [surname_only, *others[:CHECKED]]
    ranked_scores = {r: 10.0 - i for i, r in enumerate(ranked)}
    assert names_first(ranked, ranked_scores, lexical, text_of, article_of, [["セルゲイ"], ["ラブロフ"]])[0] == ranked
    # one of the first that writes it goes first when the first is of an article that writes it nowhere (a
    # seventeenth probe's: "What did vice president Kenichiro Murase say…?" found a blog's press conference first);
    # the first stays when its article writes it (a passage of his article that names him no more)

    def article_text(row: int) -> str:
        raw, article = passages.article_of(passages[row].doc_id, passages[row].article)
        return raw[article.start:article.end]
    elsewhere = [r for r in others if "ラブロフ" not in article_text(r)]
    assert len(elsewhere) >= 2
    rest = [r for r in others if r not in elsewhere[:2]][:2]
    fourth = [*elsewhere[:2], best, *rest]
    fourth_scores = {r: 10.0 - i for i, r in enumerate(fourth)}
    rows, moved_scores, changes = names_first(fourth, fourth_scores, lexical, text_of, article_of, names, article_text)
    assert rows == [best, *elsewhere[:2], *rest] and moved_scores[best] == 10.0 and set(changes) == {best}
    assert names_first(fourth, fourth_scores, lexical, text_of, article_of, names)[0] == fourth  # no article text
    silent = next(r for r in range(len(passages)) if article_of(r) == article_of(best) and "ラブロフ" not in text_of(r))
    own = [silent, elsewhere[0], best]
    own_scores = {r: 10.0 - i for i, r in enumerate(own)}
    assert names_first(own, own_scores, lexical, text_of, article_of, names, article_text)[0] == own
    # no name, no lexical ranking, or no passage BM25 found that writes it: as they are
    assert names_first(others, scores, lexical, text_of, article_of, [])[0] == others
    assert names_first(others, scores, None, text_of, article_of, names)[0] == others
    assert names_first(others, scores, lexical, text_of, article_of, [["存在しない名前"]])[0] == others


@pytest.mark.parametrize("question", ["What did Lavrov say about an alliance with China?", "What did Xi say?"])
def test_a_question_whose_fused_passages_write_its_name_ranks_as_before(searcher, question) -> None:
    """The embedders know famous names, and the passages they rank first write them: nothing moves."""
    found = searcher.search(question, top_k=5)
    assert all("name" not in h.scores for h in found.hits)
