"""SQLite: the LSH key tables lose their foreign key; a trigger deletes an article's keys.

With ``PRAGMA foreign_keys=ON`` SQLite looks the parent article up for every child row
inserted *and deleted*: moving lsh_recent's 1,200,000 keys into lsh_keys (storage.store)
read an article row at random for each of them twice (once to insert, once to delete), and
an article row spans several pages beyond the memory map on a large store. Measured on a
synthetic 3 GB store, one move took 8.4-9.6 s with the checks and 2.3 s without. The keys
only ever come from articles the same transaction inserted, so the check guards nothing the
store does not already ensure; what the foreign key did besides, delete an article's keys
with it, an ``AFTER DELETE`` trigger on articles now does (whatever the connection's
foreign_keys setting). PostgreSQL keeps its foreign keys.

Revision ID: 0024
Revises: 0023
"""
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

TABLES = ("lsh_keys", "lsh_recent")


def _rebuild(table: str, reference: str) -> None:
    """``table`` again, WITHOUT ROWID on (band, key, article_id), its article_id column with
    ``reference``; rows copied in key order."""
    op.execute(f"CREATE TABLE {table}_new (band SMALLINT NOT NULL, key BIGINT NOT NULL,"
               f" article_id INTEGER NOT NULL{reference}, PRIMARY KEY (band, key, article_id)) WITHOUT ROWID")
    op.execute(f"INSERT INTO {table}_new (band, key, article_id) SELECT band, key, article_id"
               f" FROM {table} ORDER BY band, key, article_id")
    op.execute(f"DROP TABLE {table}")
    op.execute(f"ALTER TABLE {table}_new RENAME TO {table}")
    op.execute(f"CREATE INDEX ix_{table}_article ON {table} (article_id)")  # deletes by article


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in TABLES:
        _rebuild(table, "")
    op.execute("CREATE TRIGGER lsh_keys_articles_ad AFTER DELETE ON articles BEGIN "
               "DELETE FROM lsh_keys WHERE article_id = old.id; "
               "DELETE FROM lsh_recent WHERE article_id = old.id; END")


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("DROP TRIGGER IF EXISTS lsh_keys_articles_ad")
    for table in TABLES:
        _rebuild(table, " REFERENCES articles (id) ON DELETE CASCADE")
