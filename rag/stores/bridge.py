"""A cross-lingual lexical bridge: English question words → Japanese BM25 terms, from JMdict and JMnedict.

Built per index and restricted to the index's own BM25 vocabulary, so it only proposes terms the corpus uses.
Nothing in it is specific to one question or document: it is a dictionary lookup plus light English lemmatising.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sqlite3
import time
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

from .japanese import _STOP, fold, fold_term

logger = logging.getLogger(__name__)

BRIDGE_ID = "jmdict+jmnedict/vocab-filtered/v1"
_PAREN = re.compile(r"\s*[(\[].*?[)\]]\s*")
_WORD = re.compile(r"[a-z][a-z'\-]*")
_MAX_PER_KEY = 6


def _db_path() -> Path | None:
    try:
        import jamdict_data
    except ImportError:
        return None
    path = Path(os.path.dirname(jamdict_data.__file__)) / "jamdict.db"
    return path if path.is_file() else None


def _key(gloss: str) -> str:
    g = _PAREN.sub(" ", gloss.lower()).strip()
    return g[3:] if g.startswith("to ") else g


def build_bridge(vocab: Iterable[str]) -> dict[str, list[str]]:
    """{english key: [japanese terms in vocab]}; empty when the JMdict data package is not installed."""
    db = _db_path()
    if db is None:
        logger.warning("jamdict-data is not installed: English questions get no lexical bridge")
        return {}
    t0 = time.perf_counter()
    vocab = set(vocab)
    out: dict[str, list[str]] = defaultdict(list)
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        queries = [
            "select g.text, k.text from SenseGloss g join Sense s on g.sid = s.ID join Kanji k on k.idseq = s.idseq where g.lang = 'eng'",
            "select g.text, k.text from SenseGloss g join Sense s on g.sid = s.ID join Kana k on k.idseq = s.idseq where g.lang = 'eng'",
            "select g.text, k.text from NETransGloss g join NETranslation n on g.tid = n.ID join NEKana k on k.idseq = n.idseq",
            "select g.text, k.text from NETransGloss g join NETranslation n on g.tid = n.ID join NEKanji k on k.idseq = n.idseq",
        ]
        for sql in queries:
            for gloss, form in con.execute(sql):
                term = fold_term(fold(form))
                if term not in vocab or len(gloss) > 40:
                    continue
                key = _key(gloss)
                terms = out[key]
                if term not in terms and len(terms) < _MAX_PER_KEY:
                    terms.append(term)
    finally:
        con.close()
    logger.info("bridge: %d English keys onto %d vocabulary terms in %.2fs", len(out), len(vocab), time.perf_counter() - t0)
    return dict(out)


def _lemmas(word: str) -> list[str]:
    """The word and naive English lemmas (sanctions → sanction, threatened → threaten, allies → ally)."""
    out = [word]
    for suffix, repl in (("ies", "y"), ("es", ""), ("s", ""), ("ed", ""), ("ed", "e"), ("ing", ""), ("ing", "e"), ("'s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            out.append(word[: -len(suffix)] + repl)
    return out


class Bridge:
    """Expands an English question into groups of alternative Japanese terms (one group per English word/phrase)."""

    def __init__(self, table: dict[str, list[str]]) -> None:
        self.table = table

    def __len__(self) -> int:
        return len(self.table)

    def expand(self, question: str) -> list[list[str]]:
        words = _WORD.findall(question.lower())
        groups: list[list[str]] = []
        i = 0
        while i < len(words):
            if i + 1 < len(words):
                pair = f"{words[i]} {words[i + 1]}"
                hit = next((self.table[k] for k in _lemmas(pair) if k in self.table), None)
                if hit:
                    groups.append(list(hit))
                    i += 2
                    continue
            w = words[i]
            i += 1
            if w in _STOP or len(w) < 2:
                continue
            hit = next((self.table[k] for k in _lemmas(w) if k in self.table), None)
            if hit:
                groups.append(list(hit))
        return groups

    def save(self, path: Path) -> None:
        path.write_text(json.dumps({"id": BRIDGE_ID, "table": self.table}, ensure_ascii=False, sort_keys=True), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> Bridge:
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(data["table"])
