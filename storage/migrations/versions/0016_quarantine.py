"""Quarantine: records the store refused for a lasting reason, kept with their error.

Revision ID: 0016
Revises: 0015
"""
import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "quarantine",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("run_id", sa.Integer, nullable=True),
        sa.Column("source", sa.String(100), nullable=True),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("error", sa.Text, nullable=False),
        sa.Column("record", sa.JSON, nullable=False),
    )
    op.create_index("ix_quarantine_run", "quarantine", ["run_id"])


def downgrade() -> None:
    op.drop_index("ix_quarantine_run", table_name="quarantine")
    op.drop_table("quarantine")
