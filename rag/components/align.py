"""Term alignment as a BM25 query expander: English question words reach their nearest Japanese BM25 terms in an
embedder's space. Its builder embeds the BM25 vocabulary, reusing the previous build's term vectors by term."""

from __future__ import annotations

import logging
import re
import time
from pathlib import Path

import faiss
import numpy as np

from ..embedders import Embedder, slug, vectors_id
from ..errors import IndexCorruptError
from ..stores.align import ANN_TERMS, TermAligner, ann_index
from ..stores.segments import SEG_DIR, link, merge_kind
from ..stores.english import content_words
from ..stores.bridge import HONORIFICS, HOW_DEGREES
from ..stores.romaji import reads_as_japanese
from ..stores.ann import why_train_again
from ..stores.dense import SlotVectors, exact_tail
from . import Corpus, Entry, Need, Previous, Progress, Question
from .lexical import BM25Builder

logger = logging.getLogger(__name__)


class AlignExpander:
    """One group per English content word: its `terms` nearest vocabulary terms at cosine ≥ `min_similarity`."""

    def __init__(self, embedder: str, aligner: TermAligner, terms: int, min_similarity: float, max_words: int) -> None:
        self.embedder = embedder
        self.aligner = aligner
        self.terms = terms
        self.min_similarity = min_similarity
        self.max_words = max_words

    def words(self, text: str) -> list[str]:
        """The question's content words, at most max_words, without the degree "how" asks for ("how many", "how long":
        what kind of answer, a number or a span; the bridge leaves it out too), nor an honorific: "Mr"'s nearest terms
        were 同氏, ともこ, 米 and ISW, which ranked a blog on Trump above the words of the Mr Oku asked about (a
        twenty-fifth probe's). One in capitals is kept, as an acronym may be ("MS patients", "an MR headset": a
        review's), though the bridge, which reads such acronyms first, leaves the honorific out in any case."""
        return [w for w in content_words(_HOW_DEGREE.sub("how", text))
                if w.lower().rstrip(".") not in HONORIFICS or w.isupper()][: self.max_words]

    def warm(self) -> None:
        """Work the aligner would otherwise do in the first English question (a local one's 8-bit codes; Qdrant's:
        none)."""
        getattr(self.aligner, "warm", lambda: None)()

    def needs(self, text: str) -> list[Need]:
        return [Need(self.embedder, "query", w) for w in self.words(text)]

    def defines(self, acronym: str) -> bool:
        return False

    def groups(self, question: Question) -> list[list[str]]:
        """One group per word, except the words the bridge before it spelled as a name no dictionary holds: an
        embedder knows no such name either, and its nearest terms are other names (Korybko's were ホンチョル and
        テヘラン), which out-score the one the bridge found (docs/precision.md); and except a name only the name
        dictionary holds, or of a person the bridge reads by the name, whose group misses it: that group is the
        name's terms instead when they write a name (katakana, Latin, a person's or a place's name in kanji), and is
        left out otherwise (below)."""
        spelled = question.derived.get("spelled", ())
        writing = question.derived.get("name-terms", {})  # the named words' terms that write a name (not 嵐 for "ran")
        # a Japanese name in Latin letters: its words' aligned terms are other names or noise (`_japanese_names`);
        # their group is the name's terms again when the bridge writes it as a name (車谷 for Kurumatani), as for the
        # names below, so that the name does not count for half of a word the embedder knows
        romaji = _japanese_names(question.text)
        again = [list(writing[w]) for w in dict.fromkeys(w.lower() for w in self.words(question.text))
                 if w in romaji and w in writing and w not in spelled]
        words = [w for w in self.words(question.text) if w.lower() not in spelled and w.lower() not in romaji]
        if not words:
            return again
        vectors = np.stack([question.vector(self.embedder, "query", w) for w in words])
        named = question.derived.get("named", {})
        if not any(w.lower() in named for w in words):
            return self.aligner.groups(vectors, self.terms, self.min_similarity) + again
        # A name only the name dictionary holds is read by the embedder as some word it knows: Vance's nearest terms
        # are advance's (収入, 支出), which out-rank the passages that name バンス. Its group is kept only if it holds
        # the name's own terms or the name itself (Lavrov's holds ラブロフ, Putin's the passages' Latin putin), and
        # is otherwise the name's terms again: every other word has two groups, the bridge's and this one, and a
        # name with one counted for half ("What is Wang Yi's role?" ranked passages on 役割 above those on 王毅).
        per_word = self.aligner.per_word(vectors, self.terms, self.min_similarity)  # one call, as `groups` makes
        out = again
        for word, group in zip(words, per_word):
            key = word.lower()  # an acronym keeps its capitals here ("What did VANCE say?")
            if not group:
                continue
            if key in named and {key, key.removesuffix("'s"), *named[key]}.isdisjoint(group):
                if key in writing:  # each word's, as two words' aligned groups that hold it would be
                    out.append(list(writing[key]))
            else:
                out.append(group)
        return out


_HOW_DEGREE = re.compile(rf"\bhow\s+(?:{'|'.join(sorted(HOW_DEGREES))})\b(?!-)", re.IGNORECASE)  # not long-term
# a run of two or more capitalised words (Ryo Ueda, Kenta Mori)
_NAME_RUN = re.compile(r"(?<![A-Za-z])[A-Z][a-z]+(?:[ \-][A-Z][a-z]+)+")


def _japanese_names(text: str) -> frozenset[str]:
    """The words of the Japanese names an English question writes in Latin letters: runs of two capitalised words or
    more, each in Japanese syllables (Ryo Ueda; not New Delhi, Xi Jinping). An embedder knows no Japanese given
    name: "Ryo"'s nearest terms were xi, 石川, ASEAN and 紀伊, which ranked Lavrov's words above those of 上田亮 (a
    probe's); the bridge reads such names (上田)."""
    out: set[str] = set()
    for m in _NAME_RUN.finditer(text):
        words = m.group().replace("-", " ").split()
        while words and not all(reads_as_japanese(w) for w in words):
            words = words[1:]  # a question's first word or a title before the name ("Did Shunsuke Murai…")
        if len(words) > 1:
            out.update(w.lower() for w in words)
    return frozenset(out)


class AlignBuilder:
    """Embeds every term of the BM25 vocabulary that `bm25` produced in this build."""

    kind = "align"

    def __init__(self, embedder: Embedder, bm25: BM25Builder) -> None:
        self.embedder = embedder
        self.bm25 = bm25
        self.name = f"{embedder.name}-align"

    def _params(self) -> dict[str, object]:
        return {"embedder": self.embedder.name, "fingerprint": vectors_id(self.embedder), "dim": self.embedder.dim}

    def build(self, corpus: Corpus, previous: Previous | None, out: Path, progress: Progress) -> tuple[Entry, int]:
        """Terms are appended in segments like passages: the previous build's term segments are shared, this
        build's new terms form one more, and terms no passage holds any more are flagged dead until a merge. Merges
        are tiered as the passages' are (rag/stores/segments.py): the later segments' live terms merge into the
        fresh one, and the first segment and its term index stay."""
        t0 = time.perf_counter()
        s = slug(self.embedder.name)
        old = previous.entry(self.name, self.kind, **self._params()) if previous else None
        before = None
        if old is not None:
            try:
                before = align_terms(old, previous.build_dir)
            except IndexCorruptError as exc:
                logger.warning("cannot reuse %s term vectors: %s", self.embedder.name, exc)
        vocabulary = self.bm25.vocabulary
        segments = list(old.params.get("segments", ())) if before is not None else []
        known = {t: i for i, t in enumerate(before)} if before is not None else {}
        new_terms = sorted(t for t in vocabulary if t not in known)
        merge = "all"
        if before is not None and segments:
            base = int(segments[0]["terms"])
            tail = sum(1 for t in before[base:] if t in vocabulary) + len(new_terms)
            base_dead = sum(1 for t in before[:base] if t not in vocabulary)
            total = len(known) + len(new_terms)
            merge = merge_kind(len(segments) + bool(new_terms), total, total - len(vocabulary), base, base_dead, tail)
        name = out.name.removeprefix(".tmp-")
        if merge == "all":
            stored = load_align(old, previous.build_dir) if before is not None else None
            aligner, fresh = TermAligner.build(vocabulary, self.embedder.encode_queries, stored, self.embedder.dim)
            segments, stable = [{"name": name, "terms": len(aligner)}], 0
            terms, vectors, live = aligner.terms, aligner.vectors, None
            rel = f"{SEG_DIR}/{name}/align.{s}.npz"
            (out / rel).parent.mkdir(parents=True, exist_ok=True)
            aligner.save(out / rel)
            files = [rel]
        else:
            if merge == "deltas":  # the later segments' live terms join the new ones
                segments = segments[:1]
                new_terms = sorted({t for t in before[segments[0]["terms"]:] if t in vocabulary} | set(new_terms))
                logger.info("%s: merging the term segments after the first (%d terms)", self.name, len(new_terms))
            stable = sum(int(seg["terms"]) for seg in segments)
            files = []
            for seg in segments:
                rel = f"{SEG_DIR}/{seg['name']}/align.{s}.npz"
                link(previous.build_dir, out, rel)
                files.append(rel)
            terms, vectors, fresh = before[:stable], np.zeros((0, self.embedder.dim), np.float32), 0
            if new_terms:
                stored = load_align(old, previous.build_dir) if merge == "deltas" else None
                added, fresh = TermAligner.build(new_terms, self.embedder.encode_queries, stored, self.embedder.dim)
                rel = f"{SEG_DIR}/{name}/align.{s}.npz"
                (out / rel).parent.mkdir(parents=True, exist_ok=True)
                added.save(out / rel)
                files.append(rel)
                segments = [*segments, {"name": name, "terms": len(new_terms)}]
                terms, vectors = terms + added.terms, added.vectors  # only the new rows: the ANN index has the rest
            live = np.fromiter((t in vocabulary for t in terms), bool, len(terms))
        live_rel = f"align.{s}.live.npy"
        np.save(out / live_rel, np.ones(len(terms), bool) if live is None else live, allow_pickle=False)
        files.append(live_rel)
        params = {**self._params(), "segments": segments}
        if len(terms) >= ANN_TERMS:
            params["ann_terms"] = self._ann(terms, vectors, stable, merge, old, previous, out, files)
            files.append(f"align.{s}.ivf")
        logger.info("%s: embedded %d, reused %d vocabulary terms in %.2fs", self.embedder.name, fresh,
                    len(terms) - fresh, time.perf_counter() - t0)
        return Entry(self.name, self.kind, tuple(files), params), fresh

    def _ann(self, terms: list[str], vectors: np.ndarray, stable: int, merge: str, old: Entry | None,
             previous: Previous | None, out: Path, files: list[str]) -> int:
        """The term index, over the terms it covers (returned): the previous build's, shared, while it covers only
        the stable terms and those after it fit the exact tail; else that index cut back to the stable terms and
        extended; else (after a full merge, or when it is unusable) one trained on every term (`vectors` holds
        every term after a full merge, only the fresh segment's otherwise)."""
        ivf = f"align.{slug(self.embedder.name)}.ivf"
        covered = None if merge == "all" else old.params.get("ann_terms")  # None: no index, or one over every term
        if covered is not None and covered <= stable and len(terms) - covered <= exact_tail(covered):
            link(previous.build_dir, out, ivf)  # the terms added since are scored exactly beside it
            return int(covered)
        ann = None
        if merge != "all" and (previous.build_dir / ivf).is_file():
            ann = faiss.read_index(str(previous.build_dir / ivf))
            reason = why_train_again(ann, stable, len(terms))  # as the dense index's
            if reason:
                logger.info("%s: training the term index again: %s", self.name, reason)
                ann = None
        if ann is None:
            every = vectors if merge == "all" else load_align(
                Entry(self.name, self.kind, tuple(files)), out).vectors  # the previous index was unusable
            ann = ann_index(every)
        elif ann.ntotal < len(terms):  # the terms added since the index was last extended
            stored = load_align(Entry(self.name, self.kind, tuple(files)), out)
            for b in range(ann.ntotal, len(terms), 65536):
                ann.add(stored.slot_vectors(np.arange(b, min(b + 65536, len(terms)))))
        faiss.write_index(ann, str(out / ivf))
        return len(terms)


def align_terms(entry: Entry, build_dir: Path) -> list[str]:
    """An alignment's terms in slot order, without their vectors."""
    out: list[str] = []
    for f in entry.files:
        if f.endswith(".npz"):
            try:
                with np.load(build_dir / f, allow_pickle=False) as data:
                    out += data["terms"].tolist()
            except (OSError, ValueError, KeyError) as exc:
                raise IndexCorruptError(f"term alignment {f!r} cannot be read: {exc}") from None
    return out


def load_align(entry: Entry, build_dir: Path) -> TermAligner:
    """An alignment's term segments, live flags and (for a large vocabulary) its stored ANN index."""
    parts = [TermAligner.load(build_dir / f) for f in entry.files if f.endswith(".npz")]
    terms = [t for p in parts for t in p.terms]
    vectors = SlotVectors([p.vectors for p in parts], parts[0].dim) if parts else np.zeros((0, 0), np.float32)
    live_file = next((f for f in entry.files if f.endswith(".live.npy")), None)
    try:
        live = np.load(build_dir / live_file, allow_pickle=False) if live_file else None
        ann_file = next((f for f in entry.files if f.endswith(".ivf")), None)
        ann = faiss.read_index(str(build_dir / ann_file)) if ann_file else None
    except (OSError, ValueError, RuntimeError) as exc:
        raise IndexCorruptError(f"term alignment cannot be read: {exc}") from None
    if ann is not None and ann.ntotal != entry.params.get("ann_terms", len(terms)):
        raise IndexCorruptError(f"term alignment: its ANN index holds {ann.ntotal} terms, the build recorded "
                                f"{entry.params.get('ann_terms', len(terms))}")
    return TermAligner(terms, vectors, live, ann)
