"""Persistence: SQLAlchemy 2 models, migrations and the one `Store` class that sees a Session."""

from recommender.store.repository import Store, get_store

__all__ = ["Store", "get_store"]
