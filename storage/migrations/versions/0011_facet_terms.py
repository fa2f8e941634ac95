"""Filters in the full-text index: ``articles.facet_terms`` (see storage.facets).

A platform, topic, entity or source filter becomes a word of a third FTS5 column (SQLite)
or of the tsvector at weight D (PostgreSQL, ranked at weight 0), intersected with the query
by the engine instead of one tag probe per match. Existing articles get their tokens from
their tags; on SQLite the FTS table is recreated with the new column and rebuilt (minutes
at a million articles), on PostgreSQL the generated tsvector column is recomputed.

Revision ID: 0011
Revises: 0010
"""
import sqlalchemy as sa
from alembic import op

from storage.facets import KIND_LETTERS, facet_terms

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

BATCH = 5000
TSV = ("setweight(to_tsvector('simple', coalesce(title_terms, '')), 'A') || "
       "setweight(to_tsvector('simple', coalesce(body_terms, '')), 'B') || "
       "setweight(to_tsvector('simple', coalesce(facet_terms, '')), 'D')")
TSV_0006 = ("setweight(to_tsvector('simple', coalesce(title_terms, '')), 'A') || "
            "setweight(to_tsvector('simple', coalesce(body_terms, '')), 'B')")


def _fts(columns: tuple[str, ...]) -> list[str]:
    cols = ", ".join(columns)
    new = ", ".join(f"new.{c}" for c in columns)
    old = ", ".join(f"old.{c}" for c in columns)
    return [
        f"CREATE VIRTUAL TABLE articles_fts USING fts5({cols}, content='articles', content_rowid='id',"
        " tokenize='unicode61 remove_diacritics 0')",
        f"CREATE TRIGGER articles_fts_ai AFTER INSERT ON articles BEGIN "
        f"INSERT INTO articles_fts(rowid, {cols}) VALUES (new.id, {new}); END",
        f"CREATE TRIGGER articles_fts_ad AFTER DELETE ON articles BEGIN "
        f"INSERT INTO articles_fts(articles_fts, rowid, {cols}) VALUES ('delete', old.id, {old}); END",
        # only a change of the indexed columns touches the index (status or cluster updates don't)
        f"CREATE TRIGGER articles_fts_au AFTER UPDATE OF {cols} ON articles BEGIN "
        f"INSERT INTO articles_fts(articles_fts, rowid, {cols}) VALUES ('delete', old.id, {old}); "
        f"INSERT INTO articles_fts(rowid, {cols}) VALUES (new.id, {new}); END",
        "INSERT INTO articles_fts(articles_fts) VALUES ('rebuild')",
    ]


def _drop_fts() -> None:
    for trigger in ("articles_fts_ai", "articles_fts_ad", "articles_fts_au"):
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.execute("DROP TABLE IF EXISTS articles_fts")


def _fill(conn) -> None:  # noqa: ANN001
    """facet_terms of every article from its tags, in batches of article ids."""
    kinds = ", ".join(f"'{k}'" for k in KIND_LETTERS)
    last = 0
    while True:
        rows = conn.execute(sa.text("SELECT a.id, s.name AS source FROM articles a LEFT JOIN sources s"
                                    " ON s.id = a.source_id WHERE a.id > :last ORDER BY a.id LIMIT :n"),
                            {"last": last, "n": BATCH}).all()
        if not rows:
            return
        tags: dict[int, list[tuple[str, str]]] = {r.id: [] for r in rows}
        for t in conn.execute(sa.text(f"SELECT article_id, kind, value FROM tags WHERE kind IN ({kinds})"
                                      " AND article_id BETWEEN :lo AND :hi ORDER BY article_id, kind, value"),
                              {"lo": rows[0].id, "hi": rows[-1].id}):
            tags[t.article_id].append((t.kind, t.value))
        conn.execute(sa.text("UPDATE articles SET facet_terms = :f WHERE id = :i"),
                     [{"f": facet_terms(tags[r.id], r.source), "i": r.id} for r in rows])
        last = rows[-1].id


def upgrade() -> None:
    conn = op.get_bind()
    sqlite = conn.dialect.name == "sqlite"
    if sqlite:
        _drop_fts()  # the new column joins the index; FTS5 tables can't gain columns
    else:
        op.execute("DROP INDEX IF EXISTS ix_articles_tsv_col")
        op.execute("ALTER TABLE articles DROP COLUMN IF EXISTS tsv")
    op.execute("ALTER TABLE articles ADD COLUMN facet_terms TEXT")
    _fill(conn)
    if sqlite:
        for stmt in _fts(("title_terms", "body_terms", "facet_terms")):
            op.execute(stmt)
    else:
        op.execute(f"ALTER TABLE articles ADD COLUMN tsv tsvector GENERATED ALWAYS AS ({TSV}) STORED")
        op.execute("CREATE INDEX ix_articles_tsv_col ON articles USING GIN (tsv)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _drop_fts()
        op.execute("ALTER TABLE articles DROP COLUMN facet_terms")
        for stmt in _fts(("title_terms", "body_terms")):
            op.execute(stmt)
    else:
        op.execute("DROP INDEX IF EXISTS ix_articles_tsv_col")
        op.execute("ALTER TABLE articles DROP COLUMN tsv")
        op.execute("ALTER TABLE articles DROP COLUMN facet_terms")
        op.execute(f"ALTER TABLE articles ADD COLUMN tsv tsvector GENERATED ALWAYS AS ({TSV_0006}) STORED")
        op.execute("CREATE INDEX ix_articles_tsv_col ON articles USING GIN (tsv)")
