"""The plan step without re-cleaning or re-chunking what did not change.

Cleaning and chunking are pure per document given the corpus-wide boilerplate lines and the chunker's parameters, so
a seed file whose content (sha256), the boilerplate set and the parameters are all unchanged gets exactly its previous
passages and document record back from the previous build; only new and changed files are cleaned and chunked
(tokenizing every passage of a 100k-passage corpus took minutes). The cross-document rule of `chunk_corpus` — a
passage repeating an earlier one is dropped — is applied again over the whole list, and a document that lost passages
to that rule is always re-chunked, so the result equals `load_corpus` + `chunk_corpus` exactly.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..chunking import CHUNKING_ID, ChunkParams, chunk_document
from ..corpus import Corpus, CorpusWarning, build_document, read_seed, seed_paths, shown, unreadable
from ..corpus.cleaning import boilerplate_keys, boilerplate_need, line_keys
from ..corpus.lines import split_lines
from ..errors import CorpusError
from ..types import Document
from . import records
from .columns import PassageColumns, embedding_key, first_occurrences
from .linekeys import LINE_KEYS, LineKeys, digests, shared_digests

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Planned:
    """The corpus and passages (as columns) of a build, what each document chunked into before repeats were dropped,
    the boilerplate fingerprint, and the previous build's document records reused verbatim."""

    corpus: Corpus
    columns: PassageColumns
    chunks: dict[str, int]
    boilerplate: str
    reused_rows: dict[str, str] = field(default_factory=dict)
    line_keys: LineKeys | None = None


def embed_text(title: str, text: str, with_title: bool) -> str:
    """What the embedders see: the passage, optionally behind its article title (the citation stays the passage)."""
    return f"{title}\n{text}" if with_title and title and not text.startswith(title) else text


def plan_corpus(seeds_dir: Path, params: ChunkParams, previous: Mapping[str, Any] | None = None,
                previous_dir: Path | None = None, previous_columns: PassageColumns | None = None,
                embed_title: bool = False) -> Planned:
    """`load_corpus` + `chunk_corpus` as columns, reusing the previous build's unchanged documents' rows."""
    t0 = time.perf_counter()
    seeds_dir = Path(seeds_dir)
    if not seeds_dir.is_dir():
        raise CorpusError(f"seeds directory {str(seeds_dir)!r} does not exist or is not a directory")
    old_docs = previous["documents"] if previous else {}
    paths, warnings = seed_paths(seeds_dir)
    texts: dict[str, tuple[Path, str, str]] = {}
    for path in paths:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise unreadable(path, seeds_dir, exc) from None
        sha = hashlib.sha256(data).hexdigest()
        if old_docs.get(path.stem, {}).get("sha256") == sha:
            texts[path.stem] = (path, data.decode("utf-8"), sha)  # this exact content passed the checks before
            continue
        text, problem = read_seed(path)
        if problem:
            warnings.append(CorpusWarning(shown(path), problem))
            logger.warning("skipping %s: %s", shown(path), problem)
            continue
        texts[path.stem] = (path, text, hashlib.sha256(text.encode("utf-8")).hexdigest())
    split: dict[str, list] = {}

    def lines_of(doc_id: str) -> list:
        if doc_id not in split:
            split[doc_id] = split_lines(texts[doc_id][1])
        return split[doc_id]

    chunked_by = previous.get("chunker", {}) if previous else {}
    # line keys stored by other cleaning code may be keyed otherwise: then the boilerplate is found afresh too
    same_code = chunked_by.get("chunking") == CHUNKING_ID
    boiler, stored_keys = _boilerplate(texts, lines_of, LineKeys.load(previous_dir / LINE_KEYS)
                                       if previous is not None and previous_dir is not None and same_code else None)
    fingerprint = hashlib.sha256(json.dumps(sorted(boiler), ensure_ascii=False).encode()).hexdigest()[:16]
    same_params = (chunked_by.get("max_tokens"), chunked_by.get("overlap")) == (params.max_tokens, params.overlap)
    # the rows' embedding keys are reused too, so the title setting they were made with must be this one
    # the same cleaning and chunking code too: a document is only reused as the code would chunk it now
    same_chunking = (previous is not None and previous.get("boilerplate") == fingerprint and same_params
                     and chunked_by.get("embed_title") == embed_title and same_code and previous_columns is not None)
    ranges = previous_columns.ranges() if same_chunking else {}
    old_rows = _rows(previous_dir) if same_chunking and previous_dir is not None else {}
    documents, parts, chunks, reused_rows = [], [], {}, {}
    for number, (doc_id, (path, text, sha)) in enumerate(texts.items()):
        old = old_docs.get(doc_id, {})
        first, end = ranges.get(doc_id, (0, 0))
        if same_chunking and old.get("sha256") == sha and doc_id in old_rows and old.get("chunks") == end - first:
            row = json.loads(old_rows[doc_id])
            arts = tuple(records.article_from_json(doc_id, a, text) for a in row["articles"])
            doc = Document(doc_id, str(path), text, sha, arts)
            parts.append((previous_columns, first, end, number))  # its rows as they were: nothing made or hashed
            chunks[doc_id] = end - first
            source_file = (seeds_dir / f"{doc_id}.txt").as_posix()
            # a moved seeds directory changes only the path its citations name: the record is kept, that path set
            reused_rows[doc_id] = (old_rows[doc_id] if row.get("source_file") == source_file
                                   else json.dumps({**row, "source_file": source_file}, ensure_ascii=False))
        else:
            doc = build_document(doc_id, str(path), text, boiler, lines_of(doc_id))
            passages = chunk_document(doc, params)
            keys = [embedding_key(embed_text(p.title, p.text, embed_title)) for p in passages]
            rows = {(doc_id, r.start) for a in doc.articles for r in a.source_rows}
            parts.append((PassageColumns.of(passages, keys, [doc_id], rows), 0, len(passages), number))
            chunks[doc_id] = len(passages)
        if not doc.articles:
            msg = "no article text left after cleaning (only page chrome or repeats)"
            warnings.append(CorpusWarning(shown(path), msg))
            logger.warning("%s: %s", shown(path), msg)
        documents.append(doc)
    columns = PassageColumns.concat([d.doc_id for d in documents], parts)
    keep = first_occurrences(columns.repeat)  # a passage repeating an earlier one (in any document) is dropped
    keep = _with_text(columns, keep, columns.source_rows([d.articles for d in documents]))
    if keep.size != len(columns):
        logger.info("dropping %d repeated passages", len(columns) - keep.size)
        columns = columns.take(keep)
    logger.info("planned %d documents (%d reused as they were) into %d passages in %.2fs", len(documents),
                len(reused_rows), len(columns), time.perf_counter() - t0)
    return Planned(Corpus(seeds_dir, tuple(documents), tuple(warnings)), columns, chunks, fingerprint, reused_rows,
                   stored_keys)


def _with_text(columns: PassageColumns, keep: np.ndarray, sources: frozenset[int]) -> np.ndarray:
    """`keep` without the source rows of an article none of whose text is kept: a source row is never a repeat
    (a blog's name heads each of its posts), but a copy of a seed under another name holds only repeats, and its
    rows alone are no article."""
    if not sources:
        return keep
    rows = keep.tolist()
    texts = {(int(columns.doc[r]), int(columns.article[r])) for r in rows if r not in sources}
    return np.array([r for r in rows if r not in sources or (int(columns.doc[r]), int(columns.article[r])) in texts],
                    np.int64)


def _boilerplate(texts: Mapping[str, tuple[Path, str, str]], lines_of: Callable[[str], list],
                 cached: LineKeys | None) -> tuple[set[str], LineKeys]:
    """The corpus's boilerplate lines, from line-key digests where the previous build stored a document's, and the
    line keys to store with this build (rag/indexing/linekeys.py)."""
    per_doc = {}
    for doc_id, (_, _, sha) in texts.items():
        hit = cached.documents.get(doc_id) if cached is not None else None
        per_doc[doc_id] = (sha, hit[1] if hit is not None and hit[0] == sha else digests(line_keys(lines_of(doc_id))))
    shared = shared_digests((d for _, d in per_doc.values()), boilerplate_need(len(texts)))
    if cached is not None and np.array_equal(shared, digests(cached.boilerplate)):
        boiler = set(cached.boilerplate)
    else:  # the set changed (or nothing is stored): found from the lines, as a full build does
        boiler = boilerplate_keys(lines_of(d) for d in texts)
    return boiler, LineKeys(per_doc, tuple(sorted(boiler)))


def _rows(build_dir: Path) -> dict[str, str]:
    """The previous build's document records as JSON lines, by doc_id."""
    out = {}
    try:
        with open(build_dir / records.DOCUMENTS, encoding="utf-8") as fh:
            for line in fh:
                head = json.loads(line[: line.index(', "source_file"')] + "}") if '"doc_id"' in line[:20] else None
                doc_id = head["doc_id"] if head else json.loads(line)["doc_id"]
                out[doc_id] = line.rstrip("\n")
    except (OSError, ValueError, KeyError) as exc:
        logger.warning("previous document records are not reusable: %s", exc)
        return {}
    return out
