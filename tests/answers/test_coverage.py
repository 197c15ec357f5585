"""An extractive answer does not quote passages that are not about the question (rag/answers/coverage/): it says
so and lists the closest passages. Real embedders on the session index of the real seeds."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from rag.answers.coverage import (CLOSEST, NOT_COVERED, closest_cosine, name_runs, names_held, passages_cover,
                                  short_acronyms)
from rag.answers.coverage.held import _bridge_names
from rag.answers.extractive import extractive_answer
from rag.answers.service import answer_question, retrieve
from rag.answers.streaming import stream_answer
from rag.errors import ConfigError
from rag.retrieval.engine import Filters
from rag.retrieval.followup import asked_detail
from rag.settings import Settings

try:  # the answers team's fake OpenAI-compatible server
    from answers.fake_llm import FakeLLM
except ImportError:  # pragma: no cover - when tests/ becomes a package
    from tests.answers.fake_llm import FakeLLM

REPO = Path(__file__).resolve().parents[2]
TEAM = [json.loads(line)["question"] for line in (REPO / "eval/questions/team.jsonl").read_text().splitlines()]
MARKER = re.compile(r"\[\d+\]")
TOP_K = 5
# greetings, requests and general knowledge, in both languages (benchmarks/offtopic/lab_off_topic.txt), each well
# below its floor: the check catches about 70 % of such messages (docs/answers.md), and one near the floor moves with
# its fifth passage ("What is the capital of Peru?" went from 0.140 to 0.171 when e5's kernel changed its rounding)
OFF_TOPIC = ["hello", "What is the boiling point of water at altitude?", "How do I install Python on Windows?",
             "こんにちは", "寿司飯の作り方は？", "インフルエンザの症状は？"]
# general questions in Japanese that USE puts above the English floor but below the Japanese one
JA_BAND = ["ペルーの首都は？", "明日の東京の天気を教えてください", "1足す1は？"]
# bare names the passages hold, which USE alone scores as low as a greeting
NAMES = {"Lazarus Group": "ラザルス", "王毅": "王毅", "J.D. Vance": "バンス"}
# the same names inside a question: after a capitalised first word, or in a Japanese question
NAMED = {"Tell me about Lazarus Group": "ラザルス", "Lazarus Groupとは？": "ラザルス", "ＡＵＫＵＳ": "AUKUS"}
# names typed all in lowercase, where no capital marks them (held back before the rule read each word)
LOWER_NAMES = {"lazarus group": "ラザルス", "who is j.d. vance?": "バンス", "tell me about lazarus group": "ラザルス"}
LOWER_OFF_TOPIC = ["hello", "what is the capital of peru?", "how do i install python on windows?"]
# names and words the articles do not hold, which the term alignment maps to a katakana or Latin term they do hold
# (covered before the spelling had to sound like the name: "weather" → タイム, "Swift" → SWIFT)
NEIGHBOURS_ONLY = ["Lionel Messi", "Taylor Swift", "Mount Kilimanjaro", "Who is Lionel Messi?",
                   "what is the weather tomorrow"]
# names whose short sound is a word the passages hold (ロシア is "Eilish"), or one edit from one (ブレトン, "Hilton")
SOUND_ALIKE = ["Billie Eilish", "Tell me about Wales", "Who is Paris Hilton?"]
# names the passages hold in forms a plain consonant match misses: an r katakana writes as ー, an acronym of vowels,
# a hyphen between the words
HELD = {"Keir Starmer": "スターマー", "iaea": "IAEA", "Lazarus-Group": "ラザルス"}
# full names whose passages write only the surname, in katakana
SURNAMES = {"Andrew Korybko": "コリブコ", "Abbas Araghchi": "アラグチ"}
# "who / what is X" in Japanese, and acronyms of three capitals (held back before: 誰, 何 and 略 counted as names the
# passages must hold, and an acronym was too short for a name); USE scores each below the Japanese floor
ASKING = {"ラブロフとは誰か": "ラブロフ", "コリブコとは誰か": "コリブコ", "グランド・ディールとは何か": "グランド・ディール",
          "ISWは何の略？": "ISW", "ISWとは": "ISW", "What does ISW stand for?": "ISW"}
# the same frames about what the articles do not hold, and frames that name nothing
ASKING_OFF = ["WTOとは何か", "What does WTO stand for?", "ペルーの首都は何か", "誰ですか", "それは何の略？"]


# a person the passages write in kanji, whom the bridge reaches by the reading of the name, however the question is
# typed (held back before, as benchmarks/offtopic_separation.py showed on four on-topic sets: kanji spellings did not
# count, and the bridge had no key for the name)
PEOPLE = ["Who is Wang Yi?", "who is wang yi", "what did wang yi say?", "WHAT DID WANG YI SAY?", "Tell me about Wang Yi"]


@pytest.fixture(scope="module")
def settings(built_index) -> Settings:
    return built_index[0]


@pytest.mark.parametrize("question", OFF_TOPIC)
def test_a_question_the_articles_do_not_cover_is_answered_so_with_the_closest_passages_as_sources(
        searcher, settings, question):
    answer = answer_question(searcher, question, TOP_K, settings)
    assert answer.generator == "extractive" and answer.covered is False
    assert answer.answer == NOT_COVERED[answer.lang] and not MARKER.search(answer.answer)  # nothing quoted
    ranked = sorted(answer.passages, key=lambda h: h.rank)
    assert len(answer.passages) == TOP_K  # what was found is still returned
    assert len(answer.citations) == CLOSEST and answer.citations == tuple(h.citation for h in ranked[:CLOSEST])
    cosine = closest_cosine(answer.passages)
    assert cosine is not None and cosine < _floor(settings, answer.lang)


def _floor(settings: Settings, lang: str) -> float:
    return settings.not_covered_below_ja if lang == "ja" else settings.not_covered_below


@pytest.mark.parametrize("question", JA_BAND)
def test_a_general_question_in_japanese_is_held_back_by_the_higher_floor_of_its_language(searcher, settings,
                                                                                       question):
    """A Japanese question shares more with any Japanese passage: these general ones reach USE cosines an English
    question about the articles would need, and only the Japanese floor tells them from a question on the articles."""
    answer = answer_question(searcher, question, TOP_K, settings)
    cosine = closest_cosine(answer.passages)
    assert answer.lang == "ja" and settings.not_covered_below <= cosine < settings.not_covered_below_ja
    assert answer.covered is False and answer.answer == NOT_COVERED["ja"]
    same = settings.replace(not_covered_below_ja=settings.not_covered_below)  # one floor for both: quoted, as before
    from rag.answers.coverage import unwritten_names

    # but 東京, which the articles never write, whatever the floor (`unwritten_names`)
    assert answer_question(searcher, question, TOP_K, same).covered is not bool(unwritten_names(searcher, question))
    assert [q for q in JA_BAND if unwritten_names(searcher, q)] == ["明日の東京の天気を教えてください"]


def test_a_question_about_an_author_the_articles_do_not_cover_is_not_covered_by_a_source_rows_words(searcher,
                                                                                                    settings):
    """Read as a question about an author, it is shown source rows; a blog's name, a line of a few words, reached
    the Japanese floor of USE's cosine, and the Tale of Genji's author was "answered" with the blog's name."""
    question = "源氏物語の作者は誰?"
    hits = searcher.search(question, TOP_K).hits
    rows = [h for h in hits if h.source]
    assert rows and max(h.scores["use"] for h in rows) >= settings.not_covered_below_ja  # what the check read
    answer = answer_question(searcher, question, TOP_K, settings)
    assert answer.covered is False and answer.answer == NOT_COVERED["ja"]
    assert closest_cosine(answer.passages) < settings.not_covered_below_ja  # article text only
    # a first message asking who wrote "this" names no article: its closest article text is far, and so is the answer
    assert not answer_question(searcher, "Who wrote this?", TOP_K, settings).covered


def test_people_named_by_no_more_than_that_are_no_name_a_passage_must_hold(searcher, settings):
    """USE reads 「選択を迫られる人は何と言っている?」 far from the passage that writes 選択を迫られる (as a probe's
    「存続を求める人たちは何と言っている?」 from 「存続を求める声も根強かった」): the people it asks about are held by
    a passage that writes the words qualifying them, not 人. A question about what no passage holds is still held
    back, however ordinary its wording (reviewers': 効果が出る, 原因を調べ; 「アメリカに行く人は?」, whose アメリカ a
    passage holds, but no one going there)."""
    question = "選択を迫られる人は何と言っている?"
    answer = answer_question(searcher, question, TOP_K, settings)
    assert closest_cosine(answer.passages) < settings.not_covered_below_ja  # USE alone would hold it back
    assert names_held(searcher, question, answer.passages) and answer.covered and "選択を迫" in answer.answer
    for other in ("ラーメンが好きな人は何と言っている?", "筋トレの効果が出るまで何日かかる?", "髪の毛が抜ける原因を調べたい",
                  "アメリカに行く人は?", "政府で働く人は?"):
        assert not answer_question(searcher, other, TOP_K, settings).covered, other


def test_every_team_question_is_covered_and_answered_as_before(searcher, settings):
    """The 72 team questions: none is held back, and each answer is the extractive answer it was before the check."""
    for question in TEAM:
        r = retrieve(searcher, question, TOP_K)
        answer = answer_question(searcher, question, TOP_K, settings)
        assert answer.covered, question
        assert (answer.answer, answer.citations) == extractive_answer(r.focus, r.result.hits, searcher, r.result.lang,
                                                                      asked=asked_detail(r.result.query))


@pytest.mark.parametrize("name", [*NAMES, *LOWER_NAMES])
def test_a_bare_name_the_passages_hold_is_covered_though_use_scores_it_as_low_as_a_greeting(searcher, settings, name):
    """Also typed in lowercase, where no capital marks the name ("tell me about lazarus group")."""
    r = retrieve(searcher, name, TOP_K)
    cosine = closest_cosine(r.result.hits)
    assert cosine is not None and cosine < settings.not_covered_below  # USE alone would hold it back
    assert names_held(searcher, name, r.result.hits)
    answer = answer_question(searcher, name, TOP_K, settings)
    assert answer.covered and {**NAMES, **LOWER_NAMES}[name] in answer.answer and MARKER.search(answer.answer)


@pytest.mark.parametrize("question", list(NAMED))
def test_a_name_inside_a_question_counts_as_the_bare_name_does(searcher, settings, question):
    r = retrieve(searcher, question, TOP_K)
    assert names_held(searcher, question, r.result.hits)
    answer = answer_question(searcher, question, TOP_K, settings)
    assert answer.covered and NAMED[question] in answer.answer


@pytest.mark.parametrize("question", PEOPLE)
def test_a_person_the_bridge_reads_by_the_name_is_held_in_kanji(searcher, settings, question):
    r = retrieve(searcher, question, TOP_K)
    assert _bridge_names(searcher, question)[0] == {"wang": ["王毅"], "yi": ["王毅"]}
    assert names_held(searcher, question, r.result.hits)
    answer = answer_question(searcher, question, TOP_K, settings)
    assert answer.covered and "王毅" in answer.answer


def test_a_word_in_kanji_is_no_evidence_of_a_name(searcher):
    """JMnedict reads given names as words in kanji ("shigeru" as 重, "saki" as 未来), which many a passage holds in
    their other sense: only kanji that Sudachi's dictionary holds as a person's name alone write one (王毅)."""
    for question, kanji in (("news about shigeru ishiba", "重"), ("Who is Saki?", "未来")):
        named: dict[str, list[str]] = {}
        searcher.index.bridge.expand(question, named=named)
        assert kanji in {t for terms in named.values() for t in terms}, question
        assert _bridge_names(searcher, question)[0] == {}, question


# a name the bridge reads beside another the passages do not hold, or beside a Japanese noun they do not hold, or a
# given name JMnedict reads as a common word in kanji: covered for a moment at this stop (a reviewer's finding)
NOT_PEOPLE = ["Vance Scholz", "Vance and Netanyahu", "Wang Yiの寿司", "Who is Saki?", "Who is Hiroshi?",
              "What is Toki Pona?", "VANCE SCHOLZ", "WANG YI SCHOLZ", "Best Vance Pizza Recipe",
              "Where Is The Wang Yi Sushi Restaurant?"]
# and held by the same route: a possessive, initials written together, a word held by the bridge's terms; and a bare
# acronym in capitals (a reviewer's findings on the first forms)
STILL_HELD = ["What is Xi Jinping's role?", "Who is J.D.Vance?", "Tell me about Wang Yi and Lavrov", "ISW?",
              "WHAT IS THE SCO?"]


@pytest.mark.parametrize("question", STILL_HELD)
def test_a_name_the_bridge_reads_is_held_with_a_possessive_initials_or_another_name_held(searcher, question):
    r = retrieve(searcher, question, TOP_K)
    assert names_held(searcher, question, r.result.hits)


@pytest.mark.parametrize("question", NOT_PEOPLE)
def test_a_name_the_bridge_reads_does_not_cover_what_else_the_question_names(searcher, settings, question):
    r = retrieve(searcher, question, TOP_K)
    assert not names_held(searcher, question, r.result.hits)
    answer = answer_question(searcher, question, TOP_K, settings)
    floor = settings.not_covered_below_ja if r.result.lang == "ja" else settings.not_covered_below
    assert answer.covered is (closest_cosine(r.result.hits) >= floor)


@pytest.mark.parametrize("question", LOWER_OFF_TOPIC)
def test_a_lowercase_message_the_articles_do_not_cover_is_still_held_back(searcher, settings, question):
    answer = answer_question(searcher, question, TOP_K, settings)
    assert answer.covered is False and answer.answer == NOT_COVERED["en"]


@pytest.mark.parametrize("question", NEIGHBOURS_ONLY)
def test_a_name_the_articles_hold_only_a_neighbour_of_is_held_back(searcher, settings, question):
    r = retrieve(searcher, question, TOP_K)
    assert not names_held(searcher, question, r.result.hits)
    answer = answer_question(searcher, question, TOP_K, settings)
    assert answer.covered is False and answer.answer == NOT_COVERED["en"]


@pytest.mark.parametrize("question", SOUND_ALIKE)
def test_a_name_that_only_sounds_like_a_short_word_of_the_passages_is_not_held(searcher, question):
    r = retrieve(searcher, question, TOP_K)
    assert not names_held(searcher, question, r.result.hits)


@pytest.mark.parametrize("name", list(HELD))
def test_a_name_the_passages_write_with_a_long_vowel_or_in_its_own_letters_is_held(searcher, name):
    r = retrieve(searcher, name, TOP_K)
    assert any(HELD[name] in h.passage.text for h in r.result.hits[:TOP_K])
    assert names_held(searcher, name, r.result.hits)


@pytest.mark.parametrize("name", list(SURNAMES))
def test_a_full_name_is_held_by_a_passage_that_writes_only_the_surname(searcher, name):
    r = retrieve(searcher, name, TOP_K)
    assert any(SURNAMES[name] in h.passage.text for h in r.result.hits[:TOP_K])
    assert names_held(searcher, name, r.result.hits)


def test_a_japanese_full_name_is_held_by_its_surname_in_kanji(built_index, searcher):
    """A probe's: "Who is Takashi Kudo?" was refused over the passage holding 工藤隆氏, ranked first: the bridge's
    kanji for the given name (公, 高, 誠…, at most six, words too) miss 隆. A person is named by the surname, as the
    katakana rule has it ("Andrew Korybko"), and the given name by the kanji after it, read as it sounds (隆, タカシ)."""
    from dataclasses import replace
    from types import SimpleNamespace

    from rag.stores.bridge import build_bridge

    settings, _ = built_index
    analyzer = searcher.analyzer
    text = "確定得票数は、共産党推薦の新人で元高校教諭の工藤隆氏（64）が3万8914票だった。"
    small = build_bridge(
        # with the kanji that read "takashi" as words, as any news corpus holds them (公, 高, 上, 誠…)
        # and those that read "sora" and "jun" (空; 純, 準), which a reviewer's fuller vocabulary held
        analyzer.terms(text + "山田") + ["公", "高", "上", "誠", "節", "聡", "空", "純", "準"],
        cache_dir=Path(settings.cache_dir or settings.index_dir / ".cache"),
        is_name=lambda t: analyzer.tags(t)[:2] == ("名詞", "固有名詞"),
        is_person=lambda t: any(pos[:3] == ("名詞", "固有名詞", "人名") for pos in analyzer.entries(t)))
    hit = retrieve(searcher, "Who is Takashi Kudo?", TOP_K).result.hits[0]
    hits = [replace(hit, passage=replace(hit.passage, text=text))]
    with_kudo = SimpleNamespace(analyzer=analyzer, bridge=small, term_groups=searcher.term_groups,
                                index=searcher.index)
    people, given, _ = _bridge_names(with_kudo, "Who is Takashi Kudo?")
    assert people == {"kudo": ["工藤"]} and given.keys() == {"takashi"} and "隆" not in small.expand("Takashi")[0]
    assert names_held(with_kudo, "Who is Takashi Kudo?", hits)
    assert not names_held(with_kudo, "Who is Takashi Yamada?", hits)  # another surname
    assert _bridge_names(with_kudo, "Who is Sora Kudo?")[1].keys() == {"sora"}
    assert not names_held(with_kudo, "Who is Sora Kudo?", hits)  # another given name (a reviewer's)
    # typed in lowercase, and a given name of three letters (a reviewer's: neither was checked)
    assert names_held(with_kudo, "who is takashi kudo", hits)
    assert not names_held(with_kudo, "who is sora kudo", hits)
    assert not names_held(with_kudo, "who is kudo sora", hits) and names_held(with_kudo, "who is kudo takashi", hits)
    assert _bridge_names(with_kudo, "Who is Jun Kudo?")[1].keys() == {"jun"}
    assert not names_held(with_kudo, "Who is Jun Kudo?", hits) and not names_held(with_kudo, "who is jun kudo?", hits)
    assert not names_held(with_kudo, "Who is Takashi?", hits)  # a given name alone names no one


def test_a_surname_in_kanji_that_are_a_word_too_is_held_where_a_passage_writes_it_as_a_surname(built_index,
                                                                                                 searcher):
    """A twenty-third probe's "What did Hayashi say?" was refused over 林美和's words ranked first: 林 is "forest" too,
    so the bridge's "hayashi" writes no name alone. Held where the passage writes the kanji as a surname read so
    (Sudachi tags 林 in 林美和氏 a surname, not in 林の中), alone or after titles; not with a given name no passage
    writes ("Masaki Hayashi" is no 林美和), nor a given name alone by a surname's kanji."""
    from dataclasses import replace
    from types import SimpleNamespace

    from rag.stores.bridge import build_bridge

    settings, _ = built_index
    analyzer = searcher.analyzer
    text = "調査委員長を務めた弁護士の林美和氏(54)は会見で「教授の指示が絶対だった」と述べた。"
    forest = "林の中を歩いた人が、会見で「熊を見た」と述べた。"
    cache = Path(settings.cache_dir or settings.index_dir / ".cache")
    small = build_bridge(analyzer.terms(text + forest), cache_dir=cache,
                         is_name=lambda t: analyzer.tags(t)[:2] == ("名詞", "固有名詞"),
                         is_person=lambda t: any(pos[:3] == ("名詞", "固有名詞", "人名") for pos in analyzer.entries(t)))
    hit = retrieve(searcher, "What did Lavrov say?", TOP_K).result.hits[0]
    held, woods = ([replace(hit, passage=replace(hit.passage, text=t))] for t in (text, forest))
    with_hayashi = SimpleNamespace(analyzer=analyzer, bridge=small, term_groups=searcher.term_groups,
                                   index=searcher.index)
    assert "林" in _bridge_names(with_hayashi, "What did Hayashi say?")[1]["hayashi"]
    for question in ("What did Hayashi say?", "What did Professor Hayashi say?", "What did Mr. Hayashi say?"):
        assert names_held(with_hayashi, question, held) and not names_held(with_hayashi, question, woods), question
    assert not names_held(with_hayashi, "What did Masaki Hayashi say?", held)
    assert not names_held(with_hayashi, "What did Miwa Tanaka say?", held)
    # a review's: Sudachi tags 沢 in 沢に迷い込んだ a surname too; a surname is held before a name, 氏 or a title only
    stream = "男性は登山道を外れて沢に迷い込んだとみられる。"
    sawa = build_bridge(analyzer.terms(stream + "沢田氏"), cache_dir=cache, is_name=lambda t: analyzer.tags(t)[:2] == (
        "名詞", "固有名詞"), is_person=lambda t: any(p[:3] == ("名詞", "固有名詞", "人名") for p in analyzer.entries(t)))
    with_sawa = SimpleNamespace(analyzer=analyzer, bridge=sawa, term_groups=searcher.term_groups,
                                index=searcher.index)
    assert not names_held(with_sawa, "What did Sawa say?", [replace(hit, passage=replace(hit.passage, text=stream))])


def test_a_name_in_japanese_syllables_is_held_by_its_article_that_writes_it_between_quotes(searcher):
    """A twenty-third probe's "What did Aimono Suisan write on the labels?" was refused over its passage ranked first,
    which writes 同社: the lead writes 「四十物水産」, whose 四十物 Sudachi reads アイモノ as a common noun, so no proper
    noun of the article read as the name. A run in Japanese syllables is held by a top passage whose article writes
    it between 「」, two words or more (a quoted phrase's first word alone is any word: 「味方」)."""
    from rag.answers.coverage.readings import _quoted_names

    analyzer = searcher.analyzer
    quoted = _quoted_names(analyzer, "湖西市の水産加工会社「四十物水産」(四十物達也社長)に対し")
    assert "aimonosuisan" in quoted and "aimono" not in quoted and not _quoted_names(analyzer, "「味方」だという")
    # on the index: 004 writes 「人類運命共同体」, which no other seed does
    question = "What does the editorial say about Jinrui Unmei Kyodotai?"
    hits = searcher.search("人類運命共同体", top_k=50).hits
    article = [h for h in hits if h.passage.doc_id.startswith("004") and "人類運命" not in h.passage.text][:1]
    other = [h for h in hits if not h.passage.doc_id.startswith("004")][:1]
    assert article and other
    assert names_held(searcher, question, article) and not names_held(searcher, question, other)


def test_a_time_or_a_count_a_japanese_question_asks_for_is_no_noun_a_passage_must_write(searcher):
    """「相談窓口の受付時間は?」 was refused over the passage that answers it (a twenty-third probe's): it writes the
    hours (受け付けは平日の午前9時から午後5時まで), not 時間. The nouns the question is about are still asked for."""
    from dataclasses import replace

    hit = retrieve(searcher, "相談窓口", TOP_K).result.hits[0]
    text = "静岡県は18日、消費者向けの相談窓口を県庁に開設する。受け付けは平日の午前9時から午後5時まで。"
    hits = [replace(hit, passage=replace(hit.passage, text=text))]
    assert names_held(searcher, "相談窓口の受付時間は?", hits) and names_held(searcher, "相談窓口の受付期間は?", hits)
    assert not names_held(searcher, "図書館の受付時間は?", hits)


@pytest.mark.parametrize("question", list(ASKING))
def test_a_question_that_asks_who_or_what_a_name_is_is_covered_by_the_passage_holding_the_name(searcher, settings,
                                                                                             question):
    r = retrieve(searcher, question, TOP_K)
    assert closest_cosine(r.result.hits) < _floor(settings, r.result.lang)  # USE alone would hold it back
    assert names_held(searcher, question, r.result.hits)
    answer = answer_question(searcher, question, TOP_K, settings)
    assert answer.covered and ASKING[question] in answer.answer and MARKER.search(answer.answer)


@pytest.mark.parametrize("question", ASKING_OFF)
def test_the_asking_words_alone_or_an_acronym_no_passage_holds_name_nothing(searcher, question):
    r = retrieve(searcher, question, TOP_K)
    assert not names_held(searcher, question, r.result.hits)


def test_a_short_acronym_is_two_or_three_capitals_that_are_no_english_word():
    assert short_acronyms("What does ISW stand for?") == ["ISW"] and short_acronyms("ISWとは") == ["ISW"]
    assert short_acronyms("G7の首脳") == ["G7"]
    assert short_acronyms("WHO IS IT?") == short_acronyms("U.S. policy") == short_acronyms("NATO") == []


def test_a_possessive_name_alone_is_a_name():
    assert name_runs("Lavrov's") == name_runs("Lavrov’s?") == ["Lavrov"]
    assert name_runs("Today's Lazarus Group") == ["Lazarus Group"]  # a first word followed by more is not a name
    assert name_runs("TikTokについて") == ["TikTok"]  # unless what follows is Japanese
    assert name_runs("北朝鮮のLazarus Groupとは") == ["Lazarus Group"]  # after Japanese: のL is no word boundary
    assert name_runs("Tell me about Lazarus Group") == ["Lazarus Group"]  # a capitalised first word is not a name


def test_a_name_no_passage_holds_does_not_make_a_question_covered(searcher):
    for question in ("What is the capital of Peru?", "富士山の高さは？"):
        r = retrieve(searcher, question, TOP_K)
        assert not names_held(searcher, question, r.result.hits), question


def test_the_check_is_off_at_zero_and_silent_without_use_scores(searcher, settings):
    off = answer_question(searcher, "hello", TOP_K, settings.replace(not_covered_below=0))
    assert off.covered and MARKER.search(off.answer)  # quotes, as before the check
    e5_only = searcher.search("hello", TOP_K, "e5").hits  # a single-signal search carries no USE score
    assert e5_only and closest_cosine(e5_only) is None
    assert passages_cover(searcher, "hello", e5_only, settings.not_covered_below)


def test_a_follow_up_and_an_llms_answer_are_not_held_back(searcher, settings):
    """A follow-up's hits mix its own search and the conversation's, so it is not checked; an LLM reads the
    passages itself and may say the articles do not cover the question."""
    strict = settings.replace(not_covered_below=1.0)  # every question's cosine is below it
    alone = answer_question(searcher, "and then?", TOP_K, strict)
    follow = answer_question(searcher, "and then?", TOP_K, strict, history=["What did Lavrov say about China?"])
    assert not alone.covered and follow.covered and MARKER.search(follow.answer)
    with FakeLLM(["reply"]) as llm:
        model = answer_question(searcher, "hello", TOP_K, settings.replace(llm_base_url=llm.base_url))
    assert model.generator == "llm" and model.covered and model.answer != NOT_COVERED["en"]


def test_a_streamed_answer_says_it_too(searcher, settings):
    *pieces, answer = list(stream_answer(retrieve(searcher, "こんにちは", TOP_K), searcher, settings))
    assert "".join(pieces) == answer.answer == NOT_COVERED["ja"] and answer.covered is False
    assert len(answer.citations) == CLOSEST


@pytest.mark.parametrize("raw", ["2", "-0.1", "abc", "nan"])
@pytest.mark.parametrize("name", ["not_covered_below", "not_covered_below_ja"])
def test_a_threshold_that_is_not_a_cosine_is_refused_by_name(raw, name):
    with pytest.raises(ConfigError, match=f"{name}\\b"):
        Settings.from_env({f"RAG_{name.upper()}": raw})


def test_a_check_that_breaks_leaves_the_answer_as_it_was(searcher, settings, monkeypatch, caplog):
    """A failure inside the check (here the names' lookup) costs the reader nothing but the check."""
    import rag.answers.coverage as coverage

    def broken(*args):
        raise RuntimeError("the names' lookup broke")

    monkeypatch.setattr(coverage, "names_held", broken)
    answer = answer_question(searcher, "hello", TOP_K, settings)
    assert answer.covered and MARKER.search(answer.answer)
    assert "the coverage check failed" in caplog.text


@pytest.mark.parametrize(("question", "holds"), [
    # 何年 is 何 and the counter 年, 何回 one term: no passage writes the question's 何, so a question asking "how
    # many" or "which year" of a name the articles hold was held back when USE scored it under the floor
    ("ブレトン・ウッズ体制は何年に作られた？", True),
    ("核実験は何回行われた？", True),
    # a question about what the articles do not hold still names something no passage holds
    ("東京タワーは何メートル？", False),
])
def test_the_words_that_ask_how_many_or_which_year_name_nothing(searcher, question, holds):
    r = retrieve(searcher, question, TOP_K)
    assert names_held(searcher, question, r.result.hits) is holds


@pytest.mark.parametrize("question, names", [
    ("北海道の知事は中露協商について何と述べたか", ["北海道"]),
    ("石破首相は中露の同盟について何と述べたか", ["石破"]),
    ("北海道では新デタントについてどう報じられたか", ["北海道"]),
    # whatever else it names (a reviewer's: a written country let an absent person through, quoting another's words)
    ("大谷翔平はプーチン大統領について何と言ったか", ["大谷翔平"]),
    # a ninth probe's: a temple Sudachi reads as a noun and a suffix (金閣 + 寺), or as a proper noun (延暦寺)
    ("金閣寺の住職は中露関係について何と述べたか", ["金閣寺"]), ("延暦寺の住職はロシアについて何と述べたか", ["延暦寺"]),
])
def test_a_japanese_question_naming_people_or_places_the_articles_never_write_is_not_covered(
        searcher, settings, question, names):
    """Two probes': 「大谷翔平は今シーズン何本のホームランを打った?」 was answered with a footballer's goals, 「北海道では何
    店舗で…」 with another region's stores: close enough for USE. A question naming a person or place in kanji that no
    sentence of the index writes is not what the articles answer about."""
    from rag.answers.coverage import unwritten_names

    _refused_whatever_the_cosine(searcher, settings, question, "ja", names, unwritten_names)


@pytest.mark.parametrize("question", ["令和の日本はロシアとの関係をどう見ているか", "日銀の政策は中国経済にどう影響したか",
                                      "禅宗の寺はロシアでどう見られているか"])
def test_an_era_a_bank_or_a_school_the_index_never_writes_does_not_refuse_a_question(searcher, question) -> None:
    """A reviewer's: Sudachi reads 令和, 日銀 and 禅宗 as 固有名詞 一般 too, and the articles write 2025年, not the era; only
    a temple, shrine, castle or station the index never writes is judged."""
    from rag.answers.coverage import unwritten_names

    assert unwritten_names(searcher, question, searcher.search(question, top_k=TOP_K).hits) == []


def _refused_whatever_the_cosine(searcher, settings, question, lang, names, unwritten) -> None:
    """USE alone would answer `question`; `unwritten` names `names`, and the answer is the not-covered notice."""
    r = retrieve(searcher, question, TOP_K)
    assert closest_cosine(r.result.hits) >= _floor(settings, lang)
    assert unwritten(searcher, question, r.result.hits) == names
    answer = answer_question(searcher, question, TOP_K, settings)
    assert answer.covered is False and answer.answer == NOT_COVERED[lang]


@pytest.mark.parametrize("question", [
    "北京でプーチン大統領は何と述べたか", "上海で習近平国家主席は何と述べたか",
    # a reviewer's: a place with its division, which Sudachi reads as one word (北京市: 北京)
    "北京市で習近平とプーチンは何を話し合ったか", "上海市での首脳会談で何が決まったか",
    "中華人民共和国はロシアに何を提供したか",  # a country's long name is not judged
    # a place is judged only where the question names no place the articles write: a capital stands for its
    # government beside a country (a reviewer's: 平壌 is written 北朝鮮); a sea by its region (北極海: 北極圏)
    "平壌はロシアに兵士を派遣したのか", "北極海での米ロの協力について何が議論されたか",
    # a proper noun the index writes, or whose stem it writes: 国連; 韓国軍 (韓国, as the passages mostly read it)
    "国連で中国は何を主張したか", "韓国軍について何が書かれているか",
])
def test_a_japanese_question_naming_what_the_articles_write_is_answered(searcher, settings, question):
    from rag.answers.coverage import unwritten_names

    r = retrieve(searcher, question, TOP_K)
    assert unwritten_names(searcher, question, r.result.hits) == []
    assert answer_question(searcher, question, TOP_K, settings).covered


def test_a_name_is_written_by_its_surname_its_place_without_division_or_a_passage_of_its_reading(searcher) -> None:
    """A reviewer's: 岸田文雄 where the articles write 「岸田首相」, 熊本県 where they write 熊本, 渡辺 where they write
    渡邊 (Sudachi keeps old and new forms apart; the top passages' names of the same reading count)."""
    import dataclasses
    from types import SimpleNamespace

    import numpy as np

    from rag.answers.coverage import unwritten_names
    from rag.stores.sentences import Frequencies

    held = Frequencies({"岸田": 0, "熊本": 1, "渡邊": 2, "大阪府警": 3, "王": 4}, np.array([1, 1, 1, 1, 1]), 5)
    store = SimpleNamespace(idf=lambda t: 1.0 if t in held.ids else 0.0, frequencies=lambda: held)
    index = SimpleNamespace(sentences=store)
    fake = SimpleNamespace(index=index, analyzer=searcher.analyzer)
    assert unwritten_names(fake, "岸田文雄首相は何と述べたか") == []
    assert unwritten_names(fake, "熊本県の知事は何と述べたか") == []
    assert unwritten_names(fake, "熊本城はいつ建てられたか") == []  # Sudachi reads 熊本 in it
    assert unwritten_names(fake, "大阪では何が起きたか") == []  # at the start of a longer term: 大阪府警
    assert unwritten_names(fake, "熊本島では何が起きたか") == []  # a division cut, 島 too
    assert unwritten_names(fake, "熊本湾では何が起きたか") == []  # a bay's, a sea's, a region's
    assert unwritten_names(fake, "石破茂首相は熊本で何と述べたか") == ["石破茂"]  # a written place saves no person
    assert unwritten_names(fake, "石破茂首相は何と述べたか") == ["石破茂"]
    assert unwritten_names(fake, "石破は何と述べたか") == ["石破"]
    assert unwritten_names(fake, "渡辺社長は何を発表したか") == ["渡辺"]  # no passage to read it in
    hit = searcher.search("ロシア", top_k=1).hits[0]
    read = dataclasses.replace(hit, passage=dataclasses.replace(hit.passage, text="渡邊社長は新製品の発売を発表した。"))
    assert unwritten_names(fake, "渡辺社長は何を発表したか", [read]) == []
    assert unwritten_names(fake, "斎藤社長は何を発表したか", [read]) == ["斎藤"]
    # a name of one kanji is not judged, nor a katakana name, nor a country's (its names are many)
    assert unwritten_names(fake, "習は何と述べたか") == [] and unwritten_names(fake, "プーチンは何と述べたか") == []
    assert unwritten_names(fake, "大韓民国の大統領は何と述べたか") == []
    # a written katakana name does not let an absent person through (a reviewer's)
    assert unwritten_names(fake, "石破茂首相はプーチン大統領について何と述べたか") == ["石破茂"]
    # a surname of one kanji is anyone's: the whole name must be in a top passage (王岐山 is not 王毅)
    assert unwritten_names(fake, "王岐山は何と述べたか") == ["王岐山"]
    wang = dataclasses.replace(hit, passage=dataclasses.replace(hit.passage, text="王岐山国家副主席は演説した。"))
    assert unwritten_names(fake, "王岐山は何と述べたか", [wang]) == []


def test_a_name_that_begins_a_longer_term_of_the_index_is_written_there() -> None:
    """熊本 is written in 熊本県, which Sudachi reads as one word; a term no live sentence holds any more is not."""
    import numpy as np

    from rag.stores.sentences import Frequencies

    held = Frequencies({"熊本県": 0, "東京": 1, "大阪府": 2}, np.array([2, 0, 1]), 3)
    assert held.begins_a_term("熊本") and held.begins_a_term("大阪") and held.begins_a_term("熊本県")
    assert not held.begins_a_term("東京") and not held.begins_a_term("北海道") and not held.begins_a_term("熊本市")


@pytest.mark.parametrize("question, names", [
    ("What did Judge Kenji Tanaka say about Russia and China?", ["Judge Kenji Tanaka"]),
    ("What did Shigeru Ishiba say about the alliance with China?", ["Shigeru Ishiba"]),
    ("How did the Ofunato city office react to the Russia-China summit?", ["Ofunato"]),
    # a place's own name before what it is, in English words (a probe's: "Sameura Dam" had another dam's storage)
    ("How did the Ofunato City Office react to the Russia-China summit?", ["Ofunato City Office"]),
    ("How much water did Sameura Dam send Beijing at the Russia-China summit?", ["Sameura Dam"]),
    # whatever else it names: the answer cannot be about Kishida in articles that never write him
    ("What did Putin say about Kishida?", ["Kishida"]),
])
def test_an_english_question_naming_in_japanese_syllables_what_the_articles_never_write_is_not_covered(
        searcher, settings, question, names):
    """A probe's: "What did Judge Kenji Tanaka say when sentencing…?" was answered with another judge's words, "How
    many people were evacuated in the Ofunato wildfire?" with another town's numbers, close enough in topic for USE.
    A name in Japanese syllables that the bridge does not know and no top passage reads as is none the articles
    write."""
    from rag.answers.coverage import unwritten_romanized

    _refused_whatever_the_cosine(searcher, settings, question, "en", names, unwritten_romanized)


def test_a_year_no_top_article_writes_or_dates_is_not_covered(searcher, settings) -> None:
    """A probe's near miss: "Who won the Kyushu tournament in November 2023?" was answered with 2025's winner. A year
    the question dates (not a count: "2031 people") that no top passage's article writes, nor was published in, is
    refused whatever the cosine; the year of an article's publication is held though it may never write it."""
    from rag.answers.coverage import top, unwritten_years

    question = "Did Russia deny that it would betray China"
    hits = retrieve(searcher, question + "?", TOP_K).result.hits
    assert hits[0].citation.published, "its article is dated (「ロシアが中国を裏切る」との主張を否定 ― 2025年02月28日)"
    year = int(hits[0].citation.published[:4])
    for asked in (f"{question} in {year}?", f"{question} in fiscal {year}?", f"{question}? 2031 people asked.",
                  "ロシアは中国を裏切るとの主張を否定したか", f"ロシアは{year}年に中国を裏切るとの主張を否定したか",
                  f"{question} in the 2031 talks?"):  # "the 2031 talks": no event named
        assert unwritten_years(searcher, asked, hits) == [], asked
    texts = " ".join(raw[a.start:a.end] for h in top(hits)
                     for raw, a in [searcher.index.passages.article_of(h.passage.doc_id, h.passage.article)])
    assert "2031" not in texts
    for asked in (f"{question} in 2031?", f"{question} on March 3, 2031?", f"{question} in November 2031?",
                  f"{question} at the 2031 Moscow Summit?", f"{question} in its fiscal 2031 budget?",
                  f"{question} in FY2031?", f"{question} in 2031 overall?",  # a second reviewer's
                  "ロシアは2031年前半に中国を裏切るとの主張を否定したか",
                  "ロシアは2031年に中国を裏切るとの主張を否定したか", "ロシアは令和13年に中国を裏切るとの主張を否定したか"):
        assert unwritten_years(searcher, asked, hits) == [2031], asked
    _refused_whatever_the_cosine(searcher, settings, f"{question} in 2031?", "en", [2031], unwritten_years)
    assert answer_question(searcher, f"{question} in {year}?", TOP_K, settings).covered
    # a reviewer's: counts are no years ("a crowd of 2031 people", "by 2031 votes", "the 2031s", "2031-ton ships")
    for asked in (f"Did a crowd of 2031 people hear that {question[4:]}?", f"{question}, by 2031 votes?",
                  f"{question} in the mid-2030s?", f"{question}? 5 2031-ton ships sailed."):
        assert unwritten_years(searcher, asked, hits) == [], asked


def test_a_year_before_or_after_an_articles_own_is_held_where_a_top_passage_says_so(searcher) -> None:
    """A reviewer's: 「輝ノ嶺が2023年に新入幕を果たしたのはどの場所か」 was refused, though the top passage of an
    article of 2025 says 「おととしの名古屋場所で新入幕」. An article published in year Y holds Y − 1 where a top passage
    of it writes 去年 or 昨年, Y − 2 for おととし or 一昨年, Y + 1 for 来年 or 翌年: not where another passage of it
    does, which answers nothing about that year. A fiscal year is held by an article of its January to March."""
    import dataclasses

    from rag.answers.coverage import top, unwritten_years

    question = "Did Russia deny that it would betray China"
    hits = top(retrieve(searcher, question + "?", TOP_K).result.hits, 1)
    raw, article = searcher.index.passages.article_of(hits[0].passage.doc_id, hits[0].passage.article)
    assert article.published.startswith("2025-02") and not re.search(r"202[2346]|去年|昨年|来年|おととし|年度",
                                                                      raw[article.start:article.end])

    def saying(text: str) -> list:
        return [dataclasses.replace(hits[0], passage=dataclasses.replace(hits[0].passage, text=text))]

    asked = [f"{question} in {y}?" for y in (2022, 2023, 2024, 2025, 2026, 2027)]
    assert [unwritten_years(searcher, q, hits) for q in asked] == [[2022], [2023], [2024], [], [2026], [2027]]
    for said, held in (("去年の会談で否定した。", 2024), ("一昨年の会談で否定した。", 2023), ("おととしの会談で", 2023),
                       ("来年の会談で否定する。", 2026), ("再来年の会談で", 2027)):
        assert [unwritten_years(searcher, q, saying(said)) for q in asked] == [
            [] if y in (held, 2025) else [y] for y in (2022, 2023, 2024, 2025, 2026, 2027)], said
    # published in February: its fiscal year began the April before
    assert unwritten_years(searcher, f"{question} in fiscal 2024?", hits) == []
    assert unwritten_years(searcher, "2024年度にロシアは中国を裏切るとの主張を否定したか", hits) == []
    assert unwritten_years(searcher, f"{question} in fiscal 2023?", hits) == [2023]


def test_a_romanized_name_is_written_where_a_top_passage_reads_as_it_and_others_are_not_judged(searcher) -> None:
    """The articles write a sumo wrestler 若嵐, which Sudachi reads as two words (ワカ, アラシ), and a company 東和精機:
    "Wakaarashi" and "Towa Seiki" are written where a top passage reads so, long vowels folded (トウワ is "Towa").
    A name that is no Japanese syllables (Putin, Lavrov), in capitals (NATO), or known to the bridge (Tokyo: 東京)
    is not judged here."""
    import dataclasses

    from rag.answers.coverage import unwritten_romanized

    hit = searcher.search("ロシア", top_k=1).hits[0]

    def reading(text: str) -> list:
        return [dataclasses.replace(hit, passage=dataclasses.replace(hit.passage, text=text))]

    sumo = reading("大相撲夏場所は24日、関脇・若嵐が初優勝を果たした。")
    assert unwritten_romanized(searcher, "How many wins did Wakaarashi get?", sumo) == []
    assert unwritten_romanized(searcher, "How many wins did Wakaarashi get?", reading("夏場所が終わった。")) == [
        "Wakaarashi"]
    assert unwritten_romanized(searcher, "How many wins did Asahimaru get?", sumo) == ["Asahimaru"]
    # a ring name with a katakana ノ, which Sudachi cuts as a particle (輝 + ノ + 嶺: a probe's, refused as not
    # written), and a place with ヶ read either way; の, a particle in hiragana, ends a name
    ring = reading("九州場所は23日、大関・輝ノ嶺が初優勝を果たした。北ヶ丘の住民も喜んだ。")
    assert unwritten_romanized(searcher, "What record did Terunomine finish with?", ring) == []
    assert unwritten_romanized(searcher, "What did the people of Kitagaoka say?", ring) == []
    assert unwritten_romanized(searcher, "What record did Terunomine finish with?", reading("輝の嶺が勝った。")) == [
        "Terunomine"]
    # a name in kana between 「」, which Sudachi cuts (か + ざ + なみ: a probe's "Kazanami", refused as not written),
    # read whole, with its number after it; not kana outside 「」
    satellite = reading("防災観測衛星「かざなみ」は、ヘリ「やまびこ2号」、探査機『はやぶさ2』の写真とともに公開された。")
    for name in ("Kazanami", "Yamabiko", "Hayabusa"):
        assert unwritten_romanized(searcher, f"How much does the {name} weigh?", satellite) == [], name
    assert unwritten_romanized(searcher, "How much does the Kazanami weigh?", reading("かざなみは重い。")) == [
        "Kazanami"]
    company = reading("東和精機の4〜6月期の売上高は前年同期比12%増だった。")
    assert unwritten_romanized(searcher, "How much revenue did Towa Seiki report?", company) == []
    assert unwritten_romanized(searcher, "How much revenue did Towa Denki report?", company) == ["Towa Denki"]
    for question in ("What did Putin say?", "What did Lavrov say about NATO?", "What did Tokyo say about the talks?",
                     "What did the Tokyo Stock Exchange say?", "What did the Putin Administration say?",
                     # a question in Title Case: "Been", "Chosen" are no names (a reviewer's)
                     "Has Rice Been Affected By The Drought?", "Which Pitcher Was Chosen Most Valuable Player?",
                     # nor a verb alone ("Chose", "Rode", "Wore", "Began"), a second reviewer's
                     "Who Chose The MVP At The Final?", "How Many Pupils Rode The Bus?",
                     "Who Wore The Number One Jersey?", "When The Drought Began, What Did The Governor Say?"):
        assert unwritten_romanized(searcher, question, sumo) == [], question
    # and its names are judged each between its stop words (a reviewer's: they were let through)
    assert unwritten_romanized(searcher, "How Full Is Sameura Dam?", sumo) == ["Sameura Dam"]
    assert unwritten_romanized(searcher, "What Did Kenji Tanaka Say?", sumo) == ["Kenji Tanaka"]
    assert unwritten_romanized(searcher, "What Did The Mayor Of Ofunato Say?", sumo) == ["Ofunato"]
    assert unwritten_romanized(searcher, "What Has Kenji Tanaka Done?", sumo) == ["Kenji Tanaka Done"]
    assert unwritten_romanized(searcher, "What Did The Mayor Say About Ofunato?", sumo) == ["Ofunato"]
    # a run of three words, or after a question's capitalised first word, is no Title Case (a fourth reviewer's)
    assert unwritten_romanized(searcher, "What did Ofunato Mayor Fuchigami say?", sumo) == ["Ofunato Mayor Fuchigami"]
    assert unwritten_romanized(searcher, "Did Mayor Fuchigami resign?", sumo) == ["Mayor Fuchigami"]
    # a reviewer's: a name in kana that Sudachi's dictionary lacks (no reading of its own) is read as it is written,
    # and a place Sudachi reads with its division (みやき町) without it; full-width letters are letters
    singer = reading("佐賀市出身の歌手、ヨシキさん(29)が凱旋公演を開いた。")
    assert unwritten_romanized(searcher, "What did Yoshiki say at his homecoming concert?", singer) == []
    assert unwritten_romanized(searcher, "What did Ｙｏｓｈｉｋｉ say?", singer) == []
    assert unwritten_romanized(searcher, "What did Ｙｏｓｈｉｋｉ say?", sumo) == ["Yoshiki"]
    plant = reading("工場の建設予定地は、みやき町の工業団地。")
    assert unwritten_romanized(searcher, "What is being built in Miyaki?", plant) == []
    assert unwritten_romanized(searcher, "What is being built in Miyaki?", sumo) == ["Miyaki"]
    # and a port or a station Sudachi holds whole (花咲港, 掛川駅): "Hanasaki port" was refused (a probe's)
    port = reading("港別では、北海道根室市の花咲港が4310トンで水揚げ日本一となった。列車は掛川駅で止まった。")
    for question in ("How much saury did Hanasaki port land?", "Which train stopped at Kakegawa Station?"):
        assert unwritten_romanized(searcher, question, port) == [], question
    assert unwritten_romanized(searcher, "How much saury did Hanasaki port land?", sumo) == ["Hanasaki"]
    # an inn's name made of kanji read by their Sino-Japanese readings, which Sudachi cuts and reads otherwise (翠 +
    # 嵐 + 閣: ミドリ, アラシ, カク; "Suirankaku" was refused with its passage at rank 3, a twenty-second probe's); not a
    # word of the dictionary read so (申請 is "shinsei" by its own reading alone), nor a short word
    inn = reading("老舗旅館「翠嵐閣」が民事再生法の適用を申請した。負債総額は約46億円。市内の業者も困惑した。")
    assert unwritten_romanized(searcher, "How much debt does Suirankaku have?", inn) == []
    assert unwritten_romanized(searcher, "How much debt does Suirankaku have?", sumo) == ["Suirankaku"]
    assert unwritten_romanized(searcher, "How much debt does Suirankan have?", inn) == ["Suirankan"]
    assert unwritten_romanized(searcher, "What did Hoshinseki say?", inn) == ["Hoshinseki"]  # 法 + 申請 is no name
    # two kanji Sudachi cuts in an everyday word (市 + 内) are no name (a reviewer's "Shidai Construction")
    assert unwritten_romanized(searcher, "What did Shidai Construction say?", inn) == ["Shidai Construction"]
    # not a common noun's 港 cut off (空港 is no "Kara", 香港 no "Kaori": a reviewer's)
    common = reading("成田空港と地元の漁港、香港からの便も出港した。")
    for name in ("Kaori", "Kara", "Izuru"):
        assert unwritten_romanized(searcher, f"What did {name} say about it?", common) == [name], name


def test_a_person_named_in_japanese_syllables_whom_a_top_passage_reads_as_is_covered_whatever_the_cosine(
        searcher) -> None:
    """A probe's: "Who is Koji Yamamoto?" was answered as not covered, though its first passage quoted 山本浩二さん:
    the bridge spells neither kanji, and USE's cosine was low. A run whose every word is in Japanese syllables and
    read by one top passage names what it is about; Sudachi cuts 佐藤健一部長 as 健 + 一部 + 長, so a word of five
    letters or more is read at the start of two words in a row. A given name no passage reads is no such name, nor
    one person's surname with another's given name, nor a city's reading (a reviewer's: 旭市 reads "Akira"); the check
    that refuses a name reads whole words only ("Minami" is not 南魚沼)."""
    import dataclasses

    from rag.answers.coverage import names_held, passages_cover, unwritten_romanized

    hit = searcher.search("ロシア", top_k=1).hits[0]

    def reading(text: str) -> list:
        return [dataclasses.replace(hit, passage=dataclasses.replace(hit.passage, text=text))]

    driver = reading("トラック運転手の山本浩二さん(52)は「燃料が減っていくのが一番怖かった」と話した。")
    official = reading("県農林水産部の佐藤健一部長(58)は記者会見で「全力で防疫措置にあたる」と述べた。")
    assert names_held(searcher, "Who is Koji Yamamoto?", driver)
    assert passages_cover(searcher, "Who is Koji Yamamoto?", driver, 1.0)  # no cosine reaches 1.0
    assert names_held(searcher, "What did Kenichi Sato say?", official)
    assert unwritten_romanized(searcher, "What did Kenichi Sato say?", official) == []
    assert not names_held(searcher, "Who is Taro Yamamoto?", driver)
    assert not names_held(searcher, "Who is Koji Yamamoto?", official)
    assert not passages_cover(searcher, "Who is Koji Yamamoto?", official, 1.0)
    mayors = reading("小浜市の伊藤正樹市長(61)は「苦渋の決断だ」と述べた。若狭中央鉄道の渡辺隆社長(66)は謝罪した。")
    assert names_held(searcher, "What did Masaki Ito say?", mayors)
    assert not names_held(searcher, "Who is Takashi Ito?", mayors)
    farm = reading("旭市の養鶏場の近くで約3万羽を飼う鈴木美和子さん(49)は不安を口にした。")
    assert not names_held(searcher, "What did Akira Suzuki say?", farm)
    snow = reading("南魚沼市では24時間降雪量が82センチに達した。")
    assert unwritten_romanized(searcher, "What did Keiko Minami say about the snow?", snow) == ["Keiko Minami"]


def test_a_romanized_name_the_top_passages_article_writes_elsewhere_is_written(searcher) -> None:
    """A probe's: "What did the president of Shimanami Kisen say?" found 「社長の河野隆之氏は…」, whose article names
    its company, しまなみ汽船, above that passage, and was refused as not covered. A name in Japanese syllables is
    written when the article of a top passage reads as it, not only the passage: 国連 ("Kokuren") is in 000's text,
    not in 001's."""
    import dataclasses

    from rag.answers.coverage import unwritten_romanized

    def bare(doc: str) -> list:
        hit = searcher.search("ロシア", top_k=1, filters=Filters(doc_ids=(doc,))).hits[0]
        return [dataclasses.replace(hit, passage=dataclasses.replace(hit.passage, text="夏場所が終わった。"))]

    question = "What did the Kokuren decide?"
    assert unwritten_romanized(searcher, question, bare("000_77323e78f047d601")) == []
    assert unwritten_romanized(searcher, question, bare("001_9c689277a1938a75")) == ["Kokuren"]
    # a seventeenth probe's: "Why did the transport ministry ask Toho Motor for a detailed report?" was refused,
    # its article writing 東邦 in 「東邦自動車(本社・…)」 only, which Sudachi reads as no name: a word is written too
    # where the article writes a noun the bridge's readings give it with a term of the English word after it
    # (経済協力 for "Keizai Cooperation" is in 000's text, not in 001's); not the noun alone anywhere in the article
    # (a reviewer's: 措置 was "the Sochi summit", 東方 "Toho Gas")
    assert searcher.bridge.read_as("keizai") == [["経済"]]
    question = "What did the Keizai Cooperation Council decide?"
    assert unwritten_romanized(searcher, question, bare("000_77323e78f047d601")) == []
    assert unwritten_romanized(searcher, question, bare("001_9c689277a1938a75")) == ["Keizai Cooperation Council"]
    assert unwritten_romanized(searcher, "What did the Keizai Council decide?", bare("000_77323e78f047d601")) == [
        "Keizai Council"]
    assert unwritten_romanized(searcher, "What was discussed at the Sochi summit?", bare("000_77323e78f047d601")) == [
        "Sochi"]
    # a reviewer's: in an article the whole run is read, from a proper noun on, not its last word in any word (000
    # writes 意図, which reads "ito"; no Kenji Ito)
    assert unwritten_romanized(searcher, "What did Kenji Ito say about the talks?", bare("000_77323e78f047d601")) == [
        "Kenji Ito"]


def test_a_japanese_name_before_river_or_temple_is_written_where_an_article_writes_that_place(searcher) -> None:
    """A twenty-first probe's: every question naming "the Nagara River" was refused as not covered, its passage first:
    the vocabulary holds 長良川 whole (nagaragawa) and no noun reads "nagara". The name and the noun after it, in any
    case ("the Nagara river"), are read as one place an article writes; not a surname of the same kanji (a reviewer's:
    "Ono Temple" was read in Prof. 小野寺's words, and the question answered from her article)."""
    from types import SimpleNamespace

    from rag.answers.coverage.unwritten import _read_in
    from rag.stores.bridge import Bridge, _by_reading

    analyzer = searcher.analyzer

    def proper(term: str) -> bool:
        return analyzer.tags(term)[:2] == ("名詞", "固有名詞")
    bridge = Bridge({}, words=["what", "happened", "on", "the", "river", "temple"],
                    readings=_by_reading(["長良川", "小野寺"], analyzer.noun_readings, proper))
    reader = SimpleNamespace(bridge=bridge, analyzer=analyzer)  # the two parts of a searcher `_read_in` reads
    texts = ["岐阜市の長良川に架かる春日大橋で亀裂が見つかった。審議会の会長を務める小野寺裕子教授は「…」と述べた。"]
    for question in ("What happened on the Nagara River?", "What happened on the Nagara river?"):
        assert _read_in(reader, "Nagara", "nagara", texts, question), question
    assert not _read_in(reader, "Ono Temple", "ono", texts, "What did the chief priest of Ono Temple say?")
    assert not _read_in(reader, "Nagara", "nagara", ["長良は…"], "What happened on the Nagara River?")
