"""Account listings and their snapshots over time.

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def state() -> list[sa.Column]:
    """Fresh state columns (a Column belongs to one table)."""
    return [
        sa.Column("followers", sa.BigInteger),
        sa.Column("price_low", sa.Float),
        sa.Column("price_high", sa.Float),
        sa.Column("has_violation", sa.Boolean),
        sa.Column("live_enabled", sa.Boolean),
        sa.Column("verified", sa.Boolean),
        sa.Column("sell_enabled", sa.Boolean),
        sa.Column("blue_v", sa.Boolean),
    ]


def upgrade() -> None:
    op.create_table(
        "listings",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("source_id", sa.Integer, sa.ForeignKey("sources.id")),
        sa.Column("key", sa.String(500), nullable=False),
        sa.Column("url", sa.Text),
        sa.Column("article_id", sa.Integer, sa.ForeignKey("articles.id", ondelete="SET NULL")),
        sa.Column("platform", sa.String(50)),
        sa.Column("category", sa.String(100)),
        sa.Column("title", sa.Text),
        *state(),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("first_seen", TS, nullable=False),
        sa.Column("last_seen", TS, nullable=False),
        sa.Column("last_run_id", sa.Integer),
        sa.Column("missed_runs", sa.Integer, nullable=False),
        sa.Column("fields", sa.JSON, nullable=False),
        sa.Column("flags", sa.JSON, nullable=False),
    )
    op.create_index("ux_listings_source_key", "listings", ["source_id", "key"], unique=True)
    op.create_index("ix_listings_platform_category", "listings", ["platform", "category"])
    op.create_table(
        "listing_snapshots",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("listing_id", sa.Integer, sa.ForeignKey("listings.id", ondelete="CASCADE"), nullable=False),
        sa.Column("run_id", sa.Integer),
        sa.Column("seen_at", TS, nullable=False),
        *state(),
        sa.Column("status", sa.String(20), nullable=False),
    )
    op.create_index("ix_listing_snapshots_listing", "listing_snapshots", ["listing_id", "seen_at"])


def downgrade() -> None:
    op.drop_table("listing_snapshots")
    op.drop_table("listings")
