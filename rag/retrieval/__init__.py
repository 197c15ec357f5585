"""Retrieval: dense (per embedder), BM25, and the hybrid fusion that is the default."""

from .engine import Filters, SearchResult, Searcher, detect_language

__all__ = ["Filters", "SearchResult", "Searcher", "detect_language"]
