"""Retrieval evaluation: question sets, the shared relevance rule, ranx metrics, runners and reports."""
