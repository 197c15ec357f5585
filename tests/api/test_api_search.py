"""In-process API tests (real app, real lifespan): search, documents, health, index summary, OpenAPI."""

from __future__ import annotations

import pytest

from rag.corpus import load_corpus
from rag.retrieval import Filters, Searcher
from api.wire import result_json

from api_support import EN_QUESTION, JA_QUESTION, public, without


@pytest.mark.parametrize("question", [EN_QUESTION, JA_QUESTION])
def test_search_body_is_result_json_of_the_same_search(client, searcher, question):
    response = client.post("/v1/search", json={"query": question, "top_k": 5})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    expected = result_json(searcher.search(question, 5), ".")
    body = response.json()
    assert isinstance(body["took_ms"], float) and body["took_ms"] >= 0
    assert without(body, "took_ms") == public(without(expected, "took_ms"))
    assert [r["rank"] for r in body["results"]] == [1, 2, 3, 4, 5]
    assert body["index_version"] == searcher.index.version


def test_search_defaults_to_five_hybrid_results(client, searcher):
    body = client.post("/v1/search", json={"query": EN_QUESTION}).json()
    assert body["mode"] == "hybrid" and body["lang"] == "en" and len(body["results"]) == 5


@pytest.mark.parametrize("mode", ["bm25", "e5", "use", "hybrid", "e5-sparse"])
def test_every_mode_returns_the_searchers_ranking(client, searcher, mode):
    body = client.post("/v1/search", json={"query": JA_QUESTION, "top_k": 3, "mode": mode}).json()
    expected = result_json(searcher.search(JA_QUESTION, 3, mode), ".")
    assert without(body, "took_ms") == public(without(expected, "took_ms"))


def test_every_citation_slices_its_seed_file_back_to_the_passage_text(client, check_citation):
    for question in (EN_QUESTION, JA_QUESTION):
        body = client.post("/v1/search", json={"query": question, "top_k": 10}).json()
        assert len(body["results"]) == 10
        for hit in body["results"]:
            check_citation(hit["citation"], hit["text"])


def test_doc_id_filter_keeps_only_that_document(client, searcher):
    doc_id = sorted(searcher.index.docs)[2]
    body = client.post("/v1/search", json={"query": EN_QUESTION, "top_k": 5,
                                           "filters": {"doc_ids": [doc_id]}}).json()
    assert body["results"] and {r["citation"]["doc_id"] for r in body["results"]} == {doc_id}
    expected = result_json(searcher.search(EN_QUESTION, 5, None, Filters(doc_ids=(doc_id,))), ".")
    assert without(body, "took_ms") == public(without(expected, "took_ms"))


def test_an_empty_doc_id_list_restricts_nothing_as_the_schema_says(client):
    # a picker with nothing chosen sends []: every document, as with no filter (not no document)
    asked = {"query": EN_QUESTION, "top_k": 5}
    empty = client.post("/v1/search", json={**asked, "filters": {"doc_ids": []}}).json()
    plain = client.post("/v1/search", json=asked).json()
    assert len(empty["results"]) == 5 and without(empty, "took_ms") == without(plain, "took_ms")


def test_date_filter_is_inclusive_and_applies_to_every_hit(client, searcher):
    dates = sorted({a.published[:10] for d in searcher.index.docs.values() for a in d.articles if a.published})
    day = dates[0]
    body = client.post("/v1/search", json={"query": EN_QUESTION, "top_k": 5,
                                           "filters": {"published_from": day, "published_to": day}}).json()
    assert body["results"]
    assert all(r["citation"]["published"][:10] == day for r in body["results"])


# -- documents --------------------------------------------------------------------------------------------------

def test_documents_list_every_indexed_document_with_article_metadata(client, searcher):
    body = client.get("/v1/documents").json()
    docs = searcher.index.docs
    assert body["index_version"] == searcher.index.version and body["count"] == len(docs)
    assert [d["doc_id"] for d in body["documents"]] == sorted(docs)
    for d in body["documents"]:
        record = docs[d["doc_id"]]
        assert d["source_file"] == f"{d['doc_id']}.txt" and d["sha256"] == record.sha256
        assert d["chars"] == len(record.raw)
        assert d["titles"] == [a.title for a in record.articles]
        assert [(a["index"], a["title"], a["published"], a["start"], a["end"], a["url"]) for a in d["articles"]] == [
            (a.index, a.title, a.published, a.start, a.end, a.url) for a in record.articles]


def test_document_detail_holds_the_raw_seed_text_and_spans_into_it(client, searcher, seed_file):
    doc_id = sorted(searcher.index.docs)[1]
    response = client.get(f"/v1/documents/{doc_id}")
    assert response.status_code == 200
    body = response.json()
    record = searcher.index.docs[doc_id]
    assert body["source_file"] == f"{doc_id}.txt"  # relative to the seeds directory: no server path
    assert body["raw"] == seed_file(body["source_file"]) == record.raw
    assert body["doc_id"] == doc_id and body["index_version"] == searcher.index.version
    assert body["excluded"] == record.excluded
    assert [(a["start"], a["end"]) for a in body["articles"]] == [(a.start, a.end) for a in record.articles]
    passages = {p.passage_id: p for p in searcher.index.passages if p.doc_id == doc_id}
    assert [p["passage_id"] for p in body["passages"]] == list(passages)
    for p in body["passages"]:
        assert body["raw"][p["start"] : p["end"]] == passages[p["passage_id"]].text
        assert body["articles"][p["article"]]["start"] <= p["start"] < p["end"] <= body["articles"][p["article"]]["end"]


def test_document_articles_carry_the_kept_spans_that_cleaning_found(client, searcher, seeds_dir):
    corpus = load_corpus(seeds_dir)
    for doc in corpus.documents:
        body = client.get(f"/v1/documents/{doc.doc_id}").json()
        assert [[(k["start"], k["end"]) for k in a["kept"]] for a in body["articles"]] == [
            [(k.start, k.end) for k in a.kept] for a in doc.articles]
        for a in body["articles"]:
            assert a["kept"] and a["start"] <= a["kept"][0]["start"] and a["kept"][-1]["end"] <= a["end"]
        for p in body["passages"]:  # every passage is cut from inside one kept span of its article
            assert any(k["start"] <= p["start"] and p["end"] <= k["end"] for k in body["articles"][p["article"]]["kept"])
        assert [[(r["start"], r["end"]) for r in a["source_rows"]] for a in body["articles"]] == [
            [(r.start, r.end) for r in a.source_rows] for a in doc.articles]
        for a in body["articles"]:  # each source row is one kept span, and one passage
            assert all(r in a["kept"] for r in a["source_rows"])
            assert all(any((p["start"], p["end"]) == (r["start"], r["end"]) for p in body["passages"])
                       for r in a["source_rows"])
    duplicated = client.get("/v1/documents/000_77323e78f047d601").json()  # the file repeats its text: copy 2 is not kept
    assert duplicated["articles"][-1]["kept"][-1]["end"] <= len(duplicated["raw"]) // 2 + 100


# -- health, index, OpenAPI ------------------------------------------------------------------------------------

def test_healthz_readyz_and_index_report_the_loaded_manifest(client, searcher):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "index": searcher.index.summary()}
    assert ready.json()["index"]["store"] == {"kind": "local"} and ready.json()["index"]["faiss_kind"] == "flat"
    assert client.get("/v1/index").json() == {**searcher.index.summary(), "build": None}  # no background build yet


def test_models_lists_the_service_model(client):
    body = client.get("/v1/models").json()
    assert body["object"] == "list" and [m["id"] for m in body["data"]] == ["newsrag"]
    assert body["data"][0]["object"] == "model" and isinstance(body["data"][0]["created"], int)
    assert client.get("/v1/models/newsrag").json() == body["data"][0]
    assert client.get("/v1/models/gpt-4").status_code == 404


ENDPOINTS = {
    "/v1/search": "post", "/v1/ask": "post", "/v1/chat/completions": "post", "/v1/models": "get",
    "/v1/models/{model_id}": "get", "/v1/documents": "get", "/v1/documents/{doc_id}": "get", "/healthz": "get",
    "/readyz": "get", "/v1/index": "get", "/v1/admin/reload": "post", "/v1/admin/rebuild": "post",
}


def test_openapi_schema_lists_every_endpoint_with_typed_bodies(client):
    spec = client.get("/schema/openapi.json").json()
    assert {path: set(ops) for path, ops in spec["paths"].items()} == {p: {m} for p, m in ENDPOINTS.items()}
    for path, method in ENDPOINTS.items():
        responses = spec["paths"][path][method]["responses"]
        ok = responses["202" if path == "/v1/admin/rebuild" else "200"]
        schema = ok["content"]["application/json"]["schema"]
        assert schema.get("$ref", "").startswith("#/components/schemas/"), (path, schema)
    for path in ("/v1/search", "/v1/ask", "/v1/chat/completions"):
        body = spec["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]
        assert body["$ref"].startswith("#/components/schemas/")
    # each error is documented in the shape it is sent in: OpenAI's on the OpenAI-compatible paths, with no 422 there
    for path, method, shape, statuses in (("/v1/search", "post", "ErrorBody", {"400", "413", "415", "422", "503"}),
                                          ("/v1/ask", "post", "ErrorBody", {"400", "413", "415", "422", "503"}),
                                          ("/v1/chat/completions", "post", "OpenAIErrorBody", {"400", "413", "415", "503"}),
                                          ("/v1/models/{model_id}", "get", "OpenAIErrorBody", {"404"})):
        responses = spec["paths"][path][method]["responses"]
        assert statuses <= set(responses), (path, set(responses))
        for status in statuses:
            assert responses[status]["content"]["application/json"]["schema"] == {"$ref": f"#/components/schemas/{shape}"}
    assert "422" not in spec["paths"]["/v1/chat/completions"]["post"]["responses"]
    # while no index is served, /v1/index's 503 still carries the background build
    unready = spec["paths"]["/v1/index"]["get"]["responses"]["503"]["content"]["application/json"]["schema"]
    assert unready == {"$ref": "#/components/schemas/IndexUnavailable"}
    assert "build" in spec["components"]["schemas"]["IndexUnavailable"]["properties"]
    error = spec["components"]["schemas"]["OpenAIError"]
    assert set(error["properties"]) == {"message", "type", "param", "code"}
    assert "text/event-stream" in spec["paths"]["/v1/chat/completions"]["post"]["responses"]["200"]["content"]
    search = spec["components"]["schemas"]["SearchRequest"]
    assert search["required"] == ["query"] and search["properties"]["top_k"]["minimum"] == 1
    for name in ("SearchRequest", "AskRequest", "ChatRequest"):
        top_k = spec["components"]["schemas"][name]["properties"]["top_k"]
        assert (top_k["minimum"], top_k["maximum"]) == (1, client.app.state.settings.max_top_k), name
    assert client.get("/schema").status_code == 200


def test_a_configured_max_top_k_is_the_schema_bound_and_the_enforced_one(serve_app, api_settings, searcher):
    settings = api_settings.replace(max_top_k=7)
    capped = Searcher(searcher.index, searcher.embedders, searcher.analyzer, settings)
    with serve_app(settings, searcher=capped) as c:
        spec = c.get("/schema/openapi.json").json()
        assert spec["components"]["schemas"]["SearchRequest"]["properties"]["top_k"]["maximum"] == 7
        assert c.post("/v1/search", json={"query": "Lavrov", "top_k": 7}).status_code == 200
        over = c.post("/v1/search", json={"query": "Lavrov", "top_k": 8})
        assert over.status_code == 400 and over.json() == {"error": "invalid_request",
                                                            "detail": "top_k: Expected `int` <= 7"}
        under = c.post("/v1/search", json={"query": "Lavrov", "top_k": 0})  # both ends alike
        assert under.status_code == 400 and under.json()["detail"] == "top_k: Expected `int` >= 1"


def test_a_source_row_is_marked_as_one_in_search_results(client):
    """A client can tell the line that says where an article came from from article text: a question about the
    origin gets it first, marked; a question on the topic gets none."""
    body = client.post("/v1/search", json={"query": "Which blog published the post on Putin deepening ties with US "
                                                    "adversaries?", "top_k": 5}).json()
    first = body["results"][0]
    assert first["source"] is True and first["text"] == "しゅうさんのミリタリー雑談ブログ"
    assert not any(h["source"] for h in body["results"][1:]) or all(
        h["citation"]["doc_id"] == first["citation"]["doc_id"] for h in body["results"] if h["source"])
    body = client.post("/v1/search", json={"query": "What did the ISW report say about North Korea?", "top_k": 10}).json()
    assert body["results"] and not any(h["source"] for h in body["results"])
