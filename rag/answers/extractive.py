"""Extractive answers: the retrieved sentences closest to the question, each followed by its [n] citation."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ..chunking import sentences
from ..embedders import Embedder
from ..types import Citation, Hit, Span

logger = logging.getLogger(__name__)

MAX_CHARS = 400
# Sentences come from the top passages only: an answer has at most four, and each one costs an encoder pass.
MAX_PASSAGES = 5
MIN_SENTENCES = 2
MAX_SENTENCES = 4
# Small enough that a clearly better sentence from a lower-ranked passage still wins.
RANK_BONUS = 0.05
# Past the first MIN_SENTENCES, a sentence must be nearly as good as the best to be worth the reader's time
# (e5 cosines crowd into 0.6-0.9, so a few hundredths is already a clear drop).
CUTOFF = 0.06
# A piece ending in a comma was cut at a passage boundary; it reads badly as an answer.
CUT_PENALTY = 0.03
_SOFT_ENDS = tuple("、，,;；:：")
MIN_CHARS = 8
DUPLICATE_JACCARD = 0.6

NO_PASSAGE = {
    "en": "No relevant passage found in the indexed articles.",
    "ja": "関連する記事の文章が見つかりませんでした。",
}


@dataclass(frozen=True, slots=True)
class Candidate:
    """One sentence of a retrieved passage, scored against the question."""

    rank: int
    position: int
    text: str
    hit: Hit
    score: float = 0.0


def no_passage_message(lang: str) -> str:
    """The answer text used when retrieval returned nothing."""
    return NO_PASSAGE.get(lang, NO_PASSAGE["en"])


def split_sentences(hit: Hit) -> list[Candidate]:
    """The passage's sentences (never cut inside 「…」 or (…)), with their offset inside the passage."""
    text = hit.passage.text
    return [Candidate(hit.rank, s.start, text[s.start : s.end], hit) for s in sentences(text, Span(0, len(text)))]


def score(question: str, candidates: Sequence[Candidate], embedders: Mapping[str, Embedder]) -> list[Candidate]:
    """Mean cosine similarity over the embedders, plus RANK_BONUS / rank, minus CUT_PENALTY for cut pieces."""
    if not candidates:
        return []
    # Consecutive passages share their overlap sentences: encode each distinct sentence once.
    texts = list(dict.fromkeys(c.text for c in candidates))
    sims = np.zeros(len(texts), dtype=np.float64)
    for emb in embedders.values():
        q = emb.encode_queries([question])[0]
        sims += emb.encode_passages(texts) @ q  # vectors are L2-normalised, so the dot product is the cosine
    sims /= max(len(embedders), 1)
    by_text = dict(zip(texts, sims.tolist()))
    return [Candidate(c.rank, c.position, c.text, c.hit,
                      by_text[c.text] + RANK_BONUS / c.rank - (CUT_PENALTY if c.text.endswith(_SOFT_ENDS) else 0.0))
            for c in candidates]


def select(candidates: Sequence[Candidate]) -> list[Candidate]:
    """The best 2–4 distinct sentences within MAX_CHARS, in reading order (passage rank, position)."""
    ranked = sorted(candidates, key=lambda c: (-c.score, c.rank, c.position))
    substantial = [c for c in ranked if len(c.text) >= MIN_CHARS]
    ranked = substantial or ranked  # a passage of nothing but fragments still deserves an answer
    picked: list[Candidate] = []
    total = 0
    for c in ranked:
        if len(picked) >= MAX_SENTENCES:
            break
        if len(picked) >= MIN_SENTENCES and c.score < picked[0].score - CUTOFF:
            break
        if any(near_duplicate(c.text, p.text) for p in picked):
            continue
        if picked and total + len(c.text) > MAX_CHARS:
            continue
        picked.append(c)
        total += len(c.text)
    return sorted(picked, key=lambda c: (c.rank, c.position))


def near_duplicate(a: str, b: str) -> bool:
    """True when one sentence contains the other or their character bigrams mostly overlap."""
    x, y = "".join(a.split()), "".join(b.split())
    if x in y or y in x:
        return True
    ga, gb = _bigrams(x), _bigrams(y)
    return bool(ga and gb) and len(ga & gb) / len(ga | gb) >= DUPLICATE_JACCARD


def _bigrams(s: str) -> set[str]:
    return {s[i : i + 2] for i in range(len(s) - 1)}


def render(picked: Sequence[Candidate]) -> tuple[str, tuple[Citation, ...]]:
    """Join the sentences with an [n] after each; citations are numbered in order of first use."""
    citations: list[Citation] = []
    parts: list[str] = []
    for c in picked:
        if c.hit.citation not in citations:
            citations.append(c.hit.citation)
        parts.append(f"{c.text}[{citations.index(c.hit.citation) + 1}]")
    return " ".join(parts), tuple(citations)


def extractive_answer(question: str, hits: Sequence[Hit], embedders: Mapping[str, Embedder],
                      lang: str = "en") -> tuple[str, tuple[Citation, ...]]:
    """Answer text with [n] markers and the citations they index; a clear message when there are no hits."""
    if not hits:
        return no_passage_message(lang), ()
    t0 = time.perf_counter()
    top = sorted(hits, key=lambda h: h.rank)[:MAX_PASSAGES]
    candidates = [c for h in top for c in split_sentences(h)]
    picked = select(score(question, candidates, embedders))
    text, citations = render(picked)
    logger.info("extractive answer: %d of %d sentences from %d passages in %.1f ms", len(picked), len(candidates),
                len(citations), (time.perf_counter() - t0) * 1000)
    return text, citations
