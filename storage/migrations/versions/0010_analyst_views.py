"""Views for analysts' own tools (sqlite3, DuckDB, pandas, psql): one row per article with
its source, platforms and topics as plain text, and one row per tag.

Revision ID: 0010
Revises: 0009
"""
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    agg = "group_concat(DISTINCT t.value)" if op.get_bind().dialect.name == "sqlite" \
        else "string_agg(DISTINCT t.value, ',')"
    for kind in ("platform", "topic"):
        op.execute(
            f"CREATE VIEW article_{kind}s AS SELECT t.article_id, t.value AS {kind}, t.score, t.count, "
            f"t.in_title FROM tags t WHERE t.kind = '{kind}'"
        )
    op.execute(
        "CREATE VIEW article_overview AS SELECT a.id, a.title, a.url, a.canonical_url, "
        "s.name AS source, a.published_at, a.status, a.cluster_id, a.script, a.original_source, "
        f"(SELECT {agg} FROM tags t WHERE t.article_id = a.id AND t.kind = 'platform') AS platforms, "
        f"(SELECT {agg} FROM tags t WHERE t.article_id = a.id AND t.kind = 'topic') AS topics, "
        "length(a.body) AS body_chars "
        "FROM articles a LEFT JOIN sources s ON s.id = a.source_id"
    )


def downgrade() -> None:
    for view in ("article_overview", "article_topics", "article_platforms"):
        op.execute(f"DROP VIEW IF EXISTS {view}")
