"""SQLite: the clustering's fingerprint reads come from a covering index.

Every batch reads the fingerprints (and clusters) of ~10,000 stored candidates at random
(storage.store._stored_candidates). The fingerprint is one of an article row's last columns
and a row (body, its terms, its blocks) spans two or three pages, so each read followed the
row's overflow chain: 12 s of a 300,000-article load's 300 s of writes, more as the store
outgrows the memory map. The index (id, fingerprint, cluster_id), appended to in id order,
holds ~14 candidates a page. PostgreSQL keeps a short fingerprint in the row's heap tuple
(the long columns are TOASTed), so it needs none.

Revision ID: 0025
Revises: 0024
"""
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("CREATE INDEX ix_articles_fingerprint ON articles (id, fingerprint, cluster_id)"
                   " WHERE fingerprint IS NOT NULL")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP INDEX IF EXISTS ix_articles_fingerprint")
