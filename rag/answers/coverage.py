"""Whether the passages found are about the question at all, so that an extractive answer does not quote passages
on North Korea to "hello" or to a question about sushi rice (docs/answers.md, "Saying the articles do not cover it").

Two signals, both from the search that ran already:
- **USE's cosine** between the question and the closest of its top passages (`Hit.scores`). USE was trained on
  questions and their answers and spreads the two kinds apart: 0.26 and up for each of the 714 questions of
  eval/questions (the conversation sets aside), 0.03-0.31 for greetings, requests and general questions, most of
  them under 0.15. e5's cosines crowd into one band for both and cannot tell them apart.
- **A name the passages hold.** A bare name that the articles mention once ("Lazarus Group", 王毅) scores as low as a
  greeting on USE. Such a question still counts as covered when one top passage holds every name it asks for: its
  Japanese terms, and each run of capitalised English words under a spelling the search would try (the bridge's
  and the term alignment's katakana and Latin terms). Only katakana and Latin spellings count, since the bridge maps
  "hello" to 歓迎, a word the corpus holds. A question typed wholly in lowercase has no capitals to mark a name, so
  each of its longer words that the search also spells otherwise, in katakana or as another Latin term, is taken
  for one ("lazarus" is ラザルス; "tell" is only itself).

A follow-up (a question searched with the conversation) is not checked: its hits mix two searches, and it continues
a conversation that was about the articles. Nor is an answer written by an LLM, which reads the passages itself.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..retrieval import Searcher
from ..stores.japanese import STOP_WORDS
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
_KATAKANA = re.compile(r"^[\u30a0-\u30ff]{2,}$")
_LATIN = re.compile(r"^[a-z][a-z0-9.\-]{2,}$")
# a run of capitalised words: a name as an English question writes it ("Lazarus Group", "J.D. Vance")
_NAME = re.compile(r"\b[A-Z][A-Za-z0-9.\-]*[A-Za-z0-9](?:\s+[A-Z][A-Za-z0-9.\-]*[A-Za-z0-9])*")
_NAME_WORD_CHARS = 4  # a run is a name if it has a word this long ("J.D." and "U.S." alone are not)
_WORD = re.compile(r"[a-z][a-z0-9.\-]*[a-z0-9]")  # a word of a question typed in lowercase


def not_covered_message(lang: str) -> str:
    return NOT_COVERED.get(lang, NOT_COVERED["en"])


def closest_cosine(hits: Sequence[Hit]) -> float | None:
    """USE's cosine between the question and the closest of its top passages; None without USE scores (an index
    without USE, a single-signal search)."""
    cosines = [h.scores[SIGNAL] for h in top(hits) if SIGNAL in h.scores]
    return max(cosines) if cosines else None


def passages_cover(searcher: Searcher, question: str, hits: Sequence[Hit], min_cosine: float) -> bool:
    """Whether the top passages are about `question` (the text that was searched): True when the check is off
    (`min_cosine` 0), when there is nothing to judge (no hits, no USE score), when USE's closest cosine reaches
    `min_cosine`, or when one top passage holds every name the question asks for."""
    if min_cosine <= 0 or not hits:
        return True
    cosine = closest_cosine(hits)
    return cosine is None or cosine >= min_cosine or names_held(searcher, question, hits)


def names_held(searcher: Searcher, question: str, hits: Sequence[Hit]) -> bool:
    """Whether one top passage holds every name of `question` (see the module's docstring)."""
    analyzer = searcher.analyzer
    japanese = {t for t in analyzer.terms(question) if not t.isascii()}
    runs = name_runs(question)
    found: dict[str, set[str]] = {}  # the search's term groups of each text, asked once

    def found_as(text: str) -> set[str]:  # the katakana and Latin terms the search would look for
        if text not in found:
            found[text] = {t for group in searcher.term_groups(text) for t in group
                           if _KATAKANA.match(t) or _LATIN.match(t)}
        return found[text]

    def spellings(text: str) -> set[str]:
        return ({text.lower()} if _LATIN.match(text.lower()) else set()) | found_as(text)

    if not runs and not japanese and question == question.lower():
        # typed all in lowercase, no capital marks a name: each longer word the search also spells otherwise, in
        # katakana or as another Latin term, may be one ("lazarus" is ラザルス); a word that is only itself ("tell")
        # is not
        runs = [w for w in _long_words(" ".join(_WORD.findall(question))) if found_as(w) - {w}]
    if not japanese and not runs:
        return False

    def named(run: str, passage: set[str]) -> bool:
        if spellings(run) & passage:  # the run whole: "Bretton Woods" is ブレトン・ウッズ
            return True
        return all(spellings(w) & passage for w in _long_words(run))

    for hit in top(hits):
        passage = set(analyzer.terms(hit.passage.text))
        if japanese <= passage and all(named(run, passage) for run in runs):
            return True
    return False


def name_runs(question: str) -> list[str]:
    """The runs of capitalised words that may name something: not a stop word, not one capitalised word that starts
    a longer question ("Tell me about…"), and with a word of _NAME_WORD_CHARS letters or more."""
    runs = []
    for m in _NAME.finditer(question):
        run = m.group()
        starts = not question[: m.start()].strip(" \t\"'“‘(「")
        if run.lower() in STOP_WORDS or (starts and " " not in run and question[m.end():].strip(" ?!.？！。")):
            continue
        if _long_words(run):
            runs.append(run)
    return runs


def _long_words(run: str) -> list[str]:
    return [w for w in run.split() if len(w.strip(".")) >= _NAME_WORD_CHARS and w.lower() not in STOP_WORDS]


def top(hits: Sequence[Hit], n: int = PASSAGES) -> list[Hit]:
    """The first `n` hits by rank: the passages read, or (CLOSEST) those a not-covered answer lists."""
    return sorted(hits, key=lambda h: h.rank)[:n]
