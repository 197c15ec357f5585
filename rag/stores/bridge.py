"""A cross-lingual lexical bridge: English question words → Japanese BM25 terms, from JMdict and JMnedict.

Built per index and restricted to the index's own BM25 vocabulary, so it only proposes terms the corpus uses.
Nothing in it is specific to one question or document: it is a dictionary lookup plus light English lemmatising.

A name no dictionary holds (the articles' コリブコ, "Korybko") is reached by its sound: the build keeps the
vocabulary's katakana terms that JMdict and JMnedict lack, by their consonant key (sounds.py), and a question word the
table lacks is spelled against them. Only terms no dictionary knows are offered, because a katakana term the dictionary
knows has its own English key: ウクライナ is "Ukraine", never "Korean", though the two sound alike. And only a word
written as a name that no dictionary holds, in any regular form, is spelled: the bridge keeps JMdict's English words
("western" is not スターマ).
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
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path

from ..processes import child_env, exit_with_parent, python
from .japanese import STOP_WORDS, fold, fold_term
from .sounds import kana_keys, latin_key, latin_keys, same_keys, spells

logger = logging.getLogger(__name__)

BRIDGE_ID = "jmdict+jmnedict/vocab-filtered/v2"
_PAREN = re.compile(r"\s*[(\[].*?[)\]]\s*")
_WORD = re.compile(r"[a-z]+(?:['\-][a-z]+)*")
# a word in capitals: in a question that also has lower-case letters it is an acronym (US, UN, EU), and in JMdict the
# case is what tells the United States (US → 米国) from "us" (私達) and the United Nations (UN → 国連) from "un-" (非, 不)
_CAPS = re.compile(r"(?<![A-Za-z])[A-Z]{2,}(?![A-Za-z])")
_LOWER = re.compile(r"[a-z]")
_CAPITALISED = re.compile(r"(?<![A-Za-z])[A-Z\u00c0-\u00de][a-z\u00df-\u00ff][\w'’\-]*")
_MAX_PER_KEY = 6
# a katakana term a name may be spelled as (コリブコ, アラグチ, ラザルス・グループ), and the fewest consonant classes its key
# and the question word's must have: two classes are the key of too many words (ロシア is "Eilish")
_KATAKANA = re.compile(r"[\u30a1-\u30fa\u30fb\u30fc]+")
_NAME_CLASSES = 3
_PLAIN_WORD = re.compile(r"[a-z]{2,}")  # a dictionary key that a question word may be (no acronym, no phrase)
# the dictionary table's own format (its keys): a new one is read from JMdict once per machine. It is not in
# BRIDGE_ID, which BM25's counts carry, because the counts do not depend on it; every build writes its bridge afresh.
_TABLE_ID = "acronym-keys/words"


def _db_path() -> Path | None:
    try:
        import jamdict_data
    except ImportError:
        return None
    path = Path(os.path.dirname(jamdict_data.__file__)) / "jamdict.db"
    return path if path.is_file() else None


def _key(gloss: str) -> str:
    bare = _PAREN.sub(" ", gloss).strip()
    if _CAPS.fullmatch(bare):
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
Words = Callable[[], set[str]]  # the dictionary's English words (JMdict's one-word keys), read when asked
_SEP, _PAIR = "\x1f", "\x1e"
_LOOKUP = 500  # terms per SELECT (SQLite allows 32,766 parameters; small batches keep each statement cheap)
# A pair's order is its query's number × _PART plus its place among that query's rows (each query has ~0.4–0.8 M), so
# the queries can be read apart, in any order, and still rank a key's terms in the dictionary's own order.
_PART = 10**8
_NAMES_FROM = 2 * _PART  # the first order of JMnedict's pairs (its queries are the third and fourth)


def _read_query(db: Path, i: int) -> dict[str, str]:
    """{japanese term: packed "order<RS>key<US>…"} from the i-th of the dictionary's queries."""
    terms: dict[str, list[tuple[int, str]]] = defaultdict(list)
    con = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)
    keys: dict[str, str] = {}  # the rows hold far fewer distinct glosses and forms: fold each once
    folded: dict[str, str] = {}
    try:
        order = i * _PART
        for gloss, form in con.execute(_QUERIES[i]):
            order += 1
            if len(gloss) <= 40:
                key = keys.get(gloss)
                if key is None:
                    key = keys[gloss] = _key(gloss)
                term = folded.get(form)
                if term is None:
                    term = folded[form] = fold_term(fold(form))
                terms[term].append((order, key))
    finally:
        con.close()
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
    code = "import sys; from rag.stores.bridge import _write_queries; _write_queries(*sys.argv[1:])"
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
    words = set()
    for packed in packed_values:
        for pair in packed.split(_SEP):
            order, _, key = pair.partition(_PAIR)
            if int(order) < _NAMES_FROM and _PLAIN_WORD.fullmatch(key):
                words.add(key)
    return words


def _write_words(con: sqlite3.Connection, packed_values: Iterable[str]) -> None:
    con.execute("create table words (word text primary key) without rowid")
    con.executemany("insert into words values (?)", ((w,) for w in sorted(_english_words(packed_values))))


def read_words(path: Path) -> set[str]:
    """The dictionary's English words from the table at `path` (~41,000)."""
    con = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True)
    try:
        return {w for (w,) in con.execute("select word from words")}
    finally:
        con.close()


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


def _entries(db: Path, cache_dir: Path | None, vocab: set[str]) -> tuple[dict[str, str], Words]:
    """{japanese term: packed pairs} for the terms of `vocab` in JMdict/JMnedict. The dictionary does not depend on
    any corpus: it is read once per machine into an SQLite table keyed by term, in `cache_dir` (an index's own
    .cache/, or RAG_CACHE_DIR), and a build looks up its vocabulary's terms there (milliseconds for the seeds'
    ~2,000). The table used to be one 67 MB marshal file that every build loaded whole (~1 s) and every process that
    built kept in memory. Without a cache_dir, the dictionary is read into this process's memory, once. With the
    entries, how to read the dictionary's English words (`read_words`)."""
    stat = db.stat()
    tag = f"{BRIDGE_ID}:{_TABLE_ID}:{stat.st_size}:{int(stat.st_mtime)}"
    if cache_dir is None:
        if tag not in _MEMO:
            _MEMO[tag] = _InMemory(_read_dictionary(db))
        return _MEMO[tag].entries(vocab)
    path = cache_dir / ("jmdict-terms-" + hashlib.sha1(tag.encode()).hexdigest()[:12] + ".sqlite")
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


class _InMemory:
    """The dictionary read into this process's memory (no cache folder, or one that cannot be written)."""

    def __init__(self, table: dict[str, str]) -> None:
        self.table = table
        self._words: set[str] | None = None

    def entries(self, vocab: Iterable[str]) -> tuple[dict[str, str], Words]:
        return {t: self.table[t] for t in vocab if t in self.table}, self.words

    def words(self) -> set[str]:
        if self._words is None:
            self._words = _english_words(self.table.values())
        return self._words


def build_bridge(vocab: Iterable[str], cache_dir: Path | None = None) -> Bridge:
    """The table {english key: [japanese terms in vocab]} and the vocabulary's katakana terms no dictionary holds;
    empty when the JMdict data package is not installed."""
    db = _db_path()
    if db is None:
        logger.warning("jamdict-data is not installed: English questions get no lexical bridge")
        return Bridge({})
    t0 = time.perf_counter()
    terms = set(vocab)
    entries, dictionary_words = _entries(db, cache_dir, terms)
    ranked: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for term in terms:
        packed = entries.get(term)
        for pair in packed.split(_SEP) if packed else ():
            order, _, key = pair.partition(_PAIR)
            ranked[key].append((int(order), term))
    out: dict[str, list[str]] = {}
    for key, pairs in ranked.items():
        terms_of_key: list[str] = []
        for _, term in sorted(pairs):
            if term not in terms_of_key:
                terms_of_key.append(term)
        out[key] = terms_of_key[:_MAX_PER_KEY] + [t for t in terms_of_key[_MAX_PER_KEY:] if _loanword(t, key)]
    names: dict[str, list[str]] = defaultdict(list)
    unknown = [t for t in terms if t not in entries and _KATAKANA.fullmatch(t)]  # ~390,000 at a million passages
    for term, key in zip(unknown, kana_keys(unknown)):
        if len(key) >= _NAME_CLASSES:
            names[key].append(term)
    for found in names.values():
        found.sort()  # a build writes the same bytes for the same vocabulary
    try:
        words = dictionary_words() if names else set()
    except (sqlite3.Error, OSError) as exc:  # without them a dictionary word could be taken for a name: no names
        logger.warning("bridge: cannot read the dictionary's English words (%s): no names by their sound", exc)
        names, words = defaultdict(list), set()
    logger.info("bridge: %d English keys and %d unknown katakana terms in %.2fs", len(out),
                sum(map(len, names.values())), time.perf_counter() - t0)
    return Bridge(out, dict(names), words)


def _stems(word: str) -> set[str]:
    """The words a regular English form may come from: `_lemmas`' (westerns, warned, warning, agreed, negotiating,
    allies), and supplied, stopped, really (a possessive's 's is cut before a word is looked up)."""
    stems = set(_lemmas(word))
    for end, back in (("ied", "y"), ("d", ""), ("ly", "")):
        if word.endswith(end) and len(word) - len(end) >= 3:
            stems.add(word[: -len(end)] + back)
    for end in ("ed", "ing"):  # a doubled consonant: stopped, stopping
        stem = word.removesuffix(end)
        if stem != word and len(stem) > 3 and stem[-1] == stem[-2]:
            stems.add(stem[:-1])
    return stems


def _loanword(term: str, key: str) -> bool:
    """Whether `term` is the katakana loanword of the one-word `key` (group → グループ, chance → チャンス): kept past
    the cap, which takes a key's terms in the dictionary's order, where a common word's six kanji senses (群, 軍, 一団…)
    come first. A key of fewer than three consonant classes is shared by too many words (do → ド, time → タイム)."""
    return not term.isascii() and key.isalpha() and len(latin_key(key)) >= 3 and spells(term, key)


def english_words(text: str) -> list[str]:
    """Lower-cased English words: accents folded (détente → detente), curly apostrophes straightened, and quote
    marks around a word dropped (so 'mankind' in quotes is still mankind)."""
    text = text.lower().replace("\u2019", "'")
    if not text.isascii():  # NFKD leaves ASCII as it is, and ASCII has no combining marks
        folded = unicodedata.normalize("NFKD", text)
        text = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return _WORD.findall(text)


def capitals(text: str) -> set[str]:
    """The words `text` writes in capitals (US, UN, WHO), lower-cased."""
    return {w.lower() for w in _CAPS.findall(text)}


def acronyms(text: str) -> set[str]:
    """The words `text` writes in capitals, when it also has lower-case letters; a text written all in capitals has
    none (its case says nothing about any one word)."""
    return capitals(text) if _LOWER.search(text) else set()


def capitalised(text: str) -> set[str]:
    """The words `text` writes with a capital and then lower case (Korybko, Korybko's, Zelensky-led), as
    `english_words` reads them: the words that may be names. A name the dictionary lacks is spelled by its sound only
    then, since any word the dictionary lacks in a form it knows ("negotiating", "kept") has a key, and with enough
    unknown katakana terms (a large corpus) most keys belong to one."""
    return {w for m in _CAPITALISED.finditer(text) for w in english_words(m.group())[:1]}


def content_words(text: str) -> list[str]:
    """The distinct English words of `text` that carry meaning (no stop words, no single letters), in order, lower-case
    except acronyms, which keep their capitals (an embedder reads "US" as the country and "us" as the pronoun)."""
    caps = acronyms(text)
    return list(dict.fromkeys(w.upper() if w in caps else w for w in english_words(text)
                              if len(w) > 1 and (w in caps or w not in STOP_WORDS)))


def _lemmas(word: str) -> list[str]:
    """The word and naive English lemmas (sanctions → sanction, threatened → threaten, allies → ally)."""
    out = [word]
    for suffix, repl in (("ies", "y"), ("es", ""), ("s", ""), ("ed", ""), ("ed", "e"), ("ing", ""), ("ing", "e"), ("'s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            out.append(word[: -len(suffix)] + repl)
    return out


class Bridge:
    """Expands an English question into groups of alternative Japanese terms (one group per English word/phrase)."""

    def __init__(self, table: dict[str, list[str]], names: dict[str, list[str]] | None = None,
                 words: Iterable[str] = ()) -> None:
        self.table = table
        self.names = names or {}  # consonant key → the vocabulary's katakana terms of that key no dictionary holds
        self.words = set(words)  # the dictionary's English words: never a name, in any regular form

    def __len__(self) -> int:
        return len(self.table)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Bridge) and (self.table, self.names, self.words) == (other.table, other.names,
                                                                                      other.words)

    def spelled(self, word: str) -> list[str]:
        """The katakana terms no dictionary holds that may spell `word` (a lower-case word the table lacks), those of
        its own key first, at most _MAX_PER_KEY: "korybko's" → [コリブコ]."""
        word = word.removesuffix("'s")
        if not self.words.isdisjoint(_stems(word)):
            return []
        found: list[str] = []
        for key in latin_keys(word):
            if len(key) < _NAME_CLASSES:
                continue
            for near in same_keys(key):
                found += [t for t in self.names.get(near, ()) if t not in found]
        return found[:_MAX_PER_KEY]

    def expand(self, question: str, caps: set[str] | None = None, spelled: set[str] | None = None) -> list[list[str]]:
        """One group per word or two-word phrase the table knows, or per word it lacks that sounds like a katakana
        term no dictionary holds (whose words are added to `spelled`). By default the words `acronyms` reads in
        `question` are looked up as acronyms first, then as words; given `caps` (lower-cased), those are acronyms
        only: a word in capitals the table has no acronym for gives no group (AI is not 愛)."""
        words = english_words(question)
        only = caps is not None
        caps = acronyms(question) if caps is None else caps
        names = capitalised(question)
        groups: list[list[str]] = []
        i = 0
        while i < len(words):
            if i + 1 < len(words):
                pair = f"{words[i]} {words[i + 1]}"
                hit = next((self.table[k] for k in _lemmas(pair) if k in self.table), None)
                if hit:
                    groups.append(list(hit))
                    i += 2
                    continue
            w = words[i]
            i += 1
            if w in caps and w.upper() in self.table:  # US → 米国, not 私達; WHO → its organisation
                groups.append(list(self.table[w.upper()]))
                continue
            if w in caps and only:
                continue
            # a hyphenated word the dictionary lacks (dual-use) is looked up part by part
            for part in [w] if w in self.table or "-" not in w else w.split("-"):
                if part in STOP_WORDS or len(part) < 2:
                    continue
                hit = next((self.table[k] for k in _lemmas(part) if k in self.table), None)
                if hit:
                    groups.append(list(hit))
                elif w in names and (name := self.spelled(part)):
                    groups.append(name)
                    if spelled is not None:
                        spelled.add(w)
        return groups

    def save(self, path: Path) -> None:
        path.write_text(json.dumps({"id": BRIDGE_ID, "table": self.table, "names": self.names,
                                    "words": sorted(self.words)}, ensure_ascii=False, sort_keys=True), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> Bridge:
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(data["table"], data.get("names"), data.get("words", ()))  # written before the names: none
