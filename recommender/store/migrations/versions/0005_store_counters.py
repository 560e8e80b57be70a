"""store counters: a count of forgotten users, so serving re-checks its trained users only after one

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 19:15:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    counters = op.create_table(
        "store_counters",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.bulk_insert(counters, [{"name": "users_forgotten", "value": 0}])


def downgrade() -> None:
    op.drop_table("store_counters")
