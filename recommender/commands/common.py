"""Options and helpers that several commands share (database URL, settings, store)."""

from __future__ import annotations

import argparse

from recommender.config import Settings, get_settings


def add_database_argument(parser: argparse.ArgumentParser) -> None:
    """`--database-url`, overriding RECSYS_DATABASE_URL for this run."""
    parser.add_argument(
        "--database-url", metavar="URL", default=None,
        help="SQLAlchemy URL (default: RECSYS_DATABASE_URL, else SQLite var/recommender.db), "
        "e.g. postgresql+psycopg://user@host/db",
    )


def settings_from(args: argparse.Namespace) -> Settings:
    """The configured settings with this run's command-line overrides applied."""
    settings = get_settings()
    url = getattr(args, "database_url", None)
    return settings.model_copy(update={"database_url": url}) if url else settings

