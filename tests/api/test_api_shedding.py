"""RAG_SHED_SPARSE_ABOVE through the real app: every response made from a crowded search names what it went without
(docs/operations.md, "Shedding the sparse head under load"); tests/retrieval/test_shedding.py has the ranking."""

from __future__ import annotations

import json

from rag.retrieval import Searcher

from api_support import EN_QUESTION


def test_every_answer_from_a_crowded_search_lists_the_signal_it_went_without(serve_app, searcher: Searcher,
                                                                             api_settings) -> None:
    settings = api_settings.replace(shed_sparse_above=1)
    shedding = Searcher(searcher.index, searcher.embedders, searcher.analyzer, settings)  # a query cache of its own
    chat = {"messages": [{"role": "user", "content": EN_QUESTION}]}
    with serve_app(settings, searcher=shedding) as c:
        with shedding.intake.admit(tokens=5):  # another question is being answered
            crowded = c.post("/v1/search", json={"query": EN_QUESTION, "top_k": 3})
            ask = c.post("/v1/ask", json={"question": EN_QUESTION})
            completion = c.post("/v1/chat/completions", json=chat)
            streamed = c.post("/v1/chat/completions", json={**chat, "stream": True})
        alone = c.post("/v1/search", json={"query": "Where did Lavrov speak?", "top_k": 3})
        alone_ask = c.post("/v1/ask", json={"question": "Where did Lavrov speak?"})
    assert crowded.status_code == 200 and crowded.json()["shed"] == ["e5-sparse"]
    assert len(crowded.json()["results"]) == 3
    assert ask.status_code == 200 and ask.json()["shed"] == ["e5-sparse"] and ask.json()["citations"]
    assert completion.status_code == 200 and completion.json()["shed"] == ["e5-sparse"]
    chunks = [json.loads(line[6:]) for line in streamed.text.splitlines() if line.startswith("data: {")]
    final = [ch for ch in chunks if ch["choices"] and ch["choices"][0]["finish_reason"] == "stop"]
    assert len(final) == 1 and final[0]["shed"] == ["e5-sparse"]
    assert alone.status_code == 200 and alone.json()["shed"] == []
    assert alone_ask.status_code == 200 and alone_ask.json()["shed"] == []
