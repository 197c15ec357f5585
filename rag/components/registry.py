"""The registry: which builders a build runs, how each kind's files load, and how loaded data becomes a component
under the current settings. A new signal is one module plus an entry in each table here."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ..embedders import Embedder, sparse_capable
from ..errors import IndexCorruptError
from ..settings import Settings
from ..stores.bm25 import BM25Store
from ..stores.bridge import BRIDGE_ID, Bridge
from ..stores.english import as_typed
from ..stores.japanese import ANALYZER_ID, JapaneseAnalyzer
from ..stores.sentences import ENCODE as SENTENCE_ENCODERS
from . import Builder, Component, Entry
from .align import AlignBuilder, AlignExpander, load_align
from .dense import DenseBuilder, DenseComponent, load_dense
from .lexical import BRIDGE_FILE, BM25Builder, BM25Component, BridgeExpander, load_bm25_store
from .sentences import SentencesBuilder, load_sentences
from .sparse import SparseBuilder, SparseComponent, check_recipe, load_sparse

logger = logging.getLogger(__name__)


def builders(settings: Settings, embedders: Mapping[str, Embedder], analyzer: JapaneseAnalyzer,
             cache_dir: Path, passages: Mapping[str, Embedder] | None = None) -> list[Builder]:
    """Every builder the settings ask for, in build (and fusion) order: dense per embedder, BM25, sparse heads, the
    term alignment (which embeds the vocabulary BM25 just produced), the answers' sentences. `passages`: the embedder a
    name's dense, sparse and sentence builders share instead, where its passage pass makes all three
    (rag/indexing/carry.py)."""
    shared = {name: (passages or {}).get(name, e) for name, e in embedders.items()}
    out: list[Builder] = [DenseBuilder(e, settings.faiss_kind, settings.ann_threshold) for e in shared.values()]
    bm25 = BM25Builder(analyzer, cache_dir, {"analyzer": ANALYZER_ID, "bridge": BRIDGE_ID})
    out.append(bm25)
    out += [SparseBuilder(e) for e in shared.values() if settings.sparse and sparse_capable(e)]
    if settings.align in embedders:
        out.append(AlignBuilder(embedders[settings.align], bm25))
    elif settings.align:
        logger.info("align=%r is not among the embedders: no term alignment in this index", settings.align)
    if any(name in SENTENCE_ENCODERS for name in embedders):
        # what extractive answers read; an index without e5 answers by encoding the sentences live
        out.append(SentencesBuilder(list(shared.values()), analyzer))
    return out


def _load_bm25(entry: Entry, build_dir: Path) -> tuple[BM25Store, Bridge]:
    return load_bm25_store(entry, build_dir), Bridge.load(build_dir / BRIDGE_FILE)


LOADERS: dict[str, Callable[[Entry, Path], Any]] = {
    "dense": load_dense,
    "sparse": load_sparse,
    "bm25": _load_bm25,
    "align": load_align,
    "sentences": load_sentences,
}


# kind → how many passage rows its loaded data holds, which must be the index's passage count (a kind not here holds
# something else: the alignment, terms)
PASSAGE_ROWS: dict[str, Callable[[Any], int]] = {
    "dense": len, "sparse": len, "bm25": lambda data: data[0].layout.rows, "sentences": len,
}


def load_part(entry: Entry, build_dir: Path) -> Any:
    """A component's stored data, by its kind."""
    loader = LOADERS.get(entry.kind)
    if loader is None:
        raise IndexCorruptError(f"component {entry.name!r} has an unknown kind {entry.kind!r}")
    try:
        return loader(entry, build_dir)
    except (OSError, ValueError, KeyError, TypeError, RuntimeError) as exc:
        # RuntimeError: FAISS's reader, for a file that passes its checksum but FAISS cannot read (one written by
        # another FAISS release); it reached the CLI as a traceback and a reload as a 500
        raise IndexCorruptError(f"{entry.name} cannot be read ({exc.__class__.__name__}: {exc})") from None


def _reader(parts: Parts, settings: Settings) -> Callable[[str], str]:
    """How the encoders read a question: one typed all in capitals or in title case in the case people type
    (`Bridge.cased`; without a bridge, in lower case), and with the acronyms the index's passages define written out
    (RAG_GLOSS_ACRONYMS), from the BM25 part's bridge."""
    bridge = next((data[1] for entry, data in parts.values() if entry.kind == "bm25"), None)
    if bridge is None:
        return as_typed
    if not settings.gloss_acronyms or not bridge.defined_names:
        return bridge.cased
    gloss, cased = bridge.gloss, bridge.cased
    return lambda text: gloss(cased(text))


def _dense(name: str, entry: Entry, data: Any, parts: Parts, settings: Settings, analyzer: JapaneseAnalyzer) -> Component:
    return DenseComponent(name, data, settings.dense_weight(name), _reader(parts, settings))


def _sparse(name: str, entry: Entry, data: Any, parts: Parts, settings: Settings,
            analyzer: JapaneseAnalyzer) -> Component | None:
    if not settings.sparse:
        return None
    check_recipe(entry)
    return SparseComponent(entry.params["embedder"], data, settings.sparse_weight, _reader(parts, settings))


def _bm25(name: str, entry: Entry, data: Any, parts: Parts, settings: Settings, analyzer: JapaneseAnalyzer) -> Component:
    store, bridge = data
    expanders: list[Any] = ([BridgeExpander(bridge, analyzer.entries)] if settings.bridge
                            and (len(bridge) or bridge.defined) else [])
    aligned = parts.get(f"{settings.align}-align") if settings.align else None
    if aligned is not None:
        expanders.append(AlignExpander(settings.align, aligned[1], settings.align_terms, settings.align_min_similarity,
                                       settings.max_expanded_words))
    return BM25Component(store, analyzer, expanders, {"en": settings.bm25_weight_en, "ja": settings.bm25_weight_ja},
                         settings.max_expanded_words)


Parts = Mapping[str, tuple[Entry, Any]]
# kind → the component a loaded part becomes under the settings (None: not a ranking signal, or switched off);
# the alignment has no ranking of its own, it is one of BM25's expanders
COMPONENTS: dict[str, Callable[..., Component | None]] = {
    "dense": _dense, "sparse": _sparse, "bm25": _bm25, "align": lambda *_: None, "sentences": lambda *_: None,
}


def assemble(parts: Parts, settings: Settings, analyzer: JapaneseAnalyzer) -> list[Component]:
    """The ranking components of a loaded index under `settings` (sparse heads and expanders can be switched off at
    query time), in the index's order."""
    made = (COMPONENTS[entry.kind](name, entry, data, parts, settings, analyzer) for name, (entry, data) in parts.items())
    return [c for c in made if c is not None]


def term_grouper(components: list[Component]) -> BM25Component | None:
    """The component that reads a question as BM25 term groups (the reranker and the answers score sentences with
    them), if the index has one."""
    return next((c for c in components if isinstance(c, BM25Component)), None)


def missing_signals(parts: Parts, settings: Settings, embedders: Mapping[str, Embedder]) -> list[str]:
    """What the settings ask for that this index was built without: searches still work without an optional signal,
    but hybrid quality drops, so a searcher says so rather than degrade in silence."""
    kinds = {(entry.kind, entry.params.get("embedder", name)) for name, (entry, _) in parts.items()}
    out = [f"no sparse vectors for {name} although sparse search is on; hybrid runs without them"
           for name, e in embedders.items() if settings.sparse and sparse_capable(e) and ("sparse", name) not in kinds]
    if settings.align in embedders and ("align", settings.align) not in kinds:
        out.append(f"no term alignment for {settings.align} although align is on; English questions reach BM25 "
                   "through the dictionary only")
    return out
