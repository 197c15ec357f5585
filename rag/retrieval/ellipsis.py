"""A follow-up that asks the question before about another name: "What about the US?" after "What did Lavrov say about
an alliance with China?", "And Iran?", じゃあ習近平は?. Its answer is about that name, so a passage that does not
mention it cannot be the answer, however close it is to the earlier turn's topic, which the follow-up search carries.

Such a follow-up continues the one before (And…, What about…, じゃあ…) with at most two words of its own besides its
names, or names nothing but its names (米国については?); it does not point back at what was said (it, その: then it
asks about that); and it names a place, a person or an organisation. A name's kind is read from its Japanese term as
Sudachi tags it (地名; 人名, also as read before 氏, as rag.retrieval.referent reads a person; 組織名), or, for a word
in capitals that is neither, an organisation (NATO, IAEA). Typed all in lower case ("and iran?"), a word is a name
when Sudachi tags its Japanese term a place or a person (not as read before 氏).

`named_terms` gives the ways a passage writes such a name, as BM25's analyzer reads them: the name as written; for an
English name each term of two characters or more of the bridge's groups for it (US: 米国; America: 米国, アメリカ; SCO:
its definition written out, 上海協力機構); for a Japanese name the names of its kind that write it alike, first sense
for first sense (アメリカ: 米国; not 韓国 for 中国, which JMdict glosses "China" only in an archaic entry). `mentions`
finds them among a passage's terms in a row, so that ラヴロフ is ラブロフ, インド is not インドネシア and US is not
AUKUS.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..corpus.lines import has_cjk
from ..stores.bridge import Bridge
from ..stores.english import acronyms, english_words, is_acronym, undotted
from ..stores.japanese import JapaneseAnalyzer
from .cues import EN_CONTINUING, EN_STRONG, EN_WORD, JA_ABOUT, JA_CONTINUING, JA_FUNCTION, JA_RELATIONAL, NOT_TOPIC
from .referent import is_person

PLACE, PERSON, ORGANISATION = "place", "person", "organisation"
# a run of capitalised words (North Korea, Wang Yi, Jean-Yves), or one word in capitals (US, NATO)
_NAME = re.compile(r"(?<![A-Za-z])(?:[A-Z][a-z\u00e0-\u00ff]+(?:[ \-][A-Z][a-z\u00e0-\u00ff]+)*|[A-Z]{2,}(?![a-z]))")
_JA_FRAME = frozenset({"場合", "方", "件", "点", "側"})
_JA_POINTING = re.compile(r"それ|その|そこ|これ|この|ここ|同氏|同国")
_DIRECTIONS = frozenset({"東", "西", "南", "北", "中", "北東", "北西", "南東", "南西", "中央", "東部", "西部", "南部",
                         "北部", "中部", "東南", "西南", "東北", "西北"})
_PLACE_PARTS = frozenset({"大陸", "半島", "諸島"})
_KATAKANA = re.compile(r"[\u30a1-\u30fa\u30fc]+")
_SHORTEST_TERM = 2  # a one-character term (中, 米) is in too many passages to say which are about the name
# a follow-up that continues the one before with more words of its own than these asks a question of its own ("So
# what are the secondary sanctions Trump threatened…?"), not the question before about another name
_OWN_WORDS = 2


Name = tuple[str, ...]  # a name as the BM25 analyzer's terms read it (ラヴロフ: ラブロフ; 上海協力機構: 上海, 協力, 機構)


def named_terms(question: str, analyzer: JapaneseAnalyzer, bridge: Bridge | None) -> frozenset[Name]:
    """The ways a passage writes the follow-up's names, when `question` asks the question before about other names
    ("And Iran?": イラン, iran), each as the BM25 analyzer's terms; empty otherwise."""
    question = undotted(question)  # the U.S., the U.K. (not A.M., nor a name's initials)
    names = [(name, kind) for name, kind in _names(question, analyzer, bridge) if kind]
    if not names or not _elliptical(question, {name for name, _ in names}, analyzer):
        return frozenset()
    spellings: set[str] = set()
    caps = acronyms(question)
    # 南アメリカ, 東ヨーロッパ: another place than 米国, 欧州 (the question read again only when it names one in Japanese)
    part_of = _part_of_a_place(question, analyzer) if any(has_cjk(name) for name, _ in names) else set()
    for name, kind in names:
        spellings.add(name)
        if bridge is None:
            continue
        if has_cjk(name):  # its other spellings of the same kind (アメリカ: 米国), not its synonyms (バンス: 前進)
            if name not in part_of:
                spellings.update(t for term in analyzer.terms(name) for t in bridge.written_alike(term)
                                 if len(t) >= _SHORTEST_TERM and _ja_kind(t, analyzer.tags(t), analyzer) == kind)
            continue
        groups = bridge.expand(name, caps & set(english_words(name)))
        if is_acronym(name):  # its own group, and its definition written out (SCO: 上海協力機構), not each of its words
            defined = bridge.defined.get(name.upper(), ())
            groups = [g for g in groups[:1] if not set(g) <= set(defined)] + [["".join(defined)]] * bool(defined)
        # every term of its groups long enough to say which passages are about the name ("America": 米国 and アメリカ;
        # a group can hold another place the dictionary glosses alike: JMdict's "china" holds 韓国 too)
        spellings.update(t for group in groups for t in group if len(t) >= _SHORTEST_TERM)
    return frozenset(terms for s in spellings if s and (terms := tuple(analyzer.terms(s))))


def mentions(text: str, names: frozenset[Name], analyzer: JapaneseAnalyzer) -> bool:
    """Whether `text` writes one of `names`: its terms, in a row, among the text's terms as BM25 reads them (so
    インド is not インドネシア, US is not AUKUS, and ラヴロフ is ラブロフ)."""
    terms = analyzer.terms(text)
    return any(terms[i:i + len(name)] == list(name) for name in names for i in range(len(terms) - len(name) + 1))


def names_only(question: str, analyzer: JapaneseAnalyzer) -> bool:
    """Whether a Japanese question names nothing but places, people or organisations, and asks about them with
    について, に関して or の場合 (米国については?, イランの場合は?): the question before, asked about them. A topic
    that is no name (停戦について) is a question of its own."""
    if not has_cjk(question) or not JA_ABOUT.search(question):
        return False
    nouns = [t for t in analyzer.tokens(JA_ABOUT.sub(" ", question)) if t.term and t.pos[0] == "名詞"
             and t.surface not in JA_FUNCTION and t.surface not in _JA_FRAME]
    return bool(nouns) and all(not t.term.isascii() and _ja_kind(t.surface, t.pos, analyzer) for t in nouns)


def _elliptical(question: str, names: set[str], analyzer: JapaneseAnalyzer) -> bool:
    """Whether `question` continues the one before ("And the US?", じゃあ米国は?) or names nothing but its names
    (米国については?, "The US?"), without pointing back at what was said ("How did it affect China?")."""
    if {w.lower() for w in EN_WORD.findall(question)} & EN_STRONG or _JA_POINTING.search(question):
        return False
    inside = {w.lower() for name in names for w in re.findall(r"[A-Za-z\u00c0-\u024f]+", name)}
    rest = [w for w in english_words(question)
            if w not in NOT_TOPIC and w.removesuffix("'s") not in inside and len(w) > 1]  # Iran's: the name
    if has_cjk(question):
        rest += [t.surface for t in analyzer.tokens(JA_RELATIONAL.sub(" ", JA_ABOUT.sub(" ", question)))
                 if t.term and not t.term.isascii()
                 and t.pos[0] == "名詞" and t.surface not in names | JA_FUNCTION | _JA_FRAME]
    if EN_CONTINUING.search(question) or JA_CONTINUING.search(question):
        return len(rest) <= _OWN_WORDS  # "And what does Iran say about negotiations?"
    return not rest


def _names(text: str, analyzer: JapaneseAnalyzer, bridge: Bridge | None) -> Iterator[tuple[str, str | None]]:
    """The names `text` writes, each with its kind (None: not known), in order: Japanese ones, then English ones."""
    if has_cjk(text):
        for token in analyzer.tokens(text):
            if token.pos[0] != "名詞" or not token.term:
                continue
            if token.term.isascii():
                if is_acronym(token.surface):
                    yield token.surface, ORGANISATION
            elif kind := _ja_kind(token.surface, token.pos, analyzer):
                yield token.surface, kind
    if not re.search(r"[A-Z]", text) and not has_cjk(text):
        yield from _lower_case_names(text, analyzer, bridge)
        return
    caps = acronyms(text)
    for m in _NAME.finditer(text):
        parts = m.group().split(" ")
        while parts and parts[0].lower() in NOT_TOPIC and not is_acronym(parts[0]):
            parts.pop(0)  # "And North Korea", "What": a sentence's scaffolding before the name, or no name
        if parts:
            name = " ".join(parts)
            yield name, _en_kind(name, caps, analyzer, bridge)


def _lower_case_names(text: str, analyzer: JapaneseAnalyzer, bridge: Bridge | None) -> Iterator[tuple[str, str]]:
    """The places and people of a question typed all in lower case ("and iran?", "what about xi jinping"), whose
    case says nothing: each word, or two words the bridge knows together (north korea), whose Japanese term is a
    place's or a person's name. An organisation needs its capitals (nato is no name here)."""
    words = [w for w in english_words(text) if w not in NOT_TOPIC and len(w) > 1]
    i = 0
    while i < len(words):
        for size in (2, 1):
            name = " ".join(words[i:i + size])
            known = size == 1 or (i + 1 < len(words) and bridge is not None and name in bridge.table)
            kind = _tagged_kind(name, analyzer, bridge) if known else None
            if kind in (PLACE, PERSON):
                yield name, kind
                i += size
                break
        else:
            i += 1


def _tagged_kind(word: str, analyzer: JapaneseAnalyzer, bridge: Bridge | None) -> str | None:
    """A lower-case word's kind as Sudachi tags its Japanese terms alone (地名, 人名): not as read before 氏, which
    takes many a common noun for a name (cost: 価格氏)."""
    for group in [] if bridge is None else bridge.expand(word, set()):
        for term in group:
            pos = analyzer.tags(term)
            if pos[:2] == ("名詞", "固有名詞") and pos[2] in ("地名", "人名"):
                return PLACE if pos[2] == "地名" else PERSON
    return None


def _part_of_a_place(question: str, analyzer: JapaneseAnalyzer) -> set[str]:
    """The Japanese words of `question` that Sudachi cuts out of a longer place name: after a direction or a katakana
    word (南 アメリカ, 東 ヨーロッパ, ラテン アメリカ), or before 大陸, 半島 or 諸島 (アメリカ 大陸). Not after any noun:
    あとアメリカは?, 同盟国アメリカ and 大国アメリカ are the United States."""
    tokens = analyzer.tokens(question) if has_cjk(question) else []
    out = {t.surface for before, t in zip(tokens, tokens[1:])
           if before.surface in _DIRECTIONS or (_KATAKANA.fullmatch(before.surface) and before.pos[0] == "名詞")}
    return out | {t.surface for t, after in zip(tokens, tokens[1:]) if after.surface in _PLACE_PARTS}


def _ja_kind(surface: str, pos: tuple[str, ...], analyzer: JapaneseAnalyzer) -> str | None:
    if pos[:2] == ("名詞", "固有名詞"):
        kind = {"地名": PLACE, "人名": PERSON, "組織名": ORGANISATION}.get(pos[2])
        if kind:
            return kind
    if len(surface) >= 2 and re.fullmatch(r"[\u30a0-\u30ff]+", surface) and is_person(surface, analyzer):
        return PERSON  # トランプ is a common noun alone, a person before 氏
    return None


def _en_kind(name: str, caps: set[str], analyzer: JapaneseAnalyzer, bridge: Bridge | None) -> str | None:
    groups = [] if bridge is None else bridge.expand(name, caps & set(english_words(name)))
    own = groups[:1] if is_acronym(name) else groups  # SCO's group, not the terms of its definition (上海, 協力…)
    terms = [t for group in own for t in group]
    for term in terms:
        if analyzer.tags(term)[:3] == ("名詞", "固有名詞", "地名"):
            return PLACE
    if any(is_person(term, analyzer) for term in terms):
        return PERSON
    return ORGANISATION if is_acronym(name) else None
