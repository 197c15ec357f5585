"""JMdict and JMnedict as a table of Japanese term → its English keys, read once per machine.

The dictionary does not depend on any corpus: it is read once per machine (two processes side by side, ~12 s) into an
SQLite table keyed by term, in a cache folder, and each build looks up its vocabulary's terms there. The table also
holds JMdict's English words (its one-word keys), which the bridge never takes for a name. A term's English keys are
packed as "order<RS>key<US>…", each pair's order its place in the dictionary, so that a key's terms keep the
dictionary's own order however the queries were read.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import sqlite3
import subprocess
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from functools import partial
from pathlib import Path

from ..processes import child_env, exit_with_parent, python
from .english import english_words, is_acronym
from .japanese import fold, fold_term
from .sounds import latin_key, spells

logger = logging.getLogger(__name__)

_PAREN = re.compile(r"\s*[(\[].*?[)\]]\s*")
_PLAIN_WORD = re.compile(r"[a-z]{2,}")  # a dictionary key that a question word may be (no acronym, no phrase)
# the table's own format (its keys): a new one is read from JMdict once per machine. It is not in BRIDGE_ID, which
# BM25's counts carry, because the counts do not depend on it; every build writes its bridge afresh.
# a loanword's long gloss that gives examples is kept, and a word's long glosses when it has no short one
_TABLE_ID = "acronym-keys/words/loanword-examples/only-long-kanji"
_LONG_GLOSS_WORDS = 3  # the most words a long gloss's key keeps a word by (after its note): "flying fish", not an
# explanation ("assembly at the end of the day")


def db_path() -> Path | None:
    """The JMdict and JMnedict database of the jamdict-data package; None when it is not installed."""
    try:
        import jamdict_data
    except ImportError:
        return None
    path = Path(os.path.dirname(jamdict_data.__file__)) / "jamdict.db"
    return path if path.is_file() else None


def _key(gloss: str) -> str:
    bare = _PAREN.sub(" ", gloss).strip()
    if is_acronym(bare):
        return bare  # an acronym keeps its case: "US" and "us" are two keys
    g = " ".join(english_words(bare))
    return g[3:] if g.startswith("to ") else g


_QUERIES = (
    "select g.text, k.text from SenseGloss g join Sense s on g.sid = s.ID join Kanji k on k.idseq = s.idseq where g.lang = 'eng'",
    "select g.text, k.text from SenseGloss g join Sense s on g.sid = s.ID join Kana k on k.idseq = s.idseq where g.lang = 'eng'",
    "select g.text, k.text from NETransGloss g join NETranslation n on g.tid = n.ID join NEKana k on k.idseq = n.idseq",
    "select g.text, k.text from NETransGloss g join NETranslation n on g.tid = n.ID join NEKanji k on k.idseq = n.idseq",
)
_MEMO: dict[str, _InMemory] = {}
_WORDS: dict[tuple[str, int, int, int], frozenset[str]] = {}  # read_words' last table, by its path and stat
Words = Callable[[], frozenset[str]]  # the dictionary's English words (JMdict's one-word keys), read when asked
_SEP, _PAIR = "\x1f", "\x1e"
_LOOKUP = 500  # terms per SELECT (SQLite allows 32,766 parameters; small batches keep each statement cheap)
# A pair's order is its query's number × _PART plus its place among that query's rows (each query has ~0.4–0.8 M), so
# the queries can be read apart, in any order, and still rank a key's terms in the dictionary's own order.
_PART = 10**8
NAMES_FROM = 2 * _PART  # the first order of JMnedict's pairs (its queries are the third and fourth)


_EXAMPLES = re.compile(r"\((?:i\.e\.|e\.g\.)")  # a gloss's note that gives examples of its sense


def loanword(term: str, key: str) -> bool:
    """Whether `term` is the katakana loanword of the one-word `key` (group → グループ, chance → チャンス): the bridge
    keeps it past the cap, which takes a key's terms in the dictionary's order, where a common word's six kanji senses
    (群, 軍, 一団…) come first, and the table keeps its gloss past 40 characters when its note gives examples. A key of
    fewer than three consonant classes is shared by too many words (do → ド, time → タイム)."""
    return not term.isascii() and key.isalpha() and len(latin_key(key)) >= 3 and spells(term, key)


def _read_query(db: Path, i: int) -> dict[str, str]:
    """{japanese term: packed "order<RS>key<US>…"} from the i-th of the dictionary's queries."""
    terms: dict[str, list[tuple[int, str]]] = defaultdict(list)
    con = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)
    keys: dict[str, str] = {}  # the rows hold far fewer distinct glosses and forms: fold each once
    folded: dict[str, str] = {}
    short: set[str] = set()  # the keys of the glosses kept by their length: the dictionary's words
    noted: list[tuple[int, str, str]] = []  # (order, key, form) of a loanword's long gloss that gives examples
    only_long: dict[str, list[tuple[int, str]]] = defaultdict(list)  # a word's long glosses, by its form
    try:
        order = i * _PART
        for gloss, form in con.execute(_QUERIES[i]):
            order += 1
            if len(gloss) <= 40:
                key = keys.get(gloss)
                if key is None:
                    key = keys[gloss] = _key(gloss)
                short.add(key)
                term = folded.get(form)
                if term is None:
                    term = folded[form] = fold_term(fold(form))
                terms[term].append((order, key))
            elif order < NAMES_FROM:
                key = _key(gloss)
                if _EXAMPLES.search(gloss) and gloss[:1].islower() and len(key) <= 40 and loanword(form, key):
                    noted.append((order, key, form))
                elif i == 0 and gloss[:1].islower() and len(key) <= 40 and key.count(" ") < _LONG_GLOSS_WORDS:
                    only_long[form].append((order, key))
    finally:
        con.close()
    # a gloss over 40 characters explains rather than translates, and is left out, but for a loanword's whose note
    # gives examples of its sense, under a key the dictionary has anyway: インタビュー's "interview (i.e. television,
    # newspaper, etc.)". Not every long gloss's key (a reviewer's): most are a word's narrow senses, which came first in
    # their keys' groups ("attack (esp. a corner approach in the game of go)": 掛かり before 攻撃; "slam (in
    # professional wrestling…)": スラム), and names that became English words no question then names (shimotsuke,
    # taliban, the old provinces)
    for order, key, form in noted:
        if key in short:
            terms[fold_term(fold(form))].append((order, key))
    # and a word JMdict glosses only at length, by its gloss's words before the note: 鰻 "eel (esp. the Japanese eel,
    # Anguilla japonica)" was no "eel" (a twenty-third probe's: "How much eel…?" reached no passage by its words).
    # Only a form in kanji: the kana form かかり, カカリ is 掛かり's and 係's, whose short glosses the kana query
    # reads apart (a review found カカリ under "attack", and たえ under "cloth").
    # Not a word with a short gloss too, whose narrow senses these are (掛かり's "attack (esp. … in go)"), nor a name's
    # ("Mikawa (former province …)": the English words would hold "mikawa", and a name no word is read by its sound)
    for form, found in only_long.items():
        term = fold_term(fold(form))
        if not terms.get(term):
            terms[term] += found
    return {t: _SEP.join(f"{o}{_PAIR}{k}" for o, k in pairs) for t, pairs in terms.items()}


def _read_dictionary(db: Path) -> dict[str, str]:
    """{japanese term: packed pairs} for all of JMdict/JMnedict, read into this process's memory (~12 s)."""
    t0 = time.perf_counter()
    table: dict[str, str] = {}
    for i in range(len(_QUERIES)):
        for term, packed in _read_query(db, i).items():
            before = table.get(term)
            table[term] = packed if before is None else before + _SEP + packed
    logger.info("bridge: read %d dictionary terms in %.2fs", len(table), time.perf_counter() - t0)
    return table


def _write_queries(db: str, prefix: str, *queries: str) -> None:
    """Each of `queries` (numbers) as a table of its own at `prefix` + its number; a worker process runs this, and
    ends at once when its parent does (its stdin closes)."""
    exit_with_parent(1)
    for i in map(int, queries):
        write_terms(_read_query(Path(db), i), Path(f"{prefix}{i}"), words=False)  # a part: merge_terms adds them


# the queries by process: 751k + 434k rows and 662k + 448k (jamdict-data 1.0), so that the two end together
_BY_PROCESS = ((2, 0), (3, 1))
_STALE_S = 600  # a part or temporary file this old was left by a killed process


def _cpus() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _write_dictionary(db: Path, path: Path) -> None:
    """The whole dictionary as a table at `path`, read and written by two processes side by side (each query a table
    of its own), then merged by SQLite: 11–12 s here against 19–20 s in one process (docs/operations.md, "The
    dictionary's first read"). One process where only one CPU is ours."""
    t0 = time.perf_counter()
    path.parent.mkdir(parents=True, exist_ok=True)
    # a folder this process cannot write in fails here, before ~10 s of reading that could not be kept
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.probe"):
        pass
    for left in path.parent.glob(".jmdict-terms-*"):  # parts and temporary files of processes killed before
        try:
            if time.time() - left.stat().st_mtime > _STALE_S:
                left.unlink()
        except OSError:
            pass
    if _cpus() < 2:
        write_terms(_read_dictionary(db), path)
        return
    prefix = path.with_name(f".{path.name}.{os.getpid()}.part")
    parts = [Path(f"{prefix}{i}") for i in range(len(_QUERIES))]
    code = "import sys; from rag.stores.dictionary import _write_queries; _write_queries(*sys.argv[1:])"
    workers: list[subprocess.Popen[bytes]] = []
    # each worker's stderr goes to a file, read only if it fails: a pipe nobody reads would block a worker that wrote
    # more than the pipe holds
    errors = [tempfile.TemporaryFile() for _ in _BY_PROCESS]
    try:
        for queries, err in zip(_BY_PROCESS, errors):
            # stdin stays open while this process waits: if it dies, the workers see it close and stop
            workers.append(subprocess.Popen(python(code, str(db), str(prefix), *map(str, queries)), env=child_env(),
                                            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=err))
        while (codes := [w.poll() for w in workers]) and None in codes and not any(codes):
            time.sleep(0.05)
        failed = next((i for i, w in enumerate(workers) if w.returncode), None)
        if failed is not None:  # the first to fail; the other is stopped below
            errors[failed].seek(0)
            last = errors[failed].read().decode(errors="replace").strip().splitlines()[-1:] or ["no message"]
            raise OSError(f"a process reading the dictionary exited with {workers[failed].returncode}: "
                          f"{last[0][:500]}")
        rows = merge_terms(parts, path)
    finally:
        for w in workers:  # one failed, or could not start, or an interrupt: the other is not left writing
            if w.poll() is None:
                w.kill()
                w.wait()
            if w.stdin is not None:
                w.stdin.close()
        for err in errors:
            err.close()
        for part in parts:
            part.unlink(missing_ok=True)
    logger.info("bridge: read %d dictionary terms in %.2fs (two processes)", rows, time.perf_counter() - t0)


def write_terms(table: dict[str, str], path: Path, words: bool = True) -> None:
    """The dictionary's terms as an SQLite table keyed by term, and its English words (unless `words` is false),
    written aside and renamed into place (a process that starts meanwhile opens a whole file or none)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    try:
        con = sqlite3.connect(tmp)
        try:
            con.execute("pragma journal_mode = off")
            con.execute("create table terms (term text primary key, packed text not null) without rowid")
            con.executemany("insert into terms values (?, ?)", sorted(table.items()))
            if words:
                _write_words(con, table.values())
            con.execute("create table meta (rows integer not null)")
            con.execute("insert into meta values (?)", (len(table),))
            con.commit()
        finally:
            con.close()
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def merge_terms(parts: list[Path], path: Path) -> int:
    """The tables at `parts` as one table at `path` (a term's packed pairs joined), written aside and renamed into
    place; its number of terms."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    try:
        con = sqlite3.connect(tmp, isolation_level=None)
        try:
            con.execute("pragma journal_mode = off")
            for j, part in enumerate(parts):
                con.execute(f"attach database ? as p{j}", (str(part),))  # a path: no URI support needed
            con.execute("begin")
            con.execute("create table terms (term text primary key, packed text not null) without rowid")
            every = " union all ".join(f"select term, packed from p{j}.terms" for j in range(len(parts)))
            con.execute(f"insert into terms select term, group_concat(packed, char(31)) from ({every}) group by term")
            _write_words(con, (packed for (packed,) in con.execute("select packed from terms").fetchall()))
            (rows,) = con.execute("select count(*) from terms").fetchone()
            con.execute("create table meta (rows integer not null)")
            con.execute("insert into meta values (?)", (rows,))
            con.execute("commit")
        finally:
            con.close()
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return rows


def _english_words(packed_values: Iterable[str]) -> set[str]:
    """JMdict's one-word lower-case English keys (not JMnedict's romanised names): the English words, none a name."""
    return {key for packed in packed_values for order, key in pairs(packed)
            if order < NAMES_FROM and _PLAIN_WORD.fullmatch(key)}


def _write_words(con: sqlite3.Connection, packed_values: Iterable[str]) -> None:
    con.execute("create table words (word text primary key) without rowid")
    con.executemany("insert into words values (?)", ((w,) for w in sorted(_english_words(packed_values))))


def read_words(path: Path) -> frozenset[str]:
    """The dictionary's English words from the table at `path` (~41,000), read once per process while the file is
    unchanged: every build's bridge asks for them (~20 ms a read), and a build's bridge writes them out as one."""
    resolved = Path(path).resolve()
    stat = resolved.stat()
    tag = (str(resolved), stat.st_size, stat.st_mtime_ns, stat.st_ino)
    if (found := _WORDS.get(tag)) is not None:
        return found
    con = sqlite3.connect(f"{resolved.as_uri()}?mode=ro", uri=True)
    try:
        words = frozenset(w for (w,) in con.execute("select word from words"))
    finally:
        con.close()
    _WORDS.clear()  # one table per process at a time: another is another dictionary version or cache folder
    _WORDS[tag] = words
    return words


def read_terms(path: Path, vocab: Iterable[str]) -> dict[str, str]:
    """{term: packed} for the terms of `vocab` that the table at `path` holds; sqlite3.DatabaseError (or OSError)
    if the file is not a whole table."""
    con = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True)  # as_uri: a '?' or '#' in the path
    try:
        (rows,) = con.execute("select rows from meta").fetchone()
        if not rows:
            raise sqlite3.DatabaseError("the table is empty")
        wanted = sorted(set(vocab))
        found: dict[str, str] = {}
        for i in range(0, len(wanted), _LOOKUP):
            part = wanted[i:i + _LOOKUP]
            sql = f"select term, packed from terms where term in ({','.join('?' * len(part))})"
            found.update(con.execute(sql, part).fetchall())
        return found
    finally:
        con.close()


def entries(db: Path, cache_dir: Path | None, vocab: set[str], owner: str) -> tuple[dict[str, str], Words]:
    """{japanese term: packed pairs} for the terms of `vocab` in JMdict/JMnedict, and how to read the dictionary's
    English words (`read_words`). The dictionary does not depend on any corpus: it is read once per machine into an
    SQLite table keyed by term, in `cache_dir` (an index's own .cache/, or RAG_CACHE_DIR), named by `owner` (the
    bridge's format id) and the dictionary file's size and time, and a build looks up its vocabulary's terms there
    (milliseconds for the seeds' ~2,000). The table used to be one 67 MB marshal file that every build loaded whole
    (~1 s) and every process that built kept in memory. Without a cache_dir, the dictionary is read into this
    process's memory, once."""
    tag = _tag(db, owner)
    if cache_dir is None:
        if tag not in _MEMO:
            _MEMO[tag] = _InMemory(_read_dictionary(db))
        return _MEMO[tag].entries(vocab)
    path = _table_path(cache_dir, tag)
    if path.is_file():
        try:
            return read_terms(path, vocab), partial(read_words, path)
        except (sqlite3.Error, OSError, TypeError, ValueError) as exc:
            logger.warning("the bridge's dictionary table %s is unreadable (%s): reading JMdict again", path, exc)
    if tag not in _MEMO:
        try:
            _write_dictionary(db, path)
            found = read_terms(path, vocab)
        except (sqlite3.Error, OSError) as exc:
            logger.warning("cannot write the bridge's dictionary table %s: %s", path, exc)
            _MEMO[tag] = _InMemory(_read_dictionary(db))  # then at least not read again by this process
        else:
            # the tables of other formats or dictionary versions (and the 67 MB marshal file before SQLite): never read
            for stale in cache_dir.glob("jmdict-terms-*"):
                if stale != path and stale.suffix in (".sqlite", ".marshal"):
                    stale.unlink(missing_ok=True)
            return found, partial(read_words, path)
    return _MEMO[tag].entries(vocab)


def _tag(db: Path, owner: str) -> str:
    """What the table's contents depend on: its owner's format, the table's own, and the dictionary file."""
    stat = db.stat()
    return f"{owner}:{_TABLE_ID}:{stat.st_size}:{int(stat.st_mtime)}"


def table_id(db: Path, owner: str) -> str:
    """The table's name in a cache folder, and of what is kept beside it from it (`keep_json`)."""
    return hashlib.sha1(_tag(db, owner).encode()).hexdigest()[:12]


def _table_path(cache_dir: Path, tag: str) -> Path:
    return cache_dir / ("jmdict-terms-" + hashlib.sha1(tag.encode()).hexdigest()[:12] + ".sqlite")


def two_word_senses(db: Path, cache_dir: Path | None, owner: str) -> list[tuple[str, list[str]]]:
    """[(two-word English key, its terms in the dictionary's order)], keys sorted, for JMdict's words (not JMnedict's
    names) of three to ten kanji or katakana glossed so: 記者会見 is "press conference", 原子炉 "nuclear reactor".
    Sudachi cuts many such words into the terms the index holds (記者 + 会見), and the vocabulary then lacks the word
    itself: the bridge keys them by their parts (`build_bridge`). Read from the table `entries` wrote (call it first)
    once per dictionary, and kept beside it as JSON for the next process (the table's read: ~0.8 s); once per process
    and dictionary, whatever the cache folder: every folder's table of one dictionary holds the same."""
    key = _tag(db, owner)
    path = _table_path(cache_dir, key) if cache_dir else None
    kept = cache_dir / f"jmdict-senses-{table_id(db, owner)}.json" if cache_dir else None
    if key not in _SENSES and kept is not None and kept.is_file():
        try:  # kept beside the table by the first process that read them: a process of its own per build read 0.8 s
            _SENSES.clear()
            _SENSES[key] = [(gloss, list(terms)) for gloss, terms in json.loads(kept.read_text(encoding="utf-8"))]
        except (OSError, ValueError, TypeError) as exc:
            _SENSES.clear()
            logger.warning("the dictionary's two-word senses %s are unreadable (%s): reading the table", kept, exc)
    if key not in _SENSES:
        if path is not None and path.is_file():
            con = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True)
            try:
                rows: Iterable[tuple[str, str]] = con.execute(  # a gloss of two words, a word of 3 to 10 characters
                    "select term, packed from terms where length(term) between 3 and 10 and packed like '% %'"
                ).fetchall()
            finally:
                con.close()
        elif key in _MEMO:
            rows = _MEMO[key].table.items()
        else:
            return []
        found: dict[str, list[tuple[int, str]]] = defaultdict(list)
        for term, packed in rows:
            if _COMPOUND.fullmatch(term):
                for order, gloss in pairs(packed):
                    if order < NAMES_FROM and _TWO_WORDS.fullmatch(gloss):
                        found[gloss].append((order, term))
        senses = [(gloss, [term for _, term in sorted(found[gloss])]) for gloss in sorted(found)]
        _SENSES.clear()  # one table per process at a time, as _WORDS
        _SENSES[key] = senses
        if kept is not None and path is not None and path.is_file():
            keep_json(kept, senses, "the dictionary's two-word senses")
        return senses
    return _SENSES[key]


def keep_json(path: Path, value: object, what: str) -> None:
    """`value` as JSON at `path` in a cache folder, written aside and renamed (a reader never sees half of it), and the
    files of its kind another dictionary, format or analyzer left there removed (those named as `path` up to its last
    "-"); a warning, not an error, when the folder cannot be written: the value is made again next time."""
    try:
        tmp = path.with_name(f".{path.name}.{os.getpid()}")
        tmp.write_text(json.dumps(value, ensure_ascii=False, sort_keys=True), encoding="utf-8")
        tmp.replace(path)
        for stale in path.parent.glob(path.name.rsplit("-", 1)[0] + "-*.json"):
            if stale != path:
                stale.unlink(missing_ok=True)
    except OSError as exc:
        logger.warning("cannot keep %s in %s: %s", what, path, exc)


_COMPOUND = re.compile(r"[\u4e00-\u9fff\u30a1-\u30fa\u30fc]{3,10}")
_TWO_WORDS = re.compile(r"[a-z]{2,} [a-z]{2,}")
_SENSES: dict[str, list[tuple[str, list[str]]]] = {}


class _InMemory:
    """The dictionary read into this process's memory (no cache folder, or one that cannot be written)."""

    def __init__(self, table: dict[str, str]) -> None:
        self.table = table
        self._words: frozenset[str] | None = None

    def entries(self, vocab: Iterable[str]) -> tuple[dict[str, str], Words]:
        return {t: self.table[t] for t in vocab if t in self.table}, self.words

    def words(self) -> frozenset[str]:
        if self._words is None:
            self._words = frozenset(_english_words(self.table.values()))
        return self._words


def pairs(packed: str) -> Iterator[tuple[int, str]]:
    """(order, English key) of a term's packed pairs."""
    for pair in packed.split(_SEP) if packed else ():
        order, _, key = pair.partition(_PAIR)
        yield int(order), key
