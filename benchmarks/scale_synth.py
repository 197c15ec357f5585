"""The synthetic corpus for benchmarks/bench_scale.py: seed files and stand-in embedders with the real corpus's
statistics. Only the embedders are replaced; everything else (cleaning, chunking, BM25, build, search) is the product.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path

import numpy as np

from rag.chunking import ChunkParams, chunk_document
from rag.corpus import build_document
from rag.embedders import normalise
from rag.indexing.load import LoadedIndex
from rag.stores.japanese import default_analyzer

KATAKANA = [chr(c) for c in range(0x30A2, 0x30F3)]
# between two drawn words: written side by side, runs of katakana words read as one unknown word to the analyzer,
# and the index gained a made-up term for nearly every run (3.4M terms at a million passages instead of ~0.4M)
SEPARATOR = "・"


class RealStats:
    """What the synthesiser copies from a real index: vectors, sparse rows, term frequencies, document sizes."""

    def __init__(self, index: LoadedIndex) -> None:
        self.dense = {name: np.asarray(store.vectors) for name, store in index.dense.items()}
        self.spread = {name: v.std(axis=0) for name, v in self.dense.items()}
        self.sparse = {name: [store.row(r) for r in range(len(store))] for name, store in index.sparse.items()}
        self.sparse_dim = {name: store.dim for name, store in index.sparse.items()}
        counts = Counter(t for p in index.passages for t in default_analyzer().terms(p.text))
        self.terms = [t for t, _ in counts.most_common()]
        per_doc = Counter(p.doc_id for p in index.passages)
        self.doc_sizes = np.array(sorted(per_doc.values()))
        self.chars_per_passage = float(np.mean([len(p.text) for p in index.passages]))


def _rng(text: str, salt: str) -> np.random.Generator:
    return np.random.default_rng(int.from_bytes(hashlib.blake2b((salt + text).encode(), digest_size=8).digest(), "little"))


class SynthEmbedder:
    """Stands in for a real embedder: each text gets a vector drawn around one real passage vector (chosen by the
    text's hash) with the real per-dimension spread, and, for e5, a perturbed real sparse row."""

    def __init__(self, name: str, stats: RealStats, noise: float = 0.6) -> None:
        self.name = name
        self.base = stats.dense[name]
        self.spread = stats.spread[name] * noise
        self.dim = self.base.shape[1]
        self.fingerprint = f"synthetic:{name}:{self.dim}"
        self._sparse = stats.sparse.get(name)
        if self._sparse:
            self.sparse_dim = stats.sparse_dim[name]
            feats = np.concatenate([i for i, _ in self._sparse])
            self._feature_freq = np.bincount(feats, minlength=self.sparse_dim) / feats.size

    def _one(self, text: str) -> np.ndarray:
        rng = _rng(text, self.name)
        return self.base[rng.integers(len(self.base))] + self.spread * rng.standard_normal(self.dim)

    def encode_passages(self, texts) -> np.ndarray:
        return normalise(np.stack([self._one(t) for t in texts])) if len(texts) else np.zeros((0, self.dim), np.float32)

    encode_queries = encode_passages

    def encode_sparse(self, texts) -> list[tuple[np.ndarray, np.ndarray]]:
        out = []
        for t in texts:
            rng = _rng(t, self.name + "-sparse")
            idx, val = self._sparse[rng.integers(len(self._sparse))]
            swap = rng.random(idx.size) < 0.2  # a fifth of the features replaced, drawn by the real feature frequency
            idx = idx.copy()
            idx[swap] = rng.choice(self.sparse_dim, int(swap.sum()), p=self._feature_freq)
            idx, first = np.unique(idx, return_index=True)
            out.append((idx.astype(np.int32), (val[first] * rng.lognormal(0, 0.2, idx.size)).astype(np.float32)))
        return out

    encode_sparse_passages = encode_sparse


def write_seeds(out: Path, passages: int, stats: RealStats, seed: int = 0, params: ChunkParams | None = None,
                dated: bool = False) -> int:
    """Seed files holding about `passages` passages: documents sized like the real ones, sentences of terms drawn
    by a Zipf law over the real vocabulary, plus new rare terms as the vocabulary grows (Heaps' law). Each document
    is chunked by the real chunker as it is written, so the count is the asked one to within one document (an
    estimate from the real seeds' characters per passage overshot by a third: synthetic sentences pack differently).
    `dated`: each headline ends with a publication time in the seeds' own form ("… ― 2025年02月28日 19:49"), days
    spread evenly over 2015–2025 (for date filters); the text is otherwise the undated corpus's."""
    params = params or ChunkParams()
    rng = np.random.default_rng(seed)
    days = np.random.default_rng(seed + 10_000)  # its own stream: the words drawn stay those of the undated corpus
    out.mkdir(parents=True, exist_ok=True)
    real = stats.terms
    n_new = int(12 * passages ** 0.75)  # the long tail a bigger archive brings: ~70k new terms at 100k passages
    vocab = real + ["".join(rng.choice(KATAKANA, rng.integers(3, 7))) for _ in range(n_new)]
    ranks = np.arange(1, len(vocab) + 1)
    p = 1.0 / ranks ** 1.07
    p /= p.sum()
    left, doc = passages, 0
    while left > 0:
        size = int(rng.choice(stats.doc_sizes) * stats.chars_per_passage)
        words = rng.choice(len(vocab), size // 4, p=p)  # a word and its separator: ~4 characters
        sentences, line = [], []
        for w in words:
            line.append(vocab[w])
            if len(line) >= rng.integers(8, 20):
                sentences.append(SEPARATOR.join(line) + "。")
                line = []
        body = "\n".join("".join(sentences[i : i + 3]) for i in range(0, len(sentences), 3))
        headline = f"合成記事 {doc} の見出し"
        if dated:
            y, m, d = int(days.integers(2015, 2026)), int(days.integers(1, 13)), int(days.integers(1, 29))
            headline += f" ― {y}年{m:02d}月{d:02d}日 12:00"
        text = f"{headline}\n\n{body}\n"
        path = out / f"s{doc:06d}.txt"
        path.write_text(text, encoding="utf-8")
        left -= len(chunk_document(build_document(path.stem, str(path), text), params))
        doc += 1
    return doc
