"""The names an English question writes: its runs of capitalised words (`name_runs`), its acronyms of two or three
capitals (`short_acronyms`), and a run's longer words (`long_words`)."""

from __future__ import annotations

import re

from ...stores.japanese import STOP_WORDS

# a run of capitalised words: a name as an English question writes it ("Lazarus Group", "J.D. Vance")
# (after anything but a Latin letter or digit: "北朝鮮のLazarus Group", where のL is no word boundary to a regex)
_NAME = re.compile(r"(?<![A-Za-z0-9])[A-Z][A-Za-z0-9.\-]*[A-Za-z0-9](?:\s+[A-Z][A-Za-z0-9.\-]*[A-Za-z0-9])*")
NAME_WORD_CHARS = 4  # a run is a name if it has a word this long ("J.D." and "U.S." alone are not)
_POSSESSIVE = re.compile(r"^['’]s\b")
_ACRONYM = re.compile(r"(?<![A-Za-z0-9.])[A-Z][A-Z0-9]{1,2}(?![A-Za-z0-9.])")
# short English words a question in capitals may hold that STOP_WORDS does not ("TELL ME", "US", "OK")
_SHORT_WORDS = {"me", "us", "my", "so", "if", "up", "ok", "all", "but", "yes", "our", "out", "new"}


def name_runs(question: str) -> list[str]:
    """The runs of capitalised words that may name something: not a stop word, not one capitalised word that starts
    a longer question ("Tell me about…"), and with a word of NAME_WORD_CHARS letters or more."""
    runs = []
    for m in _NAME.finditer(question):
        run = m.group()
        starts = not question[: m.start()].strip(" \t\"'“‘(「")
        rest = _POSSESSIVE.sub("", question[m.end():])  # "Lavrov's" alone is a name, as "Lavrov" is
        # English goes on after it ("Tell me about…"); not Japanese ("TikTokについて")
        sentence = rest.strip(" ?!.？！。") and rest[:1].isascii()
        if run.lower() in STOP_WORDS or (starts and " " not in run and sentence):
            continue
        if long_words(run):
            runs.append(run)
    return runs


def short_acronyms(question: str) -> list[str]:
    """The words of two or three capitals (and digits) that are not stop words ("ISW", "G7"; not "WHO" nor "US" in
    "WHO IS…"): too short for a run of `name_runs`, which a passage must then write in the same letters."""
    return [w for w in _ACRONYM.findall(question) if len(w) < NAME_WORD_CHARS and w.lower() not in STOP_WORDS
            and w.lower() not in _SHORT_WORDS]


def long_words(run: str) -> list[str]:
    """The run's words of NAME_WORD_CHARS letters or more, a hyphen also parting words ("Lazarus-Group")."""
    return [w for w in re.split(r"[\s\-]+", run) if len(w.strip(".")) >= NAME_WORD_CHARS
            and w.lower() not in STOP_WORDS]
