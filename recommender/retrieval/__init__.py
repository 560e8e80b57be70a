"""Candidate retrieval and scoring: catalog index, hard filters, popularity, item-kNN."""
