"""Follow-up questions (rag/retrieval/conversation.py) on the real index: a follow-up is searched through the
earlier user turns, a stand-alone question exactly as without a conversation."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from eval.questions import load_questions, read_seed_texts
from eval.relevance import evidence_occurrences, is_relevant
from rag.errors import QueryError
from rag.retrieval.anchor import about_the_article
from rag.retrieval.carryover import conversation_query
from rag.retrieval.conversation import fuse, search_conversation
from rag.retrieval.cues import JA_RELATIONAL
from rag.retrieval.engine import Filters
from rag.retrieval.followup import after_a_change_of_subject, asks_a_bare_detail, depends_on_context, takes_up

CONVERSATIONS = Path(__file__).resolve().parents[1] / "eval" / "fixtures" / "conversations.jsonl"


@pytest.mark.parametrize("question", [
    "How long did it last?", "What did he say next?", "Why did they refuse?", "What about China?", "When?",
    "How did he rate that relationship?", "それはいつ？", "その代表団を率いたのは誰か", "彼は何と言った？", "いつ？",
    # the name and how it relates to the question before, no topic of its own (Sudachi reads 取る, 対する and 方)
    "プーチンのほうは?", "アメリカにとっては?", "ヨーロッパに対しては?", "ロシアの方は？",
    # words that ask for more of the answer are no topic of its own (a reviewer's)
    "もう少し詳しく、分かりやすく説明してもらえますか", "さらに詳しく知りたいです、お願いします",
    "Can you explain in more detail?",
    # the word that asks is no topic (a probe's: 「何人が利用している?」 after a question on a railway line's closure
    # was searched alone and answered from another article's 利用)
    "何人が利用している?", "何台が立ち往生した?",
])
def test_follow_ups_are_recognised(searcher, question: str) -> None:
    assert depends_on_context(question, searcher.analyzer)


@pytest.mark.parametrize("question, read", [
    ("プーチンのほうは?", "プーチン は?"), ("ロシアの方が強い", "ロシア が強い"), ("アメリカにとっては?", "アメリカ は?"),
    ("停戦の方法は?", "停戦の方法は?"), ("ロシアの方々は?", "ロシアの方々は?"), ("この方は誰?", "この方は誰?"),  # words
])
def test_the_relational_particles_are_read_out_of_a_question_but_not_out_of_a_word(question: str, read: str) -> None:
    assert JA_RELATIONAL.sub(" ", question) == read


@pytest.mark.parametrize("question", [
    "What did Lavrov say about an alliance with China?",
    "When did North Korea conduct its first nuclear test?",  # "its" points at North Korea, in the same question
    "Which European countries did Xi Jinping visit on his recent tour?",
    "ラヴロフ外相は中国との同盟について何と言ったか",
    "プーチン大統領と習近平国家主席の会談はどこで行われたか",
    "中国にとっての利益は何か",  # its own topic (利益), not only how 中国 relates to the question before
    "ロシアに対して欧州はどんな制裁を科したのか",
    "欧州議会選挙の日程は?", "中国が加盟している国際条約の数は",
    # two content words and …は?: a question of its own, a definition, "who did it" (a rule that took these for
    # follow-ups, chosen on conversations ending in アメリカ国内は?, was withdrawn: docs/chat.md)
    "北極圏の協力は?", "中露協商とは?", "新デタントとは?", "停戦を要求したのは?",
])
def test_stand_alone_questions_are_recognised(searcher, question: str) -> None:
    assert not depends_on_context(question, searcher.analyzer)


@pytest.mark.parametrize("earlier", [
    ["How long did Putin and Xi talk in Moscow?"],
    ["北朝鮮はどうやって制裁を逃れているのか", "How long did Putin and Xi talk in Moscow?"],
])
def test_a_stand_alone_question_ranks_exactly_as_without_a_conversation(searcher, earlier) -> None:
    question = "What did Lavrov say about an alliance with China?"
    found = search_conversation(searcher, [*earlier, question], 5)
    plain = searcher.search(question, 5)
    assert found.context is None and not found.dependent
    assert [h.passage.passage_id for h in found.result.hits] == [h.passage.passage_id for h in plain.hits]
    assert [h.score for h in found.result.hits] == [h.score for h in plain.hits]


@pytest.mark.parametrize(("question", "before", "taken"), [
    # a probe's: searched alone, it opened with another article's summit 「…開始…開催」
    ("What time did the press conference start?", "What did Governor Uemura say at his press conference?", True),
    ("Who attended the summit talks?", "Where were the summit talks between Putin and Xi held?", True),
    # a name of its own, words the turn before did not write, no "the", or one word after it, which any question
    # repeats (a reviewer's: "the day", "the next", "the government"): a question of its own
    ("What time of the day did the rocket lift off?", "What happened on the day of the bus crash?", False),
    ("When is the next rocket launch?", "When is the next BOJ meeting?", False),
    ("When did the talks begin?", "What did Lavrov say about the talks with Iran?", False),
    ("What did the Kremlin say about Trump?", "What did the Kremlin say about Xi?", False),
    ("What did the sanctions target?", "What did Lavrov say about the talks?", False),
    ("When did talks begin?", "What did Lavrov say about the talks?", False),
    ("その会見はいつ始まった?", "What did he say at the press conference?", False),  # Japanese: its own cues
])
def test_a_question_taking_up_with_the_what_the_turn_before_named_is_a_follow_up(question, before, taken) -> None:
    assert takes_up(question, before) is taken


@pytest.mark.parametrize(("question", "bare"), [
    # a seventeenth probe's: searched alone, they opened with another article's 1万2000人 and 除雪車12台
    ("How many personnel were sent?", True), ("How many vehicles are affected?", True),
    ("When was the bridge built?", True), ("Where was the speech given?", True),
    # a name, a number, a third word of its own, or no detail asked: a question as before
    ("Where did Lavrov go?", False), ("How many were sent in 2024?", False),
    ("How many people died in the earthquake?", False), ("What did he say?", False), ("Why did they stop?", False),
    ("何台が対象?", False),  # Japanese: its own cues (one content word: a follow-up already)
])
def test_a_question_asking_a_detail_of_something_it_does_not_name_is_a_follow_up(searcher, question, bare) -> None:
    assert asks_a_bare_detail(question, searcher.analyzer) is bare


def test_a_bare_detail_is_searched_with_the_conversation_and_leaves_an_article_that_writes_none_of_it(
        searcher) -> None:
    earlier = "What did Lavrov say about an alliance with China?"
    alone = searcher.search("Where was the speech given?", top_k=1).hits[0]
    assert alone.passage.doc_id != "001_9c689277a1938a75"  # the premise: alone, another article's speech first
    found = search_conversation(searcher, [earlier, "Where was the speech given?"], 5, answered="001_9c689277a1938a75")
    assert found.dependent and found.result.hits[0].passage.doc_id == "001_9c689277a1938a75"
    # words the article before writes nowhere: a question of its own, as before
    other = search_conversation(searcher, [earlier, "When was uranium stockpiled?"], 5,
                                answered="001_9c689277a1938a75")
    plain = searcher.search("When was uranium stockpiled?", 5)
    assert [h.passage.passage_id for h in other.result.hits] == [h.passage.passage_id for h in plain.hits]


def test_a_follow_up_taking_up_the_thing_named_is_searched_with_the_conversation(searcher) -> None:
    earlier = "What did Lavrov say at the foreign ministers meeting?"
    question = "When was the foreign ministers meeting held?"
    found = search_conversation(searcher, [earlier, question], 5)
    assert found.dependent and "lavrov" in found.context.lower()
    assert search_conversation(searcher, ["What did Xi say about Taiwan?", question], 5).context is None


def test_a_short_question_after_small_talk_ranks_as_asked_alone(searcher) -> None:
    # "China?" is too short to stand alone, but a greeting before it names no topic to search it with
    found = search_conversation(searcher, ["hi", "Hello! Thanks", "China?"], 5)
    assert found.context is None
    assert [h.passage.passage_id for h in found.result.hits] == [h.passage.passage_id for h in
                                                                 searcher.search("China?", 5).hits]


@pytest.mark.parametrize(("turns", "query"), [
    # the earlier turn's content words (question words and its "did ... in" scaffolding dropped), then the last turn
    (["Where did Putin and Xi Jinping hold talks in late April 2025?", "How long did it last?"],
     "Putin Xi Jinping hold talks late April\nHow long did it last?"),
    # Japanese: the earlier turn's nouns
    (["朝鮮労働党の代表団はいつモスクワに到着したか", "その代表団を率いたのは誰か"],
     "朝鮮 労働 代表団 モスクワ 到着\nその代表団を率いたのは誰か"),
    # only the two turns before the last one count
    (["Lavrov in Moscow", "Xi in Beijing", "Putin in Astana", "And then?"], "Xi Beijing Putin Astana\nAnd then?"),
    # an earlier turn of question words and pronouns carries nothing over
    (["What did he say about it?", "And then?"], "And then?"),
    # nor does small talk: a greeting or a thanks names no topic
    (["hi", "Hello! Thanks, ok", "China?"], "China?"),
    (["Thanks! What did Lavrov say?", "And then?"], "Lavrov\nAnd then?"),
])
def test_the_conversation_query_is_the_earlier_turns_content_words_then_the_last_turn(searcher, turns, query) -> None:
    assert conversation_query(turns, searcher.analyzer, 2000) == query


def test_the_conversation_query_drops_the_oldest_words_first_to_fit_the_length_limit(searcher) -> None:
    turns = ["Lavrov in Moscow", "Xi in Beijing", "And then?"]
    assert conversation_query(turns, searcher.analyzer, 25) == "Xi Beijing\nAnd then?"  # 25 chars: Lavrov, Moscow go
    assert conversation_query(turns, searcher.analyzer, 9) == "And then?"


def test_an_earlier_turn_is_read_only_up_to_the_length_limit(searcher) -> None:
    # an earlier message is not validated as a question: a huge one must not cost a huge analysis
    huge = "Moscow, " * 200_000  # 8 characters: the first 2,000 end on a word
    assert conversation_query([huge, "And then?"], searcher.analyzer, 2000) == "Moscow\nAnd then?"


def _pasted_turns(seeds_dir: Path) -> list[str]:
    """Two earlier turns of ~1,900 characters of article text each (a user who pasted them): ~1,100 e5 tokens of
    content words, over max_query_tokens (512)."""
    texts = [p.read_text(encoding="utf-8") for p in sorted(seeds_dir.glob("*.txt"))]
    return [texts[1][300:2200], texts[2][300:2200]]


def test_the_conversation_query_drops_the_oldest_words_first_to_fit_a_token_budget(searcher, seeds_dir) -> None:
    turns, count = [*_pasted_turns(seeds_dir), "Why?"], searcher.intake.count
    uncut = conversation_query(turns, searcher.analyzer, 2000)
    assert count(uncut) > searcher.settings.max_query_tokens  # what was searched before, and refused
    cut = conversation_query(turns, searcher.analyzer, 2000, count, 128)
    words, uncut_words = cut.split("\n")[0].split(" "), uncut.split("\n")[0].split(" ")
    assert cut.endswith("\nWhy?") and count(cut) <= 128
    assert uncut_words[-len(words):] == words  # the newest words kept, in their order
    one_more = uncut_words[-len(words) - 1:]
    assert count(" ".join(one_more) + "\nWhy?") > 128  # and no fewer than fit
    assert conversation_query(turns, searcher.analyzer, 2000, count, 1) == "Why?"  # no room: the last turn alone


@pytest.mark.parametrize("last", ["Why?", "その理由は？"])
def test_a_short_follow_up_after_long_pasted_turns_is_searched_not_refused(searcher, seeds_dir, last) -> None:
    """The earlier turns' words went into the query uncut by tokens: "Why?" after two pasted articles was refused as
    a 1,095-token question ("ask a shorter question"). They are now cut to the longer of a normal question
    (heavy_query_tokens) and the last turn."""
    found = search_conversation(searcher, [*_pasted_turns(seeds_dir), last], 5)
    assert found.dependent and len(found.result.hits) == 5
    assert searcher.intake.count(found.context) <= searcher.settings.heavy_query_tokens
    assert found.context.endswith(f"\n{last}") and len(found.context.split("\n")[0]) > 0


def test_a_long_follow_up_keeps_some_context_within_the_limit(searcher, seeds_dir) -> None:
    """A follow-up longer than a normal question gets 64 tokens of the earlier turns' words on top of its own (a
    budget of its own length alone dropped them all: searched alone, and answered without the conversation)."""
    last = "And what did he say about it, " + "in the context of the sanctions and the energy trade, " * 10 + "then?"
    count = searcher.intake.count
    assert count(last) > searcher.settings.heavy_query_tokens
    found = search_conversation(searcher, [*_pasted_turns(seeds_dir), last], 5)
    assert found.dependent and found.context.endswith(f"\n{last}")
    assert count(last) < count(found.context) <= min(searcher.settings.max_query_tokens, count(last) + 64)


def test_a_follow_up_that_is_not_text_is_refused_as_the_user_s_error(searcher) -> None:
    with pytest.raises(QueryError, match="unpaired surrogate"):
        search_conversation(searcher, ["What did Lavrov say about China?", "And then \ud800?"], 5)


def test_fusion_lets_the_conversation_lead_and_the_last_turn_break_near_ties(searcher) -> None:
    hits = searcher.search("Lavrov alliance China", 3).hits
    a, b, c = hits
    fused = fuse({"last": (a, b), "conversation": (b, c)}, 3)
    # weighted RRF, k = 60, last 0.1, conversation 1.0: b = 0.1/62 + 1/61 ≈ 0.01801; c = 1/62 ≈ 0.01613;
    # a = 0.1/61 ≈ 0.00164 (the last turn's own first passage, which the conversation search did not find, comes last)
    assert [h.passage.passage_id for h in fused] == [p.passage.passage_id for p in (b, c, a)]
    assert [h.rank for h in fused] == [1, 2, 3]
    assert fused[0].score == pytest.approx(0.1 / 62 + 1 / 61)
    assert fused[2].score == pytest.approx(0.1 / 61)


def _rank_of(hits, quote: str) -> int | None:
    return next((h.rank for h in hits if quote in h.passage.text), None)


@pytest.mark.parametrize(("turns", "quote"), [
    (["What did the IAEA report previewed on February 26 show about Iran's uranium?", "Who previewed it?"],
     "AP通信がプレビューした"),
    (["ハリコフでのロシアの攻勢はいつ始まった？", "北京はそれをどう見ている？"], "北京は、これが戦争の決定的瞬間であることを認識している"),
    (["ラブロフ外相はどこで中国との同盟について語った？", "その翌朝、誰と会談した？"], "中国の王毅外相と"),
])
def test_a_dependent_follow_up_finds_the_passage_on_the_earlier_turns_topic(searcher, turns, quote) -> None:
    found = search_conversation(searcher, turns, 5)
    assert found.dependent
    assert _rank_of(found.result.hits, quote) == 1
    alone = _rank_of(searcher.search(turns[-1], 5).hits, quote)
    assert alone is None or alone > 1  # the follow-up alone does not put it first: the conversation does


def test_a_follow_up_that_names_its_own_subject_keeps_it_first(searcher) -> None:
    # the earlier turn is about Lavrov's alliance remarks; the follow-up asks something the earlier turn did not
    turns = ["What did Lavrov say about a real alliance with China?", "Whom did he meet in Astana the next morning?"]
    found = search_conversation(searcher, turns, 5)
    assert found.dependent
    assert _rank_of(searcher.search(turns[-1], 5).hits, "中国の王毅外相と") == 1
    assert _rank_of(found.result.hits, "中国の王毅外相と") == 1


@pytest.fixture(scope="module")
def conversations(built_index):
    settings, _ = built_index
    questions = load_questions(CONVERSATIONS)
    texts = read_seed_texts(settings.seeds_dir, (e.doc for q in questions for e in q.evidence))
    return [(q, evidence_occurrences(q, texts)) for q in questions]


def _first_relevant(hits, occurrences) -> int | None:
    return next((h.rank for h in hits if is_relevant(h.citation.doc_id, h.citation.start, h.citation.end,
                                                      occurrences)), None)


def test_follow_ups_find_their_evidence_through_the_conversation(searcher, conversations) -> None:
    ranks_with, ranks_without = {}, {}
    for q, occurrences in conversations:
        found = search_conversation(searcher, q.turns, 5)
        assert found.dependent and found.context.endswith(q.question)
        assert found.result.query == q.question and found.result.lang == q.lang
        ranks_with[q.id] = _first_relevant(found.result.hits, occurrences)
        ranks_without[q.id] = _first_relevant(searcher.search(q.question, 5).hits, occurrences)
    assert all(r is not None for r in ranks_with.values()), ranks_with
    # the last turn alone misses at least one of them: the conversation is what finds it
    assert any(r is None for r in ranks_without.values()), ranks_without


# -- "he" is a person: rag/retrieval/referent.py ----------------------------------------------------------------

def _person_query(searcher, turns: list[str]) -> str | None:
    from rag.retrieval.carryover import RECENT_TURNS
    from rag.retrieval.referent import person_query

    return person_query(turns, searcher.analyzer, searcher.index.bridge, RECENT_TURNS)


LAVROV_CHINA = "What did Lavrov say about an alliance with China?"


@pytest.mark.parametrize(("turns", "query"), [
    # the person of the turn before, not its topic (alliance, China), with the follow-up's own topic
    ([LAVROV_CHINA, "And what did he say about the US?"], "Lavrov\nAnd what did he say about the US?"),
    # a Japanese one with the name for its 彼 (a term of its own to BM25: 「…と彼はエリート層に語った」 holds it)
    (["ラブロフ外相は中国との同盟について何と言ったか", "彼は米国について何と言った？"], "ラブロフは米国について何と言った？"),
    # a sentence's first word is no name, nor an outlet or a place: the person is Putin
    (["According to Newsweek Japan, what did Putin gain from Xi's visit?", "What help is he looking for from China?"],
     "Putin\nWhat help is he looking for from China?"),
    # a name no dictionary holds, spelled by its sound, is a person's; the most recent turn naming one counts
    (["What does Korybko argue?", "And the UN vote?", "Why does he think so about India?"],
     "Korybko\nWhy does he think so about India?"),
    # not a person's question: "it" leans on more than a person; nothing of its own; no person before it
    ([LAVROV_CHINA, "What did he say about it?"], None),
    ([LAVROV_CHINA, "What did he say?"], None),
    (["Why did China and Iran back Russia?", "What did he say about the US?"], None),
])
def test_a_follow_up_asking_about_a_person_carries_the_persons_name_alone(searcher, turns, query) -> None:
    assert _person_query(searcher, turns) == query


def test_a_place_that_is_a_surname_too_is_no_person_before_a_noun(built_index, searcher) -> None:
    """A probe's: "What did he promise?" after "Who won the Akita governor election?" was searched as "Akita" and the
    follow-up, because 秋田 is a surname too; before "governor", "election", "prefecture" it names a place. A surname
    that is no place (工藤) is still a person there, and Akita alone or before another noun still may be."""
    from pathlib import Path

    from rag.retrieval.referent import _person
    from rag.stores.bridge import build_bridge

    settings, _ = built_index
    analyzer = searcher.analyzer
    small = build_bridge(
        ["秋田", "工藤", "知事", "選挙"], cache_dir=Path(settings.cache_dir or settings.index_dir / ".cache"),
        is_name=lambda t: analyzer.tags(t)[:2] == ("名詞", "固有名詞"),
        is_person=lambda t: any(pos[:3] == ("名詞", "固有名詞", "人名") for pos in analyzer.entries(t)))
    assert small.expand("Akita") == [["秋田"]] and small.expand("Kudo") == [["工藤"]]
    for placed in ("Who won the Akita governor election?", "Who won Sunday's Akita governor election?",
                   "Who won the 2025 Akita gubernatorial election?", "What happened in Akita prefecture?",
                   # a reviewer's: a headline's capitals put the nouns in the name's run; an event at a place
                   "Who won the Akita Governor Election?", "What damage did the Akita earthquake cause?"):
        assert _person(placed, analyzer, small) is None, placed
    assert _person("Who won the Kudo campaign?", analyzer, small) == "Kudo"
    # an election win is a person's (a reviewer's: "she" was no longer Takaichi)
    assert _person("What did the Akita election win mean for her?", analyzer, small) == "Akita"
    assert _person("What did the Akita election campaign cost?", analyzer, small) is None  # a place's campaign
    # a place's name that is a person's before another noun (a reviewer's: "the Takaichi government"), or alone
    assert _person("What did the Akita government say?", analyzer, small) == "Akita"
    assert _person("What did Akita say about the election?", analyzer, small) == "Akita"


def test_a_follow_up_about_the_same_person_on_another_topic_finds_that_topic(searcher) -> None:
    # carrying "Lavrov alliance China" over ranked the China answer again; Lavrov's words on the US were sixth. Now in
    # the five the answer reads (second to fourth in English: ranks 2-5 lie within 0.0005 of fused score, and e5's
    # rounding decides their order)
    on_the_us = "ラブロフは米国とそのNATO同盟国に対する演説の中で"
    for turns in ([LAVROV_CHINA, "And what did he say about the US?"],
                  ["ラブロフ外相は中国との同盟について何と言ったか", "彼は米国について何と言った？"]):
        found = search_conversation(searcher, turns, 5)
        assert found.context == _person_query(searcher, turns)
        assert (_rank_of(found.result.hits, on_the_us) or 99) <= 5, turns


# the first sentence of an answer to "Who is Russia's foreign minister?" on the seeds: two people, one its title
LAVROV_ANSWER = "プーチン大統領の就任直後、土曜日、ロシアのセルゲイ・ラブロフ外相が、ニューヨークに本部を置く外交・防衛政策評議会"


@pytest.mark.parametrize(("turns", "answer", "query"), [
    # after a question for a person, "he" is whom the answer gave: of two, the one with the title asked for
    (["Who is Russia's foreign minister?", "What did he say about the West?"], LAVROV_ANSWER,
     "ラブロフ\nWhat did he say about the West?"),
    (["ロシアの外相は誰か", "彼は西側について何と述べたか"], LAVROV_ANSWER, "ラブロフは西側について何と述べたか"),
    # a name the question places ("of Putin") is not whom it asks for; one person needs no title, and a surname
    # Sudachi does not know after a given name and ・ is the name (not ドミトリー); without the answer, the placed name
    # is still the person
    (["Who is the spokesman of Putin?", "What did he tell reporters about Ukraine?"], "ドミトリー・ペスコフ報道官は語った",
     "ペスコフ\nWhat did he tell reporters about Ukraine?"),
    (["Who is the spokesman of Putin?", "What did he tell reporters about Ukraine?"], "",
     "Putin\nWhat did he tell reporters about Ukraine?"),
    # a possessor is placed too, in English and in Japanese (a reviewer's finding: "he" was Putin)
    (["Who is Putin's spokesman?", "What did he tell reporters about Ukraine?"], "ドミトリー・ペスコフ報道官は語った",
     "ペスコフ\nWhat did he tell reporters about Ukraine?"),
    (["プーチン大統領の報道官は誰か", "彼はウクライナについて何と語ったか"], "ドミトリー・ペスコフ報道官は語った",
     "ペスコフはウクライナについて何と語ったか"),
    # an answer in English (the service's not-covered notice, an LLM's) names no one Sudachi can tell: not "may"
    (["Who is Russia's ambassador to China?", "What did he say about the treaty?"],
     "None of the passages found seems to answer this question; the indexed articles may not cover it", None),
    (["Who is Russia's foreign minister?", "What did he say about the treaty?"], "He is Sergey Lavrov", None),
    # 彼ら, 彼等, 彼女たち are "they", no one person
    (["ロシアの外相は誰か", "彼らは西側について何と述べたか"], LAVROV_ANSWER, None),
    (["ロシアの外相は誰か", "彼等は西側について何と述べたか"], LAVROV_ANSWER, None),
    (["ロシアの外相は誰か", "彼女たちは西側について何と述べたか"], LAVROV_ANSWER, None),
    # of two and no title asked for, none: not the sentence's subject either ("Who lost?" is answered with the winner as
    # its subject, a reviewer's finding); nor after a turn that asked no "who"
    (["Who lost the election?", "What did he say about the gymnasium?"],
     "無所属新人の佐々木恵美子氏（58）が、現職の高橋正雄氏（72）ら2人を破り、初当選した。", None),
    (["Who met in Beijing?", "What did he say about Ukraine?"], "プーチン大統領と習近平国家主席が北京で会談した", None),
    (["Has Xi Jinping been visiting Europe lately?", "What did he say about France?"], "習近平主席の最近のフランス歴訪", None),
    # a place Sudachi also reads as a surname, before its division, is no person (a ninth probe's: 砺波 in 砺波市長選
    # was taken for "he"); a surname before a title that begins like a division is one (佐々木市長)
    (["砺波市長選で当選したのは誰？", "彼は何と述べた？"], "", None),
    (["佐々木市長は何と述べたか", "彼はロシアについて何と述べたか"], "", "佐々木はロシアについて何と述べたか"),
])
def test_a_follow_up_after_a_question_for_a_person_asks_about_the_person_the_answer_gave(searcher, turns, answer,
                                                                                      query) -> None:
    from rag.retrieval.carryover import RECENT_TURNS
    from rag.retrieval.referent import answer_person, person_query

    analyzer, bridge = searcher.analyzer, searcher.index.bridge
    assert person_query(turns, analyzer, bridge, RECENT_TURNS, answer_person(turns, analyzer, bridge, answer)) == query


@pytest.mark.parametrize("chatter", [["thanks!", "ok 👍"], ["ありがとう", "👍"], ["Thanks, that's helpful."],
                                     ["ありがとう👍", "了解です🙏"]])
def test_small_talk_between_the_questions_does_not_lose_the_topic(searcher, chatter) -> None:
    """A probe's: "Who criticized it?" after a question, "thanks!" and "ok 👍" was searched on its own. Small talk names
    no topic: the follow-up is searched as it would be right after the question."""
    for turns in ([LAVROV_CHINA, "What did he say about the US?"], ["How long did Putin and Xi talk in Moscow?", "Why?"]):
        plain = search_conversation(searcher, turns, 5)
        chatty = search_conversation(searcher, [turns[0], *chatter, turns[1]], 5)
        assert plain.context is not None and chatty.context == plain.context, (chatter, turns)
        assert [h.passage.passage_id for h in chatty.result.hits] == [h.passage.passage_id for h in plain.result.hits]


@pytest.mark.parametrize("text, chat", [
    ("Thanks!", True), ("ok, thank you very much", True), ("Got it, that's helpful.", True), ("👍", True),
    ("ありがとう", True), ("ありがとう👍", True), ("了解です🙏", True),
    ("なるほどー", True), ("了解ですー", True), ("ありがとうございますー", True),  # a long vowel's mark (a reviewer's)
    ("了解しました", True), ("ありがとー", True), ("OK、ありがとう", True), ("はい、ありがとうございます", True),
    ("はい", True), ("分かりました", True), ("なるほどね", True), ("サンキュー", True), ("はい、ラブロフは？", False),
    ("うん", True), ("オッケー", True), ("承知しました", True), ("うん、ありがとう", True), ("はい、それで？", False),
    # a question that opens with yes, no or ok asks (a reviewer's: "Yes, is it?" was answered as small talk)
    ("Is it?", False), ("Yes, is it?", False), ("ok, was it?", False), ("Thanks, was that all?", False),
    ("Thanks! What did Lavrov say?", False), ("ラブロフは?", False),
])
def test_small_talk_is_a_greeting_or_thanks_and_nothing_else(text: str, chat: bool) -> None:
    from rag.retrieval.followup import small_talk

    assert small_talk(text) is chat


def test_a_long_turn_is_read_near_each_name_not_again_from_its_start(searcher, monkeypatch) -> None:
    """A reviewer's: a 690 KB earlier turn of names ("the minister of Russia" 30,000 times) held a worker 507 s, as
    every name's placing read the whole text before it. Counted, not timed: the words read to place a name are those
    of its last few dozen characters, however long the turn."""
    from rag.retrieval import cues, referent

    read: list[int] = []  # the characters each placing reads
    handed: list[int] = []  # the characters before a name handed to it
    words, placing = cues.EN_WORD, referent.placed

    class Counted:
        def findall(self, text: str) -> list[str]:
            read.append(len(text))
            return words.findall(text)

    def counted_placing(before: str) -> bool:
        handed.append(len(before))
        return placing(before)

    monkeypatch.setattr(cues, "EN_WORD", Counted())
    monkeypatch.setattr(referent, "placed", counted_placing)
    turns = ["Who is " + "the minister of Russia " * 3_000 + "?", "What did he say about the West?"]
    analyzer, bridge = searcher.analyzer, searcher.index.bridge
    assert referent.answer_person(turns, analyzer, bridge, "ラブロフ外相が述べた") == "ラブロフ"  # (Russia is placed)
    assert len(handed) >= 3_000 and max(handed) <= referent._BEFORE, max(handed)
    assert max(read) <= cues._PLACING_TAIL, max(read)


def test_a_follow_up_naming_nothing_of_its_own_is_searched_with_the_person_the_answer_gave(searcher) -> None:
    """"What did he say?" after "Who is Russia's foreign minister?": the turn's words and the answer's person."""
    found = search_conversation(searcher, ["Who is Russia's foreign minister?", "What did he say?"], 5,
                                answer=LAVROV_ANSWER)
    assert found.context == "ラブロフ Russia foreign minister\nWhat did he say?"
    assert found.person == "ラブロフ"  # whose words the answer quotes first (leads.quotes.quote_lead)
    found = search_conversation(searcher, ["ロシアの外相は誰か", "彼は?"], 5, answer=LAVROV_ANSWER)
    assert found.context == "ロシア 外相\nラブロフは?" and found.person == "ラブロフ"
    alone = search_conversation(searcher, ["Who is Russia's foreign minister?", "What did he say?"], 5)
    # no answer sent back: the turn's words, as before, and no person
    assert (alone.context, alone.person) == ("Russia foreign minister\nWhat did he say?", None)


def test_a_follow_up_of_the_longest_length_is_searched_though_the_name_would_make_it_longer(searcher) -> None:
    """A reviewer's: 彼は西側について…何と述べたか of exactly the character limit was refused for the characters the
    name in its place added; it is searched as the earlier turns' words allow (here: alone, as no word of theirs fits)."""
    head, tail = "彼は西側について", "何と述べたか"
    last = head + "　" * (searcher.settings.max_query_chars - len(head) - len(tail)) + tail
    found = search_conversation(searcher, ["ロシアの外相は誰か", last], 5, answer=LAVROV_ANSWER)
    assert found.result.hits and (found.context is None or len(found.context) <= searcher.settings.max_query_chars)


# -- a follow-up about the article itself, or its author --------------------------------------------------------------

XI_PUTIN_AUTHOR = "Who wrote the article about Xi and Putin?"


@pytest.mark.parametrize(("turns", "about"), [
    ([XI_PUTIN_AUTHOR, "What is his main argument?"], True),  # "his" after a question on who wrote it: the author
    ([XI_PUTIN_AUTHOR, "What is his main argument?", "What did he conclude?"], True),  # a turn later too
    ([LAVROV_CHINA, "What does the article say about the US?"], True),  # "the US" is no name of its own
    (["ロシアは中国を裏切るのか?", "筆者の結論は?"], True),
    (["ロシアは中国を裏切るのか?", "この記事は他に何を言っている?"], True),
    ([LAVROV_CHINA, "And what did he say about the US?"], False),  # "he" is Lavrov: no question on an author before
    ([LAVROV_CHINA, "And what does the article on North Korea say?"], False),  # names another topic of its own
    (["ロシアは中国を裏切るのか?", "北朝鮮についての記事は?"], False),
    # typed in lower case, a topic of its own is still one: its content words are not the article's or its argument's
    ([LAVROV_CHINA, "and what does the article on north korea say?"], False),
    ([LAVROV_CHINA, "what does the article say about sanctions?"], False),
    (["who wrote the article about xi and putin", "what is his main argument"], True),
    ([XI_PUTIN_AUTHOR, "What is the author's main argument?"], True),
    (["ロシアは中国を裏切るのか?", "著者の主張をまとめて"], True),
])
def test_a_follow_up_about_the_article_or_its_author_is_told_from_one_that_names_its_own_topic(searcher, turns,
                                                                                              about) -> None:
    assert about_the_article(turns[-1], turns[:-1], searcher.analyzer) is about


@pytest.mark.parametrize("turns", [
    [XI_PUTIN_AUTHOR, "What is his main argument?"],
    [XI_PUTIN_AUTHOR, "What is his main argument?", "What did he conclude?"],
    [XI_PUTIN_AUTHOR, "What else does the article say?"],
    [LAVROV_CHINA, "What does the article say about the US?"],
    ["ロシアは中国を裏切るのか?", "筆者の結論は?"],
])
def test_a_follow_up_about_the_article_is_answered_from_the_article_the_earlier_answer_came_from(searcher,
                                                                                              turns) -> None:
    """Before, the earlier turns' words found other articles: "What is his main argument?" carried Xi and Putin over
    and ranked Korybko's articles first, not Philip Ivanov's; 筆者の結論は? was searched alone."""
    first = search_conversation(searcher, turns[:1], 5).result.hits[0].citation.doc_id
    found = search_conversation(searcher, turns, 5)
    assert found.dependent and len(found.result.hits) == 5
    assert {h.citation.doc_id for h in found.result.hits} == {first}, turns


@pytest.mark.parametrize("last", ["And what does the article on North Korea say?",
                                  "and what does the article on north korea say?"])
def test_a_follow_up_on_another_article_is_not_kept_to_the_first_one(searcher, last) -> None:
    turns = [LAVROV_CHINA, last]
    lavrov = search_conversation(searcher, turns[:1], 5).result.hits[0].citation.doc_id
    found = search_conversation(searcher, turns, 5)
    assert len({h.citation.doc_id for h in found.result.hits} - {lavrov}) > 0


def test_a_chain_of_follow_ups_about_the_article_keeps_it_and_a_long_one_costs_few_searches(searcher,
                                                                                          monkeypatch) -> None:
    import rag.retrieval.conversation as conversation

    calls: list[int] = []
    real = conversation.search_conversation

    def counted(searcher, turns, *args, **kw):
        calls.append(len(turns))
        return real(searcher, turns, *args, **kw)

    monkeypatch.setattr(conversation, "search_conversation", counted)
    first = real(searcher, [XI_PUTIN_AUTHOR], 5).result.hits[0].citation.doc_id
    # a chain keeps the first one's article: each of them is a follow-up, so the anchor is the question before them
    for chain in (["What is his main argument?", "What did he conclude?", "What evidence does he give?"],
                  ["What is the article's main argument?", "And its conclusion?", "What else does the article say?",
                   "What is the article's tone?"]):
        calls.clear()
        found = counted(searcher, [XI_PUTIN_AUTHOR, *chain], 5)
        assert {h.citation.doc_id for h in found.result.hits} == {first}, chain
        assert calls == [1 + len(chain), 1], calls  # the question that named the article, searched once again
    # a chat of 30: the anchor is looked for within ARTICLE_LOOKBACK turns, and searched again with its recent turns
    calls.clear()
    counted(searcher, [XI_PUTIN_AUTHOR, *["What is the article's main argument?"] * 30], 5)
    assert len(calls) <= 3 and max(calls[1:]) <= 3, calls


@pytest.mark.parametrize(("turns", "article"), [
    ([LAVROV_CHINA, "Thanks!", "Great.", "What else does the article say?"], "001_"),
    (["ロシアは中国を裏切るのか?", "ありがとう", "なるほど", "筆者の結論は?"], "000_"),
])
def test_a_follow_up_about_the_article_after_small_talk_is_kept_to_it_and_answered(searcher, built_index, turns,
                                                                                  article) -> None:
    """The small talk carries no words: the follow-up was searched alone in the article, and the answer, checked as a
    stand-alone question, said the passages were not about it (a reviewer's finding)."""
    from rag.answers.service import answer_question

    found = search_conversation(searcher, turns, 5)
    assert found.dependent and {h.citation.doc_id[:4] for h in found.result.hits} == {article}
    answer = answer_question(searcher, turns[-1], 5, built_index[0], history=turns[:-1])
    assert answer.covered and {c.doc_id[:4] for c in answer.citations} == {article}


def test_a_long_pasted_turn_before_an_article_follow_up_is_not_searched_again_in_the_long_questions_queue(
        searcher) -> None:
    """Another long question in the one-at-a-time queue made the follow-up wait for it and fail with a 503 (a
    reviewer's finding); such a turn is not searched again: the follow-up is searched as any other."""
    pasted = " ".join(["Russia's foreign minister Sergey Lavrov told a policy council that Moscow was open to "
                       "building a genuine alliance with China, while stressing that the partnership is not aimed "
                       "at others."] * 4)
    assert searcher.intake.count(pasted) > searcher.settings.heavy_query_tokens
    searcher.intake._heavy.acquire()  # another long question is being answered
    try:
        # the article follow-up, and the source follow-up (which searched the turn again as well)
        found = [search_conversation(searcher, [pasted, last], 5) for last in ("What else does the article say?",
                                                                               "Who wrote it?")]
    finally:
        searcher.intake._heavy.release()
    assert all(f.result.hits for f in found)


@pytest.mark.parametrize("question, rest", [
    ("By the way, what did Vance say?", "what did Vance say?"),
    ("btw who is Korybko?", "who is Korybko?"),
    ("Another question: when was it?", "when was it?"),
    # a probe's: "Now, something else:" kept the conversation on Lavrov
    ("Now, something else: who was arrested in Osaka?", "who was arrested in Osaka?"),
    ("Moving on: who is Korybko?", "who is Korybko?"),
    ("Switching topics, what about Iran?", "what about Iran?"),
    ("Something else happened?", None),
    ("ところで、バンスは何と言った?", "バンスは何と言った?"),
    ("さて、北朝鮮は?", "北朝鮮は?"),
    ("話は変わりますが、ISWとは?", "ISWとは?"),
    ("ところでバンスは?", "バンスは?"),
    ("別件ですが、ISWとは?", "ISWとは?"),
    ("ところで", None),  # nothing after the opener: the question as it is
    ("Btw?", None),
    ("ところで？", None),
    ("Anywhere else?", None),
    ("さては別の話か", None),  # さて opens a phrase of its own
    ("What did Vance say?", None),
    # the words of an opener inside a question of its own (a reviewer's)
    ("別の話題について教えて", None),
    ("別件逮捕とは何か?", None),
    ("別の質問はありますか?", None),
    ("Another question is whether NATO will expand", None),
    ("Different question about Lavrov", None),
    ("話は変わりますがイランは?", "イランは?"),  # a reviewer's: no comma after it
    ("それはそうとイランは?", "イランは?"),
    ("ところでって何?", None),
    # a reviewer's: "now", "ok", "so" before any opener; nothing but small talk after one; 次の質問
    ("Now, moving on: who is Korybko?", "who is Korybko?"), ("OK, next question: who is Korybko?", "who is Korybko?"),
    ("Okay, switching topics: what about Iran?", "what about Iran?"),
    ("Next question, please.", None), ("Something else, please.", None), ("So, what about Iran?", None),
    ("次の質問です：北朝鮮は？", "北朝鮮は？"), ("次の質問は何か", None),
    ("Ok. Moving on: who is Korybko?", "who is Korybko?"), ("OK so, next question: who is Korybko?", "who is Korybko?"),
    ("So, moving on: who is Korybko?", "who is Korybko?"), ("Alright, next question: who is Korybko?", "who is Korybko?"),
    ("Next question, please: who is Korybko?", "who is Korybko?"),
])
def test_an_opener_that_changes_the_subject_is_read_off_the_question(question, rest) -> None:
    assert after_a_change_of_subject(question) == rest


@pytest.mark.parametrize("opener", ["By the way, ", "ところで、"])
def test_a_question_after_an_opener_that_changes_the_subject_stands_alone_without_it(searcher, opener) -> None:
    question = "バンスは何と言った?"
    found = search_conversation(searcher, ["ラブロフは中国との同盟について何と言った?", opener + question], 5)
    assert not found.dependent  # it named Vance alone: it was a follow-up on Lavrov, searched with his words
    assert found.result.query == question  # the opener is no word of the topic
    assert found.result.hits == searcher.search(question, 5).hits


def test_a_question_after_an_opener_that_names_nothing_of_its_own_is_read_as_any_follow_up(searcher) -> None:
    # a reviewer's: "By the way, who is the author?" after an answer from 003 was told 002's source
    turns = ["中国とロシアの関係で主導権を握っているのはどちら?", "By the way, who is the author?"]
    found = search_conversation(searcher, turns, 5)
    plain = search_conversation(searcher, [turns[0], "who is the author?"], 5)
    assert found.dependent and found.result.hits == plain.result.hits
    assert found.result.hits[0].citation.doc_id.startswith("003_") and found.result.hits[0].source


def test_a_question_after_an_opener_that_still_points_back_is_a_follow_up(searcher) -> None:
    found = search_conversation(searcher, ["What did Lavrov say about an alliance with China?",
                                           "By the way, when was that?"], 5)
    assert found.dependent and "Lavrov" in found.context and "By the way" not in found.context


@pytest.mark.parametrize("question, read", [
    ("Tell me more about source [2].", ((2,), "Tell me more about it.")),
    ("Tell me more about [2]", ((2,), "Tell me more about it")),
    ("What does the second source say?", ((2,), "What does it say?")),
    ("Is source 3 reliable?", ((3,), "Is it reliable?")),
    ("How many casualties [1] were reported?", ((1,), "How many casualties were reported?")),  # a pasted marker
    ("出典2の記事はいつ公開された?", ((2,), "その記事はいつ公開された?")),
    ("[2]について詳しく教えて", ((2,), "それについて詳しく教えて")),
    ("［２］について詳しく", ((2,), "それについて詳しく")),  # full-width
    ("2番目の出典は?", ((2,), "その出典は?")),
    ("ソース1とソース2はどう違う?", ((1, 2), "それらはどう違う?")),  # several: "them"
    # numbers and ordinals that say something else (a reviewer's)
    ("What happened in 2024?", None),
    ("Which 2 countries?", None),
    ("What does the first article of the NATO treaty say?", None),
    ("Who was the first source to report it?", None),
    ("Which source 2 officials spoke?", None),
    ("What does the 5th article say?", None),
    ("出典2025年の記事は?", None),
    ("情報源3人のうち誰が最も信頼できる?", None),
    ("参照10件を見せて", None),
    ("What did Lavrov say about China?", None),
    ("出典2か所", None),
    ("引用元2社", None),
    ("出典2ページ", None),
    # a reviewer's misses: any word may follow a reference but a plural noun or what sets it apart
    ("When was source 2 published?", ((2,), "When was it published?")),
    ("Can you summarize the second source for me?", ((2,), "Can you summarize it for me?")),
    ("Explain source 3 in detail", ((3,), "Explain it in detail")),
    ("Why is source 1 different from source 2?", ((1, 2), "Why is it different from it?")),
    ("Compare the first and second source", ((1, 2), "Compare them")),
    ("出典1と2を比較して", ((1, 2), "それらを比較して")),
])
def test_a_reference_to_a_numbered_source_is_read_off_the_question(question, read) -> None:
    from rag.retrieval.references import cited_source

    assert cited_source(question) == read


@pytest.mark.parametrize("question, read", [
    ("Compare [1] and [2].", ((1, 2), "Compare them.")),
    ("Compare source 1 and source 3", ((1, 3), "Compare them")),
    ("出典1と出典2を比較して", ((1, 2), "それらを比較して")),
])
def test_several_references_are_read_as_them(question, read) -> None:
    from rag.retrieval.references import cited_source

    assert cited_source(question) == read


@pytest.mark.parametrize("follow_up", ["何と言った?", "Why?", "How many?"])
def test_a_follow_up_with_no_word_of_its_own_is_searched_within_the_answer_befores_document(searcher,
                                                                                            follow_up) -> None:
    """A probe's: 「何と言った?」 after 「渡辺弘さんは誰?」 was searched with the conversation's 渡辺 弘, which the
    embedders found nowhere near, and quoted another article's 「もうね、何が本当なのかわかりません。」. A follow-up with
    no word of its own asks about the article the answer before was drawn from: it is searched within that document
    (the client's filters still apply); one with words of its own, or one asking for the source, is not."""
    question = "What did Lavrov say about an alliance with China?"
    answered = searcher.search(question, top_k=1).hits[0].passage.doc_id
    found = search_conversation(searcher, [question, follow_up], 5, answered=answered)
    assert found.context is not None and {h.passage.doc_id for h in found.result.hits} == {answered}
    loose = search_conversation(searcher, [question, "What about the North Korean hackers?"], 5, answered=answered)
    assert {h.passage.doc_id for h in loose.result.hits} != {answered}
    other = next(h.passage.doc_id for h in searcher.search("北朝鮮のハッカー", top_k=5).hits
                 if h.passage.doc_id != answered)
    kept = search_conversation(searcher, [question, follow_up], 5, answered=answered,
                               filters=Filters(doc_ids=(other,)))
    assert {h.passage.doc_id for h in kept.result.hits} == {other}  # the client's filter leaves it out: kept


def test_a_follow_up_asking_for_another_or_after_the_list_of_articles_is_not_kept_to_a_document(searcher,
                                                                                              built_index) -> None:
    """A reviewer's: "What about the other one?" names no word of its own but asks for another than the answer gave,
    and "How many?" after the list of articles was searched within the first article listed. A model's answer is
    followed within all the documents it cited (it reads them again); the extractive one within its first's."""
    from types import SimpleNamespace

    from rag.answers.service import _sources, answer_retrieved, retrieve

    settings, _ = built_index
    question = "What did Lavrov say about an alliance with China?"
    # an answer drawn from another document than the conversation's words find: "Why?" is kept to it, not this
    elsewhere = next(h.passage.doc_id for h in searcher.search("北朝鮮のハッカー", top_k=5).hits
                     if h.passage.doc_id != searcher.search(question, top_k=1).hits[0].passage.doc_id)
    kept = search_conversation(searcher, [question, "Why?"], 5, answered=elsewhere)
    assert {h.passage.doc_id for h in kept.result.hits} == {elsewhere}
    other = search_conversation(searcher, [question, "What about the other one?"], 5, answered=elsewhere)
    assert {h.passage.doc_id for h in other.result.hits} != {elsewhere}
    listing = answer_retrieved(retrieve(searcher, "What articles do you have?", 5), searcher, settings)
    cited = {n + 1: f"{c.doc_id}#{c.start}-{c.end}" for n, c in enumerate(listing.citations)}
    assert len({c.doc_id for c in listing.citations}) > 1
    after = retrieve(searcher, "How many?", 5, ["What articles do you have?"], cited=cited)
    assert after.answered is None and len({h.passage.doc_id for h in after.result.hits}) > 1
    two = {1: cited[1], 2: next(p for p in cited.values() if not p.startswith(cited[1].split("#")[0]))}
    first = two[1].split("#")[0]
    assert _sources(searcher, two, first) == ()  # extractive: the first source's document, as answered
    with_model = SimpleNamespace(settings=dataclasses.replace(settings, llm_base_url="http://127.0.0.1:9"),
                                 index=searcher.index)
    assert _sources(with_model, two, first) == (first, two[2].split("#")[0])


MURAI_ANSWER = ("18日夜に記者会見した資源エネルギー庁の電力・ガス事業部長、村井俊介氏は「無理のない範囲での節電をお願い"
                "したい」と呼びかけた。")


@pytest.mark.parametrize("turns, answer, person", [
    (["What did Shunsuke Murai ask people to do?", "What did he say next?"], MURAI_ANSWER, "村井俊介"),
    (["What did Murai Shunsuke ask people to do?", "And what did he say next?"], MURAI_ANSWER, "村井俊介"),
    (["What did Shunsuke Murai ask people to do?", "Did he say anything else?"], MURAI_ANSWER, "村井俊介"),
    # a reviewer's: a question's first word or a title before the name; the answer writing the surname alone
    (["Did Shunsuke Murai warn about blackouts?", "What did he say next?"], MURAI_ANSWER, "村井俊介"),
    (["What did Fukuoka Governor Tatsuhiko Kinoshita say?", "What did he say next?"],
     "福岡県の木下達彦知事は18日、臨時の対策会議を開いた。", "木下達彦"),
    (["What did Kenichi Ishikawa say about the ball?", "What did he say next?"], "石川さんは「うれしい」と話した。", "石川"),
    (["What did Kenji Tanaka ask people to do?", "What did he say next?"], MURAI_ANSWER, None),  # not him
    (["What did Shunsuke Murai ask people to do?", "What did it say next?"], MURAI_ANSWER, None),  # no "he"
    # a reviewer's: the turn's first person, not another it names after (nor one the bridge holds: Lavrov)
    (["What did Koichi Saeki do while Takayuki Kono's ferry ran aground?", "What did he say?"],
     "社長の河野隆之氏は「深くおわびする」と頭を下げた。", None),
    (["What did Lavrov tell Yoko Kamikawa?", "What did he say next?"], "ラブロフ外相は上川陽子外相に伝えた。", None),
])
def test_he_after_a_name_in_japanese_syllables_is_the_person_the_answer_wrote_so(searcher, turns, answer,
                                                                                  person) -> None:
    """A probe's: "What did he say next?" after "What did Shunsuke Murai ask people to do?" was answered with Trump's
    and Lavrov's words from other articles: no dictionary of the bridge holds the name, so the follow-up carried
    "Shunsuke Murai" in Latin letters. The answer before wrote him 村井俊介, which reads as the name: "he" is that."""
    from rag.retrieval.carryover import RECENT_TURNS
    from rag.retrieval.referent import answer_person, person_query

    analyzer, bridge = searcher.analyzer, searcher.index.bridge
    given = answer_person(turns, analyzer, bridge, answer)
    if person is None:
        assert given is None, given
        return
    assert given == person
    if "else" not in turns[-1]:
        assert person_query(turns, analyzer, bridge, RECENT_TURNS, given) == f"{person}\n{turns[-1]}"


def test_the_passages_that_write_the_person_he_means_come_first(searcher) -> None:
    """"What did he say next?" after the answer named Lavrov: among the passages the follow-up's search found, those
    that write his name come first (the question's own words, "say" and "next", found others' words too)."""
    found = search_conversation(searcher, ["Who is Russia's foreign minister?", "What did he say next?"], 5,
                                answer=LAVROV_ANSWER)
    assert found.context == "ラブロフ\nWhat did he say next?"
    assert all(re.search("ラ[ブヴ]ロフ", h.passage.text) for h in found.result.hits), \
        [h.passage.text[:40] for h in found.result.hits]
