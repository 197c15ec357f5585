"""A name only the lexical signal reads: the passage that holds it, first.

"What did Miyashita say?", "What did Morita say?" on articles the embedders have never seen: BM25 ranks the one
passage that writes 宮下 (the name dictionary's spelling) first, and e5, USE and the sparse head, which know neither
the name nor its kanji, rank passages about presidents and spokesmen above it, so that the fused top five held no
passage that names the person asked about, and the answer quoted someone else (a tenth probe's; docs/precision.md,
"A name only BM25 reads"). A question whose names are words only the name dictionaries hold (Miyashita: 宮下; not
Trump, JMdict's card, nor Xi, a Greek letter) is read for them; when no passage of the ranking's first `CHECKED`
writes any of them, nor is of the article of the lexical component's best passage that does, that passage goes first,
scoring as the first did. Famous names are known to the embedders too, and the passages they rank first write them:
those rankings stay as they are.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..stores.bridge import TITLES, Bridge, name_terms
from ..stores.english import as_typed, capitalised, titled as in_title_case
from ..stores.romaji import folded, reads_as_japanese, romanized

CHECKED = 5  # the first rows of the ranking read for the names: the passages an answer is drawn from
LEXICAL = "bm25"


def question_names(bridge: Bridge | None, question: str, analyzer) -> list[list[str]]:
    """The terms of each word of an English `question` that only the name dictionaries hold, written with a capital
    after its first word, in the terms that write a person's or a place's name (Miyashita: [宮下]; not "Maru" of a
    ship's name, 円 to JMnedict, nor "year", which a pair of words let through); a word in Japanese syllables by the
    kanji Sudachi reads as it (a reviewer's: "Kobayashi" was 神林 in an index without 小林, which reads Kanbayashi);
    [] for none. `analyzer`: the index's JapaneseAnalyzer (its dictionary's entries and readings)."""
    if bridge is None:
        return []
    if in_title_case(question):  # "What Did Mayor Kai Say About The Flood?": its stop words lower-cased end a name
        question = as_typed(question)
    named: dict[str, list[str]] = {}
    bridge.expand(question, named=named)
    words = question.split()
    capitals = capitalised(" ".join(words[1:]))

    def reads_as(term: str, word: str) -> bool:
        if not reads_as_japanese(word) or not _KANJI.search(term):
            return True  # a Chinese name (習近平 for Xi), a katakana or Latin term
        return folded(word) in {folded(romanized(r)) for r in analyzer.readings(term)}
    # a Japanese name after a title ("Mayor Kai": 甲斐, which Sudachi's dictionary holds as a word, "worth"), by the
    # kanji that read as it, whatever their part of speech (a probe's: the mayor's words came fourth, after another
    # city's mayor's)
    titled = _titled(words)
    out = []
    for word, terms in named.items():
        if word in capitals:
            found = [t for t in name_terms(terms, analyzer.entries, ("人名", "地名")) if reads_as(t, word)]
            if word not in bridge.table and bridge.read_as(word):
                # a word no dictionary of the table holds, read by the vocabulary's nouns: a place only ("Tsuganomori":
                # 栂ノ森), not a person's name, of which a reading has many (a famous "Ohtani" the index never names
                # put the chairlift operator's 小谷 first: a reviewer's)
                found = [t for t in found if all(e[1:3] != ("固有名詞", "人名") for e in analyzer.entries(t))]
            if not found and _PLAIN.sub("", word) in titled:
                found = [t for t in terms if len(t) >= 2 and _KANJI.search(t) and reads_as(t, word)]
            if found:
                out.append(found)
    return out


_KANJI = re.compile(r"[\u4e00-\u9fff]")


def _titled(words: Sequence[str]) -> set[str]:
    """The words of a Japanese name after a title, lower-cased: the capitalised words after it, up to a word that ends
    a clause (a comma's), when every one reads in Japanese syllables: "Mayor Kai", "Mayor Kai's", "Mayor Hiroshi Kai",
    "Mayor Kai Hiroshi" (surname first, as NHK writes): kai (and hiroshi); not "Ambassador Yuri Ushakov", whose name
    is no Japanese one (Yuri is no 有利)."""
    plain = [_PLAIN.sub("", w.lower()) for w in words]
    out: set[str] = set()
    for i, before in enumerate(plain[:-1]):
        if before not in TITLES or words[i][-1:] in _CLAUSE_END:
            continue
        run = []
        for j in range(i + 1, len(words)):
            if not words[j][:1].isupper() or not plain[j]:
                break
            run.append(plain[j])
            if words[j][-1:] in _CLAUSE_END:
                break
        if run and all(reads_as_japanese(w) for w in run):
            out.update(run)
    return out


_CLAUSE_END = frozenset(",;:)?!")
_PLAIN = re.compile(r"['’]s$|[^a-z]")


def names_first(rows: Sequence[int], scores: dict[int, float], lexical: dict[int, float] | None,
                text_of, article_of, names: list[list[str]], article_text=None
                ) -> tuple[list[int], dict[int, float], dict[int, float]]:
    """(rows, scores, changes): `rows` with the lexical ranking's best row that writes a name of `names` (by one of its
    terms) first, when none of the first CHECKED writes any, nor is of its article (`article_of`: a row's document and
    article). Any name, since a passage writes a person's surname alone after the first time: "What did Sergei Lavrov
    say…?" is answered by passages that write ラブロフ and not セルゲイ (a seen question fell from 2nd to 3rd when each
    name was asked for); and its article, since "What did the president of Hokuriku Seiki say?" found his words fifth,
    in a passage of the company's article that does not name it again. And when one of the first CHECKED writes a
    name but the first is of an article that writes none (`article_text`: a row's article's text), that one goes
    first: "What did vice president Kenichiro Murase say at the press conference?" found a blog's press conference
    first and his words fourth (a seventeenth probe's); a passage of his article that does not name him stays first.
    `changes` holds the moved row's score change. As they are otherwise, or without the lexical component's scores."""
    if not names or not lexical or not rows:
        return list(rows), scores, {}

    def written(text: str) -> bool:  # any of the names: a passage writes a person's surname alone after the first time
        lower = text.lower()
        return any(t in (lower if t.isascii() else text) for terms in names for t in terms)

    def writes(row: int) -> bool:
        return written(text_of(row))

    if any(writes(r) for r in rows[:CHECKED]):
        if writes(rows[0]) or article_text is None or written(article_text(rows[0])):
            return list(rows), scores, {}
        found = next(r for r in rows[:CHECKED] if writes(r))
    else:
        found = next((r for r in sorted(lexical, key=lambda r: (-lexical[r], r)) if writes(r)), None)
        if found is None or article_of(found) in {article_of(r) for r in rows[:CHECKED]}:
            return list(rows), scores, {}
    top = scores[rows[0]]
    change = top - scores.get(found, 0.0)
    out = dict(scores)
    out[found] = top
    return [found, *(r for r in rows if r != found)], out, {found: change}
