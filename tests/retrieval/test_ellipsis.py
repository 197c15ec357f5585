"""A follow-up that asks the question before about another name ("What about the US?", "And Iran?", じゃあ習近平は?):
among its first passages, those that mention the name come first (rag/retrieval/ellipsis.py, reorder.py)."""

from __future__ import annotations

import pytest

from rag.retrieval.conversation import search_conversation
from rag.retrieval.ellipsis import mentions, named_terms
from rag.retrieval.followup import depends_on_context
from rag.retrieval.reorder import NAMED_DEPTH, named_first

LAVROV = "What did Lavrov say about an alliance with China?"
LAVROV_JA = "ラブロフ外相は中国との同盟について何と言った?"


@pytest.mark.parametrize("follow_up, spellings", [
    ("What about the US?", {"US", "米国"}),
    ("And what about the U.S.?", {"USA", "米国", "アメリカ"}),  # read as USA (US would be the pronoun in lower case)
    ("And Iran?", {"Iran", "イラン"}),
    ("And North Korea?", {"North Korea", "北朝鮮"}),
    ("What about Xi Jinping?", {"Xi Jinping", "習近平"}),
    ("What about America?", {"America", "米国", "アメリカ"}),  # every term of its groups
    ("And the IAEA?", {"IAEA", "国際原子力機関"}),
    ("And in the SCO?", {"SCO", "上海協力機構"}),  # its definition written out, not 協力 alone
    ("じゃあ習近平は?", {"習近平"}),
    ("じゃあラヴロフ外相は?", {"ラブロフ"}),  # as BM25 reads it
    ("米国については?", {"米国", "アメリカ"}),  # and the names that write it alike, first sense for first sense
    ("じゃあアメリカは?", {"アメリカ", "米国"}),
    ("ヨーロッパについては?", {"ヨーロッパ", "欧州"}),
    ("じゃあ中国は?", {"中国"}),  # not 韓国, which JMdict glosses "China" in an archaic entry only
    ("じゃあバンスは?", {"バンス"}),  # a person: not 前進, which JMdict's first sense of バンス ("advance") shares
    ("アメリカのほうは?", {"アメリカ", "米国"}),  # のほう says how it relates to the question before: no word of its own
    ("じゃあ南アメリカは?", {"アメリカ"}),  # cut out of a longer place name: not 米国
    ("じゃあアメリカ大陸は?", {"アメリカ"}),
    ("あとアメリカは?", {"アメリカ", "米国"}),  # あと, a noun to Sudachi, opens the follow-up
    ("ではイランの場合は?", {"イラン"}),
    ("And what did he say about the US?", {"US", "米国"}),
    ("And what does Iran say about negotiations?", {"Iran", "イラン"}),  # two words of its own at most
    ("And Iran's supreme leader?", {"Iran", "イラン"}),  # the possessive is the name
    # typed all in lower case: a word (or two the bridge knows together) whose term is a place's or a person's
    ("and iran?", {"iran", "イラン"}),
    ("what about xi jinping", {"xi jinping", "習近平"}),
    ("how about iran and india?", {"iran", "イラン", "india", "インド"}),
])
def test_a_follow_up_that_asks_about_another_name_gives_the_ways_a_passage_writes_it(searcher, follow_up,
                                                                                    spellings) -> None:
    # each way as BM25's analyzer reads it (上海協力機構: 上海, 協力, 機構 in a row)
    expected = {tuple(searcher.analyzer.terms(s)) for s in spellings}
    assert named_terms(follow_up, searcher.analyzer, searcher.bridge) == expected


@pytest.mark.parametrize("question", [
    "How did it affect China?",  # asks about "it", and China is another part of it
    "その時、中国はどうした?",
    "And how long did it last?",  # names nothing
    "Thanks!",
    "and sanctions?",  # all lower case: sanctions is no place nor person
    "and the allies?",  # nor is an ordinary word that Sudachi reads as a name only before 氏 (協力者氏)
    "and the cost?",
    "And at 9 A.M.?",  # not an acronym AM, nor "H.R." 人事 (a review's): news English dots U.S., U.K., U.N., E.U.
    "And H.R. McMaster?",
    "what about nato?",  # an organisation needs its capitals
    "What did Lavrov say about an alliance with China?",  # a question of its own: more than a name
    "中国は北朝鮮に何を輸出しているのか",
    "So what are the secondary sanctions Trump threatened to impose on buyers of Russian oil?",  # a question of its own
])
def test_a_question_that_does_not_ask_the_last_one_about_another_name_gives_none(searcher, question) -> None:
    assert named_terms(question, searcher.analyzer, searcher.bridge) == frozenset()


@pytest.mark.parametrize("question, follow_up", [("米国については?", True), ("イランの場合は?", True),
                                                ("停戦については?", False), ("関税について", False)])
def test_a_japanese_question_that_only_names_a_place_and_asks_about_it_is_a_follow_up(searcher, question,
                                                                                      follow_up) -> None:
    # 停戦について names a topic of its own: it stands alone after any question, as before
    assert depends_on_context(question, searcher.analyzer) is follow_up
    found = search_conversation(searcher, [LAVROV_JA, question], 5, "hybrid")
    assert found.dependent is follow_up
    if not follow_up:
        assert found.result.hits == searcher.search(question, 5, "hybrid").hits


def test_a_name_is_found_among_a_passages_terms_in_a_row_not_inside_a_longer_word(searcher) -> None:
    a = searcher.analyzer
    assert mentions("ラヴロフ外相は述べた", frozenset({("ラブロフ",)}), a)  # the spelling the question did not use
    assert mentions("ＮＡＴＯの東方拡大", frozenset({("nato",)}), a)  # full width
    assert mentions("上海協力機構の外相会議", frozenset({("上海", "協力", "機構")}), a)
    assert not mentions("インドネシアの首都", frozenset({("インド",)}), a)
    assert not mentions("AUKUS and the Quad", frozenset({("us",)}), a)
    assert not mentions("talks in Moscow", frozenset({("sco",)}), a)
    assert not mentions("協力と機構と上海", frozenset({("上海", "協力", "機構")}), a)  # not in a row


def test_the_passages_that_mention_the_name_come_first_and_the_scores_stay_in_their_places(searcher) -> None:
    hits = searcher.search(LAVROV, 12, "hybrid").hits
    names = frozenset({("米国",)})
    moved = named_first(hits, lambda text: mentions(text, names, searcher.analyzer), NAMED_DEPTH)
    assert sorted(h.passage.passage_id for h in moved) == sorted(h.passage.passage_id for h in hits)
    head = ["米国" in h.passage.text for h in moved[:NAMED_DEPTH]]
    assert head == sorted(head, reverse=True) and any(head) and not all(head)  # those that mention it, then the rest
    assert moved[NAMED_DEPTH:] == tuple(hits[NAMED_DEPTH:])  # below the depth nothing moves
    assert [h.score for h in moved] == [h.score for h in hits] and [h.rank for h in moved] == list(range(1, 13))
    mentioning = [h for h in hits[:NAMED_DEPTH] if "米国" in h.passage.text]
    assert [h.passage.passage_id for h in moved[:len(mentioning)]] == [h.passage.passage_id for h in mentioning]


@pytest.mark.parametrize("turns", [[LAVROV, "What about the US?"], [LAVROV_JA, "じゃあ米国については？"]])
def test_what_about_the_us_after_the_lavrov_question_is_answered_from_passages_that_mention_the_us(searcher,
                                                                                                  turns) -> None:
    found = search_conversation(searcher, turns, 5, "hybrid")
    assert found.dependent
    mentions = ["米国" in h.passage.text for h in found.result.hits]
    assert mentions[0] and mentions == sorted(mentions, reverse=True)
    assert [h.rank for h in found.result.hits] == [1, 2, 3, 4, 5]


def test_a_japanese_follow_up_finds_the_passages_that_write_the_name_another_way(searcher) -> None:
    # じゃあアメリカは? after the Lavrov question: Lavrov's article writes 米国, never アメリカ
    found = search_conversation(searcher, [LAVROV_JA, "じゃあアメリカは?"], 5, "hybrid")
    assert found.dependent
    writes = [("米国" in h.passage.text, "アメリカ" in h.passage.text) for h in found.result.hits]
    named = [us or america for us, america in writes]
    assert named[0] and named == sorted(named, reverse=True)
    assert any(us and not america for us, america in writes[:2])


@pytest.mark.parametrize("follow_up", ["プーチンのほうは?", "プーチンにとっては?", "プーチンに対しては?"])
def test_a_japanese_follow_up_that_relates_its_name_to_the_question_before_is_searched_with_it(
        searcher, follow_up) -> None:
    # のほう, にとって and に対して say how the name relates to the question before (Sudachi reads 方, 取る and 対する):
    # two content words, it stood alone and was searched without the question it continues
    found = search_conversation(searcher, ["トランプ大統領は米ロの経済協力について何と言った?", follow_up], 5, "hybrid")
    assert found.dependent and "経済" in found.context
    assert all("プーチン" in h.passage.text for h in found.result.hits[:3])
    assert any("経済" in h.passage.text for h in found.result.hits[:3])


def test_a_stand_alone_question_after_small_talk_is_not_reordered(searcher) -> None:
    alone = search_conversation(searcher, ["Thanks!", "What did Lavrov say about the US?"], 5, "hybrid")
    assert not alone.dependent
    assert alone.result.hits == searcher.search("What did Lavrov say about the US?", 5, "hybrid").hits


@pytest.mark.parametrize("earlier, follow_up", [
    (LAVROV, "What did Vance say?"),
    (LAVROV_JA, "バンスは何と言った?"),
])
def test_a_follow_up_about_a_name_the_earlier_answer_never_meets_is_shown_that_names_passages(searcher, earlier,
                                                                                            follow_up) -> None:
    # Lavrov's article never names Vance: the earlier words found Lavrov's passages again, and none mentioned him. It
    # is answered as a question of its own (no conversation query), so that the answer's sentences are Vance's
    found = search_conversation(searcher, [earlier, follow_up], 5, "hybrid")
    assert not found.dependent
    assert all("バンス" in h.passage.text for h in found.result.hits[:3])
    assert [h.rank for h in found.result.hits] == [1, 2, 3, 4, 5]
    scores = [h.score for h in found.result.hits]
    assert scores == sorted(scores, reverse=True)
    from rag.answers.service import answer_question

    settings = searcher.settings
    answer = answer_question(searcher, follow_up, 5, settings, history=[earlier])
    first = answer.answer.split("[")[0]  # the answer's first sentence, before its marker
    assert "バンス" in first and "ラブロフ" not in first


def test_the_passages_further_down_come_first_only_when_none_of_the_first_mention_the_name() -> None:
    import dataclasses

    from rag.retrieval.reorder import named_first

    @dataclasses.dataclass(frozen=True)
    class Passage:
        passage_id: str
        text: str

    @dataclasses.dataclass(frozen=True)
    class Hit:
        passage: Passage
        rank: int
        score: float

    hits = [Hit(Passage(str(i), t), i + 1, 10.0 - i) for i, t in enumerate(["a", "b", "x1", "c", "x2"])]

    def mentioned(text: str) -> bool:
        return text.startswith("x")

    # one of the first three mentions it: only the first three are reordered
    assert [h.passage.text for h in named_first(hits, mentioned, 3)] == ["x1", "a", "b", "c", "x2"]
    # none of the first two does: those further down that do come first
    assert [h.passage.text for h in named_first(hits, mentioned, 2)] == ["x1", "x2", "a", "b", "c"]
    assert [h.score for h in named_first(hits, mentioned, 2)] == [h.score for h in hits]
    assert [h.rank for h in named_first(hits, mentioned, 2)] == [1, 2, 3, 4, 5]
