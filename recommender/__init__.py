"""Conversational recommender for Rasa: catalog, feedback store, retrieval and service.

Nothing heavy happens at import time; models and database engines load lazily.
"""

__version__ = "0.1.0"
