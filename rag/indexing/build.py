"""Atomic, incremental index builds in four steps: plan → embed → write → switch.

Plan reads the seeds, chunks them and finds the live build to reuse from. Each component's builder then embeds what
the previous build lacks (by key) and writes its own files into a temporary build directory. Write adds the records
and the manifest; switch renames the directory into place and replaces manifest.json atomically, so nothing
half-written is ever live and a killed build leaves the old index serving. The folder's lock, the checks before a
build and the switch are in folder.py; the live build a build starts from, in previous.py.
"""

from __future__ import annotations

import collections
import logging
import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from .. import __version__
from ..chunking import CHUNKING_ID, ChunkParams
from ..components import Corpus as ComponentCorpus
from ..components import Previous
from ..components.registry import builders
from ..corpus import Corpus
from ..embedders import Embedder, one_pass, slug, vectors_id
from ..embedders.engines import bulk_work
from ..errors import BuildBusyError, CorpusError, IndexFolderError
from ..settings import Settings
from ..stores.bridge import BRIDGE_ID
from ..stores.japanese import ANALYZER_ID, default_analyzer
from ..stores.segments import LAYOUT_FILE, plan_layout
from ..types import Document
from . import records
from .carry import PassageCarry, carries_sentences
from .columns import PASSAGE_COLUMNS, PassageColumns
from .folder import check_is_index_folder, check_writable, collect_garbage, exclusive, switch
from .linekeys import LINE_KEYS
from .manifest import BUILDS, FORMAT, FORMAT_VERSION, MANIFEST, file_entries
from .previous import Live, check_live_manifest, previous_build, read_live
from .reuse import Planned, embed_text, plan_corpus

logger = logging.getLogger(__name__)
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True, slots=True)
class BuildReport:
    """What a build did; `as_json()` is the `rag index build --json` object."""

    added: int
    changed: int
    removed: int
    unchanged: int
    passages: int
    seconds: float
    index_version: str
    embedded: dict[str, int] = field(default_factory=dict)
    embed_seconds: dict[str, float] = field(default_factory=dict)
    documents: int = 0
    articles: int = 0
    warnings: tuple[str, ...] = ()
    store: dict[str, Any] | None = None  # what publishing to a store other than local files did
    up_to_date: bool = False  # the build held what the live version does: that version stays, no new one was made

    def as_json(self) -> dict[str, Any]:
        return {"added": self.added, "changed": self.changed, "removed": self.removed, "unchanged": self.unchanged,
                "passages": self.passages, "seconds": round(self.seconds, 3), "index_version": self.index_version,
                "documents": self.documents, "articles": self.articles, "embedded": self.embedded,
                "embed_seconds": {k: round(v, 3) for k, v in self.embed_seconds.items()},
                "warnings": list(self.warnings), "up_to_date": self.up_to_date} \
            | ({"store": self.store} if self.store else {})


@dataclass(frozen=True, slots=True)
class Plan:
    """What a build will index and what it can reuse."""

    corpus: Corpus
    columns: PassageColumns
    keys: Sequence[str]
    texts: Sequence[str]
    previous: Previous | None
    live_build: str | None
    counts: dict[str, int]
    chunker: dict[str, Any]
    planned: Planned | None = None


class EmbedTexts(Sequence[str]):
    """What the embedders see for each row, made when a component asks (only new passages are ever embedded)."""

    def __init__(self, columns: PassageColumns, documents: Sequence[Document], with_title: bool) -> None:
        self.columns, self.documents, self.with_title = columns, documents, with_title

    def __len__(self) -> int:
        return len(self.columns)

    def __getitem__(self, row):  # type: ignore[override]
        if isinstance(row, slice):
            return [self[i] for i in range(*row.indices(len(self)))]
        c = self.columns
        doc = self.documents[int(c.doc[row])]
        text = doc.raw[int(c.start[row]) : int(c.end[row])]
        return embed_text(doc.articles[int(c.article[row])].title, text, self.with_title)


@dataclass(frozen=True, slots=True)
class Destination:
    """What a build asks the store it is published to (rag/indexing/backend.py), each only when it needs to:
    - `keeps_unchanged(live manifest)`, when the build holds exactly what the live local build does: whether the
      store serves that build as it is (Qdrant: not after a rollback to another version, a publish that did not
      finish, over a damaged version, or with another layout asked for); if not, the build is a version of its own;
    - `served()`, when there is no local manifest to measure removals against: the manifest the store serves now
      (Qdrant: a new builder, or one whose index folder was lost, published any seeds folder over the live version)."""

    keeps_unchanged: Callable[[dict[str, Any]], bool] = lambda _: True
    served: Callable[[], dict[str, Any] | None] = lambda: None


LOCAL = Destination()  # the local store serves the live local build, whatever it is


def build_index(settings: Settings, embedders: Sequence[Embedder], *, full: bool = False,
                progress: Progress | None = None, destination: Destination = LOCAL) -> BuildReport:
    """Build (or incrementally update) the index at settings.index_dir from settings.seeds_dir. A build that holds
    exactly what the live version does keeps that version (see Destination)."""
    t0 = time.perf_counter()
    index_dir = Path(settings.index_dir)
    if not Path(settings.seeds_dir).is_dir():  # before the index folder is made: a typo left an empty one behind
        raise CorpusError(f"seeds directory {str(settings.seeds_dir)!r} does not exist or is not a directory")
    made = _missing_folders(index_dir)
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # a file in the way, no permission…
        raise IndexFolderError(f"cannot use {str(index_dir)!r} as the index directory: {exc.strerror or exc}") \
            from None
    try:
        return _build(settings, embedders, index_dir, t0, full, progress, destination)
    except BuildBusyError:  # another build holds the folder: it is that build's
        raise
    except BaseException:
        if made and not (index_dir / MANIFEST).exists():
            _unmake(index_dir, made)
        raise


def _missing_folders(index_dir: Path) -> list[Path]:
    """The folders `mkdir(parents=True)` would make for `index_dir`, deepest first."""
    out = []
    for p in (index_dir, *index_dir.parents):
        if p.exists() or p.is_symlink():
            break
        out.append(p)
    return out


def _unmake(index_dir: Path, made: list[Path]) -> None:
    """After a refused or failed first build into folders it made (a typo in --index, seeds with nothing to index):
    its own entries (the lock file, scratch builds, the tables' cache) removed, then each folder it made, deepest
    first, if that left it empty; a folder anything else wrote into since stays, with what is in it."""
    for name in (".build.lock", ".cache", BUILDS):
        path = index_dir / name
        if path.is_dir() and not path.is_symlink():
            if name == BUILDS and any(not p.name.startswith(".tmp-") for p in path.iterdir()):
                continue  # a published build's folder: not this failed build's scratch
            shutil.rmtree(path, ignore_errors=True)
        elif path.exists() or path.is_symlink():
            path.unlink(missing_ok=True)
    for folder in made:
        try:
            folder.rmdir()
        except OSError:  # not empty (another writer), or gone: left as it is
            return


def _build(settings: Settings, embedders: Sequence[Embedder], index_dir: Path, t0: float, full: bool,
           progress: Progress | None, destination: Destination) -> BuildReport:
    with exclusive(index_dir), bulk_work():  # a build's encodings go after any question's (rag/embedders/engines.py)
        check_writable(index_dir)  # before the minutes of embedding, not at the manifest after them
        check_is_index_folder(index_dir)
        live = read_live(index_dir)  # read once, under the lock: every check below and the reuse ask this one
        check_live_manifest(index_dir, live, [e.name for e in embedders], full)
        plan = _plan(settings, index_dir, live, full)
        if not len(plan.columns):  # an index of nothing cannot be served; the one that is there stays as it was
            raise CorpusError(_nothing_to_index(settings, plan.corpus))
        kept = {d.doc_id for d in plan.corpus.documents}
        _check_unreadable(plan.corpus, live.manifest, kept)
        # measured against the live local build, and against what the store serves (Qdrant's alias may name another
        # version: a builder whose working copy is missing, out of step, or another deployment's)
        _check_removals(settings, live.manifest, kept)
        _check_removals(settings, destination.served(), kept)
        build_id, manifest, embedded, seconds = _embed_and_write(settings, embedders, index_dir, plan,
                                                                 progress or (lambda *_: None))
        # the live version already is this build: kept, so readers, replicas and Qdrant see no change. Only when it
        # was reused whole: a --full build, or one that made a damaged part again, writes a version of its own
        up_to_date = (plan.previous is not None and plan.previous.manifest is live.manifest
                      and same_index(live.manifest, manifest) and destination.keeps_unchanged(live.manifest))
        if up_to_date:
            shutil.rmtree(index_dir / BUILDS / build_id, ignore_errors=True)
            build_id = live.manifest["build"]
            collect_garbage(index_dir / BUILDS, keep=set(), scratch_only=True)  # a killed build's, at scale GBs
        else:
            switch(index_dir, manifest, plan.live_build)
    report = BuildReport(passages=len(plan.columns), seconds=time.perf_counter() - t0, index_version=build_id,
                         embedded=embedded, embed_seconds=seconds, documents=len(plan.corpus.documents),
                         articles=manifest["counts"]["articles"],
                         warnings=(*(f"skipped {w.path}: {w.message}" for w in plan.corpus.warnings),
                                   *_thin_documents(plan), *_undated_documents(plan)), up_to_date=up_to_date,
                         **plan.counts)
    logger.info("index %s %s: %s", build_id, "was up to date: nothing changed" if up_to_date else "built",
                report.as_json())
    return report


def _check_unreadable(corpus: Corpus, live: dict[str, Any] | None, kept: set[str]) -> None:
    """Refuse a build in which a document the live index holds is skipped as unreadable (re-saved in another encoding,
    emptied mid-copy, replaced by a link out of the folder): a build of bad input must not lose what is stored. A new
    file that cannot be read is only skipped; an indexed one is dropped by deleting its file."""
    indexed = (live or {}).get("documents", {})
    lost = [(Path(w.path).stem, w.message) for w in corpus.warnings
            if Path(w.path).stem in indexed and Path(w.path).stem not in kept]
    if lost:
        listed = "; ".join(f"{doc}.txt: {why}" for doc, why in lost[:3]) + (" …" if len(lost) > 3 else "")
        raise CorpusError(f"{len(lost)} indexed document(s) can no longer be read ({listed}); the index keeps them as "
                          "they were. Fix the file(s), or delete them to remove them from the index")


# what differs between two builds of the same seeds under the same settings and code: their id and time, the package
# that wrote them, and the files' modification times
_OF_THE_BUILD = {"build", "created_at", "package_version"}


def same_index(live: dict[str, Any], built: dict[str, Any]) -> bool:
    """Whether a new build holds exactly what the live one does: the same documents, passages, settings, components
    and file contents (builds are deterministic: an unchanged rebuild writes the same bytes)."""
    def content(m: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        files = {path: {k: v for k, v in entry.items() if k != "mtime_ns"} for path, entry in m["files"].items()}
        return {k: v for k, v in m.items() if k not in _OF_THE_BUILD and k != "files"}, files

    return content(live) == content(built)


def _plan(settings: Settings, index_dir: Path, live: Live, full: bool) -> Plan:
    previous = None if full else previous_build(index_dir, live)
    planned = plan_corpus(settings.seeds_dir, ChunkParams(settings.chunk_max_tokens, settings.chunk_overlap),
                          previous.manifest if previous else None, previous.build_dir if previous else None,
                          previous.passages if previous else None, settings.embed_title)
    corpus, columns = planned.corpus, planned.columns
    # a --full build reuses nothing, but its documents are counted against the live index's, as any build's are
    old_docs = (previous.manifest if previous else live.manifest or {}).get("documents", {})
    new_docs = {d.doc_id: d.sha256 for d in corpus.documents}
    counts = {
        "added": sum(1 for d in new_docs if d not in old_docs),
        "removed": sum(1 for d in old_docs if d not in new_docs),
        "changed": sum(1 for d, h in new_docs.items() if d in old_docs and old_docs[d]["sha256"] != h),
    }
    counts["unchanged"] = len(new_docs) - counts["added"] - counts["changed"]
    texts = EmbedTexts(columns, corpus.documents, settings.embed_title)
    return Plan(corpus, columns, columns.key_view(), texts, previous,
                live.manifest["build"] if live.manifest else None, counts, chunker_params(settings), planned)


def _check_removals(settings: Settings, manifest: dict[str, Any] | None, kept: set[str]) -> None:
    """Refuse a build that would remove more than settings.max_removed_share of the live index's documents (a full
    build too: it is measured against the manifest that serves now)."""
    if manifest is None:
        return
    live = manifest["documents"]
    gone = sorted(d for d in live if d not in kept)
    if len(live) < 2 or len(gone) <= settings.max_removed_share * len(live):
        return
    shown = ", ".join(gone[:3]) + (f" and {len(gone) - 3} more" if len(gone) > 3 else "")
    raise CorpusError(f"this build would remove {len(gone)} of the {len(live)} documents the index holds ({shown}), "
                      f"more than RAG_MAX_REMOVED_SHARE={settings.max_removed_share:g} of them; is "
                      f"{str(settings.seeds_dir)!r} the right seeds folder? The index was left as it was. If the "
                      "removal is meant: `rag index build --allow-removals` (or RAG_MAX_REMOVED_SHARE=1)")


THIN_SHARE = 0.5  # a document that loses more than this share of its text to cleaning is named in the warnings
THIN_MIN_CHARS = 2000  # and at least this many characters


_DATE_HINT = ("write one at the end of the title's line, or on a line of its own under it, as 2025年11月17日 06:30; "
              "published_from / published_to never match it")


def _undated_documents(plan: Plan) -> Iterator[str]:
    """A notice for each document none of whose articles has a publication date (its title's line has none the
    cleaning can read, such as 2025年11月17日 06:30): it is indexed and found, but a date filter never matches it,
    and the build said nothing (a probe's finding); and for each undated article of a document whose other articles
    have one, which a date filter misses as well (a reviewer's)."""
    for d in plan.corpus.documents:
        undated = [a for a in d.articles if a.published is None]
        if not undated:
            continue
        if len(undated) == len(d.articles):
            yield f"{d.doc_id}: no publication date found; it is indexed ({_DATE_HINT})"
            continue
        for a in undated:
            yield f"{d.doc_id}: article {a.index + 1} ({a.title[:40]!r}) has no publication date ({_DATE_HINT})"


def _thin_documents(plan: Plan) -> Iterator[str]:
    """Warnings for documents that a build indexed but that hold little or nothing to find: no passage at all (every
    one repeats a passage of another document, which keeps it), or most of their text excluded by cleaning (a body
    on one very long line read as a feed excerpt). Both were silent: the build said "added 1" and a search filtered
    to the document found nothing."""
    counts = collections.Counter(plan.columns.doc_ids[d] for d in plan.columns.doc.tolist())
    for d in plan.corpus.documents:
        if d.articles and not counts[d.doc_id]:
            yield (f"{d.doc_id}: no passages: each one repeats a passage of another document, which holds it (a copy "
                   "of a seed under another name?)")
            continue
        excluded = {reason: n for reason, n in d.excluded_chars().items() if reason != "duplicate"}  # kept once
        lost = sum(excluded.values())
        if lost >= THIN_MIN_CHARS and lost > THIN_SHARE * len(d.raw):
            why = ", ".join(f"{reason} {n:,}" for reason, n in sorted(excluded.items(), key=lambda kv: -kv[1]))
            yield (f"{d.doc_id}: {lost:,} of its {len(d.raw):,} characters were left out of its passages ({why}); "
                   "`rag chunks` shows what was left out and why")


def chunker_params(settings: Settings) -> dict[str, Any]:
    """What a build records as its `chunker`: the settings and code ids that decide its passages and their terms. An
    index recorded under other ones is chunked again by the next build (its vectors reused by text)."""
    return {"max_tokens": settings.chunk_max_tokens, "overlap": settings.chunk_overlap,
            "embed_title": settings.embed_title, "analyzer": ANALYZER_ID, "bridge": BRIDGE_ID, "chunking": CHUNKING_ID}


def _nothing_to_index(settings: Settings, corpus: Corpus) -> str:
    skipped = "; ".join(f"{Path(w.path).name}: {w.message}" for w in corpus.warnings[:3])
    found = (f"none of its {len(corpus.warnings)} seed files has article text ({skipped}"
             f"{'; …' if len(corpus.warnings) > 3 else ''})" if corpus.warnings else "it holds no .txt seed files")
    return (f"nothing to index in {str(settings.seeds_dir)!r}: {found}; the index was left as it was "
            "(add seed files and build again)")


def _embed_and_write(settings: Settings, embedders: Sequence[Embedder], index_dir: Path, plan: Plan,
                     progress: Progress) -> tuple[str, dict[str, Any], dict[str, int], dict[str, float]]:
    builds = index_dir / BUILDS
    builds.mkdir(exist_ok=True)
    created = datetime.now(timezone.utc)
    build_id = created.strftime("%Y%m%dT%H%M%S%fZ") + "-" + uuid.uuid4().hex[:6]
    tmp = builds / f".tmp-{build_id}"
    tmp.mkdir()
    scratch = builds / f".tmp-{build_id}.carry"  # beside the build, never in it (a killed build's is collected later)
    carry: dict[str, PassageCarry] = {}
    try:
        for e in embedders:
            sparse, sentences = settings.sparse and one_pass(e), carries_sentences(e)
            if sparse or sentences:
                carry[e.name] = PassageCarry(e, _mkdir(scratch) / slug(e.name), sparse, sentences)
        before = plan.previous
        layout = plan_layout(before.layout if before else None, before.passages.key if before else [],
                             plan.columns.key, build_id)
        passages = EmbedTexts(plan.columns, plan.corpus.documents, False) if settings.embed_title else None
        sources = plan.columns.source_rows([d.articles for d in plan.corpus.documents])
        corpus = ComponentCorpus(plan.texts, plan.keys, layout, passages, sources)
        by_name = {e.name: e for e in embedders}
        entries, embedded, seconds = [], {}, {}
        for builder in builders(settings, by_name, default_analyzer(), settings.cache_dir or index_dir / ".cache", carry):
            t = time.perf_counter()
            entry, computed = builder.build(corpus, plan.previous, tmp, progress)
            entries.append(entry.as_json())
            if builder.kind != "bm25":  # BM25 is rebuilt, never embedded
                embedded[builder.name], seconds[builder.name] = computed, time.perf_counter() - t
        layout.save(tmp / LAYOUT_FILE)
        plan.columns.save(tmp / PASSAGE_COLUMNS)
        if plan.planned is not None and plan.planned.line_keys is not None:
            plan.planned.line_keys.save(tmp / LINE_KEYS)
        records.write_documents(tmp / records.DOCUMENTS, _document_rows(plan.corpus, settings,
                                                                        plan.planned.reused_rows if plan.planned else {}))
        manifest = {
            "format": FORMAT, "format_version": FORMAT_VERSION, "package_version": __version__,
            "created_at": created.isoformat().replace("+00:00", "Z"), "build": build_id,
            "embedders": [{"spec": e.name, "name": e.name, "dim": e.dim, "fingerprint": e.fingerprint,
                           "vectors": vectors_id(e)} for e in embedders],
            "components": entries, "chunker": plan.chunker, "segments": layout.segments_json(),
            "boilerplate": plan.planned.boilerplate if plan.planned else None,
            "documents": _documents(plan, settings),
            "counts": {"documents": len(plan.corpus.documents),
                       "articles": sum(len(d.articles) for d in plan.corpus.documents), "passages": len(plan.columns)},
            # files shared with the previous build (hard links) keep their checksums: they are never rewritten
            "files": file_entries(tmp, (before.build_dir, before.manifest["files"]) if before else None),
        }
        os.replace(tmp, builds / build_id)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        for c in carry.values():
            c.close()
        shutil.rmtree(scratch, ignore_errors=True)
    return build_id, manifest, embedded, seconds


def _mkdir(path: Path) -> Path:
    path.mkdir(exist_ok=True)
    return path


def _documents(plan: Plan, settings: Settings) -> dict[str, Any]:
    """Per document: its file's sha256 and path, its passages (a count: the ids are `doc_id#start-end` of the rows in
    passages.npz; format 3 listed every id here, ~30 MB of manifest at a million passages) and its chunks before
    repeats were dropped."""
    columns = plan.columns
    counts = np.bincount(columns.doc, minlength=len(columns.doc_ids)).tolist() if len(columns) else []
    held = dict(zip(columns.doc_ids, counts))
    chunks = plan.planned.chunks if plan.planned else {}
    return {d.doc_id: {"sha256": d.sha256, "source_file": _source_file(settings, d.doc_id),
                       "passage_count": held.get(d.doc_id, 0), "chunks": chunks.get(d.doc_id)}
            for d in plan.corpus.documents}


def _source_file(settings: Settings, doc_id: str) -> str:
    return (Path(settings.seeds_dir) / f"{doc_id}.txt").as_posix()


def _document_rows(corpus: Corpus, settings: Settings, reused: dict[str, str]) -> Iterator[str | dict[str, Any]]:
    """Each document's row of documents.jsonl: the previous build's line where the document is unchanged."""
    for d in corpus.documents:
        if d.doc_id in reused:
            yield reused[d.doc_id]
            continue
        yield {"doc_id": d.doc_id, "source_file": _source_file(settings, d.doc_id), "sha256": d.sha256,
               "raw": d.raw, "excluded": d.excluded_chars(),
               "articles": [records.article_to_json(a) for a in d.articles]}
