"""SQLite: a batch of new articles enters the full-text tables in two statements.

The per-row insert triggers of ``articles_fts`` and ``articles_title_fts`` cost about a fifth
of a batch's write (bench/store_write.py). ``storage.store.Store.write`` now marks its
transaction in ``fts_deferred`` (a row only it can see: SQLite has one writer, and the row is
deleted before the commit), inserts the batch's articles, whose triggers then skip, and fills
both tables for them in one statement each. Every other insert, in any process, still goes
through the triggers, so the tables always hold every article (an external-content FTS5
table must: deleting a row it never indexed corrupts it). PostgreSQL is unchanged.

Revision ID: 0022
Revises: 0021
"""
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

FTS = (
    ("articles_fts_ai", "articles_fts", "title_terms, body_terms, facet_terms",
     "new.title_terms, new.body_terms, new.facet_terms"),
    ("articles_title_fts_ai", "articles_title_fts", "title_terms", "new.title_terms"),
)


def _triggers(when: str) -> None:
    for name, table, cols, new in FTS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute(f"CREATE TRIGGER {name} AFTER INSERT ON articles{when} BEGIN "
                   f"INSERT INTO {table}(rowid, {cols}) VALUES (new.id, {new}); END")


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("CREATE TABLE fts_deferred (flag INTEGER PRIMARY KEY)")
    _triggers(" WHEN NOT EXISTS (SELECT 1 FROM fts_deferred)")


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    _triggers("")
    op.execute("DROP TABLE fts_deferred")
