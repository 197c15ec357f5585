"""A cross-lingual lexical bridge: English question words → Japanese BM25 terms, from JMdict and JMnedict.

Built per index and restricted to the index's own BM25 vocabulary, so it only proposes terms the corpus uses.
Nothing in it is specific to one question or document: it is a dictionary lookup plus light English lemmatising.

A name no dictionary holds (the articles' コリブコ, "Korybko") is reached by its sound: the build keeps the
vocabulary's katakana terms that JMdict lacks as words, by their consonant key (sounds.py), and a question word the
table lacks is spelled against them. Only terms JMdict does not know are offered, because a word of the dictionary has
its own English key: ウクライナ is "Ukraine", never "Korean", though the two sound alike. A name that only JMnedict
holds is offered too: its English key is one transliteration of several (ハリコフ is "Kharkov" there, and "Kharkiv" in
many a question). And only a word written as a name that no dictionary holds, in any regular form, is spelled: the
bridge keeps JMdict's English words ("western" is not スターマ).
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import re
import sqlite3
import time
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Sequence
from functools import cached_property
from pathlib import Path

from .defined import Glosser
from .dictionary import NAMES_FROM, db_path, keep_json, loanword, pairs, table_id, two_word_senses
from .dictionary import entries as dictionary_entries
from .english import (PARTICIPLES, acronyms, as_typed, capitalised, dotted_acronyms, english_words, lemmas, nominals,
                      stems, titled, undotted)
from .japanese import ANALYZER_ID, STOP_WORDS, fold_term
from .romaji import folded, reads_as_japanese, romanized
from .sounds import kana_keys, latin_keys, same_keys, sounds_like

logger = logging.getLogger(__name__)

BRIDGE_ID = "jmdict+jmnedict/vocab-filtered/v2"
_MAX_PER_KEY = 6
# the offices JMdict glosses as a company's ("company president": 社長), a university's (学長), a town's (町長) or a
# prefecture's ("prefectural governor": 知事) or a ship's ("ship's captain": 船長), keyed under the office too, with at
# most this many of the gloss's terms
_OFFICERS = frozenset({"president", "vice-president", "chairman", "director", "directors", "executive", "executives",
                       "officer", "officers", "employee", "employees", "worker", "workers", "staff", "principal",
                       "headmaster", "mayor", "governor", "manager", "leader", "chief", "head", "captain"})
# the places and bodies an office is held in, as JMdict's two-word glosses name them; not a rank or a time ("vice
# minister" 大輔, "acting president", "former president"), nor a kind of person ("bald head", "hard worker")
_HELD_IN = frozenset({"company", "university", "school", "kindergarten", "town", "village", "prefectural", "party",
                      "branch", "shop", "bureau", "board", "society", "factory", "laboratory", "zoo", "park",
                      "ship's"})
# and not an office of old or another trade's word: 町年寄 ("town leader", an Edo town elder; not "bank manager" 銀行家,
# a banker: "bank" is no place of an office here, a reviewer's)
_NOT_OFFICES = frozenset({"town leader"})
_COMPANY_TERMS = 2
# "head" and "chief" before a role say the same ("head priest", "chief priest": 住職), and JMdict glosses a role with
# one of them: a two-word phrase the table lacks is looked up with the other
_SAME_MODIFIER = {"head": "chief", "chief": "head"}
# a phrasal verb and the nouns it is said by, as JMdict glosses the news' nouns of action ("withdrawal": 撤退, 離脱;
# "resignation": 辞任, 退任): the one-word verb's own glosses are other senses ("conduct" is 行為, 導く: a reviewer's)
_PHRASAL = {"pull out": ("withdrawal",), "pull back": ("withdrawal",), "carry out": ("implementation", "execution"),
            "call for": ("demand",), "set up": ("establishment", "founding"), "step down": ("resignation",),
            # homes that "lost power" had an outage (停電), not a loss of strength (強さ, 勢力: a twenty-fifth probe's)
            "lose power": ("power outage", "blackout"), "lost power": ("power outage", "blackout")}
# the particles a phrasal verb's object may stand before ("pull the US out", "pull its troops back"; not "set X up",
# which sets up as often as it founds: a reviewer's), the words that end the object there ("pull back from the
# border" is no "pull from"), and the objects that make it the news' verb: a name, an acronym or forces ("pull the
# rope out" is drawn, not withdrawn)
_SEPARABLE = frozenset({"out", "back"})
# what the mains supply, which "lost power" when it had an outage ("How many homes lost power?"): not a party, a
# leader, a government ("When did the DPJ lose power?": a review's)
_POWERED = frozenset({"home", "homes", "house", "houses", "household", "households", "customers", "residents",
                      "buildings", "hospital", "hospitals", "station", "stations", "plant", "plants", "area", "areas",
                      "town", "towns", "city", "cities", "village", "villages", "people", "factory", "factories",
                      "school", "schools", "train", "trains", "airport", "airports", "facilities", "users",
                      "apartments", "district", "districts", "region", "regions", "island", "islands", "shops",
                      "businesses", "farms", "subscribers", "grid", "reactor", "reactors"})
# the phrases said of some subjects only, one of which must stand in the three words before them
_PHRASAL_SUBJECTS = {"lose power": _POWERED, "lost power": _POWERED}
_FORCES = frozenset({"troops", "forces", "soldiers", "military", "army", "staff", "personnel", "diplomats",
                     "citizens", "nationals", "ambassador", "envoy", "embassy"})
_OBJECT_ENDS = frozenset({"of", "to", "in", "on", "at", "from", "with", "for", "by", "and", "or", "but", "as"})
# a noun whose news sense JMdict glosses otherwise ("deal": 加える, 取り引き; the trade deal is a 合意, a 協定;
# "truce": 休戦, which the news writes 停戦), as written (not "dealing", "dealt"); not "a great deal", "deal with", "deal
# a blow" (`_sense`; "agreement" was also 一致 and 調和, a reviewer's)
_SENSES = {"deal": ("合意", "協定"), "deals": ("合意", "協定"), "truce": ("停戦",), "truces": ("停戦",)}
_NOT_SENSE_BEFORE = frozenset({"great", "good"})
_NOT_SENSE_AFTER = frozenset({"with", "a", "an", "the", "out"})
# a question's own words are no phrase of the table: JMdict's "how much" is どこ, "how many" 幾つ and 何, and
# 何箇月's "how long" would be 何 + 箇月 (`_compounds`), which the passages that answer never write; the word after
# one is looked up alone ("how long": long)
_ASKING = frozenset({"how", "what", "when", "where", "who", "whom", "whose", "why", "which"})
# the words a verb's plain form follows, its subject between ("When did service resume?", "Will they cancel it?"), and
# those a noun follows
_AUXILIARIES = frozenset({"do", "does", "did", "will", "would", "to", "can", "could", "should", "may", "might", "must",
                          "shall"})
# English written as it is said, which reads as Japanese syllables and no dictionary's English holds: not read as the
# vocabulary's nouns when written in lower case (a review's: "kinda" was 勤惰, "todo" 凍土, "nada" 灘)
_INFORMAL = frozenset({"kinda", "sorta", "todo", "todos", "nada", "mojo", "tada", "hola", "ciao", "gonna", "wanna",
                       "gotta", "dunno", "yada", "mama", "papa", "mamma", "nana", "kiddo"})
_DETERMINERS = frozenset({"the", "a", "an", "its", "their", "his", "her", "our", "this", "that", "these", "those"})
# the titles a person's name follows ("Mayor Kai", "Dr. Mori")
TITLES = frozenset({"mayor", "governor", "president", "minister", "mr", "mrs", "ms", "dr", "chairman", "chairwoman",
                     "professor", "judge", "director", "ambassador", "senator", "premier", "secretary", "spokesman",
                     "spokeswoman", "commissioner", "prosecutor", "principal", "coach", "manager", "chief", "head"})
_NEGATED = frozenset({"don", "didn", "doesn", "isn", "aren", "wasn", "weren", "won", "can", "couldn", "wouldn",
                      "shouldn", "hasn", "haven", "hadn", "it", "that", "what", "who", "there"})  # DIDN'T, IT'S
# (not "march" nor "may", a noun and a verb as often: a third reviewer's)
_CALENDAR = frozenset({"january", "february", "april", "june", "july", "august", "september", "october", "november",
                       "december", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"})
_NO_VOWEL = re.compile(r"[B-DF-HJ-NP-TV-Z]{2,}")  # NHK, LDP, JR: an acronym, however the table keys it
_PEOPLE_ENDINGS = ("an", "ese", "ish", "i")  # Iranian, Korean; Chinese; Turkish; Israeli (`_by_place`)
_FISCAL_YEAR = re.compile(r"\bfiscal\s+(?:year\s+)?'?\d{2,4}\b|\b\d{4}\s+fiscal\b|\bFY\s?'?\d{2,4}\b", re.IGNORECASE)
# "how many times larger / more / as many": a multiple (倍), not a count of occurrences
_COMPARING = frozenset({"more", "less", "fewer", "as", "bigger", "higher", "greater", "larger", "longer", "faster"})
_OCCURRENCES = ("回", "度")  # "how many times": 回 and 度 count them; the table's "times" is 倍 too
_MISS = re.compile(r"\bMiss\.?\s+[A-Z]")  # the title, as typed: not the verb before a name ("Did Tokyo miss Osaka?")
HONORIFICS = frozenset({"mr", "mrs", "ms", "mx", "sir", "madam"})  # a name's, no word of its own
_NUMBER_WORDS = frozenset({"hundred", "thousand", "million", "billion", "trillion", "dozen"})
# a country by a name JMdict glosses only at length ("United States of America": 米国, アメリカ; the two words were
# ユナイテッド and 国家, a held-out set's "United States" questions half as often first as "US" ones) or in an acronym
# the table lacks ("UK"): the table's terms of the name it does key
_COUNTRY_NAMES = {"united states": "america", "usa": "america", "uk": "britain"}
# a capital that stands for its country's government ("ties with Moscow", "Washington and Beijing agreed",
# "Moscow's demand"): its country's terms beside its own, which a passage on the Kremlin's policy seldom writes
# (「ロシアは…」); not a place in it ("in Moscow", "his Beijing visit", "the Washington Post"). Not Tokyo, which a
# Japanese corpus writes as the place (東京都)
_SEATS = {"moscow": "russia", "kremlin": "russia", "washington": "america", "beijing": "china", "kyiv": "ukraine",
          "kiev": "ukraine", "seoul": "south korea", "pyongyang": "north korea", "tehran": "iran",
          "london": "united kingdom",
          "paris": "france", "berlin": "germany", "ankara": "turkey", "taipei": "taiwan", "minsk": "belarus",
          "jerusalem": "israel", "damascus": "syria", "warsaw": "poland", "ottawa": "canada", "canberra": "australia",
          "delhi": "india", "islamabad": "pakistan", "kabul": "afghanistan", "baghdad": "iraq", "havana": "cuba",
          "caracas": "venezuela", "manila": "philippines", "hanoi": "vietnam", "jakarta": "indonesia",
          "bangkok": "thailand", "cairo": "egypt", "riyadh": "saudi arabia", "rome": "italy", "madrid": "spain",
          "budapest": "hungary", "stockholm": "sweden", "helsinki": "finland", "oslo": "norway"}
# the words before a capital that make it a place ("in Moscow", "visited Beijing", "flew to Kyiv", "in northern
# Moscow") and those after it ("the Moscow summit", "Beijing's streets", "Washington State", "the Moscow concert hall",
# "Havana syndrome"); "to" and "from" lose a government now and then ("pressure from Washington": a place's terms)
_AT_PLACE = frozenset({"in", "at", "to", "from", "near", "into", "outside", "around", "toward", "towards", "via",
                       "across", "through", "throughout", "inside", "within", "visit", "visits", "visited", "visiting",
                       "reach", "reached", "reaching", "leave", "left", "leaving", "downtown", "central", "greater",
                       "suburban", "northern", "southern", "eastern", "western", "north", "south", "east", "west",
                       "northeastern", "northwestern", "southeastern", "southwestern"})
_PLACE_NOUNS = frozenset({"visit", "visits", "trip", "trips", "tour", "summit", "summits", "meeting", "meetings",
                          "talks", "conference", "forum", "airport", "office", "offices", "embassy", "station", "mayor",
                          "governor", "city", "region", "oblast", "province", "state", "residents", "time", "metro",
                          "subway", "post", "times", "university", "court", "streets", "street", "district",
                          "suburbs", "area", "marathon", "olympics", "games", "zoo", "museum", "hospital",
                          "hospitals", "police", "stadium", "airport's", "hotel", "square", "bureau", "correspondent",
                          "stay", "trial", "consensus", "declaration", "mayor's", "concert", "hall", "theatre",
                          "theater", "restaurant", "restaurants", "school", "schools", "weather", "air", "traffic",
                          "wall", "syndrome", "duck", "agreement", "accord", "accords", "club", "protocol",
                          "convention", "format", "process", "building", "buildings", "apartment", "apartments"})
# a capital in a hyphened word that makes it a place ("Moscow-based", "Kyiv-born"); another ("Moscow-backed") a seat
_PLACE_SUFFIXES = frozenset({"based", "born", "bred", "raised", "headquartered", "area", "region", "bound"})
_NOUN_OF_DOING = ("名詞", "普通名詞", "サ変可能")  # Sudachi's tags of 訪問, 増加
_HIRAGANA_ONLY = re.compile(r"[\u3041-\u3096\u30fc]+")
HOW_DEGREES = frozenset({"much", "many", "long", "old", "often", "far", "soon"})  # the aligner's too
# "How long was the joint statement?", "How long is the report released after the summit?": a text's length, which
# the news gives in words, characters or pages (「7,000語に及ぶこの文書」), not a span of time. The text is the head of
# what is asked about, up to three words before it and none of them a preposition ("the talks on the joint
# statement" are talks), and nothing, a clause on its making or its place, or a name follows it ("…the joint statement
# Russia and China released…"; a question read as written, its case kept), not its fate or its wait
# ("How long was the book banned?", "…the report delayed?", "…the treaty extended?", "…the Constitution Day holiday?":
# a reviewer's). The answer's units too
TEXT_LENGTH = re.compile(
    r"\bhow\s+long\s+(?:is|was|are|were)\s+(?:the|this|that|these|those|its|their|his|her|a|an)\s+"
    r"(?:(?!(?:on|of|about|for|over|with|to|from|in|at|by|against)\b)[a-z][\w\-\u2013']*\s+){0,3}?"
    r"(?:statement|declaration|document|communiqu[eé]|report|text|treaty|letter|essay|article|paper|manifesto|"
    r"resolution|memo|memorandum|transcript|book|novel|charter|bill)s?"
    r"(?!.*\b(?:in\s+force|in\s+effect|on\s+display|in\s+place|valid|effective|delayed|postponed|banned|kept|held|"
    r"withheld|extended|stalled|classified|secret|suspended|debated|discussed|negotiated|open|expected)\b)"
    r"(?=\s*(?:[?.!,]|$|(?:released|issued|published|signed|adopted|drafted|presented|written|submitted|unveiled|"
    r"announced|agreed|that|which|after|between|by|in|of|from|on)\b|(?-i:[A-Z])))", re.IGNORECASE)
TEXT_UNITS = ("語", "文字", "字", "ページ")
# a katakana term a name may be spelled as (コリブコ, アラグチ, ラザルス・グループ), and the fewest consonant classes its key
# and the question word's must have: two classes are the key of too many words (ロシア is "Eilish")
_KATAKANA = re.compile(r"[\u30a1-\u30fa\u30fb\u30fc]+")
_NAME_CLASSES = 3
# a name written in kanji that may be Chinese (王毅, 習近平): a surname of one or two characters and a given name
_KANJI_NAME = re.compile(r"[\u4e00-\u9fff]{2,4}")
_NAME_SCRIPT = re.compile(r"[\u30a1-\u30fa\u30fb\u30fc]{2,}|[a-z][a-z0-9.\-]{2,}")  # katakana, or Latin
# a term written in Japanese with a kanji or a hiragana in it (交通, 大岩, みすず; not a katakana one, which is spelled by
# its sound): the vocabulary's nouns by their readings, for a Japanese word written in Latin letters (`Bridge.read_as`)
_READABLE = re.compile(r"(?=.*[\u3041-\u3096\u4e00-\u9fff])[\u3041-\u3096\u30a1-\u30fa\u30fc\u4e00-\u9fff\u3005]+")
_KANJI_TERM = re.compile(r"[\u4e00-\u9fff]+")
# the verbs after a name that make a word of the dictionary written with a capital a person ("What did Shoji say?")
_SPEAKING = frozenset({"say", "says", "said", "saying", "tell", "tells", "told", "think", "thinks", "thought",
                       "believe", "believes", "believed", "explain", "explains", "explained", "add", "added", "want",
                       "wants", "wanted", "argue", "argues", "argued", "claim", "claims", "claimed", "warn", "warns",
                       "warned", "write", "writes", "wrote", "mean", "meant", "plan", "plans", "planned", "decide",
                       "decided", "do", "does", "did", "feel", "feels", "felt", "hope", "hopes", "hoped", "describe",
                       "described", "recall", "recalled", "admit", "admitted"})
_READ_WHOLE = 4  # letters: the fewest a word read as one term has ("Toho": 東邦, "Oiwa": 大岩)
_READ_PARTS = 6  # and one read as two ("Okitaka": 沖 + 高; "Zuiunji": 瑞雲 + 寺), each of two letters or more
# the English nouns after a Japanese place's name that Japanese writes as the name's last kanji, by that kanji's
# readings and the kanji: "Nagara River" is 長良川, nagaragawa, which the vocabulary holds as one term and no noun
# reads "nagara" (a twentieth probe's, refused as not covered); not 西側 for "Nishi River", which reads nishigawa
_SUFFIX_READINGS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "river": (("gawa", "kawa"), ("川", "河")), "lake": (("ko",), ("湖",)), "pond": (("ike",), ("池",)),
    "bay": (("wan",), ("湾",)), "mountain": (("yama", "san", "zan", "dake"), ("山", "岳")),
    "peak": (("dake", "yama"), ("岳", "山")), "hill": (("oka", "yama"), ("丘", "山")),
    "bridge": (("bashi", "hashi", "ohashi"), ("橋",)), "temple": (("ji", "dera", "in"), ("寺", "院")),
    "shrine": (("jinja", "gu"), ("神社", "宮")), "island": (("jima", "shima", "to"), ("島",)),
    "castle": (("jo",), ("城",)), "pass": (("toge",), ("峠",)), "park": (("koen",), ("公園",)),
    "falls": (("taki", "daki"), ("滝",)), "valley": (("dani", "tani"), ("谷",)), "cape": (("misaki", "saki"), ("岬",)),
    "line": (("sen",), ("線",)), "dam": (("damu",), ("ダム",)), "beach": (("hama", "kaigan"), ("浜", "海岸")),
}
# a place in katakana written with its division as one term (ハリコフ州, テキサス州, モスクワ市): Sudachi holds many so
DIVISIONS = "州市省県区島"
DIVISION = re.compile(rf"([\u30a1-\u30fa\u30fc]{{2,}}(?:・[\u30a1-\u30fa\u30fc]+)*)[{DIVISIONS}]")
# a Japanese place in kanji written with its division in one term (椎葉村, 菊陽町): JMnedict keys the village 椎葉村 as
# "Shiibason" and the place 椎葉 as "Shiiba", which a question writes. Not 島, which ends many a place's own name (霧島);
# a place of two kanji or more before its division, and a term Sudachi holds only as a place: 中村, 川村 and 大村 are
# surnames too, and 中, 川 and 大 would key them under "naka", "kawa" and "o" (a reviewer's finding: "Kawasaki" → 川村)
KANJI_DIVISIONS = "市町村区郡県"
# a port's and a station's name, which Sudachi holds with its 港 or 駅 as one proper noun (花咲港, 掛川駅) and English
# writes apart ("Hanasaki port", "Kakegawa Station"): keyed by its readings without them too (`_by_reading`)
FACILITIES = "港駅"
KANJI_DIVISION = re.compile(rf"([\u4e00-\u9fff]{{2,4}})[{KANJI_DIVISIONS}]")
# JMnedict writes a long vowel twice (藤堂 "Toudou", 工藤 "Kudou", 大野 "Oono"); questions, and the news, write it once
# ("Todo", "Kudo", "Ono"), as Hepburn without its macrons does. Not for a word of JMdict (朝鮮 "Chousen" would be
# "chosen", 東欧 "Touou" "too"), and never into an English word of the dictionary (堂前 "Douzen" is no "dozen")
_LONG_VOWEL = re.compile(r"ou|oo|uu")
_SHORTEST_FOLDED = 3  # "tou" folded is "to", a word of every question


def build_bridge(vocab: Iterable[str], cache_dir: Path | None = None,
                 defined: dict[str, list[str]] | None = None, defined_names: dict[str, str] | None = None,
                 is_name: Callable[[str], bool] | None = None,
                 is_person: Callable[[str], bool] | None = None,
                 is_place: Callable[[str], bool] | None = None,
                 reads_as_place: Callable[[str], bool] | None = None,
                 tags: Callable[[str], tuple[str, ...]] | None = None,
                 split: Callable[[str], list[str]] | None = None,
                 reads: Callable[[str], list[str]] | None = None,
                 person_reads: Callable[[str], list[str]] | None = None,
                 read_names: dict[str, list[str]] | None = None) -> Bridge:
    """The table {english key: [japanese terms in vocab]}, the vocabulary's katakana terms no dictionary holds, and
    `defined`, the acronyms the passages gloss with the terms of their definitions ({"SCO": [上海, 協力, 機構]},
    defined.py) with the names themselves (`defined_names`, {"SCO": "上海協力機構"}), and the names written alike
    (`_alike`, with `is_name`; none without it); the table and the names are empty when the JMdict data package is not
    installed. With `is_person` (a person's name in Sudachi's dictionary), the table also has the people no dictionary
    holds whose names are written in kanji, by their Mandarin reading ("wang yi": 王毅; `_read_aloud`), and the bridge
    the katakana names too short for their consonants alone (モディ, `Bridge.spelled`). A katakana place the vocabulary writes with
    its division in one term (ハリコフ州) has that term beside it, under the name dictionary's keys and by its sound,
    and in its place where the vocabulary lacks it alone (テキサス州). With `is_place` (only a place in Sudachi's
    dictionary), so does a Japanese place in kanji (椎葉村 under "shiiba"); with `is_name`, a name JMnedict writes with
    a long vowel twice, and JMdict does not hold as a word, is keyed with it once too (藤堂, "toudou", is "todo"),
    unless that is an English word. With `reads_as_place` (Sudachi reads a term as a place's name), a people's adjective
    is keyed by its place's terms ("Iranian": イラン; `_by_place`). With `tags` (Sudachi's part of speech of a term read
    alone), a key whose six terms are all verbs keeps its first noun of doing past the cap ("visit": 訪問). With `split`
    (the terms BM25 reads a text as), a two-word key that no term of the vocabulary has is the terms a word of the
    dictionary under it is cut into, when the vocabulary holds each of them (`Bridge.compounds`: "press conference" is
    記者 + 会見, as Sudachi cuts 記者会見). With `reads` (a term's readings as a noun, in kana), the vocabulary's nouns written
    in kanji or hiragana are keyed by their readings in Latin letters too (`Bridge.readings`: "kotsu" is 交通, "oiwa" 大岩),
    for a Japanese word a question writes in them. `read_names` ({reading: terms}, `names_read_aloud`): the people's
    names the passages write with their readings after them, keyed as Sudachi's people are, and by the reading alone
    where no key of the table and no word of the dictionary's English is that reading."""
    db = db_path()
    if db is None:
        logger.warning("jamdict-data is not installed: English questions get no lexical bridge")
        return Bridge({}, defined=defined, defined_names=defined_names)
    t0 = time.perf_counter()
    terms = set(vocab)
    # each place's terms with a division (ハリコフ: [ハリコフ州]), which join the place's groups and spellings, and stand
    # in for it where the vocabulary lacks it alone (テキサス州 without テキサス)
    divided: dict[str, list[str]] = defaultdict(list)
    for term in terms:
        if term[-1:] in DIVISIONS and (m := DIVISION.fullmatch(term)):
            divided[fold_term(m.group(1))].append(term)  # テネシー州's place is the vocabulary's テネシ
        elif (term[-1:] in KANJI_DIVISIONS and (m := KANJI_DIVISION.fullmatch(term)) and is_place is not None
              and is_place(term)):  # 椎葉村, a place's one term; not 都市 nor 農村, which are no names, nor 中村
            divided[m.group(1)].append(term)
    for found in divided.values():
        found.sort()
    looked = terms | divided.keys()

    def written(term: str) -> list[str]:  # the vocabulary's terms that write `term`
        return ([term] if term in terms else []) + divided.get(term, [])

    entries, dictionary_words = dictionary_entries(db, cache_dir, looked, BRIDGE_ID)

    @functools.cache
    def proper(term: str) -> bool:  # a name as Sudachi reads it (藤堂, 菊陽), not a word JMnedict also reads as one
        return is_name is not None and is_name(term)

    parsed = {term: list(pairs(packed)) for term, packed in entries.items()}  # read once, used thrice below
    ranked: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for term in looked:
        for order, key in parsed.get(term, ()):
            # a division joins only a place's keys, the name dictionary's: アムール州 is no "love", メイン州 no "main"
            ranked[key] += [(order, t) for t in (written(term) if order >= NAMES_FROM else [term] if term in terms
                                                 else [])]
    out: dict[str, list[str]] = {}
    every: dict[str, list[str]] = {}  # each key's terms before the cap
    for key, ordered in ranked.items():
        terms_of_key = every[key] = ([ordered[0][1]] if len(ordered) == 1  # most keys: one term
                                     else list(dict.fromkeys(term for _, term in sorted(ordered))))
        out[key] = terms_of_key[:_MAX_PER_KEY] + [t for t in terms_of_key[_MAX_PER_KEY:] if loanword(t, key)]
        if tags is not None and len(terms_of_key) > _MAX_PER_KEY and all(tags(t)[:1] == ("動詞",) for t in out[key]):
            # a verb whose noun of doing the cap cut off, JMdict listing six verbs first: "visit" kept 降る, 上がる,
            # 打つ… and lost 訪問, "increase" 増加, "advance" 進行; its first such noun joins them
            out[key] += [t for t in terms_of_key[_MAX_PER_KEY:] if tags(t)[:3] == _NOUN_OF_DOING][:1]
    # JMdict glosses a company's officers "company president" (社長), "company employee" (社員): under the officer
    # too, after its own terms ("Who is the president of Minato Digital?" found no 社長, a probe's finding). Every
    # two-word gloss under its head noun was measured too: it moved seen questions both ways (docs/precision.md)
    # Only an officer's (not "company name" 社名 under "name", "company car" 社用車 under "car"), and past the cap if
    # the office's own terms fill it, as a big corpus's do (委員長, 会長, 議長, 主席, 総裁, 総長: a reviewer's)
    # An office held in a university, a town or a prefecture likewise ("Who is the president of Hokuto Institute of
    # Technology?" 学長, "the mayor of Shiibaru town" 町長, a probe's; "governor" reached no 知事)
    for key in sorted(k for k in out if k.count(" ") == 1 and k.split()[0] in _HELD_IN and k.split()[1] in _OFFICERS
                      and k not in _NOT_OFFICES):
        head = key.split()[1]
        kept = out.get(head, [])
        out[head] = list(dict.fromkeys([*kept, *out[key][:_COMPANY_TERMS]]))
    # each term's first sense, if JMdict has it (JMnedict's names of people gloss any name alike: 茅愛 is "China")
    first = {term: key for term, found in parsed.items() if term in looked and found
             for order, key in [min(found)] if order < NAMES_FROM}
    # a name's keys with a long vowel once: "Todo" is 藤堂 too, "Kikuyo" 菊陽(町); not "Nomura" 農村, which JMnedict
    # also reads "Noumura", nor "Toho" 東方 ("the east", and a surname): a word of JMdict is not folded
    folded: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for term, found in parsed.items():
        if term in first or not (written_as := written(term)):
            continue
        for order, key in found:
            if order >= NAMES_FROM and (plain := _one_long_vowel(key)) != key and proper(term):
                folded[plain] += [(order, t) for t in written_as]
    alike = _alike(every, first, is_name) if is_name is not None else []
    names: dict[str, list[str]] = defaultdict(list)
    short: dict[str, list[str]] = defaultdict(list)
    # the katakana terms that are no word of JMdict (~390,000 at a million passages), a name of JMnedict among them
    unknown = [t for t in looked if t not in first and _KATAKANA.fullmatch(t)]
    for term, key in zip(unknown, kana_keys(unknown)):
        if len(key) >= _NAME_CLASSES:
            if term in divided:
                names[key] += written(term)
            else:
                names[key].append(term)
        elif key and term in terms and is_person is not None and is_person(term):
            short[key].append(term)
    for found in (*names.values(), *short.values()):
        found.sort()  # a build writes the same bytes for the same vocabulary
    if is_person is not None:
        people = [t for t in terms if t not in first and _KANJI_NAME.fullmatch(t) and is_person(t)]
        for key, read in (_read_aloud(people) if people else {}).items():
            out[key] = list(dict.fromkeys([*out.get(key, ()), *read]))
    try:
        words = dictionary_words() if names or short or out else set()
    except (sqlite3.Error, OSError) as exc:  # without them a dictionary word could be taken for a name: no names
        logger.warning("bridge: cannot read the dictionary's English words (%s): no names by their sound", exc)
        names, short, words = defaultdict(list), defaultdict(list), set()
    for key, found in folded.items() if words else ():  # without the English words, none: "dozen" is no 堂前
        if key not in words:
            kept = out.get(key, [])
            out[key] = list(dict.fromkeys([*kept, *(t for _, t in sorted(found))]))[:max(_MAX_PER_KEY, len(kept))]
    _by_office(out)
    _by_ordinal(out)
    if reads_as_place is not None:
        _by_place(out, words, reads_as_place, first)
        _by_seat(out, reads_as_place, first)
    compounds = _compounds(db, cache_dir, out, terms, split) if split is not None else {}
    readings = _by_reading(terms, reads, proper) if reads is not None else {}
    if person_reads is not None:
        out |= _by_person_reading(terms, person_reads)
    for key, found in (read_names or {}).items():
        written_so = [t for t in found if t in terms]
        if not written_so:
            continue
        person = f"person:{key}"
        out[person] = list(dict.fromkeys([*written_so, *out.get(person, ())]))[:_MAX_PER_KEY]
        if words and key not in out and key not in words:  # "aimono": 相物 (四十物); not "nagano", a place's key
            out[key] = written_so
    logger.info("bridge: %d English keys, %d by a word's parts, %d unknown katakana terms and %d acronyms the passages "
                "define in %.2fs", len(out), len(compounds), sum(map(len, names.values())), len(defined or ()),
                time.perf_counter() - t0)
    return Bridge(out, dict(names), words, defined, defined_names, alike, dict(short), compounds, readings)


def _by_place(out: dict[str, list[str]], words: Iterable[str], reads_as_place: Callable[[str], bool],
              first: dict[str, str]) -> None:
    """Key a people's adjective by its place's terms ("Iranian": イラン, "Korean": 朝鮮, 韓国, "European": 欧州; and
    "Russian", "Chinese" beside their languages' ロシア語, 中国語): JMdict glosses the place, and the adjective only
    as a language, or not at all. An English word of the dictionary with a people's ending whose table terms, if any,
    are all a language's, and a place its ending makes ("-ian": Iran, Ukraine, Russia; "-an": Korea, Europe; "-ese":
    Japan, China; "-ish": Turkey, Poland; "-i": Israel) whose terms Sudachi reads as places (中国, 米国, アメリカ, 欧州;
    not 中, 米, 露): those terms, after its own. Not a word whose "place" is no place ("median": メディア, "musician":
    音楽, "Polish": 波), nor a man ("gunman": 群馬); nor a term whose first sense (`first`) is another place: JMdict
    glosses 韓国 "China" too, but first "South Korea", which is Korean's and not Chinese's (a review's)."""
    for word in words:
        if " " in word or len(word) < 5 or not word.endswith(_PEOPLE_ENDINGS) or word.endswith("man"):
            continue
        own = out.get(word, [])
        if any(not t.endswith("語") for t in own):
            continue
        for place in _places_named(word):
            found = [t for t in out.get(place, ()) if reads_as_place(t)
                     and place in first.get(t, place).split()] if place != word else []
            if found:
                out[word] = list(dict.fromkeys([*own, *found]))
                break


_OFFICES = frozenset({"ministry", "agency"})
_OFFICE = re.compile(rf"({'|'.join(sorted(_OFFICES))}) of (?:the )?([a-z ]+)")
# a word of an office's name that names no field of its own ("ministry of foreign affairs": no "affairs ministry")
_NO_FIELD = frozenset({"affairs", "relations", "development", "policy", "policies", "administration", "services",
                       "general", "national", "internal", "home", "state", "public"})


def _by_person_reading(terms: Iterable[str], reads: Callable[[str], list[str]]) -> dict[str, list[str]]:
    """{"person:<reading>": the vocabulary's terms in two kanji or more that `reads` reads so as a person's name
    (`JapaneseAnalyzer.person_readings`)}, which a word of the dictionary written as a name may be
    (`Bridge._read_as_name`: "Shoji", 東海林); a review found 政治 under "seiji", 健康 under "kenko", and one-kanji
    terms under "ho", "ban", "kan" when any term with a name's entry was taken by any of its readings."""
    people: dict[str, set[str]] = defaultdict(set)
    for term in terms:
        if len(term) >= 2 and _KANJI_TERM.fullmatch(term):
            for kana in reads(term):
                if len(key := folded(romanized(kana))) >= 2:
                    people[key].add(term)
    return {f"person:{key}": sorted(found)[:_MAX_PER_KEY] for key, found in sorted(people.items())}


# a person's name in kanji with its reading in kana after it, family name and given name apart, as the news writes an
# unusual one: 大工吉郎(おおく・よしろう), 四十物浩二(あいもの・こうじ)
_KANA_RUN = r"([\u3041-\u3096\u30fc]{1,10})"
_NAME_READ = re.compile(rf"([\u4e00-\u9fff\u3005]{{2,8}})[(（]{_KANA_RUN}・{_KANA_RUN}[)）]")


def names_read_aloud(texts: Iterable[str], split: Callable[[str], list[str]],
                     reads: Callable[[str], list[str]]) -> dict[str, list[str]]:
    """{a reading in Latin letters, folded: the terms of the names the texts write with that reading in hiragana after
    them}: the family name's and the given name's, the last two terms `split` (the terms BM25 reads a text as) cuts
    the run of kanji before the reading into, when the last reads as the given name's kana (`reads`: a term's
    readings as a noun, in katakana), each of two characters or more. "What did Mr Oku say?" reached おく, a
    hiragana word, and no passage of 大工吉郎(おおく・よしろう), whose 大工 is JMdict's carpenter and no name of Sudachi's
    (a twenty-fifth probe's); "What did Aimono say?" was refused (四十物浩二(あいもの・こうじ)). The given name anchors
    the cut: a word glued before the name (無職山田太郎, 社長大工吉郎) is left, and a run that is no family and given
    name (国家主席習近平(しゅう・きんぺい), 八王子市大工町(だいく・まち)) gives no key (a review's); a name read as
    numbers is cut anywhere (八月一日清: 8, 月, 1, 日清): none of it."""
    found: dict[str, set[str]] = defaultdict(set)
    for text in texts:
        if "・" not in text:
            continue
        for m in _NAME_READ.finditer(text):
            _, family, given = m.groups()
            parts = split(m.group(1))
            if len(parts) < 2 or any(p.isdigit() for p in parts):
                continue
            if folded(romanized(given)) not in {folded(romanized(r)) for r in reads(parts[-1])}:
                continue
            for kana, term in ((family, parts[-2]), (given, parts[-1])):
                if len(term) >= 2 and len(key := folded(romanized(kana))) >= 3:
                    found[key].add(term)
    return {key: sorted(terms)[:_MAX_PER_KEY] for key, terms in sorted(found.items())}


def _by_ordinal(out: dict[str, list[str]]) -> None:
    """Key the rest of a key JMdict glosses after "n-th" by its terms, when the table keys it by nothing else:
    周年 is "n-th year anniversary", so "anniversary" (47 seen questions, 「3周年となる2月24日」) reached nothing."""
    made: dict[str, list[str]] = {}
    for key, terms in out.items():
        parts = key.split(" ")
        if parts[0] != "n-th" or len(parts) < 2:
            continue
        for j in range(1, len(parts)):
            end = " ".join(parts[j:])
            if not any(k in out for k in lemmas(end)) and parts[j] not in STOP_WORDS:
                made[end] = list(dict.fromkeys([*made.get(end, ()), *terms]))[:_MAX_PER_KEY]
    out.update(made)


def _by_office(out: dict[str, list[str]]) -> None:
    """Key an office JMdict glosses "Ministry of X and Y" by "X ministry", "Y ministry" and "X Y ministry", as English
    news names it: 厚生労働省 is "ministry of health labour and welfare", and "the health ministry" reached 衛生 and
    内閣 ("ministry" alone is the cabinet), 外務省 "ministry of foreign affairs" ("foreign ministry", "foreign affairs
    ministry"), 防衛省 "ministry of defense". Not a key the table has; one shared by offices keeps the terms of each."""
    made: dict[str, list[str]] = {}
    for key, terms in out.items():
        if not (m := _OFFICE.fullmatch(key)):
            continue
        head, named = m.group(1), [w for w in m.group(2).split() if w not in STOP_WORDS and len(w) > 2]
        fields = [w for w in named if w not in _NO_FIELD]
        for alias in ({f"{w} {head}" for w in fields} | {f"{head} of {w}" for w in fields}
                      | {f"{' '.join(named)} {head}"}):
            if alias not in out and len(alias.split()) <= 4:
                made[alias] = list(dict.fromkeys([*made.get(alias, ()), *terms]))[:_MAX_PER_KEY]
    out.update(made)


def _at_place(words: Sequence[str], at: int) -> bool:
    """Whether the capital at `at` is named as the place: a word before it (`_AT_PLACE`) or after it (`_PLACE_NOUNS`)
    says so, or it is listed after a capital that is ("in Moscow and Kyiv", "in Moscow, Kyiv and Minsk", whose
    commas the words have lost)."""
    while True:
        if at > 0 and words[at - 1] in _AT_PLACE or at + 1 < len(words) and words[at + 1] in _PLACE_NOUNS:
            return True
        if at > 1 and words[at - 1] in ("and", "or") and words[at - 2].removesuffix("'s") in _SEATS:
            at -= 2
        elif at > 0 and words[at - 1].removesuffix("'s") in _SEATS:
            at -= 1
        else:
            return False


def _by_seat(out: dict[str, list[str]], reads_as_place: Callable[[str], bool], first: dict[str, str]) -> None:
    """Key each capital of `_SEATS`, as "seat:<capital>", by its country's terms that Sudachi reads as places and whose
    first sense is that country (russia: ロシア; china: 中国, not 中, 陶磁器, nor 韓国, whose first sense is South
    Korea's), when the table keys the country and some are: the terms a capital standing for its government adds
    (`Bridge._seat`), beside its own if the table keys it ("Kyiv": ウクライナ alone where it keys no キーウ)."""
    for capital, country in _SEATS.items():
        named = set(country.split())
        found = [t for t in out.get(country, ()) if reads_as_place(t) and named <= set(first.get(t, country).split())]
        if found:
            out[f"seat:{capital}"] = found


def _places_named(word: str) -> list[str]:
    """The places an adjective of a people may be made of, most likely first: Iranian → iran, Ukrainian → ukraine,
    Indian → india, Korean → korea, European → europe, Chinese → china, Turkish → turkey, Israeli → israel."""
    if word.endswith("ese"):
        return [word[:-3], word[:-3] + "a"]
    if word.endswith("ian"):
        return [word[:-1], word[:-3], word[:-3] + "e", word[:-3] + "a"]
    if word.endswith("an"):
        return [word[:-1], word[:-2], word + "y"]  # Korea, Europe, Germany
    if word.endswith("ish"):
        return [word[:-3] + "ey", word[:-3] + "and", word[:-3]]
    return [word[:-1]] if word.endswith("i") else []


def _by_reading(terms: Iterable[str], reads: Callable[[str], list[str]], proper: Callable[[str], bool]
                ) -> dict[str, list[str]]:
    """{a reading in Latin letters, long vowels once (`romaji.folded`): the vocabulary's nouns written in kanji or
    hiragana that read so}: "kotsu": [交通], "chuo": [中央], "koji": [浩二, 工事] (a name first, then the words; at most
    _MAX_PER_KEY). A company, a place, a shrine English writes in Latin letters ("Saito Kotsu", "Izumo Chuo Bank",
    "Mount Jonen") is no key of the dictionaries' English, and a name JMnedict lacks is none either. A port's or a
    station's name is keyed without its 港 or 駅 too ("hanasaki": [花咲港]; `FACILITIES`)."""
    found: dict[str, set[str]] = defaultdict(set)
    for term in terms:
        if _READABLE.fullmatch(term):
            kanas = set(reads(term))
            if term[-1:] in FACILITIES and len(term) > 2 and proper(term):
                kanas |= set(reads(term[:-1]))  # "Hanasaki port" is 花咲港, which Sudachi holds as one name
            for kana in kanas:
                if len(key := folded(romanized(kana))) >= 2:
                    found[key].add(term)
    return {key: sorted(held, key=lambda t: (len(held) > 1 and not proper(t), t))[:_MAX_PER_KEY]
            for key, held in sorted(found.items())}


def _compounds(db: Path, cache_dir: Path | None, table: dict[str, list[str]], terms: set[str],
               split: Callable[[str], list[str]]) -> dict[str, list[str]]:
    """{two-word key the table lacks: the terms of the first word of the dictionary under it (in its order) that
    `split` cuts into two terms or more, all of the vocabulary}: "press conference" is [記者, 会見]. Sudachi keeps
    many of the news' set phrases as one term (首相, 原子炉), and cuts others (記者会見, 鳥インフルエンザ), which no key
    reached: "What time did the press conference start?" found summits' openings (a probe's).

    Not a key with a stop word ("for two" is 二人 + 前, "the emperor" 上 + 御 + 一人), nor one whose words reach one of
    the parts word by word: those groups are the better, as the dictionary's first word under a key may be a narrow
    one ("joint statement" is 共同文書, whose 文書 would stand for "statement"'s 声明; a reviewer's)."""
    try:
        senses = two_word_senses(db, cache_dir, BRIDGE_ID)
    except (sqlite3.Error, OSError) as exc:
        logger.warning("bridge: cannot read the dictionary's two-word senses (%s): no key by a word's parts", exc)
        return {}
    # the first word under each key cut whole into terms of the vocabulary, found from the vocabulary's terms (a build
    # reads only the words that begin with one of them: a loop over ~50,000 keys cost each build ~0.1-0.3 s)
    first: dict[int, tuple[int, tuple[str, ...]]] = {}
    by_start = _cut_words(senses, split, cache_dir, table_id(db, BRIDGE_ID))
    for term in terms:
        for k, rank, parts in by_start.get(term, ()):
            if all(p in terms for p in parts) and (k not in first or rank < first[k][0]):
                first[k] = (rank, parts)
    out: dict[str, list[str]] = {}
    for k in sorted(first):
        key, parts = senses[k][0], first[k][1]
        pair = key.split()
        if key in table or not STOP_WORDS.isdisjoint(pair):
            continue
        if {t for w in pair for lemma in lemmas(w) for t in table.get(lemma, ())}.isdisjoint(parts):
            out[key] = list(parts)
    return out


def _cut_words(senses: list[tuple[str, list[str]]], split: Callable[[str], list[str]], cache_dir: Path | None,
               table: str) -> dict[str, list[tuple[int, int, tuple[str, ...]]]]:
    """{first term: [(key's index, the word's rank under it, its terms)]} for the words of `senses` that `split` cuts
    whole into two terms or more, none a number (お三時 is no 御 + 3 + 時 for "afternoon tea") and none folded
    (新エネルギー's エネルギ). Each word is cut once per machine (~1.3 s for ~60,000) and kept in `cache_dir` beside the
    dictionary's table, named by that table (`table`, whose senses they are), the analyzer and Sudachi's dictionary: a
    process of its own per build (a test's server, a CLI build) cut them all again."""
    name = hashlib.sha1(f"{table}:{ANALYZER_ID}:{_sudachi_version()}".encode()).hexdigest()[:12]
    if name in _CUTS:
        return _CUTS[name]
    path = cache_dir / f"jmdict-cuts-{name}.json" if cache_dir is not None else None
    out: dict[str, list[tuple[int, int, tuple[str, ...]]]] | None = None
    if path is not None and path.is_file():
        try:
            out = {first: [(k, rank, tuple(parts)) for k, rank, parts in found]
                   for first, found in json.loads(path.read_text(encoding="utf-8")).items()}
        except (OSError, ValueError, TypeError) as exc:
            logger.warning("bridge: the cut words %s are unreadable (%s): cutting them again", path, exc)
    if out is None:
        cut: dict[str, list[tuple[int, int, tuple[str, ...]]]] = defaultdict(list)
        for k, (_, words) in enumerate(senses):
            for rank, word in enumerate(words):
                parts = tuple(dict.fromkeys(split(word)))
                if len(parts) > 1 and "".join(parts) == word and not any(p.isdigit() for p in parts):
                    cut[parts[0]].append((k, rank, parts))
        out = dict(cut)
        if path is not None:
            keep_json(path, out, "the bridge's cut words")
    _CUTS.clear()  # one dictionary per process at a time, as its senses
    _CUTS[name] = out
    return out


@functools.cache
def _sudachi_version() -> str:
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version("SudachiDict-core")
    except PackageNotFoundError:
        return "unknown"


_CUTS: dict[str, dict[str, list[tuple[int, int, tuple[str, ...]]]]] = {}


def _one_long_vowel(key: str) -> str:
    """A name dictionary's key with each long vowel written once ("toudou" → "todo"); the key itself when that leaves
    it too short, or it is no plain word."""
    if not key.isalpha() or not key.isascii():
        return key
    plain = _LONG_VOWEL.sub(lambda m: m.group()[0], key)
    return plain if len(plain) >= _SHORTEST_FOLDED else key


def name_terms(terms: Iterable[str], entries: Callable[[str], list[tuple[str, ...]]],
               kinds: tuple[str, ...] = ("人名",)) -> list[str]:
    """The terms of `terms` that write a name: katakana and Latin ones, and kanji that Sudachi's dictionary (`entries`,
    `JapaneseAnalyzer.entries`) holds only as proper nouns, one of `kinds` among them (a person's: 王毅; a place's too,
    given "地名": 椎葉村). JMnedict reads many a given name, and an irregular verb, as a word in kanji ("saki" and "miki"
    as 未来, "shizuka" as 平和, "ran" as 嵐), which passages hold in their other sense."""
    out = []
    for term in terms:
        if _NAME_SCRIPT.fullmatch(term):
            out.append(term)
        elif (found := entries(term)) and all(pos[1] == "固有名詞" for pos in found) and any(
                pos[2] in kinds for pos in found):
            out.append(term)
    return out


def _read_aloud(people: list[str]) -> dict[str, list[str]]:
    """{"wang yi": [王毅], "li qiang": [李強]}: each person's name written in kanji (one JMdict does not hold as a word)
    keyed as English writes a Chinese name, by its Mandarin reading without tones: the surname, a space, and the given
    name in one word ("xi jinping"); a name of four characters also with a surname of two. A Japanese name gets a
    Mandarin key no English question writes (岸田文雄 "an tianwenxiong"), beside the reading JMnedict may give it."""
    from pypinyin import Style, lazy_pinyin

    out: dict[str, list[str]] = defaultdict(list)
    for term in sorted(people):
        syllables = lazy_pinyin(term, style=Style.NORMAL, v_to_u=True, errors=lambda chars: [""] * len(chars))
        syllables = ["".join(c for c in unicodedata.normalize("NFKD", s) if c.isascii()) for s in syllables]  # lü: lu
        if len(syllables) != len(term) or not all(syllables):
            continue
        for cut in (1, 2) if len(term) == 4 else (1,):
            surname, given = "".join(syllables[:cut]), "".join(syllables[cut:])
            if surname not in STOP_WORDS and given not in STOP_WORDS:  # 阿満 is no "a man", 鶴竜 no "he long"
                out[f"{surname} {given}"].append(term)
    return out


def _alike(table: dict[str, list[str]], first: dict[str, str], is_name: Callable[[str], bool]) -> list[list[str]]:
    """The names that write one thing: the terms of a key whose first sense in the dictionary is that key (アメリカ and
    米国 are both "America" first) and that `is_name` takes for a name. A term that only has the key in a later sense
    is not one of them: 韓国 is "South Korea" first and "China" in an archaic entry, and 米 is "metre" and "rice"
    before it is "America". Only names: a follow-up asks about a name, and every word's groups would take ~18 MB more
    at the scale of the whole dictionary."""
    firsts: dict[str, int] = defaultdict(int)
    for key in first.values():
        firsts[key] += 1
    groups = []
    for key in sorted(k for k, n in firsts.items() if n > 1):  # the others have no two terms alike
        same = [t for t in table[key] if first.get(t) == key]
        if len(same) > 1 and len(named := [t for t in same if is_name(t)]) > 1:
            groups.append(named)
    return groups


@functools.lru_cache(maxsize=2)
def _words_json(words: frozenset[str]) -> str:
    """`words` sorted, as JSON (a frozenset keeps its hash: the lookup of the dictionary's own set costs nothing)."""
    return json.dumps(sorted(words), ensure_ascii=False)


def _sense(part: str, words: list[str], at: int) -> tuple[str, ...]:
    """The news' terms for the noun `part` (the word at `at`) where it is that noun (`_SENSES`)."""
    if part not in _SENSES or (at > 0 and words[at - 1] in _NOT_SENSE_BEFORE) or (
            at + 1 < len(words) and words[at + 1] in _NOT_SENSE_AFTER):
        return ()
    return _SENSES[part]


class Bridge:
    """Expands an English question into groups of alternative Japanese terms (one group per English word/phrase)."""

    def __init__(self, table: dict[str, list[str]], names: dict[str, list[str]] | None = None,
                 words: Iterable[str] = (), defined: dict[str, list[str]] | None = None,
                 defined_names: dict[str, str] | None = None, alike: list[list[str]] | None = None,
                 short: dict[str, list[str]] | None = None, compounds: dict[str, list[str]] | None = None,
                 readings: dict[str, list[str]] | None = None) -> None:
        self.table = table
        self.names = names or {}  # consonant key → the vocabulary's katakana terms of that key no dictionary holds
        self.short = short or {}  # and a key of one or two classes → the people's names of that key (モディ)
        # the dictionary's English words: never a name, in any regular form (the frozenset read_words shares)
        self.words = words if isinstance(words, frozenset) else frozenset(words)
        self.defined = defined or {}  # an acronym the passages gloss (SCO) → its definition's terms (上海, 協力, 機構)
        self.defined_names = defined_names or {}  # and → the definition itself (上海協力機構), for the encoders
        self.alike = alike or []  # groups of terms that write one thing, [[米国, アメリカ], [英国, イギリス]…] (_alike)
        self._alike_of = {t: group for group in self.alike for t in group}
        self.compounds = compounds or {}  # a two-word key → the terms its word is cut into ("press conference": 記者, 会見)
        self.readings = readings or {}  # a reading in Latin letters → the nouns that read so ("kotsu": 交通)

    def cased(self, text: str) -> str:
        """A question typed all in capitals in the case the encoders read ("WHO IS KORYBKO?" → "Who is Korybko?"):
        e5 and USE are cased and read capitals as other words (USE's best cosine for "WHY IS THE TAIJIMA FERRY
        CLOSING?" was 0.11, and the answer refused as not covered; as typed, 0.46). A word the dictionary holds in
        any regular form ("cancelled", "trains") in lower case, names the dictionary also holds as words among them
        (tehran, china); a word the passages define or the table keys in capitals, or one of two to four letters
        without a vowel (NHK, LDP), in capitals (SCO, NATO, EU; not US, which is also "us"); any other word as a name
        (Korybko, Taijima). The lexical signal reads the question as typed (`expand`: in capitals every word may be an
        acronym or a name). A question in title case has its stop words lower-cased (`as_typed`)."""

        def case(word: str) -> str:
            if "'" in word or "’" in word:
                head, mark, tail = re.split(r"(['’])", word, maxsplit=1)
                if head.lower() in _NEGATED:
                    return word.lower()  # DIDN'T
                if head == "I":
                    return head + mark + tail.lower()  # I'M
                if word.lower() in ("o'clock", "o’clock"):
                    return word.lower()
                if len(head) == 1:
                    return head + mark + tail[:1] + tail[1:].lower()  # O'NEILL
                return case(head) + mark + tail.lower()  # NATO'S, KORYBKO'S
            lower = word.lower()
            plain = "".join(english_words(lower)) or lower  # DÉTENTE: detente
            if len(word) == 1:
                return "a" if word == "A" else word  # I, G7's G, Type B (a second reviewer's)
            if lower in _CALENDAR:
                return word[:1] + lower[1:]  # SEPTEMBER, MONDAY: English writes them so
            if plain in STOP_WORDS or not self.words.isdisjoint(stems(plain)):
                return lower  # a word of the dictionary's in any form, or a stop word (ITS, COULD)
            if word in self.defined or word in self.table or (len(word) <= 4 and _NO_VOWEL.fullmatch(word)):
                return word
            return word[:1] + lower[1:]
        return as_typed(text, case)

    @cached_property
    def gloss(self) -> Glosser:
        """How the encoders read a question: its defined acronyms written out with their names (one per bridge, which
        every component of the index shares)."""
        return Glosser(self.defined_names)

    def __len__(self) -> int:
        return len(self.table)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Bridge) and (
            (self.table, self.names, self.words, self.defined, self.defined_names, self.alike, self.short,
             self.compounds, self.readings)
            == (other.table, other.names, other.words, other.defined, other.defined_names, other.alike, other.short,
                other.compounds, other.readings))

    def written_alike(self, term: str) -> list[str]:
        """The other terms that write what `term` writes, first sense for first sense (アメリカ: [米国]); [] for one
        the dictionary knows no other way to write, or an index built before the bridge kept them."""
        return [t for t in self._alike_of.get(term, ()) if t != term]

    def spelled(self, word: str) -> list[str]:
        """The katakana terms no dictionary holds that may spell `word` (a lower-case word the table lacks), those of
        its own key first, at most _MAX_PER_KEY: "korybko's" → [コリブコ]. A word of fewer consonant classes, whose key
        many words share, spells only a person's name that sounds as it reads, vowels and all ("modi" → [モディ])."""
        word = word.removesuffix("'s")
        if not self.words.isdisjoint(stems(word)):
            return []
        found: list[str] = []
        for key in latin_keys(word):
            if len(key) < _NAME_CLASSES:
                found += [t for t in self.short.get(key, ()) if t not in found and sounds_like(t, word)]
                continue
            for near in same_keys(key):
                found += [t for t in self.names.get(near, ()) if t not in found]
        return found[:_MAX_PER_KEY]

    def read_as(self, word: str, after: str | None = None) -> list[list[str]]:
        """The groups of a Japanese word written in Latin letters that no dictionary's English holds (a lower-case word
        the table lacks, Hepburn's syllables: "kotsu", "toho", "owashidake"), by the vocabulary's nouns that read as
        it: one group for a word of _READ_WHOLE letters or more read as one term ("kotsu": [交通]), else two for one
        of _READ_PARTS letters or more read as two, cut where its shorter part is longest ("owashidake": [大鷲],
        [岳]); [] for none, or for a word of the dictionary's English ("sake", "tsunami": the table's), in any of its
        regular forms or as a participle ("chosen" is no 朝鮮, "shaken" no 社 + 間: a reviewer's). Given `after`, the
        English noun after the word, the one term that reads as the word and that noun's kanji together ("nagara",
        "river": [長良川], as nagaragawa; `_SUFFIX_READINGS`), or []."""
        word = word.removesuffix("'s").lower()
        if (not self.readings or not reads_as_japanese(word) or word in PARTICIPLES
                or not self.words.isdisjoint(stems(word))):
            return []
        key = folded(word)
        if after is not None:
            endings, kanji = _SUFFIX_READINGS.get(after.lower(), ((), ()))
            return next(([found] for suffix in endings if (found := [t for t in self.readings.get(
                folded(word + suffix), ()) if t.endswith(kanji)])), [])
        if len(key) >= _READ_WHOLE and key in self.readings:
            return [list(self.readings[key])]
        if len(key) < _READ_PARTS:
            return []
        cuts = [(min(i, len(key) - i), i) for i in range(2, len(key) - 1)
                if key[:i] in self.readings and key[i:] in self.readings]
        if not cuts:
            return []
        _, i = max(cuts)
        return [list(self.readings[key[:i]]), list(self.readings[key[i:]])]

    def expand(self, question: str, caps: set[str] | None = None, spelled: set[str] | None = None,
               named: dict[str, list[str]] | None = None, reading: bool = True) -> list[list[str]]:
        """One group per word or two-word phrase the table knows, or per word it lacks that sounds like a katakana
        term no dictionary holds (whose words are added to `spelled`). A word that only the name dictionary knows
        (Vance, not Trump, whose card JMdict knows), however it is written, is added to `named`, with its group. By
        default the words `acronyms` reads in `question` are looked up as acronyms first, then as words; given `caps`
        (lower-cased), those are acronyms only: a word in capitals the table has no acronym for gives no group (AI is
        not 愛). An acronym the passages define also gives one group per term of its definition the table's group
        lacks (SCO: its own Latin term, then 上海, 協力, 機構), as the name written out would. A Japanese
        word in Latin letters that none of those holds is read by the vocabulary's nouns (`read_as`; not without
        `reading`, for a caller asking whether the dictionaries know a name: they do not know "Tanaka" because some
        noun reads as it: a coverage test's near miss)."""
        # "U.S.": USA, an acronym however the question is cased or the caller read its acronyms ("WHAT DID THE U.S.
        # SAY?" is no 私達, a review's)
        in_title_case = titled(question)
        dotted = dotted_acronyms(question)
        question = undotted(question)
        words = english_words(question)
        only = caps is not None
        caps = (acronyms(question) if caps is None else caps) | dotted
        # a question written all in lower case, or all in capitals, says nothing by its case ("who is korybko", "WHAT
        # ABOUT MODI?"): any word the table lacks may then be a name, as a capitalised one may otherwise
        cased = re.search(r"[A-Z]", question) and re.search(r"[a-z]", question)
        names = capitalised(question) if cased else set(words)
        groups: list[list[str]] = []
        fiscal_years = len(_FISCAL_YEAR.findall(question))
        misses = len(_MISS.findall(question))
        # the capitalised words a capital may be a part of a name with ("Paris Hilton"), a title-case question's as
        # people type it ("Who Is Paris Hilton?": its stop words lower-cased, a review's)
        seat_names = (capitalised(as_typed(question)) if in_title_case else names) if cased else set()
        apart = self._separated(words, {w for w in words if w in caps or (cased and w in names) or w in _FORCES})
        i = 0
        while i < len(words):
            if i in apart:
                if apart[i]:  # the verb: the phrase's terms; its particle says nothing alone ("out": 向ける, 際)
                    groups.append(list(dict.fromkeys([*self.table.get(apart[i], ()),
                                                      *self._noun_terms(_PHRASAL[apart[i]])])))
                i += 1
                continue
            if (longest := self._phrase(words, i)) is not None:
                groups.append(list(self.table[" ".join(words[i:i + longest])]))  # "Ministry of Foreign Affairs"
                i += longest
                continue
            if i + 1 < len(words) and words[i] not in _ASKING:
                pair = f"{words[i]} {words[i + 1]}"
                hit = next((self.table[k] for k in lemmas(pair) if k in self.table), None)
                hit = self._with_country(pair, hit)
                if (phrasal := next((f"{k} {words[i + 1]}" for k in sorted(stems(words[i]))
                                     if f"{k} {words[i + 1]}" in _PHRASAL), None)) is not None and not (
                        phrasal in _PHRASAL_SUBJECTS and _PHRASAL_SUBJECTS[phrasal].isdisjoint(words[max(0, i - 3):i])):
                    # a phrasal verb in any form ("carried out" is the table's "carry out": 行う), and the terms of
                    # the nouns it is said by ("pull out": withdrawal, 撤退, 離脱; the table's own is 引き出す, money
                    # drawn)
                    terms = [*self.table.get(phrasal, ()), *self._noun_terms(_PHRASAL[phrasal])]
                    hit = list(dict.fromkeys([*(hit or ()), *terms])) or hit
                if hit is None and words[i] in _SAME_MODIFIER:
                    other = f"{_SAME_MODIFIER[words[i]]} {words[i + 1]}"
                    hit = next((self.table[k] for k in lemmas(other) if k in self.table), None)
                # not an acronym's pair ("US president": 米国's, not 米 + 大統領 for 米大統領; a reviewer's)
                if hit is None and words[i] not in caps and words[i + 1] not in caps and (parts := next(
                        (self.compounds[k] for k in lemmas(pair) if k in self.compounds), None)):
                    groups += [[p] for p in parts]  # each term of the word, as each word of the phrase
                    i += 2
                    continue
                if hit:
                    groups.append(list(hit))
                    # a name of two words: each of its words that is no word of the dictionary (Wang Yi; Xi Jinping's
                    # "jinping", as "xi" is the Greek letter)
                    if named is not None and self.words:
                        named |= {w: list(hit) for w in words[i:i + 2] if self.words.isdisjoint(stems(w))}
                    i += 2
                    continue
            w = words[i]
            i += 1
            if w.endswith("'s") and w[:-2] in caps:
                w = w[:-2]  # "the US's position": the acronym's, not the pronoun's (私達) a lemma of "us's" would give
            if w == "miss" and misses and i < len(words) and words[i] in names:
                misses -= 1  # "Miss" as typed, as many times as it is: not the verb ("Did Miss Ito miss Oda?")
                continue
            if w in HONORIFICS:
                continue  # "Mr Hayashi": the news writes 氏 or さん, and JMdict's 方, 兄, どの matched any passage
            if w in ("fiscal", "fy") and fiscal_years:
                fiscal_years -= 1  # "in fiscal 2024", "FY2024": 2024年度, not the city's year (2024年); as many as
                groups.append(["年度"])  # there are ("the fiscal deficit in fiscal 2024": one, 財政 for the other)
                continue
            if (w == "times" and i > 2 and words[i - 3:i - 1] == ["how", "many"]
                    and not (i < len(words) and (words[i] in _COMPARING or words[i].endswith("er")))):
                groups.append(list(_OCCURRENCES))  # a count of occurrences (70回目, 約420回), not a multiple (倍)
                continue
            if w in HOW_DEGREES and i > 1 and words[i - 2] == "how":
                if w == "long" and TEXT_LENGTH.search(question):
                    groups.append(list(TEXT_UNITS))  # a text's length: its words, characters or pages
                continue  # "how many", "how long": what kind of answer is asked (a number, a span), no word of it
            if terms := self._with_country(w.removesuffix("'s"), None):
                groups.append(terms)  # "UK", "USA", in any case, however the caller read acronyms
                continue
            if w in caps and self._acronym(w, groups):
                continue
            if w in caps and only:
                continue
            # a hyphenated word the dictionary lacks (dual-use) is looked up part by part, a part in capitals as an
            # acronym (US-led: 米国, not the pronoun's 私達)
            for part in [w] if w in self.table or "-" not in w else w.split("-"):
                if part in caps and (self._acronym(part, groups) or only):
                    continue
                if part in STOP_WORDS or len(part) < 2:
                    continue
                before = len(groups)
                hit = next((self.table[k] for k in lemmas(part) if k in self.table), None)
                hit = self._with_country(part, hit)
                made = [*self._nouns_made(part, words, i - 1), *_sense(part, words, i - 1)]
                if hit is None and not made:
                    hit = self._plural(part) or self._quality(part)
                if hit or made:
                    hit = list(dict.fromkeys([*(hit or ()), *made]))
                if hit:
                    groups.append(list(hit))
                    # a name, whatever its case (a bridge written before it kept the dictionary's words tells none),
                    # and a word of the dictionary written as a name one or two words after a title ("Mayor Kai",
                    # "Mayor Hiroshi Kai": 甲斐, whom JMdict's "kai" 皆 hid, a probe's)
                    if named is not None and self.words and (self.words.isdisjoint(stems(part)) or (
                            cased and part in names and TITLES.intersection(words[max(i - 3, 0):i - 1]))):
                        named[part] = list(hit)
                    if cased and not in_title_case and part in names and (read := self._read_as_name(words, i - 1)):
                        groups[-1] = list(dict.fromkeys([*groups[-1], *read]))
                        if named is not None:  # the person's terms only: a passage writing 障子 names nobody
                            named[part] = read  # as written, "Shoji's" too: the word question_names reads
                elif w in names and (name := self.spelled(part)):
                    groups.append(name)
                    if spelled is not None:
                        spelled.add(part)  # the word the aligner reads (a hyphenated word's part)
                elif reading and (read := self.read_as(part) or self.read_as(
                        part, words[i] if i < len(words) else "")) and (
                        w in names or (len(read) == 1 and part not in _INFORMAL)):
                    # a Japanese word in Latin letters ("Saito Kotsu": 交通), read as the vocabulary's nouns, or with
                    # the noun after it ("Nagara River": 長良川); as a spelled name, the aligner reads it not (its group
                    # for it is other names or noise: "toho" was 恒夫, ウー, バンス). In lower case too, as English
                    # writes a Japanese word it has taken in ("What did the toji say?": 杜氏, a brewery's master, was
                    # no group at all; a twenty-fifth probe's), a word of the dictionary's English not (`read_as`),
                    # read whole only ("the tanaka family" was two groups of other words: a review's), nor English
                    # written as it is said ("kinda" 勤惰, "todo" 凍土)
                    groups += read
                    if spelled is not None:
                        spelled.add(part)
                    if named is not None and len(read) == 1 and w in names:
                        # a name no dictionary of the table holds, read whole ("Tsuganomori": 栂ノ森, a place in
                        # Sudachi's dictionary; a twenty-second probe's, ranked ninth under passages on presidents)
                        named[part] = list(read[0])
                if seat := self._seat(part, words, i - 1, w, seat_names):
                    if len(groups) > before:
                        groups[-1] = list(dict.fromkeys([*groups[-1], *seat]))
                    else:
                        groups.append(seat)
        return groups

    @staticmethod
    def _separated(words: list[str], objects: Collection[str]) -> dict[int, str]:
        """A phrasal verb whose object of one or two words, among them one of `objects`, stands before its particle
        ("When did Trump pull the US out?", "pull its troops back"): the verb's index gives the phrase, the particle's
        an empty string."""
        apart: dict[int, str] = {}
        for i, w in enumerate(words):
            if w in _ASKING:
                continue
            for j in (i + 2, i + 3):
                if j >= len(words) or words[j] not in _SEPARABLE or j in apart:
                    continue
                between = words[i + 1:j]
                if _OBJECT_ENDS.intersection(between) or _ASKING.intersection(between):
                    break
                if not any(b in objects for b in between):
                    continue
                if (phrasal := next((f"{k} {words[j]}" for k in sorted(stems(w)) if f"{k} {words[j]}" in _PHRASAL),
                                    None)) is not None:
                    apart[i], apart[j] = phrasal, ""
                    break
        return apart

    def _nouns_made(self, part: str, words: list[str], at: int) -> list[str]:
        """The table's terms for the nouns English makes of the verb `part` (of the word at `at`) is a form of, which
        JMdict glosses a noun of action with ("cancelled": 運休, "cancellation; suspension (of service)"; `nominals`).
        A plain form only after an auxiliary and its subject, before the question's end, a stop word or a determiner
        ("When did service resume?", "Will they cancel the match?"); not a noun after its determiner, nor the first of
        two nouns ("Did the success last?", "Did train services resume?": a reviewer's). Of two characters or more,
        not in hiragana: one kanji or a hiragana word is another sense as often ("located": 元, 下; "waiting": まち;
        "helping": 前: a reviewer's); a loanword stays."""
        verb = (not _AUXILIARIES.isdisjoint(words[max(0, at - 3):at])
                and (at < 1 or words[at - 1] not in _DETERMINERS)
                and (at + 1 == len(words) or words[at + 1] in STOP_WORDS or words[at + 1] in _DETERMINERS))
        return self._noun_terms(nominals(part, self._known, verb))

    def _with_country(self, name: str, hit: list[str] | None) -> list[str] | None:
        """`hit` and the table's terms of the country `name` is another name of (`_COUNTRY_NAMES`), if any."""
        if name not in _COUNTRY_NAMES:
            return hit
        return list(dict.fromkeys([*(hit or ()), *self.table.get(_COUNTRY_NAMES[name], ())])) or hit

    def _phrase(self, words: list[str], at: int) -> int | None:
        """The most words from `at`, three to six, that the table keys as written ("ministry of foreign affairs":
        外務省; "health ministry" is a pair's, "the ministry of health, labour and welfare" six words): None for none.
        A pair is read word by word otherwise, and a key of three words or more reached nothing."""
        if words[at] in STOP_WORDS or words[at] in _ASKING:
            return None
        return next((n for n in range(min(6, len(words) - at), 2, -1) if " ".join(words[at:at + n]) in self.table
                     and (words[at] in _OFFICES or not {"and", "or"} & set(words[at:at + n]))), None)

    def _read_as_name(self, words: list[str], at: int) -> list[str]:
        """The vocabulary's people's names that read as a word of the dictionary written as a name past the
        question's first word, speaking or doing ("What did Shoji say?": 東海林 beside JMdict's 障子; "Shoji's
        words"), keyed at build ("person:shoji"); not a word before a noun ("How are Shoji screens made?") nor a
        place's (奥州 for "Oshu" is no person, nor 数学 for "Mayor Suga": a review's)."""
        word = words[at]
        if at == 0 or not (word.endswith("'s") or (at + 1 < len(words) and words[at + 1] in _SPEAKING)):
            return []
        return list(self.table.get("person:" + folded(word.removesuffix("'s")), ()))

    def _seat(self, word: str, words: list[str], at: int, whole: str, capitals: Collection[str]) -> list[str]:
        """The terms of the country whose government the capital `word` at `at` stands for (`_SEATS`: "ties with
        Moscow", "Moscow's demand", "Moscow-backed"), unless it is the place (`_at_place`) or a part of a name: a
        capitalised word before it past the question's first ("George Washington") or after it ("Paris Hilton", "the
        Berlin Wall", "the Washington Nationals"; `capitals`: the question's capitalised words, none when it is
        not cased). `whole`: the word as written, a hyphened one's parts read alone ("Moscow-based": a place)."""
        seat = self.table.get("seat:" + word.removesuffix("'s"))
        if seat is None:
            return []
        if whole != word:  # "pro-Moscow", "Moscow-backed": the government; "Moscow-based": the place
            parts = whole.split("-")
            after = parts[parts.index(word) + 1:]
            return [] if _PLACE_SUFFIXES.intersection(after) or _at_place(words, at) else list(seat)
        # a capitalised word beside it, not one of the places it is listed with ("Moscow, Kyiv and Minsk"), nor the
        # question's first ("Explain Moscow's position", "Will Moscow agree?": a review's)
        before = words[at - 1] if at > 0 else ""  # "George Washington's…", not "Explain Moscow's…", "Will Moscow…"
        named = ((before in capitals and before.removesuffix("'s") not in _SEATS
                  and (at > 1 or not (self._known(before) or before in STOP_WORDS | _ASKING | _AUXILIARIES)))
                 or (at + 1 < len(words) and words[at + 1] in capitals and words[at + 1] not in _SEATS))
        return [] if named or _at_place(words, at) else list(seat)

    def _plural(self, word: str) -> list[str] | None:
        """The table's terms for the plural of `word` (any of its lemmas) when the table keys none of them: a word
        JMdict glosses only in the plural, a verb's noun among them ("thank", "thanked": "thanks", 感謝; "funded":
        "funds", 資金; "tactic": 作戦), not a number ("thousand": the table's 数千 is some thousands). Of two characters
        or more and not in hiragana, as a noun of action's ("depth": おく); of a word of the dictionary's English only
        ("Corp." is no "corps", 部隊), and not in katakana, a plural's loanword that names something ("left-wing":
        ウイングス; a review's)."""
        if len(word) < 4 or word in _NUMBER_WORDS:
            return None
        return self._nouns_named(f"{k}s" for k in lemmas(word) if k not in _NUMBER_WORDS and k in self.words)

    def _quality(self, word: str) -> list[str] | None:
        """The table's terms for the noun of the quality an adjective names when the table keys neither it nor its
        plural: JMdict glosses 不満 "dissatisfaction; … unhappiness", never "unhappy" (38 seen questions said it and
        reached nothing). Of a word of the dictionary's English, by -ness (unhappy: unhappiness, aware: awareness);
        of two characters or more and not in hiragana or katakana, as `_plural`'s."""
        if (len(word) < 4 or word not in self.words or word.endswith(("ness", "ed", "ing"))
                or (word.endswith("s") and not word.endswith(("ous", "ss")))):
            return None
        return self._nouns_named([word[:-1] + "iness" if word.endswith("y") else word + "ness"])

    def _nouns_named(self, nouns: Iterable[str]) -> list[str] | None:
        """`_noun_terms` of `nouns` but a katakana term, a loanword that names something (`_plural`, `_quality`)."""
        return list(dict.fromkeys(t for t in self._noun_terms(nouns) if not _KATAKANA.fullmatch(t))) or None

    def _noun_terms(self, nouns: Iterable[str]) -> list[str]:
        """The table's terms for nouns of action a question's verb was read as, of two characters or more and not in
        hiragana (`_nouns_made`, `_PHRASAL`)."""
        return [t for n in nouns for t in self.table.get(n, ()) if len(t) > 1 and not _HIRAGANA_ONLY.fullmatch(t)]

    def _known(self, word: str) -> bool:
        """Whether `word` is a word of the dictionary's English or a key of the table."""
        return word in self.words or word in self.table

    def _acronym(self, word: str, groups: list[list[str]]) -> bool:
        """Add the groups of `word` (lower-cased) read as an acronym, if the table or the passages know it as one: US →
        米国, not 私達; WHO → its organisation; SCO → sco, then 上海, 協力, 機構."""
        key = word.upper()
        if key not in self.table and key not in self.defined:
            return False
        known = self.table.get(key, [])
        groups += [list(known)] if known else []
        groups += [[t] for t in self.defined.get(key, ()) if t not in known]
        return True

    def save(self, path: Path) -> None:
        """The bridge as one JSON object, keys sorted. The dictionary's English words (~41,000, the same in every
        build of a machine) come last, as "words" sorts, and are serialised once per process (`_words_json`)."""
        rest = json.dumps({"id": BRIDGE_ID, "table": self.table, "names": self.names, "defined": self.defined,
                           "defined_names": self.defined_names, "alike": self.alike, "short": self.short,
                           "compounds": self.compounds, "readings": self.readings},
                          ensure_ascii=False, sort_keys=True)
        path.write_text(f'{rest[:-1]}, "words": {_words_json(self.words)}}}', encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> Bridge:
        data = json.loads(path.read_text(encoding="utf-8"))
        # written before the names, the defined acronyms, the terms written alike, the short names or the words by
        # their parts: none
        return cls(data["table"], data.get("names"), data.get("words", ()), data.get("defined"),
                   data.get("defined_names"), data.get("alike"), data.get("short"), data.get("compounds"),
                   data.get("readings"))
