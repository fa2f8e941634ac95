"""Initial schema: sources, crawl runs, raw pages, articles, tags, full-text index.

Revision ID: 0001
Revises:
"""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "sources",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("config", sa.JSON, nullable=False),
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_table(
        "crawl_runs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("sources", sa.JSON, nullable=False),
        sa.Column("trigger", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("finished_at", TS),
        sa.Column("stats", sa.JSON, nullable=False),
    )
    op.create_table(
        "raw_pages",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("source_id", sa.Integer, sa.ForeignKey("sources.id")),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("crawl_runs.id")),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("status", sa.Integer, nullable=False),
        sa.Column("fetched_at", TS, nullable=False),
        sa.Column("headers", sa.JSON, nullable=False),
        sa.Column("charset", sa.String(40)),
        sa.Column("html_z", sa.LargeBinary, nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("error_stage", sa.String(40)),
    )
    op.create_index("ix_raw_pages_url", "raw_pages", ["url"])
    op.create_table(
        "articles",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("source_id", sa.Integer, sa.ForeignKey("sources.id")),
        sa.Column("raw_page_id", sa.Integer, sa.ForeignKey("raw_pages.id")),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("canonical_url", sa.String(2000), nullable=False, unique=True),
        sa.Column("title", sa.Text),
        sa.Column("published_at", TS),
        sa.Column("authors", sa.JSON, nullable=False),
        sa.Column("editor", sa.Text),
        sa.Column("original_source", sa.Text),
        sa.Column("lead", sa.Text),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("blocks", sa.JSON, nullable=False),
        sa.Column("script", sa.String(20), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("flags", sa.JSON, nullable=False),
        sa.Column("title_terms", sa.Text, nullable=False),
        sa.Column("body_terms", sa.Text, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_index("ix_articles_published_at", "articles", ["published_at"])
    op.create_table(
        "tags",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("article_id", sa.Integer, sa.ForeignKey("articles.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("value", sa.String(200), nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("first_pos", sa.Integer),
        sa.Column("in_title", sa.Boolean, nullable=False),
    )
    op.create_index("ix_tags_kind_value", "tags", ["kind", "value"])
    op.create_index("ix_tags_article", "tags", ["article_id"])

    if op.get_bind().dialect.name == "sqlite":
        # External-content FTS5 over the segmented terms, kept in step by triggers.
        op.execute(
            "CREATE VIRTUAL TABLE articles_fts USING fts5("
            "title_terms, body_terms, content='articles', content_rowid='id', "
            "tokenize='unicode61 remove_diacritics 0')"
        )
        op.execute(
            "CREATE TRIGGER articles_fts_ai AFTER INSERT ON articles BEGIN "
            "INSERT INTO articles_fts(rowid, title_terms, body_terms) "
            "VALUES (new.id, new.title_terms, new.body_terms); END"
        )
        op.execute(
            "CREATE TRIGGER articles_fts_ad AFTER DELETE ON articles BEGIN "
            "INSERT INTO articles_fts(articles_fts, rowid, title_terms, body_terms) "
            "VALUES ('delete', old.id, old.title_terms, old.body_terms); END"
        )
        op.execute(
            "CREATE TRIGGER articles_fts_au AFTER UPDATE ON articles BEGIN "
            "INSERT INTO articles_fts(articles_fts, rowid, title_terms, body_terms) "
            "VALUES ('delete', old.id, old.title_terms, old.body_terms); "
            "INSERT INTO articles_fts(rowid, title_terms, body_terms) "
            "VALUES (new.id, new.title_terms, new.body_terms); END"
        )
    elif op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE INDEX ix_articles_tsv ON articles USING GIN (("
            "setweight(to_tsvector('simple', title_terms), 'A') || "
            "setweight(to_tsvector('simple', body_terms), 'B')))"
        )


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for trig in ("articles_fts_ai", "articles_fts_ad", "articles_fts_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {trig}")
        op.execute("DROP TABLE IF EXISTS articles_fts")
    for table in ("tags", "articles", "raw_pages", "crawl_runs", "sources"):
        op.drop_table(table)
