"""Whether the passages found are about the question at all, so that an extractive answer does not quote passages
on North Korea to "hello" or to a question about sushi rice (docs/answers.md, "Saying the articles do not cover it").

Two signals, both from the search that ran already:
- **USE's cosine** between the question and the closest of its top passages (`Hit.scores`). USE was trained on
  questions and their answers and spreads the two kinds apart: 0.26 and up for each of the 714 questions of
  eval/questions (the conversation sets aside), 0.03-0.31 for greetings, requests and general questions, most of
  them under 0.15. e5's cosines crowd into one band for both and cannot tell them apart.
- **A name the passages hold.** A bare name that the articles mention once ("Lazarus Group", 王毅) scores as low as a
  greeting on USE. Such a question still counts as covered when one top passage holds every name it asks for
  (`names_held`: held.py says how a passage holds a name).

And one that refuses whatever the cosine: **a name the index never writes.** A Japanese question naming in kanji a
person or place (Sudachi's 人名, 地名) that no sentence of the index holds, nor begins a longer term with, asks about
something the articles are not about (「大谷翔平は…」, 「北海道では…」: `unwritten_names`). So does an English question
naming in Japanese syllables someone or somewhere that no dictionary of the bridge holds and no top passage reads
as ("Kenji Tanaka", "the Ofunato wildfire": `unwritten_romanized`).

A follow-up (a question searched with the conversation) is not checked: its hits mix two searches, and it continues
a conversation that was about the articles. Nor is an answer written by an LLM, which reads the passages itself.

This module weighs the signals (`passages_cover`); its modules hold them, each importing only those below it:
- held.py: the names one top passage holds (`names_held`);
- unwritten.py: the names in kanji or in Japanese syllables the index never writes (`unwritten_names`,
  `unwritten_romanized`);
- years.py: the years no top passage's article writes or dates (`unwritten_years`);
- readings.py: how the words of the passages and their articles read, in Hepburn's letters or in kana;
- names.py: the names an English question writes (runs of capitalised words, short acronyms);
- messages.py: the not-covered notice and the reply to small talk;
- passages.py: the top passages read (`top`).
"""

from __future__ import annotations

from collections.abc import Sequence

from ...retrieval import Searcher
from ...types import Hit
from .held import names_held
from .messages import NOT_COVERED, SMALL_TALK, not_covered_message, small_talk_message
from .names import name_runs, short_acronyms
from .passages import CLOSEST, PASSAGES, top
from .unwritten import unwritten_names, unwritten_romanized
from .years import unwritten_years

__all__ = ["CLOSEST", "NOT_COVERED", "PASSAGES", "SIGNAL", "SMALL_TALK", "closest_cosine", "name_runs", "names_held",
           "not_covered_message", "passages_cover", "short_acronyms", "small_talk_message", "top", "unwritten_names",
           "unwritten_romanized", "unwritten_years"]

SIGNAL = "use"


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
