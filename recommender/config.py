"""Settings from environment variables (prefix RECSYS_) and an optional `.env` file.

One `Settings` object, cached by `get_settings()`; tests build their own `Settings(...)`.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEV_USER_ID_SECRET = "dev-only-secret-change-me"


class Settings(BaseSettings):
    """Everything that differs between a laptop, CI and production."""

    model_config = SettingsConfigDict(env_prefix="RECSYS_", env_file=".env", extra="ignore")

    var_dir: Path = Field(default=PROJECT_ROOT / "var", description="Runtime state: database, data, models.")
    database_url: str = Field(
        default="",
        description="SQLAlchemy URL; empty means a SQLite file var/recommender.db. "
        "PostgreSQL: postgresql+psycopg://user@host/db",
    )
    user_id_secret: str = Field(
        default=DEV_USER_ID_SECRET,
        description="Key for the HMAC that turns channel user ids into pseudonymous ids. Set it in production.",
    )
    default_k: int = Field(default=5, ge=1, le=20, description="Items per recommendation turn.")
    knn_neighbours: int = Field(default=50, ge=1, description="Neighbours kept per item in item-kNN.")
    knn_shrinkage: float = Field(default=25.0, ge=0, description="Shrinkage of item-item cosine toward 0.")
    popularity_prior: float = Field(default=20.0, ge=0, description="Bayesian prior count for mean ratings.")
    like_threshold: float = Field(default=4.0, description="A rating at or above this counts as a like.")
    max_message_chars: int = Field(default=2000, ge=1, description="Longer user texts are cut before parsing.")
    shared_data_dir: Path = Field(
        default=PROJECT_ROOT.parent / "shared" / "data",
        description="Read-only shared datasets (goodbooks-10k, ml-latest-small, ...); never copied into the project.",
    )

    @property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to a SQLite file under `var_dir`."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.var_dir / 'recommender.db'}"

    @property
    def data_dir(self) -> Path:
        """Where fetched source data (MovieLens parquet files) is kept."""
        return self.var_dir / "data"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
