"""Retention job: purge raw chat events older than `retention_days`.

Raw chat events are chat feedback, impressions, recommendation requests and old sessions
(`Store.purge_raw_events`); imported datasets are never purged. Deleted feedback also leaves the
models: the next retrain sees that rows went missing and retrains even without new feedback.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from recommender.config import Settings
from recommender.store.models import utcnow
from recommender.store.repository import Store

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetentionOutcome:
    """What one retention run deleted (nothing when `retention_days` is 0)."""

    cutoff: datetime | None
    deleted: dict[str, int]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        out = asdict(self)
        out["cutoff"] = self.cutoff.isoformat() if self.cutoff else None
        return out


def purge_old_events(store: Store, settings: Settings, *, now: datetime | None = None) -> RetentionOutcome:
    """Delete raw chat events created before now - `retention_days`; 0 days keeps everything."""
    if settings.retention_days <= 0:
        logger.info("retention: retention_days is 0, nothing purged")
        return RetentionOutcome(None, {})
    cutoff = (now or utcnow()) - timedelta(days=settings.retention_days)
    deleted = store.purge_raw_events(before=cutoff)
    logger.info("retention: purged raw chat events before %s: %s", cutoff.isoformat(timespec="seconds"), deleted)
    return RetentionOutcome(cutoff, deleted)
