"""Sentence store: every passage's sentences, with their vectors and lexical features, computed once at build time.

An extractive answer scores the sentences of the top passages against the question. Encoding them on every request
cost ~10× a search; here they are encoded when the index is built, once per distinct sentence (consecutive passages
share their overlap sentences), and an incremental build reuses the previous store's rows by sentence-text key for
the same model. Lexical features (analyzer terms, and which kinds of answer a sentence holds: a number, a date, a
person, place or organisation name) are stored beside them, so a request runs no tokenizer over passages either.
"""

from __future__ import annotations

import hashlib
import logging
import math
import re
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..chunking import sentences as split
from ..errors import IndexCorruptError
from ..types import Span

logger = logging.getLogger(__name__)

FILE = "sentences.npz"
FORMAT = 1
BATCH = 64
Encode = Callable[[Sequence[str]], np.ndarray]

# Kinds of thing a question can ask for, one bit each (a sentence may hold several).
NUMBER, DATE, PERSON, PLACE, ORG = 1, 2, 4, 8, 16
_DIGITS = re.compile(r"[0-9０-９]")
_DATE = re.compile(r"[0-9０-９一二三四五六七八九十]+\s*(?:年|月|日)|[0-9]{4}|曜日|昨年|今年|来年|先月|今月|来月|昨日|今日|明日")
_NAMES = {"人名": PERSON, "地名": PLACE, "組織名": ORG}


@dataclass(frozen=True, slots=True)
class PassageSentences:
    """One passage's sentences: offsets inside the passage text, vectors per embedder spec, terms and kind bits."""

    spans: tuple[Span, ...]
    vectors: dict[str, np.ndarray]
    terms: tuple[frozenset[str], ...]
    kinds: tuple[int, ...]


def sentence_spans(text: str) -> list[Span]:
    """The sentences of a passage text (never cut inside 「…」 or (…)), as offsets into it."""
    return split(text, Span(0, len(text)))


def _key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:20]


def features(analyzer, text: str) -> tuple[list[str], int]:
    """(BM25 terms, kind bits) of one sentence, from the index's own analyzer and Sudachi's part-of-speech tags."""
    kinds = NUMBER if _DIGITS.search(text) else 0
    kinds |= DATE if _DATE.search(text) else 0
    tokenize = getattr(analyzer, "_tokenizer", None)  # JapaneseAnalyzer: the same per-thread Sudachi tokenizer
    if tokenize is not None:
        for m in tokenize().tokenize(text[:12000]):
            pos = m.part_of_speech()
            if pos[1] == "数詞":
                kinds |= NUMBER
            elif pos[1] == "固有名詞":
                kinds |= _NAMES.get(pos[2], 0)
    return analyzer.terms(text), kinds


class SentenceStore:
    """Rows ptr[i]:ptr[i+1] of spans/keys/terms/kinds/vectors belong to passage row i of the index."""

    def __init__(self, ptr: np.ndarray, spans: np.ndarray, keys: Sequence[str], terms: Sequence[str],
                 kinds: np.ndarray, vectors: Mapping[str, np.ndarray], fingerprints: Mapping[str, str],
                 features_id: str = "") -> None:
        n = len(keys)
        if ptr.ndim != 1 or not len(ptr) or ptr[0] != 0 or ptr[-1] != n or np.any(np.diff(ptr) < 0):
            raise IndexCorruptError(f"sentence store: row pointers do not cover its {n} sentences")
        if spans.shape != (n, 2) or len(terms) != n or kinds.shape != (n,):
            raise IndexCorruptError(f"sentence store: {spans.shape} spans, {len(terms)} term rows, {kinds.shape} kinds "
                                    f"for {n} sentences")
        for spec, v in vectors.items():
            if v.ndim != 2 or v.shape[0] != n:
                raise IndexCorruptError(f"sentence store: {spec} vectors {v.shape} for {n} sentences")
        self.ptr, self.spans, self.keys, self.kinds = ptr, spans, list(keys), kinds
        self.terms = [frozenset(t.split("\t")) if t else frozenset() for t in terms]
        self._raw_terms = list(terms)
        self.vectors = dict(vectors)
        self.fingerprints = dict(fingerprints)
        self.features_id = features_id
        self._idf: dict[str, float] | None = None

    def __len__(self) -> int:
        """Number of passages."""
        return len(self.ptr) - 1

    @property
    def sentence_count(self) -> int:
        return len(self.keys)

    def lookup(self, row: int) -> PassageSentences:
        """The sentences of passage `row`."""
        a, b = int(self.ptr[row]), int(self.ptr[row + 1])
        return PassageSentences(tuple(Span(int(s), int(e)) for s, e in self.spans[a:b]),
                                {spec: v[a:b] for spec, v in self.vectors.items()},
                                tuple(self.terms[a:b]), tuple(int(k) for k in self.kinds[a:b]))

    def idf(self, term: str) -> float:
        """BM25's idf of a term over the distinct sentences (0 for a term no sentence holds)."""
        if self._idf is None:
            distinct = {k: t for k, t in zip(self.keys, self.terms)}
            df = Counter(term for t in distinct.values() for term in t)
            n = len(distinct)
            self._idf = {t: math.log(1 + (n - d + 0.5) / (d + 0.5)) for t, d in df.items()}
        return self._idf.get(term, 0.0)

    def by_key(self) -> dict[str, int]:
        """Sentence key → its first row, for reuse by a later build."""
        out: dict[str, int] = {}
        for i, k in enumerate(self.keys):
            out.setdefault(k, i)
        return out

    @classmethod
    def build(cls, texts: Sequence[str], encoders: Mapping[str, tuple[str, Encode]],
              analyze: Callable[[str], tuple[list[str], int]], features_id: str,
              previous: SentenceStore | None = None) -> tuple[SentenceStore, dict[str, int]]:
        """Split each passage text, encode each distinct sentence once per encoder (spec → (fingerprint, encode)),
        reusing `previous` rows by sentence key; returns the store and how many sentences each encoder encoded."""
        spans, keys, ptr, first = [], [], [0], {}
        sentence_text: list[str] = []
        for text in texts:
            for s in sentence_spans(text):
                piece = text[s.start : s.end]
                k = _key(piece)
                spans.append((s.start, s.end))
                keys.append(k)
                if k not in first:
                    first[k] = len(sentence_text)
                    sentence_text.append(piece)
            ptr.append(len(keys))
        distinct = list(first)
        old_rows = previous.by_key() if previous is not None else {}
        fresh: dict[str, int] = {}
        vectors: dict[str, np.ndarray] = {}
        for spec, (fingerprint, encode) in encoders.items():
            t0 = time.perf_counter()
            old = previous.vectors.get(spec) if previous is not None and previous.fingerprints.get(spec) == fingerprint else None
            table: dict[str, np.ndarray] = {}
            need = [k for k in distinct if old is None or k not in old_rows]
            for b in range(0, len(need), BATCH):
                chunk = need[b : b + BATCH]
                table.update(zip(chunk, encode([sentence_text[first[k]] for k in chunk])))
            width = next(iter(table.values())).shape[0] if table else (old.shape[1] if old is not None else 0)
            out = np.zeros((len(keys), width), np.float32)
            for i, k in enumerate(keys):
                out[i] = table[k] if k in table else old[old_rows[k]]
            vectors[spec], fresh[spec] = out, len(need)
            logger.info("sentences %s: encoded %d, reused %d distinct sentences in %.2fs", spec, len(need),
                        len(distinct) - len(need), time.perf_counter() - t0)
        same = previous is not None and previous.features_id == features_id
        feats: dict[str, tuple[str, int]] = {}
        for k in distinct:
            if same and k in old_rows:
                j = old_rows[k]
                feats[k] = (previous._raw_terms[j], int(previous.kinds[j]))
            else:
                terms, kinds = analyze(sentence_text[first[k]])
                feats[k] = ("\t".join(dict.fromkeys(t for t in terms if "\t" not in t)), kinds)
        store = cls(np.asarray(ptr, np.int64), np.asarray(spans, np.int32).reshape(-1, 2), keys,
                    [feats[k][0] for k in keys], np.asarray([feats[k][1] for k in keys], np.uint8), vectors,
                    {spec: fp for spec, (fp, _) in encoders.items()}, features_id)
        return store, fresh

    def save(self, path: Path) -> None:
        specs = list(self.vectors)
        arrays = {f"vectors_{i}": self.vectors[s] for i, s in enumerate(specs)}
        with open(path, "wb") as fh:
            np.savez(fh, format=np.int64(FORMAT), ptr=self.ptr, spans=self.spans, keys=np.array(self.keys, dtype=str),
                     terms=np.array(self._raw_terms, dtype=str), kinds=self.kinds, specs=np.array(specs, dtype=str),
                     fingerprints=np.array([self.fingerprints[s] for s in specs], dtype=str),
                     features_id=np.array(self.features_id), **arrays)

    @classmethod
    def load(cls, path: Path, passages: int | None = None) -> SentenceStore:
        """Read a store; IndexCorruptError when it cannot be read or does not have one row per passage."""
        try:
            with np.load(path, allow_pickle=False) as d:
                if int(d["format"]) != FORMAT:
                    raise IndexCorruptError(f"sentence store {path.name!r} has format {int(d['format'])}, expected {FORMAT}")
                specs = d["specs"].tolist()
                store = cls(d["ptr"], d["spans"], d["keys"].tolist(), d["terms"].tolist(), d["kinds"],
                            {s: d[f"vectors_{i}"] for i, s in enumerate(specs)},
                            dict(zip(specs, d["fingerprints"].tolist())), str(d["features_id"]))
        except (OSError, ValueError, KeyError, EOFError) as exc:
            raise IndexCorruptError(f"sentence store {path.name!r} cannot be read: {exc}") from None
        if passages is not None and len(store) != passages:
            raise IndexCorruptError(f"sentence store {path.name!r} holds {len(store)} passages, the index {passages}")
        return store


# Which embedders encode sentences at build time: e5 alone picked the evidence best (USE added to it lost 4 points
# of answer_evidence); any other index encodes with all its embedders. Measurements in docs/answers.md.
ENCODE = ("e5",)
FEATURES_ID = "sentences-v1/"


def build_for_index(texts: Sequence[str], embedders: Sequence, analyzer, previous_dir: Path | None,
                    encode: Sequence[str] = ENCODE) -> tuple[SentenceStore, dict[str, int], float]:
    """The index build's entry point: the store for these passage texts, reusing the previous build's store when it
    has one; (store, sentences encoded per embedder, seconds)."""
    t0 = time.perf_counter()
    previous = None
    if previous_dir is not None and (previous_dir / FILE).is_file():
        try:
            previous = SentenceStore.load(previous_dir / FILE)
        except IndexCorruptError as exc:
            logger.warning("cannot reuse the previous sentence store: %s", exc)
    chosen = [e for e in embedders if e.name in encode] or list(embedders)
    encoders = {e.name: (e.fingerprint, e.encode_passages) for e in chosen}
    features_id = FEATURES_ID + getattr(analyzer, "analyzer_id", type(analyzer).__name__)
    store, fresh = SentenceStore.build(texts, encoders, lambda t: features(analyzer, t), features_id, previous)
    return store, fresh, time.perf_counter() - t0
