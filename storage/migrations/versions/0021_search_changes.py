"""Change log for a search index derived from the store (storage.search_index).

``search_changes(seq, article_id)`` gets a row, from triggers, whenever something a derived
index holds of an article changes: the article's insert, delete or an update of an indexed
column (terms, dates, status, cluster, source), a platform/topic/entity tag added, changed or
removed, a cluster's canonical member changing (both the old and the new one), or a source
renamed (each of its articles). An index
applies the rows past its watermark, so whatever process writes the store (crawler, console,
CLI, a migration), the index catches up. Triggers on both dialects: a PostgreSQL deployment
that configures an index is kept in step the same way.

Revision ID: 0021
Revises: 0020
"""
import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

ARTICLE_COLUMNS = "title_terms, body_terms, published_at, status, cluster_id, publish_at, source_id"
TAG_KINDS = "('platform', 'topic', 'entity')"

SQLITE_TRIGGERS = (
    "CREATE TRIGGER search_changes_articles_ai AFTER INSERT ON articles BEGIN "
    "INSERT INTO search_changes(article_id) VALUES (new.id); END",
    f"CREATE TRIGGER search_changes_articles_au AFTER UPDATE OF {ARTICLE_COLUMNS} ON articles BEGIN "
    "INSERT INTO search_changes(article_id) VALUES (new.id); END",
    "CREATE TRIGGER search_changes_articles_ad AFTER DELETE ON articles BEGIN "
    "INSERT INTO search_changes(article_id) VALUES (old.id); END",
    f"CREATE TRIGGER search_changes_tags_ai AFTER INSERT ON tags WHEN new.kind IN {TAG_KINDS} BEGIN "
    "INSERT INTO search_changes(article_id) VALUES (new.article_id); END",
    "CREATE TRIGGER search_changes_tags_au AFTER UPDATE OF kind, value, article_id ON tags BEGIN "
    "INSERT INTO search_changes(article_id) VALUES (old.article_id); "
    "INSERT INTO search_changes(article_id) VALUES (new.article_id); END",
    f"CREATE TRIGGER search_changes_tags_ad AFTER DELETE ON tags WHEN old.kind IN {TAG_KINDS} BEGIN "
    "INSERT INTO search_changes(article_id) VALUES (old.article_id); END",
    "CREATE TRIGGER search_changes_clusters_au AFTER UPDATE OF canonical_id ON clusters"
    " WHEN old.canonical_id IS NOT new.canonical_id BEGIN "
    "INSERT INTO search_changes(article_id) SELECT old.canonical_id WHERE old.canonical_id IS NOT NULL; "
    "INSERT INTO search_changes(article_id) SELECT new.canonical_id WHERE new.canonical_id IS NOT NULL; END",
    "CREATE TRIGGER search_changes_clusters_ai AFTER INSERT ON clusters WHEN new.canonical_id IS NOT NULL BEGIN "
    "INSERT INTO search_changes(article_id) VALUES (new.canonical_id); END",
    "CREATE TRIGGER search_changes_sources_au AFTER UPDATE OF name ON sources WHEN old.name IS NOT new.name BEGIN "
    "INSERT INTO search_changes(article_id) SELECT id FROM articles WHERE source_id = new.id; END",
)

PG_FUNCTIONS = (
    """CREATE OR REPLACE FUNCTION search_changes_article() RETURNS trigger AS $$
    BEGIN
      IF TG_OP = 'DELETE' THEN INSERT INTO search_changes(article_id) VALUES (OLD.id); RETURN OLD; END IF;
      INSERT INTO search_changes(article_id) VALUES (NEW.id); RETURN NEW;
    END $$ LANGUAGE plpgsql""",
    f"""CREATE OR REPLACE FUNCTION search_changes_tag() RETURNS trigger AS $$
    BEGIN
      IF TG_OP <> 'INSERT' AND OLD.kind IN {TAG_KINDS} THEN
        INSERT INTO search_changes(article_id) VALUES (OLD.article_id);
      END IF;
      IF TG_OP <> 'DELETE' AND NEW.kind IN {TAG_KINDS} THEN
        INSERT INTO search_changes(article_id) VALUES (NEW.article_id);
      END IF;
      RETURN NULL;
    END $$ LANGUAGE plpgsql""",
    """CREATE OR REPLACE FUNCTION search_changes_cluster() RETURNS trigger AS $$
    BEGIN
      IF TG_OP = 'UPDATE' AND OLD.canonical_id IS NOT NULL AND OLD.canonical_id IS DISTINCT FROM NEW.canonical_id THEN
        INSERT INTO search_changes(article_id) VALUES (OLD.canonical_id);
      END IF;
      IF NEW.canonical_id IS NOT NULL AND (TG_OP = 'INSERT' OR OLD.canonical_id IS DISTINCT FROM NEW.canonical_id) THEN
        INSERT INTO search_changes(article_id) VALUES (NEW.canonical_id);
      END IF;
      RETURN NULL;
    END $$ LANGUAGE plpgsql""",
    """CREATE OR REPLACE FUNCTION search_changes_source() RETURNS trigger AS $$
    BEGIN
      IF OLD.name IS DISTINCT FROM NEW.name THEN
        INSERT INTO search_changes(article_id) SELECT id FROM articles WHERE source_id = NEW.id;
      END IF;
      RETURN NULL;
    END $$ LANGUAGE plpgsql""",
)
PG_TRIGGERS = (
    "CREATE TRIGGER search_changes_articles_ai AFTER INSERT OR DELETE ON articles"
    " FOR EACH ROW EXECUTE FUNCTION search_changes_article()",
    f"CREATE TRIGGER search_changes_articles_au AFTER UPDATE OF {ARTICLE_COLUMNS} ON articles"
    " FOR EACH ROW EXECUTE FUNCTION search_changes_article()",
    "CREATE TRIGGER search_changes_tags AFTER INSERT OR UPDATE OR DELETE ON tags"
    " FOR EACH ROW EXECUTE FUNCTION search_changes_tag()",
    "CREATE TRIGGER search_changes_clusters AFTER INSERT OR UPDATE OF canonical_id ON clusters"
    " FOR EACH ROW EXECUTE FUNCTION search_changes_cluster()",
    "CREATE TRIGGER search_changes_sources AFTER UPDATE OF name ON sources"
    " FOR EACH ROW EXECUTE FUNCTION search_changes_source()",
)


def upgrade() -> None:
    op.create_table(
        "search_changes",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("article_id", sa.Integer, nullable=False),
    )  # (pruning always keeps the newest row, so SQLite never reuses a seq)
    if op.get_bind().dialect.name == "sqlite":
        for trigger in SQLITE_TRIGGERS:
            op.execute(trigger)
    else:
        for statement in PG_FUNCTIONS + PG_TRIGGERS:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in SQLITE_TRIGGERS:
            op.execute("DROP TRIGGER IF EXISTS " + trigger.split()[2])
    else:
        for statement in PG_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {statement.split()[2]} ON {statement.split(' ON ')[1].split()[0]}")
        for name in ("search_changes_article", "search_changes_tag", "search_changes_cluster",
                     "search_changes_source"):
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
    op.drop_table("search_changes")
