"""BM25 over Japanese analyzer terms, with query expanders that carry English words to Japanese terms.

A Japanese question is scored with its own terms. An English question is scored by groups of alternative terms, one
group per source word, each group counting its best-scoring term: the expanders' groups (the JMdict bridge, the
embedding alignment) plus the question's own Latin terms (NATO, EU). A Japanese question that writes a name in Latin
letters no passage writes that way (北朝鮮のLazarus Groupとは, where the passages write ラザルス) is scored the same
way: that run of Latin words goes through the expanders that read text alone (the bridge), beside its own terms.
"""

from __future__ import annotations

import logging
import re
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import numpy as np

from ..chunking import CHUNKING_ID
from ..errors import IndexCorruptError
from ..stores import defined
from ..stores.bm25 import BM25Store, TermSegment, count_terms, read_vocab, term_ids
from ..stores.bridge import Bridge, build_bridge, name_terms, names_read_aloud
from ..stores.english import capitals
from ..stores.japanese import JapaneseAnalyzer
from ..stores.segments import SEG_DIR, Layout, Segment, carried, link, write_json
from . import Corpus, Entry, Language, Need, Previous, Progress, Question, Ranking

logger = logging.getLogger(__name__)
BRIDGE_FILE = "bridge.json"
VOCAB_FILE = "bm25/vocab.json"
DF_FILE = "bm25/df.npy"
# a run of Latin words in a (NFKC-normalised) Japanese question: Lazarus Group, Axie Infinity, AUKUS, Erdoğan
_LETTER = "A-Za-z\u00c0-\u024f"
_LATIN_RUN = re.compile(rf"[{_LETTER}][{_LETTER}0-9'\-]*(?:[ \t]+[{_LETTER}][{_LETTER}0-9'\-]*)*")


class Expander(Protocol):
    """Turns an English question into groups of alternative Japanese BM25 terms."""

    def needs(self, text: str) -> list[Need]: ...

    def groups(self, question: Question) -> list[list[str]]: ...

    def defines(self, acronym: str) -> bool:
        """Whether the expander gives `acronym` (lower-cased, as `capitals` reads it) terms the passages define."""
        ...


class BridgeExpander:
    """The JMdict/JMnedict bridge, restricted to the index's vocabulary when it was built."""

    def __init__(self, bridge: Bridge, entries: Callable[[str], list[tuple[str, ...]]] | None = None) -> None:
        self.bridge = bridge
        self.entries = entries  # Sudachi's dictionary look-up, which tells a name in kanji from a word (name_terms)

    def needs(self, text: str) -> list[Need]:
        return []

    def defines(self, acronym: str) -> bool:
        return acronym.upper() in self.bridge.defined

    def groups(self, question: Question) -> list[list[str]]:
        """The bridge's groups; the words it spelled as a name no dictionary holds are kept in the question's
        `derived["spelled"]`, and those only the name dictionary holds in `derived["named"]` with their terms, for the
        expanders after it (the alignment)."""
        spelled: set[str] = set()
        named: dict[str, list[str]] = {}
        groups = self.bridge.expand(question.text, question.derived.get("acronyms"), spelled, named)
        question.derived["spelled"] = spelled
        question.derived["named"] = named
        if self.entries is not None:  # and of those, the terms that write a name, a person's or a place's (椎葉村),
            # for the alignment
            question.derived["name-terms"] = {w: kept for w, terms in named.items()
                                              if (kept := name_terms(terms, self.entries, ("人名", "地名")))}
        return groups


class BM25Component:
    """BM25 (bm25s) over analyzer terms; English questions go through the expanders."""

    name = "bm25"
    sheddable = False

    def __init__(self, store: BM25Store, analyzer: JapaneseAnalyzer, expanders: list[Expander],
                 weights: dict[str, float], max_words: int) -> None:
        self.store = store
        self.analyzer = analyzer
        self.expanders = expanders
        self._weights = weights
        self.max_words = max_words

    def needs(self, text: str, lang: Language) -> list[Need]:
        return [n for e in self.expanders for n in e.needs(text)] if lang == "en" else []

    def weight(self, lang: Language) -> float:
        return self._weights[lang]

    def warm(self) -> None:
        """What the store would otherwise do in its first question (a local store's kernels; Qdrant's: none), and an
        expander in the first English question (the term alignment's codes)."""
        getattr(self.store, "warm", lambda: None)()
        for expander in self.expanders:
            if hasattr(expander, "warm"):
                expander.warm()

    def term_groups(self, question: Question) -> list[list[str]] | None:
        """An English question's term groups (alternatives per source word), or a Japanese question's when it writes
        Latin words no passage holds; None for a question read as is."""
        if not self.expanders:
            return None
        groups = question.derived.get("bm25-groups")
        if groups is None:
            # each source bounded: a question of hundreds of words must not cost one BM25 pass per word
            if question.lang == "en":
                groups = [g for e in self.expanders for g in e.groups(question)[: self.max_words]]
                groups += [[term] for term in self.analyzer.terms(question.text)[: self.max_words]]
            else:
                groups = self._foreign_groups(question)
                if groups:  # beside every term of its own, as it is read without the groups, each once (the bridge
                    own = self.analyzer.terms(question.text)  # gives a defined acronym its Latin term too: SCO → sco)
                    groups = [g for g in groups if not (len(g) == 1 and g[0] in own)] + [[term] for term in own]
            question.derived["bm25-groups"] = groups
        return [list(g) for g in groups] if groups else None

    def _foreign_groups(self, question: Question) -> list[list[str]]:
        """The groups of a Japanese question's runs of Latin words that hold a word no live passage holds, from the
        expanders that need no encoding (the bridge: the alignment's vectors are not encoded for a Japanese question).
        A run the passages write as it is (NATO, ISW) is left to its own terms, unless it holds an acronym the passages
        define (SCO外相会議 reaches 上海協力機構 as the English question does); none such gives no groups."""
        text = unicodedata.normalize("NFKC", question.text)
        runs = [run for run in _LATIN_RUN.findall(text)[: self.max_words]
                if any(self.store.document_frequency(t) == 0 for t in self.analyzer.terms(run))
                or any(e.defines(w) for e in self.expanders for w in capitals(run))]
        groups: list[list[str]] = []
        for run in runs:
            run = " ".join(run.split()[: self.max_words])
            # a word in capitals is an acronym in a Japanese question (UN is 国連, not the prefix un-), though the run
            # alone has no lower case to set it apart
            word = Question(run, "en", {}, question.scope, {"acronyms": capitals(run)})
            groups += [g for e in self.expanders if not e.needs(run) for g in e.groups(word)]
            if len(groups) >= self.max_words:
                break
        return groups[: self.max_words]

    def rank(self, question: Question, k: int, allowed: np.ndarray | None) -> Ranking:
        groups = self.term_groups(question)
        if groups is not None:
            return self.store.top_groups(groups, k, allowed, question.scope)
        return self.store.top(self.analyzer.terms(question.text), k, allowed, question.scope)


class BM25Builder:
    """Counts every new passage's analyzer terms into a segment, reusing the previous build's counts (its analysis
    cache) by key, and writes the bridge restricted to the resulting vocabulary."""

    name = "bm25"
    kind = "bm25"

    def __init__(self, analyzer: JapaneseAnalyzer, cache_dir: Path, params: dict[str, object]) -> None:
        self.analyzer = analyzer
        self.cache_dir = cache_dir
        self.params = params  # analyzer and bridge ids: counts made with other ones are not reused
        self.vocabulary: set[str] = set()

    def build(self, corpus: Corpus, previous: Previous | None, out: Path, progress: Progress) -> tuple[Entry, int]:
        t0 = time.perf_counter()
        layout = corpus.slots()
        old = previous.entry(self.name, self.kind, **self.params) if previous else None
        before = None
        if old is not None:
            try:
                before = load_bm25_store(old, previous.build_dir)
            except IndexCorruptError as exc:
                logger.warning("cannot reuse the previous term counts: %s", exc)
            if before is not None and not before.has_sequences:
                logger.info("bm25: the previous index stores no term sequences; every passage is analysed again")
                before = None
            chunked_by = previous.manifest.get("chunker", {}).get("chunking")
            if before is not None and chunked_by != CHUNKING_ID:
                # which passages are source rows, which count no terms, is the cleaning's: a passage whose text is
                # unchanged may have become one (a 元ネタ: line, CHUNKING_ID v6), or stopped being one
                logger.info("bm25: the previous index was chunked by other code (%s); every passage is analysed again",
                            chunked_by)
                before = None
        carry = before is not None and carried(layout, old.params)
        vocab: list[str] = list(before.vocab) if carry else []
        ids = {t: i for i, t in enumerate(vocab)}
        remap = np.full(len(before.vocab) if before else 0, -1, np.int64)  # previous term id → this build's
        by_key = previous.slots_by_key() if before is not None else {}
        glossed = _previous_glosses(old, previous) if before is not None else None  # previous slot → its pairs
        files, parts, analysed = [], [], 0
        by_segment: dict[str, dict[int, list[defined.Pair]]] = {}
        for seg in layout.segments:
            prefix = seg.path("bm25")
            files += (*TermSegment.files(prefix), f"{prefix}/{defined.FILE}")
            if carry and seg.name != layout.fresh:
                for rel in TermSegment.files(prefix):
                    link(previous.build_dir, out, rel)
                parts.append(TermSegment.load(out / prefix))
                by_segment[seg.name] = self._carried_glosses(corpus, layout, seg, glossed, previous.build_dir, out)
                continue
            rows, sequences, pairs = [], [], {}
            for r in layout.segment_rows(seg).tolist():
                slot = by_key.get(corpus.keys[r]) if r >= 0 else None
                if r < 0:
                    rows.append((np.zeros(0, np.int32), np.zeros(0, np.int32)))
                    sequences.append(np.zeros(0, np.int32))
                elif slot is not None and r not in corpus.sources:  # a source row counts no terms
                    found = glossed.get(slot, []) if glossed is not None else defined.glosses(corpus.texts[r])
                    if found:
                        pairs[len(rows)] = found
                    terms, tf = before.slot_counts(slot)
                    for t in terms[remap[terms] < 0].tolist():
                        word = before.vocab[t]
                        if word not in ids:
                            ids[word] = len(vocab)
                            vocab.append(word)
                        remap[t] = ids[word]
                    rows.append((remap[terms].astype(np.int32), tf))
                    sequences.append(remap[before.slot_sequence(slot)].astype(np.int32))  # the same terms, in order
                else:
                    # a source row (a source block's marker, title and link, a 元ネタ: line, the site's name) is no
                    # article text: not in the term counts, so that its English words (Korybko, UN, Times) reach no
                    # bridge, alignment or document frequency; a question about the source finds it by the other
                    # signals (rag/retrieval/sources.py)
                    source = r in corpus.sources
                    if not source and (found := defined.glosses(corpus.texts[r])):
                        pairs[len(rows)] = found
                    terms = [] if source else self.analyzer.terms(corpus.texts[r])
                    rows.append(count_terms(terms, ids, vocab))
                    sequences.append(term_ids(terms, ids))
                    analysed += 1
            part = TermSegment.build(rows, len(vocab), sequences)
            part.save(out / prefix)
            defined.save(out / prefix / defined.FILE, sorted(pairs.items()))
            by_segment[seg.name] = pairs
            parts.append(part)
        write_json(out / VOCAB_FILE, vocab)
        df = _updated_df(before, parts[-1], previous.layout, layout, len(vocab)) if carry else None
        store = BM25Store(vocab, parts, layout, df=df)
        np.save(out / DF_FILE, store.df, allow_pickle=False)
        self.vocabulary = store.vocabulary
        t1 = time.perf_counter()
        rows_of = {s.name: layout.segment_rows(s) for s in layout.segments}
        names = defined.choose(defined.live_pairs(by_segment, rows_of))
        terms = self._definitions(names)
        build_bridge(self.vocabulary, cache_dir=self.cache_dir, defined=terms,
                     defined_names={a: names[a] for a in terms}, is_name=self._is_name,
                     is_person=self._is_person, is_place=self._is_place, reads_as_place=self._reads_as_place,
                     tags=self.analyzer.tags,
                     split=self.analyzer.terms, reads=self.analyzer.noun_readings,
                     person_reads=self.analyzer.person_readings,
                     read_names=names_read_aloud(corpus.cited, self.analyzer.terms, self.analyzer.noun_readings)
                     ).save(out / BRIDGE_FILE)
        logger.info("bm25: analysed %d of %d passages (%d terms) in %.2fs, bridge in %.2fs", analysed, layout.rows,
                    len(self.vocabulary), t1 - t0, time.perf_counter() - t1)
        params = {**self.params, "segments": layout.segments_json()}
        return Entry(self.name, self.kind, (*files, VOCAB_FILE, DF_FILE, BRIDGE_FILE), params), analysed

    def _is_name(self, term: str) -> bool:
        """Whether Sudachi reads `term` alone as one proper noun (米国, アメリカ, 欧州; not 進む)."""
        return self.analyzer.tags(term)[:2] == ("名詞", "固有名詞")

    def _is_person(self, term: str) -> bool:
        """Whether Sudachi's dictionary holds `term` as a person's name (王毅, モディ; not 中国, nor an unknown word it
        would read as a name)."""
        return any(pos[:3] == ("名詞", "固有名詞", "人名") for pos in self.analyzer.entries(term))

    def _is_place(self, term: str) -> bool:
        """Whether Sudachi's dictionary holds `term` only as a place (椎葉村, 菊陽町; not 中村, a surname too)."""
        found = self.analyzer.entries(term)
        return bool(found) and all(pos[:3] == ("名詞", "固有名詞", "地名") for pos in found)

    def _reads_as_place(self, term: str) -> bool:
        """Whether Sudachi reads `term` alone as a place's name (中国, アメリカ, 欧州, 韓国; not 中, 露)."""
        return self.analyzer.tags(term)[:3] == ("名詞", "固有名詞", "地名")

    def _definitions(self, names: dict[str, str]) -> dict[str, list[str]]:
        """{acronym: the terms of its name (the one most live passages gloss it with)}. A number is no word of the
        name (第二次 → 2 would match any passage with that number; 第 is left to its idf), and a name of one term is no
        name an acronym abbreviates: ワシントン(AP) is a dateline, 米軍(US) a gloss of one sense."""
        out: dict[str, list[str]] = {}
        for acronym, name in names.items():
            terms = [t for t in self.analyzer.terms(name) if t in self.vocabulary and not t.isdigit()]
            if len(terms) >= 2:
                out[acronym] = terms
        return out

    @staticmethod
    def _carried_glosses(corpus: Corpus, layout: Layout, seg: Segment, glossed: dict[int, list[defined.Pair]] | None,
                         previous_dir: Path, out: Path) -> dict[int, list[defined.Pair]]:
        """A carried segment's acronym pairs by its slot: its previous file, linked, or where the previous build kept
        none, read from its passages once and written."""
        rel = f"{seg.path('bm25')}/{defined.FILE}"
        if glossed is not None:
            link(previous_dir, out, rel)
            return {slot - seg.start: pairs for slot, pairs in glossed.items() if seg.start <= slot < seg.end}
        rows = layout.segment_rows(seg).tolist()
        found = {i: pairs for i, r in enumerate(rows)
                 if r >= 0 and r not in corpus.sources and (pairs := defined.glosses(corpus.texts[r]))}
        defined.save(out / rel, sorted(found.items()))
        return found


def _previous_glosses(old: Entry, previous: Previous) -> dict[int, list[defined.Pair]] | None:
    """The previous build's glossed acronyms by its slot, or None when it kept none (written before them, or a file
    cannot be read): its passages are then scanned again."""
    out: dict[int, list[defined.Pair]] = {}
    for seg in map(Segment.from_json, old.params.get("segments", ())):
        rel = f"{seg.path('bm25')}/{defined.FILE}"
        if rel not in old.files:
            return None
        try:
            found = defined.load(previous.build_dir / rel, seg.end - seg.start)
        except IndexCorruptError as exc:
            logger.warning("bm25: %s; the passages are read for their acronyms again", exc)
            return None
        if found is None:  # read by another rule
            return None
        out.update((seg.start + slot, pairs) for slot, pairs in found.items())
    return out


def _updated_df(before: BM25Store, fresh: TermSegment, was: Layout, layout: Layout, terms: int) -> np.ndarray:
    """The previous document frequencies minus the passages whose previous slots this build does not keep (dropped,
    or merged into the fresh segment), plus the fresh segment's passages, so an incremental build never recounts
    every posting (the fresh segment is the last one, or none was written)."""
    df = np.zeros(terms, np.int64)
    df[: len(before.df)] = before.df
    if layout.fresh is not None:
        df[: fresh.terms] += np.bincount(np.asarray(fresh.row_term, np.int64), minlength=fresh.terms)
    gone = layout.not_kept(was)
    for part, start in zip(before.parts, before.starts):
        local = np.flatnonzero(gone[start : start + len(part)])
        if local.size > 256:  # a merged delta: its postings counted at once
            mask = np.zeros(len(part), bool)
            mask[local] = True
            counted = np.asarray(part.row_term, np.int64)[np.repeat(mask, np.diff(part.row_ptr))]
            df[: part.terms] -= np.bincount(counted, minlength=part.terms)
            continue
        for slot in local.tolist():
            df[part.row(slot)[0]] -= 1
    return df


def load_bm25_store(entry: Entry, build_dir: Path) -> BM25Store:
    """A BM25 component's term-count segments over its build's layout."""
    layout = Layout.load(build_dir, entry.params.get("segments", ()))
    prefixes = list(dict.fromkeys(str(Path(f).parent) for f in entry.files if f.startswith(f"{SEG_DIR}/")))
    parts = [TermSegment.load(build_dir / prefix) for prefix in prefixes]
    df = None
    if DF_FILE in entry.files:
        try:
            df = np.load(build_dir / DF_FILE, allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise IndexCorruptError(f"bm25 document frequencies cannot be read: {exc}") from None
    return BM25Store(read_vocab(build_dir / VOCAB_FILE), parts, layout, df=df)
