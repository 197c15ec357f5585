"""Whether one top passage holds every name a question asks for (`names_held`): the coverage check's second signal.

**A name the passages hold.** A bare name that the articles mention once ("Lazarus Group", 王毅) scores as low as a
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
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from ...retrieval import Searcher
from ...retrieval.rerank.answer_type import is_interrogative
from ...stores.bridge import DIVISION, DIVISIONS, TITLES, Bridge, name_terms
from ...stores.english import english_words
from ...stores.japanese import STOP_WORDS, fold
from ...stores.romaji import folded, reads_as_japanese, romanized
from ...stores.sounds import short, spells
from ...types import Hit
from .names import NAME_WORD_CHARS, long_words, name_runs, short_acronyms
from .passages import top
from .readings import document_names, full_names_read, run_spellings

_KATAKANA = re.compile(r"^[\u30a0-\u30ff]{2,}$")
_LATIN = re.compile(r"^[a-z][a-z0-9.\-]{2,}$")
_WORD = re.compile(r"[a-z][a-z0-9.\-]*[a-z0-9]")  # a word of a question typed in lowercase
# nouns of Japanese questions that say what is asked, not what about: "何の略", "どんな人物", "意味は"
_ASKING_NOUNS = {"略", "意味", "人物", "正体", "名前", "何者",
                 # a measure asked of what the question names: リフトの長さは? asks the lift's, written 全長 (a reviewer's)
                 "長さ", "全長", "高さ", "深さ", "重さ", "広さ", "面積", "距離", "標高", "気温", "温度",
                 # and a time, a place, an amount or a count asked: 「相談窓口の受付時間は?」 is answered by 「受け付けは
                 # 平日の午前9時から午後5時まで」, which writes no 時間 (a twenty-third probe's refusal)
                 "時間", "時刻", "日時", "期間", "時期", "日程", "場所", "金額", "人数", "件数", "回数"}
# people named by no more than the words before them: 「存続を求める人たちは何と言っている?」 asks about those who want
# the line kept, whom a passage holds when it writes 存続を求める (「沿線では存続を求める声も根強かった」), not 人 (a
# twenty-first probe's, held back); 「アメリカに行く人は?」 is about no one a passage writes (`_qualified`)
_PEOPLE = frozenset({"人", "人々", "人達", "者", "方々"})
_CLAUSE_CHARS = 4
_SURNAME = ("名詞", "固有名詞", "人名", "姓")
_HONORIFIC_JA = frozenset({"氏", "さん", "様", "君", "くん", "ちゃん", "先生"})
# the last kanji of a title or a person's noun after a surname: 教授, 社長, 委員長, 議員, 医師, 弁護士, 選手, 容疑者,
# 長官, 監督, 知事
_PERSON_ENDS = frozenset("長授員師士手者官督事相臣告諭人表")  # 外相, 大臣, 被告, 教諭, 夫人, 代表


def names_held(searcher: Searcher, question: str, hits: Sequence[Hit]) -> bool:
    """Whether one top passage holds every name of `question` (see the module's docstring)."""
    question = unicodedata.normalize("NFKC", question)  # full-width letters are letters: ＮＡＴＯ is NATO
    analyzer = searcher.analyzer
    # the nouns, not the words that ask ("ラブロフとは誰か": 誰 is a pronoun; 何年, 何人, and 何 with the counter after
    # it: no passage writes the question's 何) nor a question's frame ("ISWは何の略")
    japanese: set[str] = set()
    after_what = False
    tokens = analyzer.tokens(question)
    for t in tokens:
        if (t.term and not t.term.isascii() and t.pos[0] == "名詞" and t.term not in _ASKING_NOUNS
                and not is_interrogative(t.term) and not (after_what and t.pos[2] == "助数詞可能")):
            japanese.add(t.term)
        after_what = t.surface == "何"
    qualified = _qualified(tokens)
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
        runs = [w for w in dict.fromkeys(long_words(" ".join(_WORD.findall(question))))
                if w in latin or any(t != w and spells(t, w) for t in searched(w))]
        runs += [w for w in people if w not in runs]  # "who is wang yi"
        # a given name beside its surname is the run's ("who is sora kudo", "kudo sora": 工藤隆 is not Sora
        # Kudo; reviewers')
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
        NAME_WORD_CHARS letters or more by its sound or by one of the bridge's terms for it ("Wang Yi", "J.D.Vance",
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
            for w in found if w not in people and (len(w) >= NAME_WORD_CHARS or w in given) and w not in STOP_WORDS)

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
            read_as[text] = full_names_read(analyzer, text)
        return any(_starts(read_as[text], folded(name)) for name in (words[1] + words[0], words[0] + words[1]))

    surnames_in: dict[str, set[str]] = {}

    def by_surname(run: str, text: str) -> bool:
        """A surname the bridge reads in kanji that are a word too (Hayashi: 林, "forest"), alone or after titles
        ("Professor Hayashi", "Mr Hayashi"), held where the passage writes one of its terms as a surname: Sudachi tags
        林 in 林教授 and 林美和氏 so, not in 林の中 (a probe's "What did Hayashi say?" was refused with 林美和's words
        first), before a given name, an honorific or a title (Sudachi tags 沢 in 沢に迷い込んだ a surname too: a
        review's). Not a run with another word (a given name: "Masaki Hayashi" is no 林美和)."""
        words = [w.removesuffix("'s") for w in english_words(run)]
        if not words or words[-1] not in given or any(w not in TITLES for w in words[:-1]):
            return False
        if text not in surnames_in:
            tokens = analyzer.tokens(text)
            surnames_in[text] = {(t.term, t.surface) for i, t in enumerate(tokens)
                                 if t.pos[:4] == _SURNAME and _names_a_person(tokens[i + 1:i + 3])}
        word = folded(words[-1])  # read so: 高, one of the kanji for "takashi", is a surname read タカ, not Takashi
        return any(term in given[words[-1]] and any(folded(romanized(r)) == word for r in analyzer.readings(surface))
                   for term, surface in surnames_in[text])

    def named(run: str, names: set[str], passage: set[str], text: str, doc_id: str) -> bool:
        if by_bridge(run, names, passage, text) or in_syllables(run, text) or by_surname(run, text):
            return True
        # or by its article, where the passage writes 同社 or 社長: a run in Japanese syllables the article names
        # near its start, as `unwritten_romanized` reads it ("What did Aimono Suisan write on the labels?", whose
        # lead writes 「四十物水産」: a twenty-third probe's, refused over its passage ranked first)
        if (spellings := run_spellings(run)) and not document_names(searcher, doc_id).isdisjoint(spellings):
            return True
        if held(run, names):  # the run whole: "Bretton Woods" is ブレトン・ウッズ
            return True
        if all(held(w, names) for w in long_words(run)):
            return True
        # a person is named by the surname alone, in katakana ("Andrew Korybko" is コリブコ there); not by a Latin
        # acronym that sounds like it ("Taylor Swift" is not SWIFT)
        words = run.split()
        return len(words) > 1 and held(words[-1], {t for t in names if not t.isascii()})

    # a short acronym is held only as the passage writes it, in Latin letters ("ISW(戦争研究所)")
    def nouns_held(passage: set[str], text: str) -> bool:  # people by the words that qualify them
        folded_text = fold(text)
        return japanese - {p for p, clause in qualified.items() if clause in folded_text} <= passage

    return any(nouns_held(passage, hit.passage.text)
               and all(named(run, names, passage, hit.passage.text, hit.passage.doc_id) for run in runs)
               and all(a in passage for a in acronyms) for passage, names, hit in zip(passages, spelled, top(hits)))


def _qualified(tokens) -> dict[str, str]:
    """Each people noun of a question (_PEOPLE) with the words before it from the nearest noun on (存続を求める for
    人), when they run to _CLAUSE_CHARS characters or more."""
    out: dict[str, str] = {}
    at, noun_at = 0, None
    text = "".join(t.surface for t in tokens)
    for t in tokens:
        if t.term in _PEOPLE:
            if noun_at is not None and at - noun_at >= _CLAUSE_CHARS:
                out[t.term] = text[noun_at:at]
        elif t.pos[0] == "名詞" and t.term and not is_interrogative(t.term):
            noun_at = at
        at += len(t.surface)
    return out


def _names_a_person(after) -> bool:
    """Whether the tokens after a surname make it a person's: a given name (林美和), an honorific (林氏, 林さん) or a
    title or a person's noun (林教授, 林委員長, 林医師, 林容疑者, 林外相, 林代表), of two words too (官房 + 長官, 巡査 +
    部長: a review's)."""
    if not after:
        return False
    first = after[0]
    if first.pos[:4] == ("名詞", "固有名詞", "人名", "名") or first.surface in _HONORIFIC_JA:
        return True
    nouns = [t for t in after[:2] if t.pos[:2] == ("名詞", "普通名詞")]
    return bool(nouns) and nouns[0] is first and any(t.surface[-1:] in _PERSON_ENDS for t in nouns)


def _starts(readings: set[str], name: str) -> bool:
    """Whether a reading is `name` or begins with it (健 + 一部 read "kenichibu")."""
    return any(r.startswith(name) for r in readings)


def _given_after(analyzer, text: str, surnames: set[str], given: str) -> bool:
    """Whether `text` writes one of `surnames` followed by a word Sudachi reads as `given` sounds (工藤隆: 隆 is タカシ,
    "takashi")."""
    tokens = analyzer.tokens(text)
    return any(t.term in surnames and i + 1 < len(tokens)
               and any(spells(r, given) for r in analyzer.readings(tokens[i + 1].surface))
               for i, t in enumerate(tokens))


def _bridge_names(searcher: Searcher, question: str
                  ) -> tuple[dict[str, list[str]], dict[str, list[str]], Bridge | None]:
    """({word: terms}, {given name: terms}, the bridge): the question's words that the bridge reads as names only
    the name dictionaries hold, or as a person no dictionary holds by the reading of the name ("vance": [バンス],
    "wang": [王毅]; `Bridge.expand`'s `named`; a possessive's 's cut), with their terms that write a name
    (`name_terms`: not 未来, which JMnedict reads as the given name "Saki"); and those of the words none of whose terms
    writes a name on its own, with their terms: given names, whose kanji (公, 高, 誠… for "takashi") are words too, and
    surnames written so (林 for "hayashi")."""
    bridge = searcher.bridge
    if bridge is None:  # an index without BM25
        return {}, {}, None
    named: dict[str, list[str]] = {}
    bridge.expand(question, named=named)
    people: dict[str, list[str]] = {}
    given: dict[str, list[str]] = {}
    for w, terms in named.items():
        if kept := name_terms(terms, searcher.analyzer.entries):
            people[w.removesuffix("'s")] = kept
        else:
            given[w.removesuffix("'s")] = terms
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
