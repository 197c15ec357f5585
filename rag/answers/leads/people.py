"""The people a question names, and whether a sentence has them as its subject: an English question's runs of
capitalised words (`name_runs`) as the bridge spells them, a Japanese question's names by their surname
(`person_terms`, `_surnames`), a name read as a subject (`is_subject`: 「望月投手は…」, not 「村松投手は望月投手を
相手に…」). Used by the detail, quote and holder leads."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from ...retrieval.cues import placed
from ...stores.bridge import name_terms
from ...stores.japanese import STOP_WORDS
from ...stores.romaji import folded, reads_as_japanese, romanized

_KANJI_NAME = re.compile(r"[\u4e00-\u9fff]{2,}")


def is_subject(tokens: Sequence, is_name: Callable[[object], bool], first: bool = False) -> bool:
    """Whether a sentence's tokens name a person (`is_name`) as a subject: the name, then its title (副署長), さん,
    age… and は, が or によると; when `first`, with no subject before it (the sentence is about them: `quote_lead`'s
    `follows`). Else with は after 「発表が遅れたことについて、」 too (a reviewer's), but with が only before anyone's
    は: 「望月投手(3年)は、石川監督が見守る中「…」」 are 望月's words (reviewers'), 「この日は、望月投手が…」 his number."""
    topic = False  # someone's は before: a が after it is a clause's
    for i, t in enumerate(tokens):
        if t.pos[:1] == ("助詞",) and t.surface in ("は", "が"):
            if first:
                return False
            # someone's は: after a name, 彼, 同投手, 主将の大石陸選手(3年); not after a particle (では) nor a time's
            # noun (この日は: a reviewer's), whose が after it may be the subject's
            before = tokens[i - 1] if i > 0 else None
            if (t.surface == "は" and before is not None and before.pos[:1] != ("助詞",)
                    and before.pos[2:3] != ("副詞可能",)):
                topic = True
        if not is_name(t):
            continue
        j = i + 1
        while (j < len(tokens) and tokens[j].pos[:1] in (("名詞",), ("接尾辞",), ("接頭辞",), ("補助記号",), ("空白",))
               and tokens[j].surface not in ("ら", "たち", "等", "など")):  # not a group's words
            j += 1
        if j < len(tokens) and tokens[j].pos[:1] == ("助詞",) and (
                tokens[j].surface == "は" or (tokens[j].surface == "が" and not topic)
                or (tokens[j].surface == "に" and j + 1 < len(tokens) and tokens[j + 1].surface.startswith("よ"))):
            return True
    return False


def person_terms(searcher, question: str, groups: Sequence[Sequence[str]]) -> list[set[str]]:
    """The people `question` names, each as the terms that write them (`quote_lead`'s speakers): an English question's
    first run of capitalised words, as the bridge spells its last word in terms that write a name ("Makoto Onodera":
    小野寺, not 誠一, a guess for the given name that another speaker bears; [] for a run the bridge cannot spell as a
    name, 習 alone, or a name after "of", "in", "about"…, which says where or what of: "What did the governor of
    Miyazaki say?" opened with a minister's words on his visit to 宮崎県); a Japanese question's term groups whose
    every term writes a name (メルツ, not 首相), a full name by its surname."""
    runs = name_runs(question)
    if runs:
        speakers = [run for run, is_placed in runs if not is_placed]
        bridge = searcher.bridge
        groups_of_run = bridge.expand(speakers[0]) if speakers and bridge is not None else []
        spelled = set(name_terms(groups_of_run[-1], searcher.analyzer.entries)) if groups_of_run else set()
        return [spelled] if spelled else []
    # a full name by its surname, not its given name (杉本和臣は何と述べたか: 「杉本知事は「…」と述べた」 names him), also
    # a surname that is a word too (林芳正: 林, "forest", which alone writes no name)
    surnames = _surnames(question, searcher.analyzer)
    names = [set(g) for g in groups if g and not any(t.isascii() for t in g)
             and len(name_terms(g, searcher.analyzer.entries)) == len(g) and not set(g) <= set(surnames)]
    return names + [{s} for s in dict.fromkeys(surnames.values()) if not any(s in g for g in names)]


def names_person(searcher, question: str, groups: Sequence[Sequence[str]]) -> Callable[[str], bool] | None:
    """Whether a text has the person `question` names as its subject (`is_subject`; not 「村松投手は望月投手を相手に…」
    for Mochizuki, a reviewer's): by the terms that write them (`person_terms`), or, for an English question's
    surname in Japanese syllables that the bridge writes only as a word ("Mochizuki": 望月, a full moon), by a
    person's name (人名) that reads as it; None when the question names nobody so."""
    analyzer = searcher.analyzer
    if names := person_terms(searcher, question, groups):
        return lambda text: is_subject(analyzer.tokens(text),
                                       lambda t: bool(t.term) and any(writes(t.term, g) for g in names))
    speakers = [run for run, is_placed in name_runs(question) if not is_placed]
    surname = re.sub(r"['’]s$", "", speakers[0].split()[-1]) if speakers else ""
    if not (surname and reads_as_japanese(surname)):
        return None
    wanted = folded(surname)
    return lambda text: is_subject(analyzer.tokens(text), lambda t: t.pos[2:3] == ("人名",) and any(
        folded(romanized(r)) == wanted for r in analyzer.readings(t.surface)))


def names_all(searcher, names: Sequence[set[str]], text: str) -> bool:
    """Whether `text` writes each of `names` (`person_terms`), by a term of the name or by a full name written as one
    term that begins with a surname of the name in kanji (山岸 in 山岸健一郎: `writes`)."""
    terms = set(searcher.analyzer.terms(text))
    return all(any(writes(t, name) for t in terms) for name in names)


def writes(term: str, name: set[str]) -> bool:
    return term in name or any(term.startswith(t) for t in name if _KANJI_NAME.fullmatch(t))


# a run of capitalised words: what an English question names ("Xi", "Friedrich Merz", "the Japan Meteorological Agency")
RUN = re.compile(r"(?<![A-Za-z0-9])[A-Z][A-Za-z0-9\-]*(?:\s+[A-Z][A-Za-z0-9\-]*)*")


def _surnames(text: str, analyzer) -> dict[str, str]:
    """{given name: its surname} for each term of `text` Sudachi reads as a given name right after a surname (和臣:
    杉本, in 杉本和臣)."""
    tokens = analyzer.tokens(text)
    return {t.term: prev.term for prev, t in zip(tokens, tokens[1:]) if t.term and prev.term
            and prev.pos[2:4] == ("人名", "姓") and t.pos[2:4] == ("人名", "名")}


def name_runs(question: str) -> list[tuple[str, bool]]:
    """The runs of capitalised words a question names, without stop words, each with whether the words before it place
    it (`placed`: "of" in "the governor of the Toho Group"); not the question's first word alone ("What did…",
    "Did…", "In" of "In Moscow, what did Xi say?"), and none in a question written all in capitals, whose case marks
    nothing."""
    if question.isupper():
        return []
    out = []
    for m in RUN.finditer(question):
        words = m.group().split()
        before = question[: m.start()]
        if not before.strip(" \t\"'“‘(「"):  # the question's first word is capitalised as a first word
            before, words = words[0], words[1:]
        words = [w for w in words if w.lower() not in STOP_WORDS]
        if words:
            out.append((" ".join(words), placed(before)))
    return out
