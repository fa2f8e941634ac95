"""LSH probes read one covering index, newest first: (band, key, article_id) replaces
(band, key). A probe then never visits the table, and a band key shared by many articles
(boilerplate sentences shingle alike) can be cut to its newest members in index order.

Revision ID: 0012
Revises: 0011
"""
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE INDEX IF NOT EXISTS ix_lsh_keys_band_key_article ON lsh_keys (band, key, article_id)")
    op.execute("DROP INDEX IF EXISTS ix_lsh_keys_band_key")


def downgrade() -> None:
    op.execute("CREATE INDEX IF NOT EXISTS ix_lsh_keys_band_key ON lsh_keys (band, key)")
    op.execute("DROP INDEX IF EXISTS ix_lsh_keys_band_key_article")
