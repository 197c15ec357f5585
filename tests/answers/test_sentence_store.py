"""The sentence store built with the real index: spans, vectors and features match the passages, it is reused by key,
checked like every index file, and an answer reads it instead of encoding sentences."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from rag.answers import answer_question
from rag.answers.scoring import Weights, score_sentences
from rag.errors import IndexCorruptError
from rag.indexing.load import load_index
from rag.stores.sentences import DATE, FILE, NUMBER, PERSON, PLACE, SentenceStore, sentence_spans

from tests.retrieval.rebuild import rebuild_copy
from .support import EN_QUESTION, JA_QUESTION

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def index(searcher):
    return searcher.index


def test_every_passage_has_its_sentences_in_order_and_in_bounds(index) -> None:
    store = index.sentences
    assert store is not None and len(store) == len(index.passages)
    for row, p in enumerate(index.passages):
        spans = store.lookup(row).spans
        assert list(spans) == sentence_spans(p.text)
        assert all(0 <= s.start < s.end <= len(p.text) for s in spans)
        assert [s.start for s in spans] == sorted(s.start for s in spans)


def test_stored_vectors_are_each_sentence_read_in_its_passage(index, embedders) -> None:
    store = index.sentences
    assert set(store.vectors) == {"e5"}  # the embedder chosen for sentences (docs/answers.md)
    e5 = embedders["e5"]
    # six passages of several sentences from the middle (a source row, a 元ネタ: line, is one)
    rows = [r for r in range(len(index.passages) // 2, len(index.passages)) if len(store.lookup(r).spans) > 1][:6]
    assert len(rows) == 6
    texts = [index.passages[row].text for row in rows]
    spans = [[(s.start, s.end) for s in store.lookup(row).spans] for row in rows]
    for row, text, want in zip(rows, texts, e5.sentence_vectors(texts, spans)):
        got = store.lookup(row).vectors["e5"]
        assert len(got) > 1 and np.allclose(got, want, atol=1e-6), row
        # read in its passage, a sentence is not the sentence read alone
        alone = e5.encode_passages([text[s.start : s.end] for s in store.lookup(row).spans])
        assert np.all(np.abs(np.sum(alone * got, axis=1)) < 0.999)


def test_kind_bits_mark_numbers_dates_and_names(index) -> None:
    store = index.sentences
    texts = [(p.text[s.start : s.end], k) for row, p in enumerate(index.passages)
             for s, k in zip(store.lookup(row).spans, store.lookup(row).kinds)]
    assert any(k & NUMBER for _, k in texts) and any(k & DATE for _, k in texts)
    assert all(k & NUMBER for t, k in texts if any(c.isdigit() for c in t))
    dated = [k for t, k in texts if re.search(r"\d{4}年\d{1,2}月", t)]
    assert dated and all(k & DATE for k in dated)
    assert any(k & PERSON and "プーチン" in t for t, k in texts)
    assert any(k & PLACE and "ロシア" in t for t, k in texts)


def test_an_unchanged_rebuild_encodes_no_sentence_and_keeps_the_store(built_index, embedders, searcher, tmp_path) -> None:
    settings, _ = built_index
    report, before, after = rebuild_copy(settings, embedders, tmp_path)
    assert report.embedded["e5-sentences"] == 0
    assert after.sentences.keys == before.sentences.keys
    assert np.array_equal(after.sentences.vectors["e5"], before.sentences.vectors["e5"])


def test_an_edited_seed_encodes_only_its_new_sentences(built_index, embedders, tmp_path) -> None:
    settings, _ = built_index
    seeds = tmp_path / "seeds"
    shutil.copytree(settings.seeds_dir, seeds)
    path = sorted(seeds.glob("*.txt"))[2]
    raw = path.read_bytes().decode("utf-8")
    cut = raw.index("。", len(raw) // 2) + 1
    path.write_bytes((raw[:cut] + "この一文は試験のために加えた新しい文である。" + raw[cut:]).encode("utf-8"))
    report, before, after = rebuild_copy(settings.replace(seeds_dir=seeds), embedders, tmp_path)
    new = set(after.sentences.keys) - set(before.sentences.keys)
    # the sentences of the passages that changed (a sentence is read in its passage, and the chunker may cut
    # differently around the new one); never the whole corpus
    assert 1 <= report.embedded["e5-sentences"] == len(new) < len(set(before.sentences.keys)) // 10


def test_a_corrupted_sentence_store_is_refused_with_a_rebuild_hint(built_index, tmp_path) -> None:
    settings, _ = built_index
    index_dir = tmp_path / "index"
    shutil.copytree(settings.index_dir, index_dir)
    build = json.loads((index_dir / "manifest.json").read_text())["build"]
    path = next((index_dir / "builds" / build).glob(f"seg/*/{FILE}"))  # the base segment's store
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(IndexCorruptError, match=f"{FILE}.*checksum.*rag index build --full"):
        load_index(index_dir, settings.embedders)


def test_a_store_that_cannot_be_read_or_does_not_fit_the_index_is_an_index_error(index, tmp_path: Path) -> None:
    garbage = tmp_path / FILE
    garbage.write_bytes(b"not a numpy archive")
    with pytest.raises(IndexCorruptError, match="cannot be read"):
        SentenceStore.load(garbage)
    good = tmp_path / "good.npz"
    index.sentences.save(good)
    assert SentenceStore.load(good, len(index.passages)).keys == index.sentences.keys  # save then load round-trips
    with pytest.raises(IndexCorruptError, match="passages"):
        SentenceStore.load(good, len(index.passages) + 1)


@pytest.mark.parametrize("question", [EN_QUESTION, JA_QUESTION])
def test_an_answer_from_the_store_encodes_no_sentence(searcher, built_index, question, monkeypatch) -> None:
    settings, _ = built_index
    searcher.search(question, 5)  # the question's own vectors come from the search, as in /v1/ask
    calls: list[int] = []
    for emb in searcher.embedders.values():
        original = emb.encode_passages
        monkeypatch.setattr(emb, "encode_passages", lambda texts, f=original: calls.append(len(texts)) or f(texts))
    answer = answer_question(searcher, question, 5, settings)
    assert "[1]" in answer.answer and calls == []


@pytest.mark.parametrize("question", [EN_QUESTION, JA_QUESTION])
def test_an_index_without_a_store_answers_from_the_same_passages_and_similarities_by_encoding_live(searcher, built_index, question) -> None:
    import copy

    from rag.retrieval import Searcher

    settings, _ = built_index
    old = copy.copy(searcher.index)  # as loaded from a build made before sentences were stored
    old.parts = {n: p for n, p in old.parts.items() if p[0].kind != "sentences"}  # no sentence store
    before = Searcher(old, searcher.embedders, searcher.analyzer, settings)
    live = answer_question(before, question, 5, settings)
    stored = answer_question(searcher, question, 5, settings)
    # the same passages (their scores may differ in the last bits: the fresh searcher encodes the question again)
    assert [h.passage for h in live.passages] == [h.passage for h in stored.passages] and "[1]" in live.answer
    assert set(live.citations) <= {h.citation for h in live.passages}
    # the live path reads each sentence in its passage with the embedders a store is built with, as the store does,
    # so every sentence's similarity is the stored one; only the lexical overlap differs (its idf comes from the
    # store), which may change a later pick
    a = score_sentences(before, question, live.passages, Weights())
    b = score_sentences(searcher, question, stored.passages, Weights())
    assert [x.text for x in a] == [x.text for x in b]
    assert np.allclose([x.sim for x in a], [x.sim for x in b], atol=1e-4)
    best = lambda xs: max(xs, key=lambda x: x.score).text  # noqa: E731
    assert best(a) == best(b)
