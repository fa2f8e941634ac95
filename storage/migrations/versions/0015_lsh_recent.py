"""New LSH keys in a small table of their own, merged into lsh_keys in key order.

A batch's 24,000 band keys land at random places in lsh_keys: at a million articles they
dirty about a fifth of its 120,000 pages every batch, each written to the WAL and again at
the checkpoint. New keys now go to lsh_recent, small enough to stay in the page cache, and
move into lsh_keys in one pass in key order once it holds RECENT_ROWS keys (storage.store):
a page of the big tree is written about once per 50,000 articles instead of once per batch
(a two-level log-structured merge). Probes read both tables.

Revision ID: 0015
Revises: 0014
"""
import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # one B-tree keyed by the probe's columns, as lsh_keys (migration 0014)
        op.execute("CREATE TABLE lsh_recent (band SMALLINT NOT NULL, key BIGINT NOT NULL,"
                   " article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,"
                   " PRIMARY KEY (band, key, article_id)) WITHOUT ROWID")
    else:
        op.create_table(
            "lsh_recent",
            sa.Column("band", sa.SmallInteger, primary_key=True),
            sa.Column("key", sa.BigInteger, primary_key=True),
            sa.Column("article_id", sa.Integer, sa.ForeignKey("articles.id", ondelete="CASCADE"),
                      primary_key=True),
        )
    # deletes of an article's keys (rewrites, removed sources) and the foreign key's cascade
    op.create_index("ix_lsh_recent_article", "lsh_recent", ["article_id"])


def downgrade() -> None:
    conflict = "OR IGNORE " if op.get_bind().dialect.name == "sqlite" else ""
    tail = "" if conflict else " ON CONFLICT DO NOTHING"
    op.execute(f"INSERT {conflict}INTO lsh_keys (band, key, article_id) SELECT band, key, article_id"
               f" FROM lsh_recent ORDER BY band, key, article_id{tail}")
    op.drop_table("lsh_recent")
