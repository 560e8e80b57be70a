"""feedback_events idempotency_key: one key per button press, so a retried press or a replayed spool
event is stored once

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 15:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # nullable: imported ratings and older rows have no key; NULLs never collide in a unique index
    # (SQLite and PostgreSQL alike). batch mode: SQLite cannot alter a table in place.
    with op.batch_alter_table("feedback_events") as batch:
        batch.add_column(sa.Column("idempotency_key", sa.String(length=64), nullable=True))
    op.create_index("uq_feedback_events_idempotency_key", "feedback_events", ["idempotency_key"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_feedback_events_idempotency_key", table_name="feedback_events")
    with op.batch_alter_table("feedback_events") as batch:
        batch.drop_column("idempotency_key")
