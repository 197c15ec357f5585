"""The extractive answer's sentences as an index part: every passage's sentences with their vectors, terms and
answer-kind bits, encoded at build time (reused by sentence key) so that an answer costs no encoding per request.
It ranks nothing; `LoadedIndex.sentences` hands it to rag/answers.

An embedder that keeps its token states (e5 on the fused engine: `in_context`) gives each sentence of a passage the
vector it has inside that passage, pooled from the passage's own forward pass; during a build that is the dense
builder's pass, carried here (rag/indexing/carry.py), so the sentences cost no e5 pass of their own. Any other
embedder encodes each distinct sentence alone. docs/answers.md has the comparison."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..embedders import Embedder, reads_in_context, vectors_id
from ..errors import IndexCorruptError
from ..stores.japanese import JapaneseAnalyzer
from ..stores.segments import Layout, carried, link
from ..stores.sentence_segments import SentenceSegments
from ..stores.sentences import ENCODE, FEATURES_ID, FILE, Encode, SentenceStore, features
from ..types import Span
from . import Corpus, Entry, Previous, Progress

logger = logging.getLogger(__name__)


class SentencesBuilder:
    """Splits, encodes and analyses every passage's sentences, reusing the previous build's store by sentence key."""

    kind = "sentences"

    def __init__(self, embedders: Sequence[Embedder], analyzer: JapaneseAnalyzer) -> None:
        # e5 alone picks the evidence best (docs/answers.md); an index without e5 uses its own embedders
        self.embedders = [e for e in embedders if e.name in ENCODE] or list(embedders)
        self.analyzer = analyzer
        self.name = "+".join(e.name for e in self.embedders) + "-sentences"  # "e5-sentences", as the report says

    def build(self, corpus: Corpus, previous: Previous | None, out: Path, progress: Progress) -> tuple[Entry, int]:
        layout = corpus.slots()
        encoders = {e.name: encoder(e) for e in self.embedders}
        features_id = FEATURES_ID + getattr(self.analyzer, "analyzer_id", type(self.analyzer).__name__)
        old = previous.entry(self.name, self.kind) if previous else None
        # segments are carried over whole (hard links) only when the same models and analysis made them; a fresh
        # segment checks each stored sentence's fingerprint itself (SentenceStore.build)
        carry = carried(layout, old.params if old else None) and _made_alike(previous, old, encoders, features_id)
        before = None
        files, fresh = [], dict.fromkeys(encoders, 0)
        for seg in layout.segments:
            rel = seg.path(FILE)
            files.append(rel)
            if carry and seg.name != layout.fresh:
                link(previous.build_dir, out, rel)
                continue
            if before is None and old is not None:
                try:
                    before = _reusable(old, previous, layout, carry)
                except IndexCorruptError as exc:
                    logger.warning("cannot reuse the previous sentence store: %s", exc)
            rows = layout.segment_rows(seg)
            store, counts = SentenceStore.build(corpus.slot_passages(rows), encoders,
                                                lambda t: features(self.analyzer, t), features_id, before or (),
                                                any(reads_in_context(e) for e in self.embedders),
                                                corpus.slot_texts(rows) if corpus.passages is not None else None)
            (out / rel).parent.mkdir(parents=True, exist_ok=True)
            store.save(out / rel)
            for spec, n in counts.items():
                fresh[spec] += n
        params = {"encoders": sorted(fresh), "vectors": {name: fp for name, (fp, _) in encoders.items()},
                  "features": features_id, "segments": layout.segments_json()}
        return Entry(self.name, self.kind, tuple(files), params), sum(fresh.values())


def encoder(e: Embedder) -> tuple[str, Encode]:
    """(vectors id, encode) of an embedder's sentences: read in their passage where the embedder can, else alone.
    The id of sentences read in their passage names the pooling too (E5Embedder.in_context_id)."""
    if reads_in_context(e):
        return f"{vectors_id(e)}+{e.in_context_id}", lambda items: in_context(e, items)
    return vectors_id(e), lambda items: e.encode_passages([text[s.start : s.end] for text, s in items])


def in_context(e: Embedder, items: Sequence[tuple[str, Span]]) -> np.ndarray:
    """Each (passage text, span)'s vector read in its passage, one forward pass per distinct passage."""
    if not items:
        return np.zeros((0, e.dim), np.float32)
    order: dict[str, list[tuple[int, int]]] = {}
    for text, s in items:
        order.setdefault(text, []).append((s.start, s.end))
    texts = list(order)
    pooled = e.sentence_vectors(texts, [order[t] for t in texts])
    got = {(t, ab): v for t, vs in zip(texts, pooled) for ab, v in zip(order[t], vs)}
    return np.vstack([got[(text, (s.start, s.end))] for text, s in items])


def _made_alike(previous: Previous, old: Entry, encoders: dict[str, tuple[str, object]], features_id: str) -> bool:
    """Whether the previous build's sentences were encoded alike (the vectors ids its entry records; before that, its
    manifest's) and analysed alike (recorded since the entry says so; before that, by the same analyzer)."""
    built = old.params.get("vectors") or {e["spec"]: e.get("vectors", e["fingerprint"])
                                          for e in previous.manifest.get("embedders", ())}
    analysed = old.params.get("features", FEATURES_ID + str(previous.manifest.get("chunker", {}).get("analyzer")))
    same_models = all(built.get(name) == fingerprint for name, (fingerprint, _) in encoders.items())
    return same_models and analysed == features_id


def _reusable(old: Entry, previous: Previous, layout: Layout, carry: bool) -> list[SentenceStore] | None:
    """The previous sentences a fresh segment may share (consecutive passages overlap by sentences): every segment
    when nothing is carried; else the segments this build merges and those whose passages it drops (an edited
    document's old passages), so adding a document reads none of the stored sentences."""
    stored = load_sentences(old, previous.build_dir) if not carry else None
    if stored is not None:
        return stored.as_previous()
    before = previous.layout
    gone = layout.not_kept(before)
    names = {seg.name for seg in before.segments if seg.end > layout.stable or gone[seg.start : seg.end].any()}
    if not names:
        return None
    return [SentenceStore.load(previous.build_dir / seg.path(FILE)) for seg in before.segments if seg.name in names]


def load_sentences(entry: Entry, build_dir: Path) -> SentenceSegments:
    """A sentence component's segments over its build's layout."""
    layout = Layout.load(build_dir, entry.params.get("segments", ()))
    return SentenceSegments([SentenceStore.load(build_dir / f) for f in entry.files], layout)
