"""Whether the passages found are about the question at all, so that an extractive answer does not quote passages
on North Korea to "hello" or to a question about sushi rice (docs/answers.md, "Saying the articles do not cover it").

Two signals, both from the search that ran already:
- **USE's cosine** between the question and the closest of its top passages (`Hit.scores`). USE was trained on
  questions and their answers and spreads the two kinds apart: 0.26 and up for each of the 714 questions of
  eval/questions (the conversation sets aside), 0.03-0.31 for greetings, requests and general questions, most of
  them under 0.15. e5's cosines crowd into one band for both and cannot tell them apart.
- **A name the passages hold.** A bare name that the articles mention once ("Lazarus Group", 王毅) scores as low as a
  greeting on USE. Such a question still counts as covered when one top passage holds every name it asks for: its
  Japanese nouns (not the words that ask: 誰, 何, and the frame of "何の略" or "どんな人物"), and each run of
  capitalised English words, spelled there (rag/stores/sounds.py): a katakana term of the passage with the run's
  consonants ("Lavrov" is ラブロフ), a Latin term with its letters ("IAEA"), or the run's surname in katakana
  ("Andrew Korybko" is コリブコ), or its place with a division ("Kharkiv" is ハリコフ州). Kanji spellings count only
  for a name the bridge reads as one, in kanji that Sudachi's dictionary holds only as proper nouns, a person's name
  among them ("Wang Yi" is 王毅; `_bridge_names`), and the run's other long words must then be held by their sound or
  by the bridge's terms: the bridge maps "hello" to 歓迎, a word the corpus holds, and JMnedict reads the given name
  "Saki" as 未来. Nor does a term that only means something near the name count, since the term alignment proposes one
  for every word ("peru" → トルコ, "weather" → タイム). A question typed wholly in lowercase has no case to mark a name,
  so each of its longer words is taken for one when the search also spells it otherwise as it sounds ("lazarus" is
  ラザルス; "tell" is only itself), when a top passage writes it in Latin letters ("aukus"), or when the bridge reads
  it as a name ("wang", "yi"). A question that names nothing else by an acronym of two or three capitals ("What does
  ISW stand for?") needs a passage that writes it in those letters.

And one that refuses whatever the cosine: **a name the index never writes.** A Japanese question naming in kanji a
person or place (Sudachi's 人名, 地名) that no sentence of the index holds, nor begins a longer term with, asks about
something the articles are not about (「大谷翔平は…」, 「北海道では…」: `unwritten_names`). So does an English question
naming in Japanese syllables someone or somewhere that no dictionary of the bridge holds and no top passage reads
as ("Kenji Tanaka", "the Ofunato wildfire": `unwritten_romanized`).

A follow-up (a question searched with the conversation) is not checked: its hits mix two searches, and it continues
a conversation that was about the articles. Nor is an answer written by an LLM, which reads the passages itself.
"""

from __future__ import annotations

import itertools
import re
import threading
import unicodedata
from collections.abc import Sequence

from ..retrieval import Searcher
from ..retrieval.rerank.answer_type import is_interrogative
from ..stores.bridge import DIVISION, DIVISIONS, FACILITIES, Bridge, name_terms
from ..corpus.lines import has_cjk
from ..stores.english import PARTICIPLES, english_words, stems
from ..stores.japanese import STOP_WORDS
from ..stores.romaji import folded, reads_as_japanese, romanized
from ..stores.sounds import short, spells
from ..types import Hit

SIGNAL = "use"
PASSAGES = 5  # the top passages read, as the extractive answer reads them
CLOSEST = 3  # the passages a not-covered answer lists, for a reader who knows better than the check
NOT_COVERED = {
    "en": "None of the passages found seems to answer this question; the indexed articles may not cover it. The "
          "closest passages are listed as sources.",
    "ja": "見つかった文章には、この質問に答えるものが見当たりません。索引の記事が扱っていない内容かもしれません。最も近い"
          "文章を出典として示します。",
}
# the reply to a chat message that asks nothing ("Thanks!", "hi", "👍"), which is not searched
SMALL_TALK = {
    "en": "Ask me about the indexed news articles, in English or Japanese: I answer from their passages and cite them.",
    "ja": "索引のニュース記事について、日本語か英語で質問してください。記事の文章を引用してお答えします。",
}
_KATAKANA = re.compile(r"^[\u30a0-\u30ff]{2,}$")
_KANJI = re.compile(r"[\u4e00-\u9fff]")
_KANJI_NAME = re.compile(r"[\u4e00-\u9fff々]{2,}")
_LATIN = re.compile(r"^[a-z][a-z0-9.\-]{2,}$")
# a run of capitalised words: a name as an English question writes it ("Lazarus Group", "J.D. Vance")
# (after anything but a Latin letter or digit: "北朝鮮のLazarus Group", where のL is no word boundary to a regex)
_NAME = re.compile(r"(?<![A-Za-z0-9])[A-Z][A-Za-z0-9.\-]*[A-Za-z0-9](?:\s+[A-Z][A-Za-z0-9.\-]*[A-Za-z0-9])*")
_NAME_WORD_CHARS = 4  # a run is a name if it has a word this long ("J.D." and "U.S." alone are not)
_POSSESSIVE = re.compile(r"^['’]s\b")
_WORD = re.compile(r"[a-z][a-z0-9.\-]*[a-z0-9]")  # a word of a question typed in lowercase
_ACRONYM = re.compile(r"(?<![A-Za-z0-9.])[A-Z][A-Z0-9]{1,2}(?![A-Za-z0-9.])")
# short English words a question in capitals may hold that STOP_WORDS does not ("TELL ME", "US", "OK")
_SHORT_WORDS = {"me", "us", "my", "so", "if", "up", "ok", "all", "but", "yes", "our", "out", "new"}
# nouns of Japanese questions that say what is asked, not what about: "何の略", "どんな人物", "意味は"
_ASKING_NOUNS = {"略", "意味", "人物", "正体", "名前", "何者"}


def not_covered_message(lang: str) -> str:
    return NOT_COVERED.get(lang, NOT_COVERED["en"])


def small_talk_message(lang: str, message: str = "") -> str:
    """The reply to small talk in `lang`: what the service answers, after a "You're welcome." to a thanks and a
    "Hello!" to a greeting (`message`; a probe's: the bare prompt read oddly after a thank-you)."""
    opener = _OPENERS.get(_small_talk_kind(message), {}).get(lang, "")
    return f"{opener}{' ' if opener and lang != 'ja' else ''}{SMALL_TALK.get(lang, SMALL_TALK['en'])}"


_OPENERS = {"thanks": {"en": "You're welcome.", "ja": "どういたしまして。"}, "greeting": {"en": "Hello!", "ja": "こんにちは。"}}
_THANKS_EN = frozenset({"thanks", "thank", "thx", "ty", "cheers", "appreciate", "appreciated"})
_GREETINGS_EN = frozenset({"hi", "hello", "hey", "morning", "afternoon", "evening", "yo", "hiya"})
_THANKS_JA = re.compile(r"ありがと|サンキュ|感謝|どうも")
_GREETINGS_JA = re.compile(r"こんにちは|こんばんは|おはよう|はじめまして")


def _small_talk_kind(message: str) -> str | None:
    """"thanks" or "greeting" for small talk that thanks or greets (either language), else None (ok, 👍, 了解)."""
    words = set(english_words(message))
    if words & _THANKS_EN or _THANKS_JA.search(message):
        return "thanks"
    if words & _GREETINGS_EN or _GREETINGS_JA.search(message):
        return "greeting"
    return None


def closest_cosine(hits: Sequence[Hit]) -> float | None:
    """USE's cosine between the question and the closest of its top passages of article text (its source rows when
    it has no other); None without USE scores (an index without USE, a single-signal search). A source row is a
    line or two ("しゅうさんのミリタリー雑談ブログ"), which USE finds near many a short question: "源氏物語の作者は誰?",
    asked as a question about an author, reached the Japanese floor through the blog's name alone."""
    read = top(hits)
    cosines = [h.scores[SIGNAL] for h in read if SIGNAL in h.scores and not h.source]
    cosines = cosines or [h.scores[SIGNAL] for h in read if SIGNAL in h.scores]
    return max(cosines) if cosines else None


def passages_cover(searcher: Searcher, question: str, hits: Sequence[Hit], min_cosine: float) -> bool:
    """Whether the top passages are about `question` (the text that was searched): True when the check is off
    (`min_cosine` 0), when there is nothing to judge (no hits, no USE score), when USE's closest cosine reaches
    `min_cosine`, or when one top passage holds every name the question asks for; False, whatever the cosine, when
    the question names in kanji a person or place the index never writes (`unwritten_names`), or in Japanese
    syllables one that neither the bridge nor a top passage reads as it (`unwritten_romanized`)."""
    if min_cosine <= 0 or not hits:
        return True
    if (unwritten_names(searcher, question, hits) or unwritten_romanized(searcher, question, hits)
            or unwritten_years(searcher, question, hits)):
        return False
    cosine = closest_cosine(hits)
    return cosine is None or cosine >= min_cosine or names_held(searcher, question, hits)


def names_held(searcher: Searcher, question: str, hits: Sequence[Hit]) -> bool:
    """Whether one top passage holds every name of `question` (see the module's docstring)."""
    question = unicodedata.normalize("NFKC", question)  # full-width letters are letters: ＮＡＴＯ is NATO
    analyzer = searcher.analyzer
    # the nouns, not the words that ask ("ラブロフとは誰か": 誰 is a pronoun; 何年, 何人, and 何 with the counter after
    # it: no passage writes the question's 何) nor a question's frame ("ISWは何の略")
    japanese: set[str] = set()
    after_what = False
    for t in analyzer.tokens(question):
        if (t.term and not t.term.isascii() and t.pos[0] == "名詞" and t.term not in _ASKING_NOUNS
                and not is_interrogative(t.term) and not (after_what and t.pos[2] == "助数詞可能")):
            japanese.add(t.term)
        after_what = t.surface == "何"
    runs = name_runs(question)
    passages = [set(analyzer.terms(h.passage.text)) for h in top(hits)]
    spelled = [_spellings(p) for p in passages]
    # the words the bridge reads as names only the name dictionaries hold, or as a person by the name's reading
    # (Vance: バンス; Wang Yi: 王毅, in kanji), with their terms that write a name, and the bridge
    people, given, bridge = _bridge_names(searcher, question)

    tried: dict[str, set[str]] = {}

    def searched(text: str) -> set[str]:  # the katakana and Latin terms the search tries for `text`, asked once
        if text not in tried:
            tried[text] = _searched(searcher, text)
        return tried[text]

    def held(text: str, names: set[str]) -> bool:  # a katakana or Latin term of the passage sounds like `text`
        if short(text):  # a key of one or two classes is many words' key: the search must try that term too
            return any(spells(t, text) for t in searched(text) & names)
        return any(spells(t, text) for t in names)

    if not runs and not japanese and question == question.lower():
        # typed all in lowercase, no capital marks a name. A longer word is taken for one when the search spells it
        # otherwise as it sounds ("lazarus" is ラザルス to the term alignment; "weather" is タイム, no spelling), or
        # when a top passage holds it in Latin letters, as the articles write acronyms ("aukus"). Not when a passage
        # merely holds a katakana word that sounds like it: loanwords sound like common English words ("engine").
        latin = {t for passage in passages for t in passage if t.isascii()}
        runs = [w for w in dict.fromkeys(_long_words(" ".join(_WORD.findall(question))))
                if w in latin or any(t != w and spells(t, w) for t in searched(w))]
        runs += [w for w in people if w not in runs]  # "who is wang yi"
        # a given name beside its surname is the run's ("who is sora kudo", "kudo sora": 工藤隆 is not Sora Kudo; reviewers')
        typed = _WORD.findall(question)
        full = {b: f"{a} {b}" for a, b in zip(typed, typed[1:]) if a in given and b in people}
        full |= {a: f"{a} {b}" for a, b in zip(typed, typed[1:]) if a in people and b in given}  # "kudo sora"
        runs = [full.get(w, w) for w in runs]
    # a question that names nothing else, by an acronym of two or three capitals ("What does ISW stand for?")
    acronyms = [] if japanese or runs else [a.lower() for a in short_acronyms(question)]
    if not japanese and not runs and not acronyms:
        return False

    groups_of: dict[str, list[list[str]]] = {}

    def expanded(word: str) -> list[list[str]]:  # the bridge's groups for `word`, asked once for all the passages
        if word not in groups_of:
            groups_of[word] = bridge.expand(word)
        return groups_of[word]

    def by_bridge(run: str, names: set[str], passage: set[str], text: str) -> bool:
        """The run's words the bridge reads as names are held as it writes them, and each of its other words of
        _NAME_WORD_CHARS letters or more by its sound or by one of the bridge's terms for it ("Wang Yi", "J.D.Vance",
        "Xi Jinping's role"; not "Vance Scholz", nor "Best Vance Pizza Recipe"); a given name by the kanji after the
        surname, read as it sounds ("Takashi Kudo" is 工藤隆氏, whose 隆, タカシ, is not among the bridge's few kanji
        for Takashi; not "Sora Kudo")."""
        found = [w.removesuffix("'s") for w in english_words(run)]
        if not any(w in people for w in found):
            return False
        surnames = {t for w in found if w in people for t in people[w]}
        return all(not passage.isdisjoint(people[w]) for w in found if w in people) and all(
            held(w, names) or any(not passage.isdisjoint(g) for g in expanded(w))
            or (w in given and _given_after(analyzer, text, surnames, w))
            for w in found if w not in people and (len(w) >= _NAME_WORD_CHARS or w in given) and w not in STOP_WORDS)

    read_as: dict[str, set[str]] = {}

    def in_syllables(run: str, text: str) -> bool:
        """A full name in Japanese syllables that the passage reads as, surname first, from a person's name on
        ("Koji Yamamoto" is 山本浩二さん, whose kanji neither the bridge nor a sound spells: a probe's question was
        refused as not covered). Not a word alone ("Saki" and "Takashi" read as 先 and 高し), nor one person's surname
        with another's given name (伊藤正樹 and 渡辺隆 are no Takashi Ito: a reviewer's)."""
        words = [re.sub(r"['’]s$", "", w).strip(".") for w in run.split()]
        if len(words) != 2 or not all(reads_as_japanese(w) and not w.isupper() for w in words):
            return False
        if text not in read_as:
            read_as[text] = _full_names_read(analyzer, text)
        return any(_starts(read_as[text], folded(name)) for name in (words[1] + words[0], words[0] + words[1]))

    def named(run: str, names: set[str], passage: set[str], text: str) -> bool:
        if by_bridge(run, names, passage, text) or in_syllables(run, text):
            return True
        if held(run, names):  # the run whole: "Bretton Woods" is ブレトン・ウッズ
            return True
        if all(held(w, names) for w in _long_words(run)):
            return True
        # a person is named by the surname alone, in katakana ("Andrew Korybko" is コリブコ there); not by a Latin
        # acronym that sounds like it ("Taylor Swift" is not SWIFT)
        words = run.split()
        return len(words) > 1 and held(words[-1], {t for t in names if not t.isascii()})

    # a short acronym is held only as the passage writes it, in Latin letters ("ISW(戦争研究所)")
    return any(japanese <= passage and all(named(run, names, passage, hit.passage.text) for run in runs)
               and all(a in passage for a in acronyms) for passage, names, hit in zip(passages, spelled, top(hits)))


def unwritten_names(searcher: Searcher, question: str, hits: Sequence[Hit] = ()) -> list[str]:
    """The people and places `question` names in kanji that the index never writes: a question about 大谷翔平 or 北海道
    was answered from a footballer's goals and another region's stores (two probes' findings), topically close
    enough for USE. A name the articles never write cannot be what they answer about, whatever else the question
    names (石破茂首相は中国について…: a reviewer's).

    A name is Sudachi's 固有名詞 人名 or 地名, of two kanji or more. A person is the run of its parts, written when its
    surname of two kanji or more is a word the index holds (news writes 「岸田首相」 for 岸田文雄), or when a top passage
    (`hits`) writes the whole name (王岐山: 王 alone is anyone's). A place is one word, written as it is, with its
    division cut (北京市 by 北京), or at the start of a longer term (熊本 in 熊本県); a country (地名 国: 中華人民共和国,
    大韓民国) is not judged, as its names are many. Either is written, too, when a top passage names someone or
    somewhere of the same reading (渡辺 for 渡邊). Katakana and Latin names are not judged: an English name reaches the
    passages through the bridge and the term alignment, which propose a term for any word, and a katakana one through
    its sound, which spells many ways (docs/answers.md). None without a sentence store."""
    store = getattr(searcher.index, "sentences", None)
    if store is None or not _KANJI.search(question):
        return []
    analyzer = searcher.analyzer
    held = store.frequencies()
    passages: list[str] | None = None
    readings: set[str] | None = None

    def in_passages(name: str) -> bool:
        nonlocal passages
        if passages is None:
            passages = [h.passage.text for h in top(hits)]
        return any(name in p for p in passages)

    def read_there(names: Sequence[str]) -> bool:  # a top passage names someone or somewhere that sounds the same
        nonlocal readings
        if readings is None:
            readings = _readings(analyzer, hits)
        return any(readings.intersection(analyzer.readings(n)) for n in names if n)

    out: list[str] = []
    places: list[str] = []  # the places of the question the index does not write
    place_written = False  # whether it names a place the index writes (a country, 北京, ロシア)
    person: list = []  # the parts of the person being read (surname, given name)
    tokens = analyzer.tokens(unicodedata.normalize("NFKC", question))
    out += _unwritten_facilities(tokens, store, held, in_passages)
    for t in [*tokens, None]:
        kind = t.pos[2] if t is not None and t.pos[1:2] == ("固有名詞",) else None
        if person and kind != "人名":
            name, surname = "".join(p.surface for p in person), person[0].term or ""
            if (_KANJI_NAME.fullmatch(name) and not (len(surname) >= 2 and store.idf(surname) > 0)
                    and not in_passages(name) and not read_there([surname] if len(surname) >= 2 else [])):
                out.append(name)
            person = []
        if t is None or not t.term or kind not in ("人名", "地名"):
            continue
        if kind == "人名":
            person.append(t)
            continue
        if t.pos[3:4] == ("国",) or not _KANJI_NAME.fullmatch(t.surface):
            place_written = place_written or store.idf(t.term) > 0
            continue
        stem = t.term[:-1] if t.term[-1:] in _CUT and len(t.term) > 2 else ""  # 北京市: 北京, 北極海: 北極
        if any(store.idf(n) > 0 or held.begins_a_term(n) for n in (t.term, stem) if n) or read_there([t.term, stem]):
            place_written = True
        else:
            places.append(t.surface)
    # a place the index never writes is judged only where the question names no place it does: 平壌, 台北 and 東京
    # stand for their governments beside a country ("平壌はロシアに兵士を派遣したのか", a reviewer's), which the
    # articles write by the country's name
    return out + (places if not place_written else [])


def _unwritten_facilities(tokens, store, held, in_passages) -> list[str]:
    """The temples, shrines, castles and stations a Japanese question names in kanji that the index never writes:
    Sudachi's 固有名詞 一般 of two kanji or more that ends as one (延暦寺, 品川駅; not 令和, 日銀 or 禅宗, which date or frame
    a question: a reviewer's), and a noun of two kanji or more with such a suffix after it (金閣 + 寺, read as a
    common noun and a suffix). 「金閣寺の火事の原因は何か」 was answered with another temple's fire (a probe's finding).
    Written when a sentence holds the term or the term without its last kanji, or a longer term begins with either, or
    a top passage writes the name whole."""
    out: list[str] = []
    for i, t in enumerate(tokens):
        if not t.term or not _KANJI_NAME.fullmatch(t.surface):
            continue
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        if t.pos[1:3] == ("固有名詞", "一般") and t.surface.endswith(_FACILITY_ENDS):
            name = t.surface  # not an era (令和), a bank (日銀) or a school of Buddhism (禅宗), which frame a question
        elif (t.pos[1:2] == ("普通名詞",) and nxt is not None and nxt.pos[1:2] == ("名詞的",)
              and nxt.surface in _FACILITIES):
            name = t.surface + nxt.surface
        else:
            continue
        # a compound Sudachi reads as one word in the question may be two in the passages: 韓国軍 is written by 韓国
        stem = t.term[:-1] if len(t.term) > 2 else ""
        if not any(store.idf(n) > 0 or held.begins_a_term(n) for n in (t.term, stem) if n) and not in_passages(name):
            out.append(name)
    return out


_FACILITIES = frozenset({"寺", "城", "駅", "神社", "神宮", "大社", "院"})  # Sudachi's suffixes after a name (金閣 + 寺)
_FACILITY_ENDS = tuple(_FACILITIES)


def unwritten_romanized(searcher: Searcher, question: str, hits: Sequence[Hit] = ()) -> list[str]:
    """The runs of capitalised words an English question names someone or somewhere by, in Japanese syllables, that
    the index does not write: a question about "Judge Kenji Tanaka" or "the Ofunato wildfire" was answered with
    another judge's words and another town's evacuations (a probe's findings), close enough in topic for USE.

    A run is judged by its last word (a surname in English order, a place's own name before nothing), or by its
    last one in Japanese syllables before English words ("Sameura Dam", "Ofunato City Office"), each part of a run
    between its stop words on its own (a question in Title Case is one run): in Japanese
    syllables as Hepburn writes them (`reads_as_japanese`: not Putin, Lavrov, Harris), not in capitals (NATO), and
    unknown to the bridge (no term of its dictionaries, no katakana term that spells it, no English word: "Tokyo" and
    "Horie" are there when the index writes 東京 and 堀江; a noun that reads as it does not count, 田 + 中 for
    "Tanaka"). Such a word is written when a top passage (`hits`) reads
    as it: a word or two words in a row, Sudachi's reading in Hepburn's letters with the long vowels folded
    (若嵐: ワカ + アラシ is "Wakaarashi", 東和精機 is "Towa Seiki"). None for a question in Japanese letters, which
    `unwritten_names` reads, nor without the bridge."""
    bridge = searcher.bridge
    question = unicodedata.normalize("NFKC", question)  # full-width letters are letters: Ｙｏｓｈｉｋｉ is Yoshiki
    if bridge is None or has_cjk(question):
        return []
    judged = []
    for run in name_runs(question):
        words = [re.sub(r"['’]s$", "", w).strip(".") for w in run.split()]
        pieces = _pieces(words)
        # a question in Title Case has a stop word inside a run, not only a capitalised first word ("Did Ofunato…")
        title_case = any(w.lower() in STOP_WORDS for w in words[1:])
        for piece, after in pieces:
            # the last word in Japanese syllables, before English words only: a place's own name before what it is
            # ("Sameura Dam", "Kochi Prefecture": a probe's, answered with another dam's storage)
            at = len(piece) - 1
            while at > 0 and (piece[at].lower() in PARTICIPLES
                              or (not reads_as_japanese(piece[at]) and _english(bridge, piece[at]))):
                at -= 1
            last = piece[at]
            if (last.isupper() or not reads_as_japanese(last) or _english(bridge, last)
                    or bridge.expand(last.lower(), reading=False)):
                continue
            # in Title Case every word is capitalised: a name is two words in Japanese syllables ("Kenji Tanaka"),
            # one before the English word it names ("Sameura Dam"), or one after "of", "about", "is"… ("Of
            # Ofunato", "Who Is Tanaka"); a word alone is any verb ("Chose", "Rode", "Wore": a reviewer's)
            if (title_case and at == len(piece) - 1 and not (at > 0 and reads_as_japanese(piece[at - 1]))
                    and after not in _PLACES):
                continue
            judged.append((" ".join(piece), folded(last)))
    if not judged:
        return []
    read = _romanized_readings(searcher.analyzer, hits)
    missing = [(run, word) for run, word in judged if word not in read]
    if missing:
        # the article of a top passage may write the name where that passage does not: "What did the president of
        # Shimanami Kisen say?" found 「社長の河野隆之氏は…」, whose article names its company, しまなみ汽船, above it
        # (a probe's: refused as not covered). There the whole run must be read, from a proper noun on: the last
        # word alone is any word of a long text ("Kenji Ito" read in 意図, "Hara" in 払っ: a reviewer's)
        names = frozenset().union(*(_document_names(searcher, doc)
                                    for doc in dict.fromkeys(h.passage.doc_id for h in top(hits))))
        missing = [(run, word) for run, word in missing if not names & _run_spellings(run)]
    if missing:
        # or writes a noun the bridge's readings give the word ("Toho Motor": 東邦, in 「東邦自動車(本社・…)」, which
        # the passages about the ministry's report never name again: a seventeenth probe's, refused as not covered)
        texts = _article_texts(searcher, top(hits))
        missing = [(run, word) for run, word in missing if not _read_in(searcher, run, word, texts)]
    return [run for run, _ in missing]


def _article_texts(searcher: Searcher, hits: Sequence[Hit]) -> list[str]:
    """The texts of the articles `hits` are of, each once."""
    passages = searcher.index.passages
    texts = (passages.article_text(*at) for at in dict.fromkeys((h.passage.doc_id, h.passage.article) for h in hits))
    return [text for text in texts if text is not None]


def _read_in(searcher: Searcher, run: str, word: str, texts: Sequence[str]) -> bool:
    """Whether one of `texts` writes what the bridge's readings read `word` (folded; the run's last word in Japanese
    syllables) as (`Bridge.read_as`): its two parts together (瑞雲寺 for "Zuiunji", never 瑞雲 and 寺 apart), or one
    noun with a term of the run's English word after it (東邦自動車 for "Toho Motor", by the search's groups for
    "motor"). Not any noun that reads so anywhere in a long article: 措置 is no "Sochi summit", 東方 no "Toho Gas",
    みちのく中央交通 no "Kotsu Holdings" (a reviewer's: each was answered as covered). A word alone ("Governor Oiwa") is
    read in the top passages as Sudachi reads them in place (`_romanized_readings`)."""
    groups = searcher.bridge.read_as(word)
    if not groups:
        return False
    if len(groups) > 1:
        spellings = {"".join(parts) for parts in itertools.product(*groups)}
        return any(spelling in text for spelling in spellings for text in texts)
    words = [w.lower() for w in run.split()]
    at = next((i for i, w in enumerate(words) if folded(re.sub(r"['’]s$", "", w).strip(".")) == word), None)
    after = words[at + 1] if at is not None and at + 1 < len(words) else ""
    then = {t for g in searcher.term_groups(after) for t in g if not t.isascii()} if after else set()
    return any(term + next_term in text for term in groups[0] for next_term in then for text in texts)


def unwritten_years(searcher: Searcher, question: str, hits: Sequence[Hit] = ()) -> list[int]:
    """The years a question asks about that no top passage's article writes or dates: "Who won the Kyushu tournament
    in November 2023?" was answered with 2025's winner, as covered (a probe's near miss), the topic being the same.

    A year is one from 1900 to 2099 after a word that dates ("in", "since", "fiscal", a month, a season) or after a
    day ("March 10, 2023"), and before no word it counts ("2000 people", "by 1999 votes", "1990s"); or naming an event
    ("the 2024 Shizuoka City Marathon"); or written as one in Japanese (2023年, 2023年度; not 2000年間, 2000年前) or
    in an era's years (令和5年). An article holds it when its text (the first DOC_CHARS characters, and the top
    passages') writes it so, as digits alone (2023), or by its era; or when the article was published that year, or
    one year later and a top passage of it writes 去年 or 昨年 (two years, おととし or 一昨年), or a year earlier and
    one writes 来年 or 翌年: an article that writes おととし elsewhere is no answer about that year (a reviewer's). A
    fiscal year (fiscal, FY, 年度) is also held by an article published in its January to March. None when a top
    passage's article neither writes a year nor is dated: it may be of any."""
    question = unicodedata.normalize("NFKC", question)
    years = _asked_years(question)
    if not years:
        return []
    fiscal = bool(_FISCAL.search(question))
    passages = searcher.index.passages
    read = top(hits)
    held: set[int] = set()
    for doc_id, article in dict.fromkeys((h.passage.doc_id, h.passage.article) for h in read):
        found = passages.article_of(doc_id, article)
        shown = unicodedata.normalize("NFKC", "".join(h.passage.text for h in read
                                                      if (h.passage.doc_id, h.passage.article) == (doc_id, article)))
        body = found[0][found[1].start:min(found[1].end, found[1].start + DOC_CHARS)] if found else ""
        text = unicodedata.normalize("NFKC", body) + "\n" + shown
        written = {int(y) for y in _YEAR_DIGITS.findall(text)} | {_era_year(e, n) for e, n in _ERA_YEAR.findall(text)}
        published = found[1].published if found else None
        year = int(published[:4]) if published and published[:4].isdigit() else None
        if not written and year is None:
            return []  # an article that neither writes a year nor is dated may be of any year
        held |= written
        if year is not None:
            held.add(year)
            held |= {year + back for back, words in _RELATIVE.items() if words.search(shown)}
            if fiscal and published[5:7] in ("01", "02", "03"):
                held.add(year - 1)
    return [y for y in years if y not in held]


_MONTHS = ("january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|"
           "jun|jul|aug|sep|sept|oct|nov|dec")
# after the year, no word it counts: a lower-case word other than one that goes on with the sentence ("in 2023 and
# 2024", "in 2023 when…"), "s" (the 1990s) or a hyphen and a unit (2000-ton)
_NO_COUNT = (r"(?!s\b|-(?-i:[a-z])|\s+(?!(?:and|or|to|when|while|after|before|until|through|at|in|on|for|with|as|than|"
             r"was|were|is|are|did|does|had|has|have|that|which|the|a|an|compared|versus|vs|overall|alone|combined|so|"
             r"too|also|again|then|respectively)\b)(?-i:[a-z]))")
# a year in an English question: after a preposition or a day ("March 10, 2023"), and before no word it counts; after
# a word that can only date it ("fiscal 2023 profit", "FY2024", "March 2023", "early 2024"), whatever follows but an s
_YEAR_EN = re.compile(rf"(?:\b(?:in|of|since|until|till|by|before|after|during|from|through)[\s-]+|\b\d{{1,2}},?\s+)"
                      rf"((?:19|20)\d\d)(?![\d,.]\d|\s*%){_NO_COUNT}"
                      rf"|(?:\bfy[\s-]*|\b(?:fiscal|year|season|early|late|mid|spring|summer|autumn|fall|winter|"
                      rf"{_MONTHS})[\s-]+)((?:19|20)\d\d)(?![\d,.]\d|\s*%|s\b)"
                      r"|\bthe\s+((?:19|20)\d\d)\s+(?-i:[A-Z])", re.IGNORECASE)  # or an event's: "the 2024 Shizuoka…"
_YEAR_JA = re.compile(r"(?<!\d)((?:19|20)\d\d)(?:年(?![間代分]|ぶり|前(?![半期]))|[/-]\d)")
_FISCAL = re.compile(r"\bfiscal\b|\bFY|年度", re.IGNORECASE)
_ERAS = {"令和": 2018, "平成": 1988, "昭和": 1925}
_ERA_YEAR = re.compile(r"(令和|平成|昭和)(\d{1,2}|元)年")
_YEAR_DIGITS = re.compile(r"(?<!\d)((?:19|20)\d\d)(?!\d)")
_RELATIVE = {-1: re.compile(r"去年|(?<!一)昨年"), -2: re.compile(r"おととし|一昨年"), 1: re.compile(r"(?<!再)来年|翌年"),
             2: re.compile(r"再来年")}


def _asked_years(question: str) -> list[int]:
    """The years `question` (NFKC) asks about, in its order, each once."""
    found = [int(a or b or c) for a, b, c in _YEAR_EN.findall(question)]
    found += [int(y) for y in _YEAR_JA.findall(question)]
    found += [_era_year(era, n) for era, n in _ERA_YEAR.findall(question)]
    return list(dict.fromkeys(found))


def _era_year(era: str, n: str) -> int:
    """令和5年 is 2023, 令和元年 2019."""
    return _ERAS[era] + (1 if n == "元" else int(n))


def _english(bridge: Bridge, word: str) -> bool:
    """Whether `word` is one of the dictionary's English words ("Dam", "Prefecture", "School"), or a participle of
    one that reads as Japanese syllables ("Been", "Chosen": a reviewer's, in a question typed in Title Case)."""
    return word.lower() in PARTICIPLES or not bridge.words.isdisjoint(stems(word.lower()))


def _pieces(words: list[str]) -> list[tuple[list[str], str]]:
    """A run's words parted at its stop words, each with the stop word before it (lower case; "" for none): a
    question typed in Title Case is one run ("What Did The Mayor Of Ofunato Say"), whose names are judged each on its
    own ("Ofunato", after "of")."""
    out: list[tuple[list[str], str]] = [([], "")]
    for w in words:
        if w.lower() in STOP_WORDS:
            out.append(([], w.lower()))
        elif w:
            out[-1][0].append(w)
    return [(p, after) for p, after in out if p]


_PLACES = frozenset({"of", "in", "at", "from", "near", "to", "about", "is", "was"})  # a name's place after them


def _run_spellings(run: str) -> set[str]:
    """A run's words in Japanese syllables as one name in Hepburn's letters, folded: the run without its title or
    qualifier ("Manager Okabe Shinichi", "Imabari-based Shimanami Kisen"), each two or more of them in a row ("Shimanami
    Kisen Kaisha": shimanamikisen), two in either order (an English given name first, a Japanese surname first)."""
    words = [w for w in (re.sub(r"['’]s$", "", w).strip(".") for w in run.replace("-", " ").split())
             if reads_as_japanese(w)]
    out = {folded("".join(words[i:j])) for i in range(len(words)) for j in range(i + 2, len(words) + 1)}
    out |= {folded(b + a) for a, b in zip(words, words[1:])}
    return out | ({folded(words[0])} if len(words) == 1 else set())


def _document_names(searcher: Searcher, doc_id: str) -> frozenset[str]:
    """What the proper nouns of a document's first DOC_CHARS characters read as, alone and with up to two words after
    each (しまなみ + 汽船: "Shimanami Kisen"; 河野 + 隆之), in Hepburn's letters, folded: read once per index version
    and document, DOC_CACHE documents kept."""
    index = searcher.index
    key = (index.version, doc_id)
    with _DOC_LOCK:
        found = _DOC_READINGS.get(key)
    if found is not None:
        return found
    rows = index.passages.rows_of_document(doc_id)
    texts, length = [], 0
    for r in (rows.tolist() if rows is not None else ()):  # passages overlap: each read from where the last ended
        passage = index.passages[r]
        if passage.end <= length:
            continue
        texts.append(passage.text[max(0, length - passage.start):])
        length = passage.end
        if length >= DOC_CHARS:
            break
    found = frozenset(set().union(*(_read_from(searcher.analyzer, text, lambda t: t.pos[1:2] == ("固有名詞",),
                                               _SPELLINGS) | _quoted_kana(text) for text in texts)))
    with _DOC_LOCK:
        _DOC_READINGS[key] = found
        while len(_DOC_READINGS) > DOC_CACHE:
            _DOC_READINGS.pop(next(iter(_DOC_READINGS)))
    return found


DOC_CHARS = 20_000  # an article's names are read from its start: a headline, a lead and the body after them
DOC_CACHE = 64
_SPELLINGS = 16
_DOC_READINGS: dict[tuple[str, str], frozenset[str]] = {}
_DOC_LOCK = threading.Lock()


def _full_names_read(analyzer, text: str) -> set[str]:
    """What the words of `text` read as from each of Sudachi's person's names (人名) on, up to three words (佐藤 + 健 +
    一部: Sudachi cuts 佐藤健一部長 so), in Hepburn's letters, folded."""
    return _read_from(analyzer, text, lambda t: t.pos[2:3] == ("人名",))


def _read_from(analyzer, text: str, starts, most: int | None = None) -> set[str]:
    """What the words of `text` read as from each word `starts` accepts on, up to three words, in Hepburn's letters,
    folded; at most `most` spellings of a run (a word of many readings in a row multiplies them)."""
    tokens = list(analyzer.tokens(text))
    out: set[str] = set()
    for i, t in enumerate(tokens):
        if not starts(t):
            continue
        spelled, words = [""], 0
        for u in tokens[i:]:
            if u.surface in _JOINERS and words:  # 輝 + ノ + 嶺: one name
                spelled = [s + j for s in spelled for j in _JOINERS[u.surface]][:most]
                continue
            if u.pos[0] in _NOT_READ or words == 3:
                break
            spelled = [s + r for s in spelled for r in _read(analyzer, u.surface)][:most]
            out.update(folded(romanized(s)) for s in spelled)
            words += 1
    out.discard("")
    return out


def _starts(readings: set[str], name: str) -> bool:
    """Whether a reading is `name` or begins with it (健 + 一部 read "kenichibu")."""
    return any(r.startswith(name) for r in readings)


def _romanized_readings(analyzer, hits: Sequence[Hit]) -> set[str]:
    """What the top passages' words read as, alone and two in a row (若 + 嵐), in Hepburn's letters, folded: Sudachi's
    readings, a word in kana that its dictionary lacks as it is written (ヨシキ, a reviewer's), a place's name
    without the division Sudachi reads with it (みやき町: "Miyaki", as 北京市 is 北京 to `unwritten_names`), a port's or
    a station's without its 港 or 駅 (花咲港: "Hanasaki"), and a name in kana between 「」 whole (`_quoted_kana`)."""
    out: set[str] = set()
    for h in top(hits):
        before: list[str] = []
        for t in analyzer.tokens(h.passage.text):
            if t.surface in _JOINERS and before:  # 輝 + ノ + 嶺 read on as one name: "Terunomine"
                before = [b + j for b in before for j in _JOINERS[t.surface]]
                continue
            if t.pos[0] in _NOT_READ:
                before = []
                continue
            readings = _read(analyzer, t.surface)
            # a place without its division; a port's or a station's name without it (花咲港 is "Hanasaki port": a
            # probe's, refused as not written), not a common noun's (空港, 漁港: "Sora", "Ryo", a reviewer's)
            if ((t.surface[-1:] in _DIVISIONS and len(t.surface) > 1)
                    or (t.surface[-1:] in FACILITIES and len(t.surface) > 2 and t.pos[1] == "固有名詞")):
                readings += _read(analyzer, t.surface[:-1])
            out.update(folded(romanized(r)) for r in [*readings, *(b + r for b in before for r in readings)])
            before = readings
        out.update(_quoted_kana(h.passage.text))
    out.discard("")
    return out


def _quoted_kana(text: str) -> set[str]:
    """The names `text` writes in kana between 「」 (a satellite's 「かざなみ」, a helicopter's 「やまびこ2号」), each
    read whole, in Hepburn's letters, folded: Sudachi cuts かざなみ as か + ざ + なみ, and "Kazanami" was refused as
    not written (a probe's)."""
    return {folded(romanized(m)) for m in _QUOTED_KANA.findall(text)}


# a name in kana alone between 「」 or 『』, with its number (2, 2号, 3号機) after it
_QUOTED_KANA = re.compile(r"[「『]([\u3041-\u3096\u30a1-\u30fa\u30fc]{2,16})(?:[0-9０-９]+(?:号機?)?)?[」』]")


def _read(analyzer, surface: str) -> list[str]:
    """Sudachi's readings of a word, or the word itself when it is kana its dictionary lacks (`romanized` reads both
    kana)."""
    return list(analyzer.readings(surface)) or ([surface] if _KANA_WORD.fullmatch(surface) else [])


_KANA_WORD = re.compile(r"[\u3041-\u3096\u30a1-\u30fa\u30fc]+")
_NOT_READ = frozenset({"助詞", "助動詞", "補助記号", "空白"})  # no part of a name
# but the katakana ノ and ヶ inside a name its dictionary lacks, which Sudachi cuts as a particle: 輝ノ嶺 (a wrestler's
# ring name, "Terunomine": a probe's, refused as not written), 北ヶ丘 ("Kitagaoka"); の and が end a name
_JOINERS = {"ノ": ("ノ",), "ヶ": ("ガ", "ケ"), "ケ": ("ガ", "ケ")}
_DIVISIONS = DIVISIONS + "都府町村"  # the bridge's (州, 市, 省, 県, 区, 島) and Japan's own (東京都, 大阪府, 町, 村)
_CUT = _DIVISIONS + "海湾洋圏"  # and a sea's, a bay's, a region's: 北極海 is written by 北極圏 (a reviewer's)


def _readings(analyzer, hits: Sequence[Hit]) -> set[str]:
    """The readings of the names (固有名詞) the top passages write, and of each one's division cut (広島県: 広島)."""
    names = {t.surface for h in top(hits) for t in analyzer.tokens(h.passage.text) if t.pos[1:2] == ("固有名詞",)}
    names |= {n[:-1] for n in names if n[-1:] in _DIVISIONS and len(n) > 2}
    return {r for n in names for r in analyzer.readings(n)}


def _given_after(analyzer, text: str, surnames: set[str], given: str) -> bool:
    """Whether `text` writes one of `surnames` followed by a word Sudachi reads as `given` sounds (工藤隆: 隆 is タカシ,
    "takashi")."""
    tokens = analyzer.tokens(text)
    return any(t.term in surnames and i + 1 < len(tokens)
               and any(spells(r, given) for r in analyzer.readings(tokens[i + 1].surface))
               for i, t in enumerate(tokens))


def _bridge_names(searcher: Searcher, question: str) -> tuple[dict[str, list[str]], set[str], Bridge | None]:
    """({word: terms}, given names, the bridge): the question's words that the bridge reads as names only the name
    dictionaries hold, or as a person no dictionary holds by the reading of the name ("vance": [バンス], "wang": [王毅];
    `Bridge.expand`'s `named`; a possessive's 's cut), with their terms that write a name (`name_terms`: not 未来, which
    JMnedict reads as the given name "Saki"); and those of the words none of whose terms writes a name on its own:
    given names, whose kanji (公, 高, 誠… for "takashi") are words too."""
    bridge = searcher.bridge
    if bridge is None:  # an index without BM25
        return {}, set(), None
    named: dict[str, list[str]] = {}
    bridge.expand(question, named=named)
    people: dict[str, list[str]] = {}
    given: set[str] = set()
    for w, terms in named.items():
        if kept := name_terms(terms, searcher.analyzer.entries):
            people[w.removesuffix("'s")] = kept
        else:
            given.add(w.removesuffix("'s"))
    return people, given, bridge


def _searched(searcher: Searcher, word: str) -> set[str]:
    """The katakana and Latin terms the search tries for `word` (the bridge's and the term alignment's)."""
    return {t for group in searcher.term_groups(word) for t in group if _KATAKANA.match(t) or _LATIN.match(t)}


def _spellings(terms: set[str]) -> set[str]:
    """The terms of a passage that may spell a Latin-script name: its katakana terms (and the parts of one written
    with ・, "ラザルス・グループ", and a place written with its division, ハリコフ州), and its Latin ones."""
    names = {t for t in terms if _KATAKANA.match(t) or _LATIN.match(t)}
    names |= {m.group(1) for t in terms if t[-1:] in DIVISIONS and (m := DIVISION.fullmatch(t))}
    return names | {part for t in names if "・" in t for part in t.split("・") if _KATAKANA.match(part)}


def name_runs(question: str) -> list[str]:
    """The runs of capitalised words that may name something: not a stop word, not one capitalised word that starts
    a longer question ("Tell me about…"), and with a word of _NAME_WORD_CHARS letters or more."""
    runs = []
    for m in _NAME.finditer(question):
        run = m.group()
        starts = not question[: m.start()].strip(" \t\"'“‘(「")
        rest = _POSSESSIVE.sub("", question[m.end():])  # "Lavrov's" alone is a name, as "Lavrov" is
        # English goes on after it ("Tell me about…"); not Japanese ("TikTokについて")
        sentence = rest.strip(" ?!.？！。") and rest[:1].isascii()
        if run.lower() in STOP_WORDS or (starts and " " not in run and sentence):
            continue
        if _long_words(run):
            runs.append(run)
    return runs


def short_acronyms(question: str) -> list[str]:
    """The words of two or three capitals (and digits) that are not stop words ("ISW", "G7"; not "WHO" nor "US" in
    "WHO IS…"): too short for a run of `name_runs`, which a passage must then write in the same letters."""
    return [w for w in _ACRONYM.findall(question) if len(w) < _NAME_WORD_CHARS and w.lower() not in STOP_WORDS
            and w.lower() not in _SHORT_WORDS]


def _long_words(run: str) -> list[str]:
    """The run's words of _NAME_WORD_CHARS letters or more, a hyphen also parting words ("Lazarus-Group")."""
    return [w for w in re.split(r"[\s\-]+", run) if len(w.strip(".")) >= _NAME_WORD_CHARS
            and w.lower() not in STOP_WORDS]


def top(hits: Sequence[Hit], n: int = PASSAGES) -> list[Hit]:
    """The first `n` hits by rank: the passages read, or (CLOSEST) those a not-covered answer lists."""
    return sorted(hits, key=lambda h: h.rank)[:n]
