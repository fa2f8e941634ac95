"""A full-text index of titles alone (SQLite): ranking by title matches without walking bodies.

When a query's words are too common for FTS5's bm25() over whole documents, search ranks its
candidates by their titles (storage.search._bm25_plan). As a column filter on the main index
that still walked every body doclist and checked each position list: 15-20 ms for a rare
pair among a million articles. Titles' own index holds ~20 words a document, so the same
ranking reads short doclists. PostgreSQL needs none (ts_rank reads the tsvector's weights).

Revision ID: 0013
Revises: 0012
"""
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

TRIGGERS = ("articles_title_fts_ai", "articles_title_fts_ad", "articles_title_fts_au")


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("CREATE VIRTUAL TABLE articles_title_fts USING fts5(title_terms, content='articles',"
               " content_rowid='id', tokenize='unicode61 remove_diacritics 0')")
    op.execute("CREATE TRIGGER articles_title_fts_ai AFTER INSERT ON articles BEGIN"
               " INSERT INTO articles_title_fts(rowid, title_terms) VALUES (new.id, new.title_terms); END")
    op.execute("CREATE TRIGGER articles_title_fts_ad AFTER DELETE ON articles BEGIN"
               " INSERT INTO articles_title_fts(articles_title_fts, rowid, title_terms)"
               " VALUES ('delete', old.id, old.title_terms); END")
    op.execute("CREATE TRIGGER articles_title_fts_au AFTER UPDATE OF title_terms ON articles BEGIN"
               " INSERT INTO articles_title_fts(articles_title_fts, rowid, title_terms)"
               " VALUES ('delete', old.id, old.title_terms);"
               " INSERT INTO articles_title_fts(rowid, title_terms) VALUES (new.id, new.title_terms); END")
    op.execute("INSERT INTO articles_title_fts(articles_title_fts) VALUES ('rebuild')")


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for trigger in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.execute("DROP TABLE IF EXISTS articles_title_fts")
