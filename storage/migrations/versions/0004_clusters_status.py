"""Near-duplicate clusters, editorial status, and the LSH keys that find candidates.

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "clusters",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("canonical_id", sa.Integer),  # the member shown; others are "also at"
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    with op.batch_alter_table("articles") as batch:
        batch.add_column(sa.Column("cluster_id", sa.Integer))
        # editorial status: new | approved | rejected | published | unpublished
        batch.add_column(sa.Column("status", sa.String(20), nullable=False, server_default="new"))
        batch.add_column(sa.Column("fingerprint", sa.LargeBinary))  # near-duplicate signature
        batch.create_index("ix_articles_cluster", ["cluster_id"])
        batch.create_index("ix_articles_status", ["status"])
    # LSH band keys: an article shares a (band, key) with its near-duplicate candidates.
    op.create_table(
        "lsh_keys",
        sa.Column("band", sa.SmallInteger, nullable=False),
        sa.Column("key", sa.BigInteger, nullable=False),
        sa.Column("article_id", sa.Integer, sa.ForeignKey("articles.id", ondelete="CASCADE"),
                  nullable=False),
    )
    op.create_index("ix_lsh_keys_band_key", "lsh_keys", ["band", "key"])
    op.create_index("ix_lsh_keys_article", "lsh_keys", ["article_id"])


def downgrade() -> None:
    op.drop_table("lsh_keys")
    with op.batch_alter_table("articles") as batch:
        batch.drop_index("ix_articles_status")
        batch.drop_index("ix_articles_cluster")
        batch.drop_column("fingerprint")
        batch.drop_column("status")
        batch.drop_column("cluster_id")
    op.drop_table("clusters")
