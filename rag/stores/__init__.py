"""Stores: a FAISS vector index per embedder and a BM25 index over Japanese morphological tokens."""
