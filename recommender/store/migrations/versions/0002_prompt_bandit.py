"""prompt bandit state: per-variant statistics and per-request assignments

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 12:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "prompt_variant_stats",
        sa.Column("task", sa.String(length=32), nullable=False),
        sa.Column("variant", sa.String(length=64), nullable=False),
        sa.Column("pulls", sa.Integer(), nullable=False),
        sa.Column("successes", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("task", "variant"),
    )
    op.create_table(
        "prompt_assignments",
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("task", sa.String(length=32), nullable=False),
        sa.Column("variant", sa.String(length=64), nullable=False),
        sa.Column("rewarded", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("request_id", "task"),
    )
    with op.batch_alter_table("prompt_assignments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_prompt_assignments_created_at"), ["created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("prompt_assignments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_prompt_assignments_created_at"))
    op.drop_table("prompt_assignments")
    op.drop_table("prompt_variant_stats")
