"""The names a question asks about that the index never writes, which refuse it whatever USE's cosine.

**A name the index never writes.** A Japanese question naming in kanji a person or place (Sudachi's 人名, 地名) that no
sentence of the index holds, nor begins a longer term with, asks about something the articles are not about
(「大谷翔平は…」, 「北海道では…」: `unwritten_names`). So does an English question naming in Japanese syllables someone or
somewhere that no dictionary of the bridge holds and no top passage reads as ("Kenji Tanaka", "the Ofunato
wildfire": `unwritten_romanized`).
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Sequence

from ...corpus.lines import has_cjk
from ...retrieval import Searcher
from ...stores.bridge import Bridge
from ...stores.english import PARTICIPLES, stems
from ...stores.japanese import STOP_WORDS
from ...stores.kanji import reads_on
from ...stores.romaji import folded, reads_as_japanese
from ...types import Hit
from .names import name_runs
from .passages import top
from .readings import CUT, document_names, name_readings, romanized_readings, run_spellings

_KANJI = re.compile(r"[\u4e00-\u9fff]")
_KANJI_NAME = re.compile(r"[\u4e00-\u9fff々]{2,}")


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
            readings = name_readings(analyzer, hits)
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
        stem = t.term[:-1] if t.term[-1:] in CUT and len(t.term) > 2 else ""  # 北京市: 北京, 北極海: 北極
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
    read = romanized_readings(searcher.analyzer, hits)
    missing = [(run, word) for run, word in judged if word not in read]
    if missing:
        # the article of a top passage may write the name where that passage does not: "What did the president of
        # Shimanami Kisen say?" found 「社長の河野隆之氏は…」, whose article names its company, しまなみ汽船, above it
        # (a probe's: refused as not covered). There the whole run must be read, from a proper noun on: the last
        # word alone is any word of a long text ("Kenji Ito" read in 意図, "Hara" in 払っ: a reviewer's)
        names = frozenset().union(*(document_names(searcher, doc)
                                    for doc in dict.fromkeys(h.passage.doc_id for h in top(hits))))
        missing = [(run, word) for run, word in missing if not names & run_spellings(run)]
    if missing:
        # or writes a noun the bridge's readings give the word ("Toho Motor": 東邦, in 「東邦自動車(本社・…)」, which
        # the passages about the ministry's report never name again: a seventeenth probe's, refused as not covered)
        texts = _article_texts(searcher, top(hits))
        missing = [(run, word) for run, word in missing if not _read_in(searcher, run, word, texts, question)]
    if missing:
        # or a top passage writes it in kanji that read so by their Sino-Japanese readings, as a firm's or an inn's
        # name is made ("Suirankaku": 翠嵐閣, which Sudachi reads ミドリ + アラシ + カク; a twenty-second probe's, refused)
        missing = [(run, word) for run, word in missing if not _read_on(searcher.analyzer, word, top(hits))]
    return [run for run, _ in missing]


def _read_on(analyzer, word: str, hits: Sequence[Hit]) -> bool:
    """Whether a passage of `hits` writes three to ON_KANJI kanji in a row, each a word of its own to Sudachi (a name
    its dictionary lacks, cut character by character), that read as `word` (folded, ON_LETTERS letters or more) by
    one on reading of each (`reads_on`). A word of the dictionary is read by its own reading (申請 is "shinsei" to
    `romanized_readings`, never by a fake "Shinsei Bank"), a short word reads so by chance in any passage, and so do
    two kanji Sudachi cuts in everyday words (市 + 内 is a made-up "Shidai Construction": a reviewer's)."""
    if len(word) < ON_LETTERS:
        return False
    for h in hits:
        run = ""
        for t in [*analyzer.tokens(h.passage.text), None]:
            if t is not None and _KANJI.fullmatch(t.surface):
                run += t.surface
                continue
            if any(reads_on(word, run[i:j]) for i in range(len(run) - 2)
                   for j in range(i + 3, min(i + ON_KANJI, len(run)) + 1)):
                return True
            run = ""
    return False


ON_KANJI = 4
ON_LETTERS = 6
_KANJI = re.compile(r"[\u4e00-\u9fff]")


def _article_texts(searcher: Searcher, hits: Sequence[Hit]) -> list[str]:
    """The texts of the articles `hits` are of, each once."""
    passages = searcher.index.passages
    texts = (passages.article_text(*at) for at in dict.fromkeys((h.passage.doc_id, h.passage.article) for h in hits))
    return [text for text in texts if text is not None]


def _read_in(searcher: Searcher, run: str, word: str, texts: Sequence[str], question: str = "") -> bool:
    """Whether one of `texts` writes what the bridge's readings read `word` (folded; the run's last word in Japanese
    syllables) as (`Bridge.read_as`): its two parts together (瑞雲寺 for "Zuiunji", never 瑞雲 and 寺 apart), or one
    noun with a term of the run's English word after it (東邦自動車 for "Toho Motor", by the search's groups for
    "motor"). Not any noun that reads so anywhere in a long article: 措置 is no "Sochi summit", 東方 no "Toho Gas",
    みちのく中央交通 no "Kotsu Holdings" (a reviewer's: each was answered as covered). A word alone ("Governor Oiwa") is
    read in the top passages as Sudachi reads them in place (`romanized_readings`)."""
    groups = searcher.bridge.read_as(word)
    words = [w.lower() for w in run.split()]
    at = next((i for i, w in enumerate(words) if folded(re.sub(r"['’]s$", "", w).strip(".")) == word), None)
    after = words[at + 1] if at is not None and at + 1 < len(words) else ""
    if not groups:
        # or the one place that reads as it and the noun after it ("Nagara River": 長良川, a twenty-first probe's,
        # refused), the noun the question writes after the run, in any case ("the Nagara river"); a place in Sudachi's
        # dictionary, not a surname of the same kanji (小野寺 for "Ono Temple", 長谷川 for "Hase River": a reviewer's)
        following = question[question.find(run) + len(run):].split()[:1] if run in question else []
        noun = (after or (following[0] if following else "")).strip(".,?!").lower()
        return any(term in text for g in searcher.bridge.read_as(word, noun) for term in g
                   if any(e[1:3] == ("固有名詞", "地名") for e in searcher.analyzer.entries(term)) for text in texts)
    if len(groups) > 1:
        spellings = {"".join(parts) for parts in itertools.product(*groups)}
        return any(spelling in text for spelling in spellings for text in texts)
    then = {t for g in searcher.term_groups(after) for t in g if not t.isascii()} if after else set()
    return any(term + next_term in text for term in groups[0] for next_term in then for text in texts)


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

