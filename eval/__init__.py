"""Retrieval evaluation: question sets, the shared relevance rule, trec_eval metrics (ir-measures), runners and reports."""
