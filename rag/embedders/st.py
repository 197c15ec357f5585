"""Any sentence-transformers model by hub id or local path, honouring its query/passage prompts."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

from . import normalise

_QUERY_PROMPTS = ("query",)
_PASSAGE_PROMPTS = ("passage", "document", "doc", "corpus")


class SentenceTransformerEmbedder:
    """Batched encoding; uses the model's own prompts, or e5's "query: "/"passage: " for e5 models without them."""

    batch_invariant = False  # torch's padded batches and matrix products

    def __init__(self, model: str, threads: int = 2, batch_size: int = 32) -> None:
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(max(1, threads))
        self._model = SentenceTransformer(model, device="cpu")
        self.name = f"st:{model}"
        dim_of = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        self.dim = int(dim_of())
        self.fingerprint = f"sentence-transformers:{model}"
        self._batch = batch_size
        prompts = dict(getattr(self._model, "prompts", {}) or {})
        self._q_prompt = next((prompts[k] for k in _QUERY_PROMPTS if k in prompts), None)
        self._p_prompt = next((prompts[k] for k in _PASSAGE_PROMPTS if k in prompts), None)
        if self._q_prompt is None and "e5" in model.lower():
            self._q_prompt, self._p_prompt = "query: ", "passage: "
        self._lock = threading.Lock()

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._run(texts, self._q_prompt)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._run(texts, self._p_prompt)

    def _run(self, texts: Sequence[str], prompt: str | None) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        with self._lock:
            out = self._model.encode(
                list(texts), prompt=prompt, batch_size=self._batch, convert_to_numpy=True,
                normalize_embeddings=True, show_progress_bar=False,
            )
        return normalise(out)
