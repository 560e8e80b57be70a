"""Alembic environment: runs on the connection handed over by `upgrade_to_head`, or on a URL."""

from alembic import context
from sqlalchemy import create_engine

from recommender.store.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations() -> None:
    """Run online migrations on a given connection, or on RECSYS settings' URL."""
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    from recommender.config import get_settings

    engine = create_engine(config.get_main_option("sqlalchemy.url") or get_settings().resolved_database_url)
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()


run_migrations()
