"""Embedding alignment of English question words to the index's Japanese BM25 terms (rag/stores/align.py): the
store, the index file, incremental reuse, the searcher's use of it, and switching it off."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import numpy as np
import pytest

from rag.errors import ConfigError, IndexCorruptError
from rag.indexing.load import load_index
from rag.retrieval import Searcher
from rag.runtime import build
from rag.settings import Settings
from rag.stores.align import TermAligner
from rag.stores.bridge import Bridge

from .rebuild import rebuild_copy
from .unreadable import Unreadable

LAVROV_EN = "What did Lavrov say about an alliance with China?"


def aligned_with(searcher) -> str | None:
    """The embedder whose term alignment the searcher's BM25 expands English questions with, if any."""
    from rag.components.align import AlignExpander

    return next((e.embedder for c in searcher.components for e in getattr(c, "expanders", ())
                 if isinstance(e, AlignExpander)), None)


def _groups(searcher: Searcher, words: list[str], k: int = 5, floor: float = 0.4) -> dict[str, list[str]]:
    aligner = searcher.index.align["use"]
    return dict(zip(words, aligner.groups(searcher.embedders["use"].encode_queries(words), k, floor)))


def test_the_default_index_embeds_every_bm25_term_with_use(built_index, searcher) -> None:
    _, report = built_index
    aligner = searcher.index.align["use"]
    vocabulary = searcher.index.bm25.vocabulary
    assert set(aligner.terms) == vocabulary and len(aligner) > 1000
    assert report.embedded["use-align"] in (0, len(aligner))  # all of them on a first run, none on a cached re-run
    assert aligner.vectors.shape == (len(vocabulary), 512)
    np.testing.assert_allclose(np.linalg.norm(aligner.vectors, axis=1), 1.0, atol=1e-4)
    assert "" not in vocabulary and "\u2205" not in vocabulary  # bm25s's own entries are not corpus terms
    assert aligned_with(searcher) == "use"


def test_english_words_land_on_the_japanese_terms_that_translate_them(searcher) -> None:
    got = _groups(searcher, ["alliance", "oil", "sanctions"])
    assert "同盟" in got["alliance"]
    assert {"原油", "石油"} & set(got["oil"])
    assert "制裁" in got["sanctions"]
    vocabulary = searcher.index.bm25.vocabulary
    assert all(t in vocabulary and len(g) <= 5 for g in got.values() for t in g)


def test_alignment_reaches_words_the_dictionary_bridge_does_not_know(searcher) -> None:
    # "treasuries" is not a JMdict gloss key, so the bridge gives it nothing; the embedder still places it
    assert searcher.index.bridge.expand("treasuries") == []
    assert _groups(searcher, ["treasuries"])["treasuries"]


@pytest.mark.parametrize("text, words", [
    ("What did Ryo Ueda say?", {"ryo", "ueda"}), ("Did Shunsuke Murai warn?", {"shunsuke", "murai"}),
    ("What did Fukuoka Governor Tatsuhiko Kinoshita say?", {"tatsuhiko", "kinoshita"}),
    ("What did Xi Jinping say in New Delhi?", set()), ("Tokyo Tower", set()), ("What did Ueda say?", set()),
])
def test_the_words_of_a_japanese_name_in_latin_letters(text, words) -> None:
    from rag.components.align import _japanese_names

    assert _japanese_names(text) == words


class _Words:
    max_words = 12


def test_the_degree_how_asks_for_is_no_word_of_the_question(searcher) -> None:
    """"How much does the satellite weigh?" searched for どこ (JMdict's "how much"), 多い and 過ぎる; "How long did
    the talks last?" for 長期間 and 長さ, and 何 + 箇月 (何箇月's "how long"): the words that ask what kind of answer
    (an amount, a span, an age) are in no passage that answers. Neither the bridge nor the aligner reads them; a
    word so spelled elsewhere is read ("a long war")."""
    bridge = searcher.index.bridge
    for question, gone in (("How much did China pay?", {"どこ", "多い", "多く"}),
                           ("How long did the talks last?", {"長期", "長期間", "長さ", "箇月"}),
                           ("How many troops did North Korea send?", {"幾つ", "多数"}),
                           ("How old is Putin?", {"古い", "幾つ"})):
        terms = {t for g in searcher.term_groups(question) for t in g}
        assert not terms & gone, (question, terms & gone)
        assert not {t for g in bridge.expand(question) for t in g} & gone
    assert {"長期", "長期間"} & {t for g in searcher.term_groups("Is it a long war?") for t in g}
    # only the word right after "how", and not a hyphenated one (a reviewer's: "How long-term…" lost 長期)
    from rag.components.align import AlignExpander
    assert AlignExpander.words(_Words(), "How long did the long march take?") == ["long", "march", "take"]
    assert AlignExpander.words(_Words(), "How long-term is the plan?") == ["long", "term", "plan"]
    # JMdict's どこ: a question's own words are no phrase, and "place" is read alone
    assert not any("どこ" in g for g in bridge.expand("what place")) and bridge.expand("what place") == bridge.expand(
        "place")
    assert Bridge({"how much": ["どこ"], "much": ["多い"], "pay": ["払う"]}).expand("How much did China pay?") == [
        ["払う"]]


def test_a_japanese_name_in_latin_letters_gets_no_aligned_terms(searcher) -> None:
    """A probe's: "What did Ryo Ueda say?" ranked Lavrov's words above those of 上田亮: the embedder's nearest terms
    for the given name were xi, 石川, ASEAN and 紀伊 (here xi, ASEAN, 多岐…), two groups of noise against the name's
    one. The name's words get only the bridge's terms (両; 上田 where the index writes it)."""
    groups = searcher.term_groups("What did Ryo Ueda say about it?")
    assert all(set(g) & {"両", "上田", "ryo", "ueda"} for g in groups), groups


def test_a_words_similarities_are_exact_and_do_not_depend_on_the_words_asked_with_it(searcher) -> None:
    # one compiled pass over the term vectors (rag/stores/kernels.py dot_rows); BLAS's product moved a word's row in
    # the last bits with the other words of its question, so a group at a near-tie could depend on them
    aligner = searcher.index.align["use"]
    words = ["alliance", "China", "sanctions", "oil", "minister", "treasuries"]
    vectors = searcher.embedders["use"].encode_queries(words)
    together = aligner.similarities(vectors)
    assert together.shape == (len(words), len(aligner)) and together.dtype == np.float32
    for i in range(len(words)):
        assert np.array_equal(aligner.similarities(vectors[i : i + 1])[0], together[i]), words[i]
    exact = vectors.astype(np.float64) @ np.asarray(aligner.vectors, np.float64).T
    np.testing.assert_allclose(together, exact, rtol=0, atol=1e-6)
    with pytest.raises(ValueError):
        aligner.similarities(vectors[:, :100])


def test_per_word_keeps_a_place_for_a_word_no_term_is_near_and_groups_drops_it(searcher) -> None:
    aligner = searcher.index.align["use"]
    vectors = searcher.embedders["use"].encode_queries(["sanctions", "alliance"])
    strict = float(aligner.similarities(vectors[:1]).max()) + 1e-3  # over every term's cosine with the first word
    per_word = aligner.per_word(vectors, 5, strict)
    assert len(per_word) == 2 and per_word[0] == [] and per_word[1] == aligner.per_word(vectors[1:], 5, strict)[0]
    assert aligner.groups(vectors, 5, strict) == [g for g in per_word if g]
    assert aligner.per_word(vectors, 5, 0.4) == [[*g] for g in aligner.groups(vectors, 5, 0.4)]  # both near


def test_groups_respect_k_and_the_similarity_floor(searcher) -> None:
    aligner = searcher.index.align["use"]
    vec = searcher.embedders["use"].encode_queries(["alliance"])
    sims = aligner.vectors @ vec[0]
    best = [aligner.terms[i] for i in np.argsort(-sims)[:3]]
    assert aligner.groups(vec, 3, -1.0) == [best]
    assert aligner.groups(vec, 3, float(sims.max()) + 0.01) == []  # nothing clears a floor above the best match
    assert aligner.groups(vec, 0, -1.0) == []


def test_english_bm25_uses_aligned_terms_and_can_be_switched_off(searcher) -> None:
    on = searcher.search(LAVROV_EN, top_k=5, mode="bm25")
    assert "encode:use" in on.timings  # in BM25 mode, USE encodes only the words to align
    off = Searcher(searcher.index, searcher.embedders, searcher.analyzer, searcher.settings.replace(align=""))
    assert aligned_with(off) is None
    result = off.search(LAVROV_EN, top_k=5, mode="bm25")
    assert "encode:use" not in result.timings
    # Japanese questions never go through the alignment
    assert "encode:use" not in searcher.search("ラブロフ外相は中国との同盟について何と言ったか", mode="bm25").timings


def test_an_english_question_the_dictionary_misses_still_gets_lexical_hits(searcher) -> None:
    question = "treasuries"
    off = Searcher(searcher.index, searcher.embedders, searcher.analyzer,
                   searcher.settings.replace(align="", bridge=False))
    assert off.search(question, mode="bm25").hits == ()
    assert searcher.search(question, mode="bm25").hits


def test_use_word_vectors_are_cached_per_request_not_per_word(searcher) -> None:
    # USE's rows move in the last bits with the rest of the call, so a row is only reused beside the texts it was
    # encoded with: a question's vectors never depend on what was asked before it (tests/retrieval/test_concurrent_determinism.py)
    fresh = Searcher(searcher.index, searcher.embedders, searcher.analyzer, searcher.settings)
    use = searcher.embedders["use"]
    words = ["alliance", "kremlin"]
    first = fresh._vectors("use", "query", words)
    assert ("use", tuple(words)) in fresh._cache and not {("use", w) for w in words} & set(fresh._cache)
    np.testing.assert_array_equal(np.stack(first), use.encode_queries(words))
    again = fresh._vectors("use", "query", words)
    assert all(a is b for a, b in zip(first, again))  # served from the cache
    alone = fresh._vectors("use", "query", ["alliance"])  # encoded on its own, as a fresh Searcher would
    np.testing.assert_array_equal(alone[0], use.encode_queries(["alliance"])[0])


def test_e5_vectors_are_cached_per_text(searcher) -> None:
    fresh = Searcher(searcher.index, searcher.embedders, searcher.analyzer, searcher.settings)
    texts = ["alliance with China", "kremlin"]
    first = fresh._vectors("e5", "query", texts)
    assert {("e5", t) for t in texts} <= set(fresh._cache)
    again = fresh._vectors("e5", "query", list(reversed(texts)))
    assert again[0] is first[1] and again[1] is first[0]


def test_a_hybrid_english_search_encodes_the_question_and_its_words_in_one_batch(searcher) -> None:
    calls: list[list[str]] = []
    use = searcher.embedders["use"]

    class Recording:
        name, dim, fingerprint = use.name, use.dim, use.fingerprint

        def encode_queries(self, texts):
            calls.append(list(texts))
            return use.encode_queries(texts)

        def encode_passages(self, texts):
            return use.encode_passages(texts)

    embedders = dict(searcher.embedders, use=Recording())
    fresh = Searcher(searcher.index, embedders, searcher.analyzer, searcher.settings)
    result = fresh.search(LAVROV_EN, top_k=5)
    assert calls == [[LAVROV_EN, "lavrov", "alliance", "china"]]
    assert [h.passage.passage_id for h in result.hits] == [h.passage.passage_id for h in searcher.search(LAVROV_EN).hits]
    fresh.search(LAVROV_EN, top_k=5)
    assert len(calls) == 1  # a repeated question encodes nothing
    groups = fresh.term_groups(LAVROV_EN)  # what the answers read after the search: its vectors, from the cache
    assert len(calls) == 1 and groups == Searcher(searcher.index, searcher.embedders, searcher.analyzer,
                                                  searcher.settings).term_groups(LAVROV_EN)


def test_the_query_cache_is_bounded_by_the_vectors_it_holds() -> None:
    from rag.retrieval.engine import CACHE_SIZE, _VectorCache

    cache = _VectorCache()
    for i in range(CACHE_SIZE):  # whole-call entries of a question and its words, 33 vectors each
        cache.put(("use", (f"q{i}",)), tuple(range(33)))
        assert cache.rows == sum(len(v) for v in cache.values()) <= CACHE_SIZE
    assert len(cache) == CACHE_SIZE // 33 and ("use", (f"q{CACHE_SIZE - 1}",)) in cache  # the newest kept
    cache.put(("e5", "a question"), "vector")
    cache.put(("e5", "a question"), "vector")  # put again: counted once
    assert cache.rows == sum(len(v) if isinstance(v, tuple) else 1 for v in cache.values()) <= CACHE_SIZE


def test_an_incremental_rebuild_reuses_every_term_vector(built_index, embedders, tmp_path: Path) -> None:
    report, old, new = rebuild_copy(built_index[0], embedders, tmp_path)
    before, after = old.align["use"], new.align["use"]
    assert report.embedded["use-align"] == 0
    assert before.terms == after.terms and np.array_equal(before.vectors, after.vectors)


def test_a_merging_rebuild_takes_every_term_vector_from_the_stored_segments(built_index, embedders, tmp_path: Path) -> None:
    """The merging path (more than a fifth of the slots would be dead): one fresh segment in term order, every vector
    read from the previous build's segments, none embedded."""
    settings, _ = built_index
    seeds, index_dir = tmp_path / "seeds", tmp_path / "index"
    shutil.copytree(settings.seeds_dir, seeds)
    shutil.copytree(settings.index_dir, index_dir)
    for path in sorted(seeds.glob("*.txt"), key=lambda f: f.stat().st_size)[-2:]:  # the two largest documents
        path.unlink()
    before = load_index(index_dir, settings.embedders).align["use"]
    report = build(settings.replace(seeds_dir=seeds, index_dir=index_dir), embedders)
    after = load_index(index_dir, settings.embedders).align["use"]
    assert report.embedded["use-align"] == 0
    assert after.live.all() and after.terms == sorted(after.terms) and set(after.terms) < set(before.terms)
    order = {t: i for i, t in enumerate(before.terms)}
    assert np.array_equal(after.vectors, before.vectors[[order[t] for t in after.terms]])


def test_a_new_document_embeds_only_its_new_terms(built_index, embedders, tmp_path: Path) -> None:
    settings, _ = built_index
    seeds, index_dir = tmp_path / "seeds", tmp_path / "index"
    shutil.copytree(settings.seeds_dir, seeds)
    shutil.copytree(settings.index_dir, index_dir)
    old = set(load_index(index_dir, settings.embedders).align["use"].terms)
    (seeds / "900_new.txt").write_text("量子暗号通信の実験が成功した。研究所は衛星を使った鍵配送を発表した。\n", encoding="utf-8")
    report = build(settings.replace(seeds_dir=seeds, index_dir=index_dir), embedders)
    new = set(load_index(index_dir, settings.embedders).align["use"].terms)
    assert 0 < report.embedded["use-align"] == len(new - old)


def test_an_index_built_without_alignment_searches_without_it_and_says_why(built_index, embedders, searcher,
                                                                         tmp_path: Path,
                                                                         caplog: pytest.LogCaptureFixture) -> None:
    settings, _ = built_index
    report, _, index = rebuild_copy(settings, embedders, tmp_path, align=None)
    assert "use-align" not in report.embedded
    assert index.align == {}
    with caplog.at_level(logging.WARNING, logger="rag.retrieval.engine"):
        plain = Searcher(index, embedders, searcher.analyzer, settings)
    assert aligned_with(plain) is None and plain.search(LAVROV_EN).hits
    assert any("no term alignment for use" in r.getMessage() and "rag index build" in r.getMessage()
               for r in caplog.records)


def test_store_round_trip_and_refusals(tmp_path: Path) -> None:
    vectors = np.eye(3, dtype=np.float32)
    store = TermAligner(["同盟", "原油", "制裁"], vectors)
    store.save(tmp_path / "a.npz")
    back = TermAligner.load(tmp_path / "a.npz")
    assert back.terms == store.terms and np.array_equal(back.vectors, vectors)
    with pytest.raises(IndexCorruptError):
        TermAligner(["a", "b"], vectors)
    (tmp_path / "bad.npz").write_bytes(b"not an npz")
    with pytest.raises(IndexCorruptError):
        TermAligner.load(tmp_path / "bad.npz")


@pytest.mark.parametrize("name, value", [("align_terms", "-1"), ("align_terms", "51"), ("align_min_similarity", "1.5"),
                                         ("align_terms", "many")])
def test_bad_alignment_settings_are_refused(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=f"(?i){name}"):
        Settings.from_env({f"RAG_{name.upper()}": value})  # the message names the variable or the field


def test_rag_align_none_turns_alignment_off(searcher) -> None:
    settings = Settings.from_env({"RAG_ALIGN": "none"})
    assert settings.align is None
    off = Searcher(searcher.index, searcher.embedders, searcher.analyzer, settings)
    assert aligned_with(off) is None and "encode:use" not in off.search(LAVROV_EN, mode="bm25").timings


def test_a_large_vocabulary_is_searched_approximately_and_never_proposes_a_dead_term() -> None:
    from rag.stores.align import ANN_TERMS

    rng = np.random.default_rng(0)
    n = ANN_TERMS + 1000
    vectors = rng.standard_normal((n, 32)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    terms = [f"t{i}" for i in range(n)]
    live = np.ones(n, bool)
    live[::2] = False  # every even term is no longer in the vocabulary
    store = TermAligner(terms, vectors, live)
    queries = vectors[[1, 3, 5, 8]]  # three live terms and a dead one
    groups = store.groups(queries, 5, -1.0)
    assert [g[0] for g in groups[:3]] == ["t1", "t3", "t5"]  # a live term's own vector finds it first
    assert all(int(t[1:]) % 2 == 1 for g in groups for t in g) and "t8" not in groups[3]
    # its float16 codes score the terms: once the index exists, the stored vectors are not read again
    store._slots.parts = [Unreadable(vectors.shape)]
    assert store.groups(queries, 5, -1.0) == groups


def test_a_term_index_with_8bit_codes_still_re_scores_and_its_next_build_trains_it_again(
        built_index, embedders, tmp_path: Path, monkeypatch) -> None:
    """A term index stored before float16 codes proposes candidates that are scored from the stored vectors, and
    the next build trains a float16 one instead of extending it (the seeds' vocabulary takes the approximate path
    with the threshold lowered)."""
    import json

    import faiss

    from rag.components import align as align_component
    from rag.indexing.manifest import file_entries, write_manifest
    from rag.stores import align as align_store
    from rag.stores.ann import scores_exact

    settings, _ = built_index
    for module in (align_component, align_store):
        monkeypatch.setattr(module, "ANN_TERMS", 100)
    shutil.copytree(settings.index_dir, tmp_path / "index")
    copy = settings.replace(index_dir=tmp_path / "index")
    build(copy, embedders)  # nothing changed: the alignment now stores its approximate index

    manifest = json.loads((copy.index_dir / "manifest.json").read_text("utf-8"))
    build_dir = copy.index_dir / "builds" / manifest["build"]
    [name] = [f for f in manifest["files"] if f.endswith(".ivf")]
    aligner = load_index(copy.index_dir, copy.embedders).align["use"]
    assert scores_exact(aligner._ann_index)
    vectors = aligner.vectors
    old = faiss.IndexIVFScalarQuantizer(faiss.IndexFlatIP(vectors.shape[1]), vectors.shape[1], 16,
                                        faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT)
    old.train(vectors)
    old.add(vectors)
    (build_dir / name).unlink()
    faiss.write_index(old, str(build_dir / name))
    manifest["files"][name] = file_entries(build_dir)[name]
    for entry in manifest["components"]:  # a build of that time recorded no count: its index covered every term
        if entry["kind"] == "align":
            del entry["params"]["ann_terms"]
    write_manifest(copy.index_dir, manifest)

    stored = load_index(copy.index_dir, copy.embedders).align["use"]
    assert not scores_exact(stored._ann_index)
    groups = stored.groups(vectors[[4, 7]], 3, -1.0)
    assert [g[0] for g in groups] == [stored.terms[4], stored.terms[7]]
    stored._slots.parts = [Unreadable(vectors.shape)]  # its 8-bit codes only propose: the vectors are read
    with pytest.raises(AssertionError, match="read the stored float32 vectors"):
        stored.groups(vectors[[4]], 3, -1.0)

    build(copy, embedders)
    again = load_index(copy.index_dir, copy.embedders).align["use"]._ann_index
    assert scores_exact(again) and again.ntotal == len(vectors)


def test_new_terms_are_scored_exactly_beside_the_shared_term_index_and_merged_without_it_changing(
        built_index, embedders, tmp_path: Path, monkeypatch) -> None:
    """An update that adds a few terms hard-links the term index (389 MB at a million passages) and scores the new
    terms exactly beside it; each is proposed for its own vector (the seeds' vocabulary takes the approximate path
    with the threshold lowered). A later update that merges the term segments keeps that index too."""
    import json

    from rag.components import align as align_component
    from rag.stores import align as align_store

    settings, _ = built_index
    for module in (align_component, align_store):
        monkeypatch.setattr(module, "ANN_TERMS", 100)
    shutil.copytree(settings.seeds_dir, tmp_path / "seeds")
    shutil.copytree(settings.index_dir, tmp_path / "index")
    seeds, index = tmp_path / "seeds", tmp_path / "index"
    copy = settings.replace(seeds_dir=seeds, index_dir=index)
    build(copy, embedders)  # nothing changed: the alignment now stores its approximate index over every term

    def ivf() -> tuple[Path, dict]:
        manifest = json.loads((index / "manifest.json").read_text("utf-8"))
        [name] = [f for f in manifest["files"] if f.endswith(".ivf")]
        [entry] = [c for c in manifest["components"] if c["kind"] == "align"]
        return index / "builds" / manifest["build"] / name, entry["params"]

    def add_probe(name: str, text: str):
        """(term index file, alignment params, aligner) after a build that adds this seed."""
        (seeds / name).write_text(text, encoding="utf-8")
        build(copy, embedders)
        return *ivf(), load_index(index, copy.embedders).align["use"]

    first, params = ivf()
    covered, inode = params["ann_terms"], first.stat().st_ino
    shared, params, aligner = add_probe("952_align_probe.txt",
        "釧路の漁協、サンマ漁の新しい冷凍設備を公開 ― 2025年04月02日 09:15\n\n"
        "釧路の漁業協同組合は、サンマ漁船が水揚げした魚を急速に凍らせる冷凍設備を報道陣に公開した。"
        "組合長は、鮮度を保ったまま台湾やシンガポールへ輸出できるようになると話した。\n")
    assert shared.stat().st_ino == inode and params["ann_terms"] == covered
    added = len(aligner.terms) - covered
    assert aligner._ann_index.ntotal == covered and added > 0
    new = np.arange(covered, len(aligner.terms))
    groups = aligner.groups(aligner.slot_vectors(new), 1, -1.0)
    assert [g[0] for g in groups] == aligner.terms[covered:]
    # one more update past MAX_SEGMENTS (two here) merges the term segments after the first into its fresh one:
    # the first segment and the term index stay shared, and each merged term is still proposed for its own vector
    from rag.stores import segments

    monkeypatch.setattr(segments, "MAX_SEGMENTS", 2)
    base_terms = aligner.terms[:covered]
    merged, params, aligner = add_probe("953_align_probe.txt",
        "函館の造船所、砕氷船の進水式を挙行 ― 2025年04月03日 11:30\n\n"
        "函館の造船所で、南極観測を支える砕氷船の進水式が行われ、船体が初めてドックの海面に浮かんだ。"
        "造船所の技師長は、厚い氷を割って進むための船首の形を三年かけて設計したと振り返った。\n")
    assert merged.stat().st_ino == inode and params["ann_terms"] == covered and len(params["segments"]) == 2
    tail = aligner.terms[covered:]
    assert aligner.terms[:covered] == base_terms and tail == sorted(tail) and len(tail) > added
    groups = aligner.groups(aligner.slot_vectors(np.arange(covered, len(aligner.terms))), 1, -1.0)
    assert [g[0] for g in groups] == tail



def test_a_mid_size_vocabulary_scores_8_bit_codes_first_and_proposes_the_same_terms(searcher, monkeypatch) -> None:
    """From CODED_TERMS terms up to ANN_TERMS, the exact search scores 8-bit codes of every term first and only the
    terms the codes cannot rule out exactly (rag/stores/align.py `coded`). On the real USE term vectors, each with
    four near copies (scores close together), forty exact duplicates under other names (ties across the k-th place,
    broken alphabetically) and dead terms, every group is the one the float32 product with every term gives."""
    import rag.stores.align as align

    real = searcher.index.align["use"]
    rng = np.random.default_rng(5)
    copies = [real.vectors] + [real.vectors + 0.05 * rng.standard_normal(real.vectors.shape).astype(np.float32)
                               for _ in range(4)]
    vectors = np.concatenate(copies + [np.repeat(real.vectors[:1], 40, axis=0)])
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    terms = [f"{t}~{c}" for c in range(5) for t in real.terms] + [f"dup{i:02d}" for i in range(40)]
    live = rng.random(len(terms)) > 0.1
    assert align.CODED_TERMS <= len(terms) < align.ANN_TERMS
    words = searcher.embedders["use"].encode_queries(
        ["Lavrov", "alliance", "China", "oil", "sanctions", "election", "earthquake", "yen", "minister", "the"])
    words = np.concatenate([words, vectors[[0, 3, 7, len(real.terms) + 11]]])  # a term itself: it and its copies tie
    coded = TermAligner(terms, vectors, live)
    plain = TermAligner(terms, vectors, live)
    assert coded.coded() is not None
    for k, floor in ((1, -1.0), (5, 0.4), (20, -1.0), (50, 0.6)):
        got = coded.groups(words, k, floor)
        with monkeypatch.context() as m:
            m.setattr(align, "CODED_TERMS", 10**9)
            assert plain.coded() is None
            want = plain.groups(words, k, floor)
        assert got == want
    # the word that is term 0's own vector ties with term 0 and its forty duplicates: the alphabetically first win
    tied = sorted(t for i, t in enumerate(terms) if live[i] and (i == 0 or t.startswith("dup")))
    assert coded.groups(words[10:11], 5, -1.0) == [tied[:5]]


def test_a_searcher_makes_the_alignment_codes_when_created_and_searches_as_without_them(searcher, monkeypatch) -> None:
    import rag.stores.align as align

    real = searcher.index.align["use"]
    before = searcher.search(LAVROV_EN, mode="bm25")
    monkeypatch.setattr(align, "CODED_TERMS", len(real) // 2)  # the test index's vocabulary counts as mid-size
    monkeypatch.setattr(real, "_codes", None)
    coded = Searcher(searcher.index, searcher.embedders, searcher.analyzer, searcher.settings)
    assert real._codes is not None  # made by the searcher's warm-up, not in the first question
    after = coded.search(LAVROV_EN, mode="bm25")
    assert [(h.passage.passage_id, h.score) for h in after.hits] == [(h.passage.passage_id, h.score) for h in before.hits]
