"""Search at scale: covering indexes for filters and facets; a stored tsvector on PostgreSQL.

- tags (kind, value, article_id): a platform/topic/entity filter is one index probe per
  candidate (the old (kind, value) index made SQLite scan every article with that tag).
- tags (article_id, kind, value): facet counts read the index only, never the table.
  Both replace the narrower indexes they extend.
- PostgreSQL: ranking needs the document vector of every candidate; an expression index
  only answers @@, so ts_rank recomputed to_tsvector over each body. A stored generated
  column is computed once at write time and indexed with GIN.
- SQLite: the FTS5 triggers are (re)created if missing and the index rebuilt. A batch
  migration that recreates ``articles`` (0005 does, on SQLite) drops them silently, and new
  articles would then never become searchable.

Revision ID: 0006
Revises: 0005
"""
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TSV = ("setweight(to_tsvector('simple', coalesce(title_terms, '')), 'A') || "
       "setweight(to_tsvector('simple', coalesce(body_terms, '')), 'B')")


FTS_TRIGGERS = (
    "CREATE TRIGGER IF NOT EXISTS articles_fts_ai AFTER INSERT ON articles BEGIN "
    "INSERT INTO articles_fts(rowid, title_terms, body_terms) "
    "VALUES (new.id, new.title_terms, new.body_terms); END",
    "CREATE TRIGGER IF NOT EXISTS articles_fts_ad AFTER DELETE ON articles BEGIN "
    "INSERT INTO articles_fts(articles_fts, rowid, title_terms, body_terms) "
    "VALUES ('delete', old.id, old.title_terms, old.body_terms); END",
    # only a change of the indexed columns touches the index (status or cluster updates don't)
    "CREATE TRIGGER IF NOT EXISTS articles_fts_au AFTER UPDATE OF title_terms, body_terms ON articles BEGIN "
    "INSERT INTO articles_fts(articles_fts, rowid, title_terms, body_terms) "
    "VALUES ('delete', old.id, old.title_terms, old.body_terms); "
    "INSERT INTO articles_fts(rowid, title_terms, body_terms) "
    "VALUES (new.id, new.title_terms, new.body_terms); END",
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # What ranking, collapsing and facets read per candidate, apart from the wide article
        # row (whose later-added columns sit behind the body, in overflow pages).
        op.execute("CREATE INDEX IF NOT EXISTS ix_articles_search"
                   " ON articles (id, published_at, cluster_id, status, source_id)")
        # the update trigger is replaced by one limited to the indexed columns
        op.execute("DROP TRIGGER IF EXISTS articles_fts_au")
        for trigger in FTS_TRIGGERS:
            op.execute(trigger)
        op.execute("INSERT INTO articles_fts(articles_fts) VALUES ('rebuild')")
    # IF [NOT] EXISTS throughout: idempotent, whatever order parallel branches were merged in
    op.execute("CREATE INDEX IF NOT EXISTS ix_tags_kind_value_article ON tags (kind, value, article_id)")
    op.execute("CREATE INDEX IF NOT EXISTS ix_tags_article_kind_value ON tags (article_id, kind, value)")
    op.execute("DROP INDEX IF EXISTS ix_tags_kind_value")
    op.execute("DROP INDEX IF EXISTS ix_tags_article")
    op.execute("CREATE INDEX IF NOT EXISTS ix_articles_source ON articles (source_id)")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE articles ADD COLUMN IF NOT EXISTS tsv tsvector GENERATED ALWAYS AS ({TSV}) STORED")
        op.execute("CREATE INDEX IF NOT EXISTS ix_articles_tsv_col ON articles USING GIN (tsv)")
        op.execute("DROP INDEX IF EXISTS ix_articles_tsv")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.drop_index("ix_articles_search", table_name="articles")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE INDEX ix_articles_tsv ON articles USING GIN (("
            "setweight(to_tsvector('simple', title_terms), 'A') || "
            "setweight(to_tsvector('simple', body_terms), 'B')))")
        op.execute("DROP INDEX IF EXISTS ix_articles_tsv_col")
        op.execute("ALTER TABLE articles DROP COLUMN tsv")
    op.drop_index("ix_articles_source", table_name="articles")
    op.create_index("ix_tags_article", "tags", ["article_id"])
    op.create_index("ix_tags_kind_value", "tags", ["kind", "value"])
    op.drop_index("ix_tags_article_kind_value", table_name="tags")
    op.drop_index("ix_tags_kind_value_article", table_name="tags")
