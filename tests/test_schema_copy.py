"""A new SQLite store gets the head schema by copying a store migrated once per process
(storage.db._copy_new_sqlite_schema): it must be the very schema the migrations build."""

from __future__ import annotations

import sqlite3

from sqlalchemy import text

from storage import db


def _schema(path) -> list[tuple]:  # noqa: ANN001
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name").fetchall()
        version = conn.execute("SELECT version_num FROM alembic_version").fetchall()
        # alembic's batch migrations write a rebuilt table's constraints in set order, which
        # differs between two runs of the same migrations: compare each statement's lines as a set
        return [(t, n, tb, sorted(line.strip(" ,") for line in (sql or "").split("\n"))) for t, n, tb, sql in rows] + version
    finally:
        conn.close()


def test_copied_schema_equals_the_migrated_one(tmp_path):
    replayed = db.make_engine(f"sqlite:///{tmp_path / 'replayed.sqlite'}")
    db._upgrade(replayed)  # every migration, one after another
    replayed.dispose()
    copied_path = tmp_path / "copied.sqlite"
    copied = db.make_engine(f"sqlite:///{copied_path}")
    db.migrate(copied)
    copied.dispose()
    assert db._template is not None, "the new store was not copied from the process's template"
    assert _schema(copied_path) == _schema(tmp_path / "replayed.sqlite")
    conn = sqlite3.connect(copied_path)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    conn.close()
    assert (copied_path.stat().st_mode & 0o777) == 0o600  # still private


def test_a_file_with_tables_of_its_own_is_migrated_not_overwritten(tmp_path):
    path = tmp_path / "mine.sqlite"
    engine = db.make_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE notes (x TEXT)"))
        conn.execute(text("INSERT INTO notes VALUES ('kept')"))
    db.migrate(engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT x FROM notes")).scalar() == "kept"
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == db.head_revision()
    engine.dispose()


def _pg_schema(url: str) -> list[tuple]:
    from sqlalchemy import create_engine

    engine = create_engine(url)
    with engine.connect() as conn:
        schema = conn.execute(text("SELECT current_schema()")).scalar()
        queries = [
            "SELECT table_name, column_name, data_type, column_default, is_nullable"
            " FROM information_schema.columns WHERE table_schema = :s ORDER BY 1, 2",
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = :s ORDER BY 1",
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE connamespace = CAST(:s AS regnamespace) ORDER BY 1",
            "SELECT tgname, pg_get_triggerdef(t.oid) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
            " WHERE c.relnamespace = CAST(:s AS regnamespace) AND NOT t.tgisinternal ORDER BY 1",
            "SELECT p.proname, p.prosrc FROM pg_proc p WHERE p.pronamespace = CAST(:s AS regnamespace) ORDER BY 1",
            "SELECT table_name, view_definition FROM information_schema.views WHERE table_schema = :s ORDER BY 1",
        ]
        rows = [tuple(str(v).replace(schema, "S") for v in r)
                for q in queries for r in conn.execute(text(q), {"s": schema})]
        rows += [tuple(r) for r in conn.execute(text("SELECT version_num FROM alembic_version"))]
    engine.dispose()
    return rows


def test_replayed_postgresql_schema_equals_the_migrated_one(pg_url):
    import uuid

    from sqlalchemy import create_engine

    def new_schema() -> str:  # another schema beside pg_url's (dropped with the test's below)
        name = f"{schema}_{uuid.uuid4().hex[:6]}"
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{name}"'))
        made.append(name)
        return pg_url.replace(f"search_path%3D{schema}", f"search_path%3D{name}")

    admin = create_engine(pg_url)
    with admin.connect() as conn:
        schema = conn.execute(text("SELECT current_schema()")).scalar()
    made: list[str] = []
    try:
        engine = db.make_engine(pg_url)
        db._upgrade(engine)  # every migration, one after another
        engine.dispose()
        for _ in range(2):  # the first empty schema records (if no test did yet), the second replays
            url = new_schema()
            engine = db.make_engine(url)
            db.migrate(engine)
            engine.dispose()
        assert db._recorded is not None, "the empty schema was not migrated by replaying recorded statements"
        assert _pg_schema(url) == _pg_schema(pg_url)
    finally:
        with admin.begin() as conn:
            for name in made:
                conn.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
        admin.dispose()
