"""Sentence store: every passage's sentences, with their vectors and lexical features, computed once at build time.

An extractive answer scores the sentences of the top passages against the question. Encoding them on every request
cost ~10× a search; here they are encoded when the index is built, once per distinct sentence (consecutive passages
share their overlap sentences), and an incremental build reuses the previous store's rows by sentence-text key for
the same model. Lexical features (analyzer terms, and which kinds of answer a sentence holds: a number, a date, a
person, place or organisation name) are stored beside them, so a request runs no tokenizer over passages either.
"""

from __future__ import annotations

import bisect

import hashlib
import logging
import re
import time
from array import array
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..chunking import sentences as split
from ..errors import IndexCorruptError
from ..types import Span
from . import npz
from .bm25 import bm25_idf
from .japanese import fold

logger = logging.getLogger(__name__)

FILE = "sentences.npz"
BATCH = 64
# (passage text, a sentence's span in it) → the sentence's vector, one row per item
Encode = Callable[[Sequence[tuple[str, Span]]], np.ndarray]

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


def _key(sentence: str, passage: bytes) -> str:
    """The key of a sentence read in its passage: the passage's `digest`, and the sentence with its offset there."""
    return hashlib.sha1(passage + sentence.encode("utf-8")).hexdigest()[:20]


def _in_read(read: str, text: str, start: int, end: int) -> tuple[str, Span]:
    """A passage's sentence as a span of what the model reads for the passage (which ends with the passage)."""
    shift = len(read) - len(text)
    return read, Span(start + shift, end + shift)


def text_key(sentence: str) -> str:
    """A sentence's text alone: the key of a sentence read alone, and what idf counts once."""
    return hashlib.sha1(sentence.encode("utf-8")).hexdigest()[:20]


def digest(text: str) -> bytes:
    """A passage's digest, as sentence keys name their context."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()


def features(analyzer, text: str) -> tuple[list[str], int]:
    """(BM25 terms, kind bits) of one sentence, from the index's own analyzer and Sudachi's part-of-speech tags."""
    kinds = NUMBER if _DIGITS.search(text) else 0
    kinds |= DATE if _DATE.search(text) else 0
    tokenize = getattr(analyzer, "_tokenizer", None)  # JapaneseAnalyzer: the same per-thread Sudachi tokenizer
    if tokenize is None:
        return analyzer.terms(text), kinds
    morphemes = tokenize().tokenize(text[:12000])
    for m in morphemes:
        pos = m.part_of_speech()
        if pos[1] == "数詞":
            kinds |= NUMBER
        elif pos[1] == "固有名詞":
            kinds |= _NAMES.get(pos[2], 0)
    # The terms come from the folded text (NFKC, kana variants). Most sentences are folded already (805 of the seeds'
    # 839): their morphemes are the terms' morphemes, and tokenizing them again was a third of a build's analysis.
    if len(text) <= 12000 and fold(text) == text:
        return analyzer.morpheme_terms(morphemes), kinds
    return analyzer.terms(text), kinds


class SentenceStore:
    """Sentences ptr[i]:ptr[i+1] belong to passage row i; sentence s has its span spans[s] and is the distinct sentence
    dist[s]. Per distinct sentence (one per text in the store): its key, answer-kind bits, vectors per embedder spec,
    and its terms term_ids[term_ptr[d]:term_ptr[d+1]], ids into `vocab`.

    Everything is numbers in arrays, memory-mapped from the stored file when large (rag/stores/npz.py): at a million
    passages a store holds millions of sentences, and a request reads only its passages' rows."""

    def __init__(self, ptr: np.ndarray, spans: np.ndarray, dist: np.ndarray, keys: np.ndarray, kinds: np.ndarray,
                 term_ptr: np.ndarray, term_ids: np.ndarray, vocab: Sequence[str], vectors: Mapping[str, np.ndarray],
                 fingerprints: Mapping[str, str], features_id: str = "", text_keys: np.ndarray | None = None) -> None:
        n, m = len(dist), len(keys)
        text_keys = keys if text_keys is None else text_keys  # before format 3 a key named the text alone
        if text_keys.shape != (m,):
            raise IndexCorruptError(f"sentence store: {text_keys.shape} text keys for {m} distinct sentences")
        if ptr.ndim != 1 or not len(ptr) or ptr[0] != 0 or ptr[-1] != n or np.any(np.diff(ptr) < 0):
            raise IndexCorruptError(f"sentence store: row pointers do not cover its {n} sentences")
        if spans.shape != (n, 2) or kinds.shape != (m,) or term_ptr.shape != (m + 1,) or (m and (
                term_ptr[0] != 0 or term_ptr[-1] != len(term_ids))):
            raise IndexCorruptError(f"sentence store: {spans.shape} spans for {n} sentences; {kinds.shape} kinds and "
                                    f"{term_ptr.shape} term pointers for {m} distinct ones")
        in_memory = not isinstance(dist, np.memmap)  # a mapped file was checksummed; reading it all would load it
        if in_memory and n and (int(dist.min()) < 0 or int(dist.max()) >= m):
            raise IndexCorruptError(f"sentence store: a sentence points outside its {m} distinct ones")
        if not isinstance(term_ids, np.memmap) and len(term_ids) and (int(term_ids.min()) < 0
                                                                      or int(term_ids.max()) >= len(vocab)):
            raise IndexCorruptError(f"sentence store: a term id is outside its {len(vocab)} terms")
        for spec, v in vectors.items():
            if v.ndim != 2 or v.shape[0] != m:
                raise IndexCorruptError(f"sentence store: {spec} vectors {v.shape} for {m} distinct sentences")
        self.ptr, self.spans, self.dist, self.key_array, self.distinct_kinds = ptr, spans, dist, keys, kinds
        self.text_keys = text_keys  # per distinct sentence, its text alone: what idf counts once
        self.term_ptr, self.term_ids, self.vocab = term_ptr, term_ids, list(vocab)
        self.vectors = dict(vectors)  # by distinct sentence
        self.fingerprints = dict(fingerprints)
        self.features_id = features_id
        self._df: Frequencies | None = None

    def __len__(self) -> int:
        """Number of passages."""
        return len(self.ptr) - 1

    @property
    def sentence_count(self) -> int:
        return len(self.dist)

    @property
    def keys(self) -> list[str]:
        """Every sentence's key, in row order (for tools and tests)."""
        return [k.decode() for k in np.asarray(self.key_array)[np.asarray(self.dist)].tolist()]

    def terms_of(self, d: int) -> list[str]:
        """Distinct sentence d's terms."""
        return [self.vocab[t] for t in np.asarray(self.term_ids[int(self.term_ptr[d]) : int(self.term_ptr[d + 1])]).tolist()]

    def lookup(self, row: int) -> PassageSentences:
        """The sentences of passage `row`."""
        a, b = int(self.ptr[row]), int(self.ptr[row + 1])
        d = np.asarray(self.dist[a:b])
        return PassageSentences(tuple(Span(int(s), int(e)) for s, e in np.asarray(self.spans[a:b]).tolist()),
                                {spec: np.asarray(v[d], np.float32) for spec, v in self.vectors.items()},
                                tuple(frozenset(self.terms_of(i)) for i in d.tolist()),
                                tuple(int(k) for k in np.asarray(self.distinct_kinds)[d].tolist()) if len(d) else ())

    def distinct_of(self, rows: np.ndarray) -> np.ndarray:
        """The distinct sentences (sorted, once each) of passage `rows`."""
        return np.unique(np.asarray(self.dist)[ranges(np.asarray(self.ptr), np.asarray(rows, np.int64))])

    def terms_within(self, rows: np.ndarray) -> frozenset[str]:
        """Every term the sentences of passage `rows` hold."""
        ids = np.asarray(self.term_ids)[ranges(np.asarray(self.term_ptr), self.distinct_of(rows))]
        return frozenset(self.vocab[t] for t in np.unique(ids).tolist())

    def frequencies(self) -> Frequencies:
        """How many distinct sentences hold each term, counted once, when first asked."""
        if self._df is None:
            self._df = Frequencies.of([(self, np.arange(len(self.key_array)))])
        return self._df

    def idf(self, term: str) -> float:
        """BM25's idf of a term over the distinct sentences (0 for a term no sentence holds)."""
        return self.frequencies().idf(term)

    def by_key(self) -> dict[str, int]:
        """Sentence key → its distinct row, for reuse by a later build."""
        return {k.decode(): i for i, k in enumerate(np.asarray(self.key_array).tolist())}

    @classmethod
    def build(cls, texts: Sequence[str], encoders: Mapping[str, tuple[str, Encode]],
              analyze: Callable[[str], tuple[list[str], int]], features_id: str,
              previous: Sequence[SentenceStore] = (), in_context: bool = False,
              read: Sequence[str] | None = None) -> tuple[SentenceStore, dict[str, int]]:
        """Split each passage text, encode each distinct sentence once per encoder (spec → (fingerprint, encode)),
        reusing the `previous` stores' rows by sentence key; returns the store and how many sentences each encoder
        encoded. The encoder gets (passage text, span) pairs.

        A sentence read alone is the same wherever it stands: rows are distinct sentence texts (consecutive passages
        share their overlap sentences) and keyed by the text. `in_context`: the encoders read each sentence inside
        its passage (rag/embedders/e5.py's encode_passages_in_context), so a row is one sentence of one passage text,
        keyed by both: it depends on nothing but that passage, and a build that reuses it gives what a build from
        scratch gives. `read`: what the model reads for each passage where that is more than the passage (a title
        before it); the encoder then gets that text and the sentence's span in it."""
        # typed arrays, not lists of Python ints: a million passages hold ~4M sentences and ~40M term ids
        spans, dist, ptr, first = array("i"), array("i"), array("q", [0]), {}
        sentence_text: list[str] = []
        where = array("i")  # per distinct sentence: the passage it is encoded from, and its span there (3 ints)
        read = texts if read is None else read
        for i, text in enumerate(texts):
            passage = digest(read[i]) if in_context else b""
            for s in sentence_spans(text):
                piece = text[s.start : s.end]
                k = _key(f"{s.start}:{piece}", passage) if in_context else text_key(piece)
                spans.extend((s.start, s.end))
                if k not in first:
                    first[k] = len(sentence_text)
                    sentence_text.append(piece)
                    where.extend((i, s.start, s.end))
                dist.append(first[k])
            ptr.append(len(dist))
        distinct = list(first)
        old: dict[str, tuple[int, int]] = {}
        for p, store in enumerate(previous):
            for k, i in store.by_key().items():
                old.setdefault(k, (p, i))
        fresh: dict[str, int] = {}
        vectors: dict[str, np.ndarray] = {}
        for spec, (fingerprint, encode) in encoders.items():
            t0 = time.perf_counter()
            usable = {p for p, st in enumerate(previous) if st.fingerprints.get(spec) == fingerprint and spec in st.vectors}
            need = [j for j, k in enumerate(distinct) if old.get(k, (-1,))[0] not in usable]
            reused = [j for j, k in enumerate(distinct) if old.get(k, (-1,))[0] in usable]
            width = next((previous[p].vectors[spec].shape[1] for p in usable), 0)
            out: np.ndarray | None = None
            for b in range(0, len(need), BATCH):
                chunk = need[b : b + BATCH]
                got = np.asarray(encode([_in_read(read[where[3 * j]], texts[where[3 * j]], where[3 * j + 1],
                                                  where[3 * j + 2]) for j in chunk]), np.float32)
                if out is None:
                    out = np.zeros((len(distinct), got.shape[1]), np.float32)
                out[chunk] = got
            if out is None:
                out = np.zeros((len(distinct), width), np.float32)
            by_store: dict[int, list[int]] = {}
            for j in reused:
                by_store.setdefault(old[distinct[j]][0], []).append(j)
            for p, js in by_store.items():
                out[js] = previous[p].vectors[spec][np.array([old[distinct[j]][1] for j in js])]
            vectors[spec], fresh[spec] = out, len(need)
            logger.info("sentences %s: encoded %d, reused %d distinct sentences in %.2fs", spec, len(need),
                        len(distinct) - len(need), time.perf_counter() - t0)
        same = {p for p, st in enumerate(previous) if st.features_id == features_id}
        vocab: dict[str, int] = {}
        term_ptr, term_ids, kinds = array("q", [0]), array("i"), array("B")
        for j, k in enumerate(distinct):
            p, i = old.get(k, (-1, -1))
            if p in same:
                terms, kind = previous[p].terms_of(i), int(previous[p].distinct_kinds[i])
            else:
                terms, kind = analyze(sentence_text[j])
                terms = list(dict.fromkeys(t for t in terms if "\t" not in t))
            term_ids.extend(vocab.setdefault(t, len(vocab)) for t in terms)
            term_ptr.append(len(term_ids))
            kinds.append(kind)
        store = cls(np.frombuffer(ptr, np.int64), np.frombuffer(spans, np.int32).reshape(-1, 2),
                    np.frombuffer(dist, np.int32), np.array(distinct, dtype="S20"), np.frombuffer(kinds, np.uint8),
                    np.frombuffer(term_ptr, np.int64), np.frombuffer(term_ids, np.int32), list(vocab), vectors,
                    {spec: fp for spec, (fp, _) in encoders.items()}, features_id,
                    np.array([text_key(t) for t in sentence_text], dtype="S20"))
        return store, fresh

    def save(self, path: Path) -> None:
        specs = list(self.vectors)
        arrays = {f"vectors_{i}": self.vectors[s] for i, s in enumerate(specs)}
        with open(path, "wb") as fh:
            np.savez(fh, format=np.int64(FORMAT), ptr=self.ptr, spans=self.spans, dist=self.dist, keys=self.key_array,
                     texts=self.text_keys,
                     kinds=self.distinct_kinds, term_ptr=self.term_ptr, term_ids=self.term_ids,
                     vocab=np.array("\t".join(self.vocab)), specs=np.array(specs, dtype=str),
                     fingerprints=np.array([self.fingerprints[s] for s in specs], dtype=str),
                     features_id=np.array(self.features_id), **arrays)

    @classmethod
    def load(cls, path: Path, passages: int | None = None) -> SentenceStore:
        """Read a store; IndexCorruptError when it cannot be read or does not have one row per passage."""
        try:
            d = npz.read(path, _MAPPED, MMAP_BYTES)
            version = int(d["format"])
            specs = d["specs"].tolist()
            vectors = {s: d[f"vectors_{i}"] for i, s in enumerate(specs)}
            fingerprints = dict(zip(specs, d["fingerprints"].tolist()))
            if version == 1:  # one row per sentence, its terms joined by tabs (an index built before format 2)
                store = cls._from_format_1(d, vectors, fingerprints)
            elif version in (2, FORMAT):  # 2: keys named the text alone, and the vectors read each sentence alone
                vocab = str(d["vocab"])
                store = cls(d["ptr"], d["spans"], d["dist"], d["keys"], d["kinds"], d["term_ptr"], d["term_ids"],
                            vocab.split("\t") if vocab else [], vectors, fingerprints, str(d["features_id"]),
                            d["texts"] if version == FORMAT else None)
            else:
                raise IndexCorruptError(f"sentence store {path.name!r} has format {version}, expected {FORMAT}")
        except (OSError, ValueError, KeyError, EOFError) as exc:
            raise IndexCorruptError(f"sentence store {path.name!r} cannot be read: {exc}") from None
        if passages is not None and len(store) != passages:
            raise IndexCorruptError(f"sentence store {path.name!r} holds {len(store)} passages, the index {passages}")
        return store

    @classmethod
    def _from_format_1(cls, d: Mapping[str, np.ndarray], vectors: dict[str, np.ndarray],
                       fingerprints: dict[str, str]) -> SentenceStore:
        vocab: dict[str, int] = {}
        term_ptr, term_ids = [0], []
        for joined in d["terms"].tolist():
            term_ids += [vocab.setdefault(t, len(vocab)) for t in (joined.split("\t") if joined else ())]
            term_ptr.append(len(term_ids))
        n = len(d["keys"])
        return cls(d["ptr"], np.asarray(d["spans"]), np.arange(n, dtype=np.int32), np.asarray(d["keys"]).astype("S20"),
                   np.asarray(d["kinds"]), np.asarray(term_ptr, np.int64), np.asarray(term_ids, np.int32), list(vocab),
                   {s: np.asarray(v) for s, v in vectors.items()}, fingerprints, str(d["features_id"]))


FORMAT = 3  # 1: a row per sentence with its terms as one joined string; 2: keys of the text alone (both still read)
MMAP_BYTES = 16 << 20  # arrays larger than this stay on disk, memory-mapped
_MAPPED = ("spans", "dist", "keys", "texts", "kinds", "term_ptr", "term_ids", *(f"vectors_{i}" for i in range(8)))


def ranges(ptr: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """The indices ptr[r]..ptr[r+1]-1 of every row r in `rows`, concatenated."""
    starts, ends = ptr[rows], ptr[rows + 1]
    lens = ends - starts
    total = int(lens.sum())
    if not total:
        return np.zeros(0, np.int64)
    return np.repeat(starts - np.cumsum(lens) + lens, lens) + np.arange(total)


class Frequencies:
    """How many distinct sentences hold each term, over given sentences of one or more stores (a sentence repeated
    in several stores counts once): BM25's idf for the answer's lexical evidence."""

    def __init__(self, ids: dict[str, int], df: np.ndarray, n: int) -> None:
        self.ids, self.df, self.n = ids, df, n
        self._sorted: list[str] | None = None

    @classmethod
    def of(cls, picks: Sequence[tuple[SentenceStore, np.ndarray]]) -> Frequencies:
        """`picks`: (store, its distinct sentences to count)."""
        picks = [(st, np.asarray(d, np.int64)) for st, d in picks]
        keys = np.concatenate([np.asarray(st.text_keys)[d] for st, d in picks]) if picks else np.zeros(0, "S20")
        which = np.concatenate([np.full(len(d), i) for i, (_, d) in enumerate(picks)]) if picks else np.zeros(0, int)
        at = np.concatenate([d for _, d in picks]) if picks else np.zeros(0, np.int64)
        _, first = np.unique(keys, return_index=True)
        ids: dict[str, int] = {}
        held = []
        for i, (st, _) in enumerate(picks):
            local = np.fromiter((ids.setdefault(t, len(ids)) for t in st.vocab), np.int64, len(st.vocab))
            sel = at[first[which[first] == i]]
            held.append(local[np.asarray(st.term_ids)[ranges(np.asarray(st.term_ptr), sel)]])
        df = np.bincount(np.concatenate(held), minlength=len(ids)) if held else np.zeros(0, np.int64)
        return cls(ids, df, len(first))

    def idf(self, term: str) -> float:
        i = self.ids.get(term)
        d = int(self.df[i]) if i is not None else 0
        return float(bm25_idf(d, self.n)) if d else 0.0  # a float: a float32 would keep the scores' sums in float32

    def begins_a_term(self, prefix: str) -> bool:
        """Whether a term some sentence holds begins with `prefix` (熊本 begins 熊本県), by the held terms sorted once,
        when first asked."""
        if self._sorted is None:
            self._sorted = sorted(t for t, i in self.ids.items() if self.df[i])
        i = bisect.bisect_left(self._sorted, prefix)
        return i < len(self._sorted) and self._sorted[i].startswith(prefix)


# Which embedders encode sentences at build time: e5 alone picked the evidence best (USE added to it lost 4 points
# of answer_evidence); any other index encodes with all its embedders. Measurements in docs/answers.md.
ENCODE = ("e5",)
FEATURES_ID = "sentences-v1/"
