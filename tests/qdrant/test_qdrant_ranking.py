"""The Qdrant backend ranks as the local one: every component, the hybrid, filters and answers, on the real seeds
and the team's questions, from a Qdrant version alone (no local files)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from qdrant_client import models
from qdrant_client.local import local_collection
from qdrant_client.local.sparse_distances import calculate_distance_sparse as clients_own

from rag.answers.service import answer_question
from rag.errors import IndexCorruptError, IndexError_, IndexMismatchError, IndexMissingError, StoreUnavailableError
from rag.indexing import backend
from rag.qdrant import session, sparse_local
from rag.qdrant.folder import open_folder
from rag.qdrant.stores import QdrantBM25, QdrantDense
from rag.retrieval.engine import Filters, Searcher
from rag.stores.japanese import default_analyzer

from .conftest import qdrant_settings

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]
QUESTIONS = [json.loads(line)["question"] for line in (REPO / "eval/questions/team.jsonl").read_text().splitlines()]
MODES = ("hybrid", "e5", "use", "e5-sparse", "bm25")
# the local mode scans every point (a hybrid search asks each signal, and the bridge's groups, ~60 ms here): the hybrid
# takes every third question, each signal on its own takes all of them
SAMPLE = {"hybrid": QUESTIONS[::3]}


@pytest.fixture(scope="module")
def pair(published, embedders, tmp_path_factory):
    """(local searcher, qdrant searcher); the qdrant index is opened with an index_dir that does not exist, as a
    replica with no disk of its own. The two share their query vectors, as a server's searcher and the one over the
    next version do (Searcher.with_index): what differs is only the backend, and no question is encoded twice."""
    local, settings = published
    settings = settings.replace(index_dir=tmp_path_factory.mktemp("replica") / "no-such-index")
    a = Searcher(backend.open_index(local), embedders, default_analyzer(), local)
    b = a.with_index(backend.open_index(settings))
    return a, b


def ranked(searcher, query, mode, filters=None):
    return [(h.passage.passage_id, h.score) for h in searcher.search(query, 10, mode, filters).hits]


@pytest.mark.parametrize("mode", MODES)
def test_every_signal_ranks_the_team_questions_as_the_local_backend_does(pair, mode):
    a, b = pair
    for q in SAMPLE.get(mode, QUESTIONS):
        ra, rb = ranked(a, q, mode), ranked(b, q, mode)
        assert [p for p, _ in ra] == [p for p, _ in rb], q
        assert [s for _, s in ra] == pytest.approx([s for _, s in rb], rel=1e-4, abs=1e-5), q


@pytest.mark.parametrize("mode", MODES)
def test_an_acronym_the_passages_define_is_read_alike_on_both_backends(pair, mode):
    """bridge.json travels whole into a version's meta collection: a replica gives the acronym its name's terms in BM25
    and writes it out for the encoders (SCO(上海協力機構)) as the local index does, and puts the passage naming the
    meeting first."""
    a, b = pair
    assert b.index.bridge.defined_names["SCO"] == "上海協力機構"
    for q in ("Which city was Lavrov heading to for the SCO foreign ministers' meeting?", "SCOの外相会議はどこで開かれたか"):
        ra, rb = ranked(a, q, mode), ranked(b, q, mode)
        assert [p for p, _ in ra] == [p for p, _ in rb], q
        assert [s for _, s in ra] == pytest.approx([s for _, s in rb], rel=1e-4, abs=1e-5), q
    top = b.search("Which city was Lavrov heading to for the SCO foreign ministers' meeting?", 1).hits[0].passage.text
    assert "上海協力機構" in top and "アスタナ" in top


def test_a_question_about_an_articles_source_gets_its_line_first_on_both_backends(pair):
    """A source line is a point like any other passage, with an empty BM25 row: a replica hides it from content
    questions and puts the line of the article found first above it for a question that asks, as the local index
    does (rag/retrieval/sources.py reads the passages' table, which a replica makes from the points' payloads, and
    each article's source rows, which it reads from the documents' records there)."""
    a, b = pair
    for q in ("Who wrote the piece on the US negotiating stance towards Russia?", "中露共同声明についての社説はどの新聞のものか",
              "What did Russia and the US do at the UN that shows a New Détente?"):
        ra, rb = ranked(a, q, "hybrid"), ranked(b, q, "hybrid")
        assert [p for p, _ in ra] == [p for p, _ in rb], q
        assert [s for _, s in ra] == pytest.approx([s for _, s in rb], rel=1e-4, abs=1e-5), q
    first = b.search("中露共同声明についての社説はどの新聞のものか", 3).hits[0]
    assert b.index.is_source(first.passage) and "Global Times editorial" in first.passage.text
    content = b.search("What did Russia and the US do at the UN that shows a New Détente?", 10).hits
    assert not [h for h in content if b.index.is_source(h.passage)]


def test_the_rerankers_proximity_reads_the_same_terms_on_both_backends(pair):
    """A version pushed before its passages' BM25 terms in text order were stored beside them made the reranker
    tokenize Qdrant's candidates as the answers do (a source line's English words, which BM25 never counted): ~1 % of
    hybrid searches ranked otherwise than the local store, scores up to 0.15 apart (an operator's probe, 6 of 700)."""
    a, b = pair
    assert b.index.bm25.has_sequences
    rows = [int(r) for r in range(0, len(b.index.passages), 7)]
    assert b.index.bm25.term_sequences(rows) == a.index.bm25.term_sequences(rows)
    for q in ("Who wrote the Newsweek Japan column about Xi as Putin's 'big brother'?",
              "Who wrote the article about the inside track of Putin-Xi talks?",
              "Who wrote the article about Big Brother Xi?"):
        ra, rb = ranked(a, q, "hybrid"), ranked(b, q, "hybrid")
        assert [p for p, _ in ra] == [p for p, _ in rb], q
        assert [s for _, s in ra] == pytest.approx([s for _, s in rb], rel=1e-4, abs=1e-5), q


def test_a_japanese_question_with_a_latin_name_is_bridged_alike_on_both_backends(pair):
    """The bridge's groups for a Latin name no passage writes (Lavrov is ラブロフ there) go through Qdrant's group
    scoring as an English question's do."""
    a, b = pair
    q = "Lavrov外相は中国との同盟について何と言ったか"
    assert ["ラブロフ"] in b.term_groups(q)
    ra, rb = ranked(a, q, "bm25"), ranked(b, q, "bm25")
    assert [p for p, _ in ra] == [p for p, _ in rb]
    assert [s for _, s in ra] == pytest.approx([s for _, s in rb], rel=1e-4, abs=1e-5)


def test_a_name_only_the_name_dictionary_holds_is_aligned_alike_on_both_backends(pair):
    """Its aligned group is kept only when it holds the name (Vance's, advance's terms, is not): Qdrant's aligner
    gives each word its place as the local one does, empty ones included."""
    a, b = pair
    q = "What did Vance tell Lavrov about the alliance?"
    assert a.term_groups(q) == b.term_groups(q) and ["バンス"] in b.term_groups(q)
    words = ["vance", "alliance", "zzzqqq"]
    vectors = a.embedders["use"].encode_queries(words)
    local, remote = a.index.align["use"], b.index.align["use"]
    assert local.per_word(vectors, 5, 0.5) == remote.per_word(vectors, 5, 0.5)
    assert len(remote.per_word(vectors, 5, 0.99)) == 3 and remote.groups(vectors, 5, 0.99) == []
    ra, rb = ranked(a, q, "bm25"), ranked(b, q, "bm25")
    assert [p for p, _ in ra] == [p for p, _ in rb]


def test_the_qdrant_version_is_what_serves(pair):
    _, b = pair
    assert all(isinstance(s, QdrantDense) for s in b.index.dense.values()) and set(b.index.dense) == {"e5", "use"}
    assert isinstance(b.index.bm25, QdrantBM25) and b.index.manifest["store"].startswith("qdrant:")


def test_a_version_is_handed_over_from_the_folder_not_copied_and_the_folder_keeps_every_point(published, embedders,
                                                                                               monkeypatch):
    """A local-mode folder's client has read every point when it opens; loading gives those collections to the
    in-memory client that serves (rag/qdrant `_hand_over`) instead of copying them point by point, then closes the
    folder. The rankings are the local backend's (the tests above run on such a copy)."""
    import rag.qdrant as rq

    _, settings = published
    taken, hand_over = [], rq._hand_over
    monkeypatch.setattr(rq, "_hand_over", lambda *args: taken.append(hand_over(*args)) or taken[-1])
    index = backend.open_index(settings)
    assert taken == [True]  # the locked qdrant-client's local mode is what _hand_over expects
    hits = Searcher(index, embedders, default_analyzer(), settings).search(QUESTIONS[0], 5, "hybrid").hits
    assert len(hits) == 5
    with session(settings) as conn:  # the folder is free, and its files still hold the whole version
        live = conn.live_collection(settings.qdrant_collection)
        assert conn.client.count(live).count == len(index.passages)


def test_bm25_in_qdrant_scores_exactly_what_bm25s_scores(pair):
    a, b = pair
    terms = default_analyzer().terms("ロシアと中国の同盟関係について外相が述べた")
    la, qb = a.index.bm25.top(terms, 20), b.index.bm25.top(terms, 20)
    assert la.rows.tolist() == qb.rows.tolist() and la.rows.size > 5
    assert la.scores == pytest.approx(qb.scores, rel=1e-5)
    assert all(a.index.bm25.document_frequency(t) == b.index.bm25.document_frequency(t) for t in terms)


def test_qdrants_group_scores_weigh_each_term_by_the_local_stores_own_idf(pair):
    """A one-term group scores each passage holding the term at its stored saturated tf × the term's idf: the local
    store's float32 idf bit for bit (rag/stores/bm25.py bm25_idf). A float64 idf, as the group scorer had, moved the
    last bit of about a third of these products, and with them the order of near-ties."""
    a, b = pair
    local = a.index.bm25
    saturated, vocab, df = local.term_frequencies()
    live = np.flatnonzero(df > 0)
    picked = [vocab[t] for t in live[np.argsort(df[live], kind="stable")][:: max(1, len(live) // 40)]]
    for term in picked:
        tid = vocab.index(term)
        column = saturated.getcol(tid).tocoo()
        want = {int(r): np.float32(float(local.idf(tid)) * float(v)) for r, v in zip(column.row, column.data)}
        got = b.index.bm25.top_groups([[term]], local.size)
        assert dict(zip(got.rows.tolist(), got.scores.tolist())) == want, term


@pytest.mark.parametrize("filters", [Filters(doc_ids=("001_9c689277a1938a75",)),
                                     Filters(published_from="2025-01-01"),
                                     Filters(published_to="2024-12-31"),
                                     Filters(doc_ids=("000_77323e78f047d601", "004_b790a10d624dd4e2"),
                                             published_from="2025-03-01", published_to="2025-12-31")])
@pytest.mark.parametrize("mode", MODES)
def test_filters_restrict_qdrant_as_they_restrict_the_local_backend(pair, filters, mode):
    a, b = pair
    for q in ("What did Lavrov say about an alliance with China?", "プーチンと習近平の関係"):
        ra, rb = ranked(a, q, mode, filters), ranked(b, q, mode, filters)
        assert [p for p, _ in ra] == [p for p, _ in rb], (q, filters)
        hits = b.search(q, 10, mode, filters).hits
        for h in hits:
            assert not filters.doc_ids or h.citation.doc_id in filters.doc_ids
            if filters.published_from or filters.published_to:
                day = (h.citation.published or "")[:10]
                assert day and (filters.published_from or "0000") <= day <= (filters.published_to or "9999")


def test_answers_from_qdrant_equal_the_local_ones(pair):
    """Also whether the passages cover the question at all (rag/answers/coverage/ reads USE's scores of the hits,
    which each backend gives): a greeting and a name the articles do not hold are held back, a name they hold is not."""
    a, b = pair
    covered = {"What did Lavrov say about an alliance with China?": True, "ラヴロフ外相は中国との同盟について何と言ったか": True,
               "hello": False, "Lionel Messi": False, "Lazarus Group": True}
    for q, expected in covered.items():
        x, y = answer_question(a, q, 5, a.settings), answer_question(b, q, 5, b.settings)
        assert x.answer == y.answer and ("[1]" in y.answer) == expected, q
        assert x.covered is y.covered is expected, q
        assert [c.doc_id for c in x.citations] == [c.doc_id for c in y.citations]


def test_a_missing_alias_is_refused_with_how_to_build_it(published):
    _, settings = published
    with pytest.raises(IndexMissingError, match="no index under the alias 'nothing-here'.*rag index build"):
        backend.open_index(settings.replace(qdrant_collection="nothing-here"))
    assert not backend.index_exists(settings.replace(qdrant_collection="nothing-here"))


def test_whether_a_folder_holds_the_version_is_read_without_opening_it(published, monkeypatch):
    """`rag serve` asks whether the index exists before it opens it; opening a local-mode folder reads every point of
    every collection, and waits while another process (a build publishing) holds the folder. The answer comes from
    the folder's meta.json: with the folder's lock held elsewhere, it is given at once."""
    import fcntl
    import os

    import rag.qdrant

    _, settings = published
    monkeypatch.setattr(rag.qdrant, "LOCK_WAIT_S", 0.5)  # an open would now fail fast rather than wait
    fd = os.open(Path(settings.qdrant_path) / ".lock", os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # a build in another process, publishing
        assert backend.index_exists(settings)
        with pytest.raises(IndexError_, match="stayed in use by another process"):
            backend.open_index(settings)  # what an open meets meanwhile: the check above did not open it
        # an alias not there yet may be the one the other process is publishing: that answer waits for the folder
        with pytest.raises(IndexError_, match="stayed in use by another process"):
            backend.index_exists(settings.replace(qdrant_collection="nothing-here"))
    finally:
        os.close(fd)
    assert backend.index_exists(settings)
    assert not backend.index_exists(settings.replace(qdrant_collection="nothing-here"))


def test_other_embedders_than_the_version_was_built_with_are_refused(published):
    _, settings = published
    with pytest.raises(IndexMismatchError, match="built with embedders \\['e5', 'use'\\]"):
        backend.open_index(settings.replace(embedders=("use",)))


def test_a_version_missing_a_stored_file_is_refused_and_the_alias_is_untouched(built_index, qdrant_dir):
    local, _ = built_index
    settings = qdrant_settings(local, qdrant_dir)
    backend.push(settings)
    from qdrant_client import models as m

    with session(settings) as conn:
        live = conn.live_collection(settings.qdrant_collection)
        conn.client.delete(f"{live}-meta", m.Filter(must=[m.FieldCondition(key="kind",
                                                                           match=m.MatchValue(value="file"))]))
    with pytest.raises(IndexCorruptError, match="bm25 cannot be read|sentence store"):
        backend.open_index(settings)
    with session(settings) as conn:
        assert conn.live_collection(settings.qdrant_collection) == live


def test_a_sharded_version_carries_bm25s_idf_in_its_values_and_ranks_alike(built_index, embedders, qdrant_dir):
    """Qdrant's IDF modifier counts one shard's points; a version created with several shards stores bm25s's
    idf × tf instead, so BM25 (English groups included) still equals the local store."""
    local, _ = built_index
    settings = qdrant_settings(local, qdrant_dir, qdrant_shards=2)
    backend.push(settings)
    b = Searcher(backend.open_index(settings), embedders, default_analyzer(), settings)
    a = Searcher(backend.open_index(local), embedders, default_analyzer(), local)
    assert b.index.manifest["qdrant"] == {"shards": 2, "replicas": 1, "bm25_idf": "stored", "bm25_sequences": True}
    for q in QUESTIONS[::6]:
        for mode in ("bm25", "hybrid"):
            ra, rb = ranked(a, q, mode), ranked(b, q, mode)
            assert [p for p, _ in ra] == [p for p, _ in rb], (mode, q)
            assert [s for _, s in ra] == pytest.approx([s for _, s in rb], rel=1e-4, abs=1e-5)


def test_a_version_collected_under_a_serving_replica_is_an_unavailable_index_that_says_reload(built_index, embedders,
                                                                                            qdrant_dir):
    local, _ = built_index
    settings = qdrant_settings(local, qdrant_dir)
    backend.push(settings)
    b = Searcher(backend.open_index(settings), embedders, default_analyzer(), settings)
    store = b.index.dense["e5"]
    store.conn.client.delete_collection(store.collection)  # what a push two versions later does to this one
    with pytest.raises(StoreUnavailableError, match="reload the index"):
        b.search("What did Lavrov say about an alliance with China?", 5)


def _stored_sparse(settings) -> dict[str, list]:
    """'collection/vector name' -> the stored sparse vectors of every collection of the published folder."""
    client = open_folder(str(settings.qdrant_path))
    try:
        out = {}
        for c in client.get_collections().collections:
            collection = client._client.collections[c.name]
            for name, vectors in collection.sparse_vectors.items():
                out[f"{c.name}/{name}"] = list(vectors)
        return out
    finally:
        client.close()


def test_the_local_modes_sparse_scores_are_the_clients_own_bit_for_bit_on_the_seed_indexs_vectors(published):
    _, settings = published
    stored = _stored_sparse(settings)
    assert len(stored) >= 2 and all(len(v) >= 245 for v in stored.values()), {k: len(v) for k, v in stored.items()}
    rng = np.random.default_rng(7)
    for name, vectors in stored.items():
        queries = [vectors[int(i)] for i in rng.choice(len(vectors), 12, replace=False)]
        # a part of a stored vector (some of its indices shared, some not), one index no vector holds, and nothing
        queries += [models.SparseVector(indices=q.indices[::3] + [2**31 + 5], values=[v * 0.5 for v in q.values[::3]]
                                        + [1.0]) for q in queries[:4]]
        queries += [models.SparseVector(indices=[2**31 + 9], values=[1.0]), models.SparseVector(indices=[], values=[])]
        for q in queries:
            q = models.SparseVector(indices=sorted(q.indices), values=[v for _, v in sorted(zip(q.indices, q.values))])
            for empty_is_zero in (False, True):
                ours = sparse_local.calculate_distance_sparse(q, vectors, empty_is_zero=empty_is_zero)
                theirs = clients_own(q, vectors, empty_is_zero=empty_is_zero)
                assert ours.dtype == theirs.dtype == np.float32 and ours.tobytes() == theirs.tobytes(), name
        assert np.isneginf(sparse_local.calculate_distance_sparse(queries[-2], vectors)).all()  # shares no index


def test_the_local_modes_sparse_queries_rank_and_score_exactly_as_with_the_clients_own_loop(pair, monkeypatch):
    """rag/qdrant/sparse_local.py scores them in numpy, installed when the version was loaded."""
    _, b = pair
    assert local_collection.calculate_distance_sparse is sparse_local.calculate_distance_sparse

    def every():
        return [ranked(b, q, mode) for mode in ("e5-sparse", "bm25") for q in QUESTIONS[::6]] + \
            [ranked(b, q, "hybrid") for q in QUESTIONS[1::12]]

    calls: list[int] = []

    def counted(query, vectors, empty_is_zero=False):
        calls.append(len(vectors))
        return sparse_local.calculate_distance_sparse(query, vectors, empty_is_zero)

    monkeypatch.setattr(local_collection, "calculate_distance_sparse", counted)
    ours = every()
    assert calls and max(calls) >= 245  # the questions' sparse queries went through it, over every stored passage
    monkeypatch.setattr(local_collection, "calculate_distance_sparse", clients_own)
    assert every() == ours and all(ours)
