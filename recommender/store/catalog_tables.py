"""The catalog and its users: imports in one transaction, lookups, the fingerprint a bundle keys on."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update

from recommender.store.db import lift_statement_timeout, session_scope
from recommender.store.models import (
    FeedbackEventRow,
    ItemRow,
    SessionRow,
    UserRow,
    utcnow,
)
from recommender.store.records import (
    ImportCounts,
    item_from_row,
)
from recommender.store.tables import BATCH, TableGroup
from recommender.types import Item


def _report(on_progress: Callable[[int], None] | None, n: int) -> None:
    if on_progress is not None:
        on_progress(n)


class CatalogTables(TableGroup):
    """Items, users and sessions; whole imported datasets."""

    def upsert_items(self, rows: Sequence[Mapping[str, Any]]) -> int:
        """Insert or replace items by `item_id` in one transaction; returns how many were written."""
        with session_scope(self._sessions) as session:
            lift_statement_timeout(session)  # a bulk import: allowed to take long
            existing = set(session.scalars(select(ItemRow.item_id)))
            new = [dict(r) for r in rows if r["item_id"] not in existing]
            for start in range(0, len(new), BATCH):
                session.execute(insert(ItemRow), new[start : start + BATCH])
            for r in rows:
                if r["item_id"] in existing:
                    session.merge(ItemRow(**r))
        return len(rows)

    def upsert_users(self, rows: Sequence[Mapping[str, Any]]) -> int:
        """Insert users that do not exist yet (imported dataset users keep their attributes)."""
        with session_scope(self._sessions) as session:
            existing = set(session.scalars(select(UserRow.user_id)))
            new = [dict(r) for r in rows if r["user_id"] not in existing]
            for start in range(0, len(new), BATCH):
                session.execute(insert(UserRow), new[start : start + BATCH])
        return len(new)

    def add_feedback_bulk(self, rows: Sequence[Mapping[str, Any]]) -> int:
        """Bulk-insert imported interactions (e.g. MovieLens ratings) in one transaction."""
        with session_scope(self._sessions) as session:
            lift_statement_timeout(session)  # a bulk import: allowed to take long
            for start in range(0, len(rows), BATCH):
                session.execute(insert(FeedbackEventRow), [dict(r) for r in rows[start : start + BATCH]])
        return len(rows)

    def import_dataset(
        self,
        *,
        items: Sequence[Mapping[str, Any]],
        users: Sequence[Mapping[str, Any]] = (),
        feedback: Sequence[Mapping[str, Any]] = (),
        feedback_source: str | None = None,
        on_progress: Callable[[int], None] | None = None,
    ) -> ImportCounts:
        """Write a whole imported dataset in ONE transaction, so a failure leaves the old data intact.

        Items are inserted or updated by `item_id` (never deleted, so chat feedback keeps its items);
        users are inserted when new. With `feedback_source`, that source's earlier feedback is deleted
        before `feedback` is inserted, so a re-import replaces instead of doubling; other sources
        (chat feedback) are untouched. `on_progress(n)` is called after each batch of n rows.
        """
        now = utcnow()
        with session_scope(self._sessions) as session:
            lift_statement_timeout(session)  # one big transaction, allowed to take long
            existing = set(session.scalars(select(ItemRow.item_id)))
            new_items = [{**r, "updated_at": now} for r in items if r["item_id"] not in existing]
            old_items = [{**r, "updated_at": now} for r in items if r["item_id"] in existing]
            for start in range(0, len(new_items), BATCH):
                session.execute(insert(ItemRow), new_items[start : start + BATCH])
                _report(on_progress, len(new_items[start : start + BATCH]))
            for start in range(0, len(old_items), BATCH):
                session.execute(update(ItemRow), old_items[start : start + BATCH])
                _report(on_progress, len(old_items[start : start + BATCH]))
            known_users = set(session.scalars(select(UserRow.user_id)))
            new_users = [dict(r) for r in users if r["user_id"] not in known_users]
            for start in range(0, len(new_users), BATCH):
                session.execute(insert(UserRow), new_users[start : start + BATCH])
            deleted = 0
            if feedback_source is not None:
                result = session.execute(delete(FeedbackEventRow).where(FeedbackEventRow.source == feedback_source))
                deleted = int(result.rowcount or 0)  # type: ignore[attr-defined]
            for start in range(0, len(feedback), BATCH):
                batch = [dict(r) for r in feedback[start : start + BATCH]]
                session.execute(insert(FeedbackEventRow), batch)
                _report(on_progress, len(batch))
        return ImportCounts(
            items_inserted=len(new_items),
            items_updated=len(old_items),
            users_inserted=len(new_users),
            feedback_deleted=deleted,
            feedback_inserted=len(feedback),
        )

    def count_users(self, source: str | None = None) -> int:
        """Number of users, optionally of one source ("chat", "movielens", ...)."""
        stmt = select(func.count()).select_from(UserRow)
        if source is not None:
            stmt = stmt.where(UserRow.source == source)
        with session_scope(self._sessions) as session:
            return int(session.scalar(stmt) or 0)

    def existing_users(self, user_ids: Iterable[str], created_before: datetime | None = None) -> set[str]:
        """Which of `user_ids` still have a user row (a forgotten user has none).

        With `created_before`, only rows created at or before it count: a forgotten user who came
        back later has a new row, and is not the user a model trained before that knew.
        """
        wanted = list(dict.fromkeys(user_ids))
        found: set[str] = set()
        with session_scope(self._sessions) as session:
            for start in range(0, len(wanted), BATCH):
                stmt = select(UserRow.user_id).where(UserRow.user_id.in_(wanted[start : start + BATCH]))
                if created_before is not None:
                    stmt = stmt.where(UserRow.created_at <= created_before)
                found.update(session.scalars(stmt))
        return found

    def load_items(self) -> list[Item]:
        """Every catalog item, ordered by id."""
        with session_scope(self._sessions) as session:
            return [item_from_row(r) for r in session.scalars(select(ItemRow).order_by(ItemRow.item_id))]

    def get_item(self, item_id: str) -> Item | None:
        """One item, or None when the id is not in the catalog."""
        with session_scope(self._sessions) as session:
            row = session.get(ItemRow, item_id)
            return item_from_row(row) if row else None

    def count_items(self) -> int:
        """Number of catalog items."""
        with session_scope(self._sessions) as session:
            return int(session.scalar(select(func.count()).select_from(ItemRow)) or 0)

    def catalog_fingerprint(self) -> tuple[int, str]:
        """(item count, newest item update): changes whenever the catalog is re-imported."""
        with session_scope(self._sessions) as session:
            count = session.scalar(select(func.count()).select_from(ItemRow)) or 0
            newest = session.scalar(select(func.max(ItemRow.updated_at)))
            return int(count), str(newest)

    def ensure_user_session(self, user_id: str, session_id: str | None) -> None:
        """Create the user (and session) rows on first sight; touch the session otherwise."""
        with session_scope(self._sessions) as session:
            if session.get(UserRow, user_id) is None:
                session.add(UserRow(user_id=user_id, source="chat"))
                session.flush()
            if session_id is not None:
                row = session.get(SessionRow, session_id)
                if row is None:
                    session.add(SessionRow(session_id=session_id, user_id=user_id))
                else:
                    row.last_seen_at = utcnow()
