"""Editorial workflow: when an approved article goes public, featuring, takedowns, and a log
of every curation decision with its reason.

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("articles") as batch:
        batch.add_column(sa.Column("publish_at", TS))         # embargo: public from this time
        batch.add_column(sa.Column("featured", sa.Boolean, nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("summary", sa.Text))       # an editor's summary, shown on the site
        batch.add_column(sa.Column("edited_title", sa.Text))  # an editor's title, shown instead
        batch.create_index("ix_articles_status_publish_at", ["status", "publish_at"])
    op.create_table(
        "curation_events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("article_id", sa.Integer, sa.ForeignKey("articles.id", ondelete="CASCADE")),
        sa.Column("source_id", sa.Integer, sa.ForeignKey("sources.id")),  # source-wide takedowns
        # approve | reject | feature | unfeature | edit | publish | unpublish (takedown) | auto
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),  # a user name, or "rule:<name>"
        sa.Column("reason", sa.Text),
        sa.Column("at", TS, nullable=False),
    )
    op.create_index("ix_curation_events_article", "curation_events", ["article_id", "at"])


def downgrade() -> None:
    op.drop_table("curation_events")
    with op.batch_alter_table("articles") as batch:
        batch.drop_index("ix_articles_status_publish_at")
        for col in ("edited_title", "summary", "featured", "publish_at"):
            batch.drop_column(col)
