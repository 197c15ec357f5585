"""The sentence store's stored form: format 2 keeps numbers in arrays that a large store maps from disk instead of
reading, a store written by an older build (format 1) still loads to the same sentences, and the answer's idf counts
each distinct sentence of the live passages once, whatever the segments."""

from __future__ import annotations

import hashlib
import math
import shutil
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from rag.stores import npz, sentences
from rag.components.sentences import in_context
from rag.stores.japanese import fold
from rag.stores.sentences import SentenceStore, sentence_spans
from rag.types import Span

from tests.retrieval.rebuild import rebuild_copy

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def store(searcher) -> SentenceStore:
    return searcher.index.sentences.parts[0]  # the base segment


def same_sentences(a: SentenceStore, b: SentenceStore) -> None:
    assert len(a) == len(b) and a.sentence_count == b.sentence_count
    for row in range(len(a)):
        x, y = a.lookup(row), b.lookup(row)
        assert x.spans == y.spans and x.terms == y.terms and x.kinds == y.kinds
        assert x.vectors.keys() == y.vectors.keys()
        for spec in x.vectors:
            assert np.array_equal(x.vectors[spec], y.vectors[spec])


def test_a_large_store_is_memory_mapped_and_reads_the_same(store, tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "s.npz"
    store.save(path)
    monkeypatch.setattr(sentences, "MMAP_BYTES", 0)  # every array counts as large
    mapped = SentenceStore.load(path)
    assert isinstance(mapped.dist, np.memmap) and isinstance(mapped.vectors["e5"], np.memmap)
    assert isinstance(mapped.term_ids, np.memmap)
    same_sentences(mapped, store)
    assert mapped.keys == store.keys
    for term in ["ロシア", "中国", "同盟", "no-such-term"]:
        assert mapped.idf(term) == store.idf(term)


def test_a_format_1_store_from_an_older_build_still_loads_the_same(store, tmp_path: Path) -> None:
    rows = np.asarray(store.dist)
    old = tmp_path / "old.npz"
    with open(old, "wb") as fh:  # one row per sentence, terms joined by tabs: what builds before format 2 wrote
        np.savez(fh, format=np.int64(1), ptr=store.ptr, spans=store.spans,
                 keys=np.array([k.decode() for k in np.asarray(store.text_keys)[rows].tolist()], dtype=str),
                 terms=np.array(["\t".join(store.terms_of(d)) for d in rows.tolist()], dtype=str),
                 kinds=np.asarray(store.distinct_kinds)[rows], specs=np.array(["e5"]),
                 fingerprints=np.array([store.fingerprints["e5"]]), features_id=np.array(store.features_id),
                 vectors_0=np.asarray(store.vectors["e5"])[rows])
    loaded = SentenceStore.load(old)
    same_sentences(loaded, store)
    assert loaded.keys == [k.decode() for k in np.asarray(store.text_keys)[rows].tolist()]  # its keys named the text
    for term in ["ロシア", "中国", "同盟", "no-such-term"]:
        assert loaded.idf(term) == pytest.approx(store.idf(term))


def test_a_format_2_store_whose_keys_name_the_text_alone_still_loads_the_same(store, tmp_path: Path) -> None:
    old = tmp_path / "old.npz"
    with open(old, "wb") as fh:  # distinct rows keyed by their text: what builds before format 3 wrote
        np.savez(fh, format=np.int64(2), ptr=store.ptr, spans=store.spans, dist=store.dist, keys=store.text_keys,
                 kinds=store.distinct_kinds, term_ptr=store.term_ptr, term_ids=store.term_ids,
                 vocab=np.array("\t".join(store.vocab)), specs=np.array(["e5"]),
                 fingerprints=np.array([store.fingerprints["e5"]]), features_id=np.array(store.features_id),
                 vectors_0=store.vectors["e5"])
    loaded = SentenceStore.load(old)
    same_sentences(loaded, store)
    assert np.array_equal(loaded.text_keys, store.text_keys)
    for term in ["ロシア", "中国", "同盟", "no-such-term"]:
        assert loaded.idf(term) == store.idf(term)


def test_a_built_store_keeps_one_vector_per_distinct_sentence_and_reuses_by_key(searcher, embedders) -> None:
    texts = [p.text for p in searcher.index.passages[:12]]  # consecutive passages share their overlap sentences
    e5 = embedders["e5"]
    encoders = {"e5": (e5.fingerprint, lambda items: e5.encode_passages([t[s.start : s.end] for t, s in items]))}
    analyze = lambda t: sentences.features(searcher.analyzer, t)  # noqa: E731
    built, fresh = SentenceStore.build(texts, encoders, analyze, "f")
    assert len(built.key_array) == len(set(np.asarray(built.key_array).tolist())) == fresh["e5"] < built.sentence_count
    assert built.vectors["e5"].shape[0] == len(built.key_array)
    for row, text in enumerate(texts):
        got = built.lookup(row)
        assert np.allclose(got.vectors["e5"], e5.encode_passages([text[s.start : s.end] for s in got.spans]), atol=1e-4)
    again, fresh = SentenceStore.build(texts[::-1], encoders, analyze, "f", [built])
    assert fresh == {"e5": 0}
    same_sentences(again, SentenceStore.build(texts[::-1], encoders, analyze, "f")[0])


def test_sentences_read_in_their_passage_are_one_row_each_and_depend_on_that_passage_alone(searcher, embedders) -> None:
    texts = [p.text for p in searcher.index.passages[:12]]
    e5 = embedders["e5"]
    asked: list[tuple[str, Span]] = []

    def read(items):
        asked.extend(items)
        return in_context(e5, items)

    encoders = {"e5": ("read", read)}
    analyze = lambda t: sentences.features(searcher.analyzer, t)  # noqa: E731
    built, fresh = SentenceStore.build(texts, encoders, analyze, "f", in_context=True)
    # every sentence of every passage is its own row, asked for in its own passage; idf still counts texts once
    assert fresh["e5"] == built.sentence_count == len(asked) == sum(len(sentence_spans(t)) for t in texts)
    assert sorted((t, s.start, s.end) for t, s in asked) == sorted((t, s.start, s.end) for t in texts
                                                                   for s in sentence_spans(t))
    assert len(set(np.asarray(built.text_keys).tolist())) < len(built.key_array)  # overlap sentences share a text
    for row, text in enumerate(texts):
        got = built.lookup(row)
        want = e5.sentence_vectors([text], [[(s.start, s.end) for s in got.spans]])[0]
        assert np.allclose(got.vectors["e5"], want, atol=1e-6)
    # a row depends on its passage alone: halves built apart, or another order, give it again and encode nothing
    halves = [SentenceStore.build(texts[:6], encoders, analyze, "f", in_context=True)[0],
              SentenceStore.build(texts[6:], encoders, analyze, "f", in_context=True)[0]]
    asked.clear()
    again, fresh = SentenceStore.build(texts[::-1], encoders, analyze, "f", halves, in_context=True)
    assert fresh == {"e5": 0} and asked == []
    same_sentences(again, SentenceStore.build(texts[::-1], encoders, analyze, "f", in_context=True)[0])


def brute_idf(index) -> dict[str, float]:
    """The definition: over the distinct sentence texts of the live passages, how many hold each term."""
    distinct: dict[str, frozenset[str]] = {}
    for row, p in enumerate(index.passages):
        got = index.sentences.lookup(row)
        for span, terms in zip(got.spans, got.terms):
            distinct.setdefault(hashlib.sha1(p.text[span.start : span.end].encode()).hexdigest(), terms)
    df = Counter(t for terms in distinct.values() for t in terms)
    n = len(distinct)
    return {t: math.log(1 + (n - d + 0.5) / (d + 0.5)) for t, d in df.items()}


def test_idf_over_segments_with_a_removed_document_counts_live_distinct_sentences(built_index, embedders, tmp_path) -> None:
    settings, _ = built_index
    seeds = tmp_path / "seeds"
    shutil.copytree(settings.seeds_dir, seeds)
    min(seeds.glob("*.txt"), key=lambda f: f.stat().st_size).unlink()  # the smallest: too many dead slots would merge
    (seeds / "zz-new.txt").write_text("新しい記事\n\n" + "この記事は試験のために書かれた、まったく新しい文である。" * 3,
                                      encoding="utf-8")
    _, _, after = rebuild_copy(settings.replace(seeds_dir=seeds), embedders, tmp_path)
    store = after.sentences
    assert len(store.parts) == 2 and (store.layout.slot_row < 0).any()  # a new segment, and dead slots in the base
    want = brute_idf(after)
    assert {t: store.idf(t) for t in want} == pytest.approx(want)
    assert store.idf("no-such-term") == 0.0


def test_npz_maps_large_members_and_refuses_a_broken_file(tmp_path: Path) -> None:
    path = tmp_path / "a.npz"
    big, small = np.arange(5000, dtype=np.float32).reshape(50, 100), np.array("text")
    np.savez(path, big=big, small=small, fortran=np.asfortranarray(big))
    got = npz.read(path, ("big", "fortran"), min_bytes=1000)
    assert isinstance(got["big"], np.memmap) and np.array_equal(got["big"], big)
    assert np.array_equal(got["fortran"], big) and str(got["small"]) == "text"
    assert not isinstance(npz.read(path, ("big",), min_bytes=10**6)["big"], np.memmap)
    broken = tmp_path / "b.npz"
    broken.write_bytes(path.read_bytes()[:300])
    with pytest.raises(ValueError):
        npz.read(broken, ("big",))


def test_a_sentences_terms_and_kinds_from_one_tokenization_are_the_analyzers_own(searcher, seeds_dir) -> None:
    """`features` tokenizes a sentence that folding leaves alone once, for its kinds and its terms: the terms are
    what the analyzer gives the text, and the kinds what the text's own parts of speech say, folded or not."""
    analyzer = searcher.analyzer

    def kinds_alone(text: str) -> int:
        k = (sentences.NUMBER if sentences._DIGITS.search(text) else 0) | (
            sentences.DATE if sentences._DATE.search(text) else 0)
        for m in analyzer._tokenizer().tokenize(text[:12000]):
            pos = m.part_of_speech()
            k |= sentences.NUMBER if pos[1] == "数詞" else sentences._NAMES.get(pos[2], 0) if pos[1] == "固有名詞" else 0
        return k

    texts = []
    for path in sorted(seeds_dir.glob("*.txt")):
        raw = path.read_text(encoding="utf-8")
        texts += [raw[s.start:s.end] for s in sentence_spans(raw)]
    # not folded yet: full-width digits and letters, a katakana variant spelling, and signs whose folded form
    # Sudachi reads as other terms (℃ is 度 unfolded, c folded; Ⅱ is 2 unfolded, ii folded; ℡ is nothing unfolded)
    texts += ["ラヴロフ外相は２０２２年にＮＡＴＯについて述べた。", "モスクワは－２０℃、第Ⅱ期の計画は℡で伝えられた。"]
    unfolded = sum(fold(t) != t for t in texts)
    assert 2 <= unfolded < len(texts) // 4  # both paths are taken
    for text in texts:
        assert sentences.features(analyzer, text) == (analyzer.terms(text), kinds_alone(text)), text
