"""haystack: Haystack 2's hybrid-retrieval recipe (in-memory BM25 + embedding retrieval, joined by reciprocal rank
fusion), with our e5 embedder in two small custom components."""

from __future__ import annotations

import os
from dataclasses import replace

os.environ.setdefault("HAYSTACK_TELEMETRY_ENABLED", "False")  # no network here, and none wanted in a benchmark

from haystack import Document, Pipeline, component  # noqa: E402
from haystack.components.joiners import DocumentJoiner  # noqa: E402
from haystack.components.retrievers.in_memory import InMemoryBM25Retriever, InMemoryEmbeddingRetriever  # noqa: E402
from haystack.components.writers import DocumentWriter  # noqa: E402
from haystack.document_stores.in_memory import InMemoryDocumentStore  # noqa: E402

from .common import POOL, TOP_K, Corpus, E5Adapter, Search, Terms  # noqa: E402


@component
class E5DocumentEmbedder:
    """Sets each document's embedding to its e5 passage vector."""

    def __init__(self, e5: E5Adapter) -> None:
        self.e5 = e5

    @component.output_types(documents=list[Document])
    def run(self, documents: list[Document]) -> dict[str, list[Document]]:
        vectors = self.e5.encode_passages([d.content or "" for d in documents])
        return {"documents": [replace(d, embedding=v.tolist()) for d, v in zip(documents, vectors)]}


@component
class E5TextEmbedder:
    """The e5 query vector of one text."""

    def __init__(self, e5: E5Adapter) -> None:
        self.e5 = e5

    @component.output_types(embedding=list[float])
    def run(self, text: str) -> dict[str, list[float]]:
        return {"embedding": self.e5.encode_queries([text])[0].tolist()}


class AnalyzedDocumentStore(InMemoryDocumentStore):
    """The in-memory store with BM25 terms from our Japanese analyzer instead of its tokenization regex."""

    def __init__(self, terms: Terms) -> None:
        super().__init__()
        self._terms = terms

    def _tokenize_bm25(self, text: str) -> list[str]:  # the store's one tokenization hook (documents and queries)
        return self._terms(text)


def build(corpus: Corpus, e5: E5Adapter, terms: Terms | None = None) -> Search:
    """Index the passages, then wire the query pipeline; `terms` replaces the default tokenization when given."""
    store = AnalyzedDocumentStore(terms) if terms else InMemoryDocumentStore()
    indexing = Pipeline()
    indexing.add_component("embedder", E5DocumentEmbedder(e5))
    indexing.add_component("writer", DocumentWriter(store))
    indexing.connect("embedder.documents", "writer.documents")
    indexing.run({"embedder": {"documents": [Document(id=pid, content=text) for pid, text in zip(corpus.ids, corpus.texts)]}})

    query = Pipeline()
    query.add_component("text_embedder", E5TextEmbedder(e5))
    query.add_component("embedding_retriever", InMemoryEmbeddingRetriever(store, top_k=POOL))
    query.add_component("bm25_retriever", InMemoryBM25Retriever(store, top_k=POOL))
    query.add_component("joiner", DocumentJoiner(join_mode="reciprocal_rank_fusion", top_k=TOP_K))
    query.connect("text_embedder.embedding", "embedding_retriever.query_embedding")
    query.connect("bm25_retriever", "joiner")
    query.connect("embedding_retriever", "joiner")

    def search(question: str) -> list[tuple[str, float]]:
        out = query.run({"text_embedder": {"text": question}, "bm25_retriever": {"query": question}})
        return [(d.id, float(d.score or 0.0)) for d in out["joiner"]["documents"]]

    return search
