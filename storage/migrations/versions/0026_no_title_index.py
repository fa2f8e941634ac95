"""SQLite: no separate full-text index of titles.

Migration 0013 added ``articles_title_fts`` so the capped engine of the time could rank very
common words by title matches. The exact engine (storage.search) never reads it, and the app's
search on a file store is the derived tantivy index (storage.search_index); yet every batch
of new articles filled it. Dropping it takes that fill out of every write and its pages out
of the store. The pre-issue-19 baseline (bench/capped_fts5_search.py) builds the table for
itself, untimed, before it is queried. PostgreSQL never had it.

Revision ID: 0026
Revises: 0025
"""
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

TRIGGERS = ("articles_title_fts_ai", "articles_title_fts_ad", "articles_title_fts_au")


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for trigger in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.execute("DROP TABLE IF EXISTS articles_title_fts")


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("CREATE VIRTUAL TABLE articles_title_fts USING fts5(title_terms, content='articles',"
               " content_rowid='id', tokenize='unicode61 remove_diacritics 0')")
    op.execute("CREATE TRIGGER articles_title_fts_ai AFTER INSERT ON articles"
               " WHEN NOT EXISTS (SELECT 1 FROM fts_deferred) BEGIN"
               " INSERT INTO articles_title_fts(rowid, title_terms) VALUES (new.id, new.title_terms); END")
    op.execute("CREATE TRIGGER articles_title_fts_ad AFTER DELETE ON articles BEGIN"
               " INSERT INTO articles_title_fts(articles_title_fts, rowid, title_terms)"
               " VALUES ('delete', old.id, old.title_terms); END")
    op.execute("CREATE TRIGGER articles_title_fts_au AFTER UPDATE OF title_terms ON articles BEGIN"
               " INSERT INTO articles_title_fts(articles_title_fts, rowid, title_terms)"
               " VALUES ('delete', old.id, old.title_terms);"
               " INSERT INTO articles_title_fts(rowid, title_terms) VALUES (new.id, new.title_terms); END")
    op.execute("INSERT INTO articles_title_fts(articles_title_fts) VALUES ('rebuild')")
