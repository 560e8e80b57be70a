"""item image_url: a picture of the item (a book cover, a poster) for the channels that show one

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 12:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # batch mode: SQLite cannot alter a table in place; existing items get "" (no picture)
    with op.batch_alter_table("items") as batch:
        batch.add_column(sa.Column("image_url", sa.String(length=1024), server_default="", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("items") as batch:
        batch.drop_column("image_url")
