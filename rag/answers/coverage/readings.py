"""How the words of the top passages and of their articles read: in Hepburn's letters, folded, for the names a
question writes in Japanese syllables (`romanized_readings`, `document_names`, `full_names_read`), and in kana, for
the names it writes in kanji (`name_readings`). Sudachi's readings, with what it lacks: a name in kana between 「」
read whole, a katakana ノ or ヶ inside a name read on, a place's name without its division."""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence

from ...retrieval import Searcher
from ...stores.bridge import DIVISIONS, FACILITIES
from ...stores.romaji import folded, reads_as_japanese, romanized
from ...types import Hit
from .passages import top


def document_names(searcher: Searcher, doc_id: str) -> frozenset[str]:
    """What the proper nouns of a document's first DOC_CHARS characters read as, alone and with up to two words after
    each (しまなみ + 汽船: "Shimanami Kisen"; 河野 + 隆之), and the names it writes between 「」 (`_quoted_names`), in
    Hepburn's letters, folded: read once per index version and document, DOC_CACHE documents kept."""
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
                                               _SPELLINGS) | _quoted_kana(text) | _quoted_names(searcher.analyzer, text)
                                    for text in texts)))
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


def full_names_read(analyzer, text: str) -> set[str]:
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


def romanized_readings(analyzer, hits: Sequence[Hit]) -> set[str]:
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


def _quoted_names(analyzer, text: str) -> set[str]:
    """The names `text` writes in kanji or kana between 「」 (a company's 「四十物水産」, whose 四十物 Sudachi reads
    アイモノ as a common noun: "Aimono Suisan" was refused over its passage, a twenty-third probe's), read from their
    first word on, two or three words ("aimonosuisan"), in Hepburn's letters, folded. Not one word: a quoted phrase's
    first word is any word (「味方」, 「制裁」, 「根本原因」), no name a question says alone."""
    out: set[str] = set()
    for quoted in _QUOTED_NAME.findall(text):
        spelled = [""]
        for words, t in enumerate(analyzer.tokens(quoted)[:3], 1):
            spelled = [s + r for s in spelled for r in _read(analyzer, t.surface)][:_SPELLINGS]
            if words > 1:
                out.update(folded(romanized(s)) for s in spelled)
    out.discard("")
    return out


# a name between 「」 or 『』: kanji and kana, two to twelve of them (not a quoted sentence)
_QUOTED_NAME = re.compile(r"[「『]([\u3041-\u3096\u30a1-\u30fa\u30fc\u4e00-\u9fff\u3005]{2,12})[」』]")


def run_spellings(run: str) -> set[str]:
    """A run's words in Japanese syllables as one name in Hepburn's letters, folded: the run without its title or
    qualifier ("Manager Okabe Shinichi", "Imabari-based Shimanami Kisen"), each two or more of them in a row ("Shimanami
    Kisen Kaisha": shimanamikisen), two in either order (an English given name first, a Japanese surname first)."""
    words = [w for w in (re.sub(r"['’]s$", "", w).strip(".") for w in run.replace("-", " ").split())
             if reads_as_japanese(w)]
    out = {folded("".join(words[i:j])) for i in range(len(words)) for j in range(i + 2, len(words) + 1)}
    out |= {folded(b + a) for a, b in zip(words, words[1:])}
    return out | ({folded(words[0])} if len(words) == 1 else set())


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
CUT = _DIVISIONS + "海湾洋圏"  # and a sea's, a bay's, a region's: 北極海 is written by 北極圏 (a reviewer's)


def name_readings(analyzer, hits: Sequence[Hit]) -> set[str]:
    """The readings of the names (固有名詞) the top passages write, and of each one's division cut (広島県: 広島)."""
    names = {t.surface for h in top(hits) for t in analyzer.tokens(h.passage.text) if t.pos[1:2] == ("固有名詞",)}
    names |= {n[:-1] for n in names if n[-1:] in _DIVISIONS and len(n) > 2}
    return {r for n in names for r in analyzer.readings(n)}
