"""SQLite: a Store.write batch logs one search change per new article, not one per tag.

``search_changes_tags_ai`` (migration 0021) logged a row for every platform, topic and entity
tag inserted: about ten per new article, each through the trigger, although the article's own
insert already logs it (a derived index re-reads the whole article, tags included). While
``fts_deferred`` marks a Store.write batch (migration 0022), the tag insert trigger now skips;
the batch logs each article whose tags it replaced itself (storage.store). Every other tag
insert, in any process, still logs through the trigger. PostgreSQL is unchanged.

Revision ID: 0023
Revises: 0022
"""
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

TAG_KINDS = "('platform', 'topic', 'entity')"


def _trigger(when: str) -> None:
    op.execute("DROP TRIGGER IF EXISTS search_changes_tags_ai")
    op.execute(f"CREATE TRIGGER search_changes_tags_ai AFTER INSERT ON tags WHEN new.kind IN {TAG_KINDS}{when} "
               "BEGIN INSERT INTO search_changes(article_id) VALUES (new.article_id); END")


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _trigger(" AND NOT EXISTS (SELECT 1 FROM fts_deferred)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _trigger("")
