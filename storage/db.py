"""Engine creation and migrations. One URL selects the backend (SQLite or PostgreSQL).

Migrations are explicit: :func:`ensure_schema` creates a new, empty store and refuses one
whose schema is behind (``daihuo db upgrade`` brings it forward), so no command migrates a
shared store behind an operator's back; :func:`migrate` holds a lock so two processes never
run migrations at once.
"""

from __future__ import annotations

import atexit
import fcntl
import os
import shutil
import sqlite3
import tempfile
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, inspect, text

from storage.config import database_url
from storage.private_files import create_private, sqlite_file

MIGRATIONS = Path(__file__).with_name("migrations")
SQLITE_CACHE_KIB = 64 * 1024  # per connection, allocated as pages are used
SQLITE_MMAP_BYTES = 2 << 30  # address space, not memory: pages stay in the OS cache


def make_engine(url: str | None = None) -> Engine:
    """An engine for ``url`` (default: the configured store), with SQLite tuned for a crawler:
    WAL so readers never block the writer, a busy timeout instead of 'database is locked'."""
    url = url or database_url()
    if url.startswith("sqlite"):
        db_file = sqlite_file(url)
        if db_file is not None and db_file.parent.is_dir():  # a new store: 0600 (WAL, SHM follow it)
            create_private(db_file)
        # check_same_thread off: the pool hands a connection to one thread at a time, and the
        # crawl writes from a writer thread.
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):  # noqa: ANN001
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            # A store grows to gigabytes: SQLite's default 2 MB page cache re-reads index pages
            # through a syscall each; a larger cache plus memory-mapped reads keep the hot
            # index pages of inserts (LSH keys, FTS segments) and searches in memory.
            cur.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
            cur.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
            cur.execute("PRAGMA temp_store=MEMORY")  # search's sorts and window functions
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


class SchemaBehind(RuntimeError):
    """The store's schema is older than this daihuo; the message says what to run."""


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


@lru_cache(maxsize=1)
def head_revision() -> str:
    """The newest migration (read once: a process runs one version of the code)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """The store's schema revision; None for a store no migration has touched."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


@contextmanager
def _migration_lock(engine: Engine):  # noqa: ANN202
    """One migrating process per store: an advisory lock on PostgreSQL, a lock file beside
    the SQLite database (in-memory stores need none)."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(7311990)"))
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(7311990)"))
                conn.commit()
        return
    db = engine.url.database
    if not db or db == ":memory:":
        yield
        return
    fd = os.open(f"{db}.migrate-lock", os.O_CREAT | os.O_RDWR, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration (idempotent; one process at a time)."""
    with _migration_lock(engine):
        current = current_revision(engine)
        if current == head_revision():
            return
        if current is None and (_copy_new_sqlite_schema(engine) or _replay_new_schema(engine)):
            return
        _upgrade(engine)


def _upgrade(engine: Engine) -> None:
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


#: the statements this process's first migration of an empty PostgreSQL schema ran:
#: (sql, parameters, executemany); one process runs one head revision (head_revision is cached)
_recorded: list[tuple[str, object, bool]] | None = None


def _replay_new_schema(engine: Engine) -> bool:
    """Give an empty PostgreSQL schema the head schema by replaying, in one transaction, the
    statements this process's first migration of an empty schema executed (what the migrations
    do to an empty store is always the same; alembic's own bookkeeping and reflection cost as
    much again as the DDL). The first time it migrates and records. False: not applicable."""
    global _recorded
    if engine.dialect.name != "postgresql":
        return False
    with engine.connect() as conn:
        if conn.execute(text("SELECT count(*) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n"
                             " ON n.oid = c.relnamespace WHERE n.nspname = current_schema()")).scalar():
            return False  # objects of its own: migrate as usual
    statements = _recorded
    if statements is None:
        seen: list[tuple[str, object, bool]] = []

        def record(_conn, _cursor, statement, parameters, _context, executemany):  # noqa: ANN001
            # reads (reflection, backfills of rows an empty store has not) change nothing
            if not statement.lstrip().upper().startswith("SELECT"):
                seen.append((statement, parameters or None, executemany))

        event.listen(engine, "before_cursor_execute", record)
        try:
            _upgrade(engine)
        finally:
            event.remove(engine, "before_cursor_execute", record)
        _recorded = seen
        return True
    raw = engine.raw_connection()
    try:
        with raw.driver_connection.cursor() as cur:
            for statement, parameters, many in statements:
                if many:
                    cur.executemany(statement, parameters)
                else:
                    cur.execute(statement, parameters)
        raw.commit()
    except Exception:
        raw.rollback()
        raise
    finally:
        raw.close()
    return True


_template: Path | None = None  # a new SQLite store this process migrated to the head revision


def _copy_new_sqlite_schema(engine: Engine) -> bool:
    """Give an empty SQLite file store the head schema by copying a store this process migrated
    once (SQLite's online backup), instead of replaying every migration: the same pages, in a
    few milliseconds rather than a few hundred (fsyncs per migration). False: not applicable."""
    global _template
    if sqlite_file(str(engine.url)) is None:  # PostgreSQL, in-memory or a file: URI
        return False
    template = _template
    if template is None:
        folder = Path(tempfile.mkdtemp(prefix="daihuo-schema-"))
        atexit.register(shutil.rmtree, folder, True)
        template = folder / "schema.sqlite"
        scratch = make_engine(f"sqlite:///{template}")
        try:
            _upgrade(scratch)
        finally:
            scratch.dispose()
        _template = template
    raw = engine.raw_connection()
    try:
        target = raw.driver_connection
        if target.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
            return False  # not empty after all (tables without alembic's): migrate as usual
        source = sqlite3.connect(template)
        try:
            source.backup(target)
        finally:
            source.close()
    finally:
        raw.close()
    return True


def ensure_schema(engine: Engine) -> None:
    """Create a new store's schema; refuse a store whose schema is behind this code."""
    current = current_revision(engine)
    if current is None:
        migrate(engine)  # a new store: nothing to lose, create it
        return
    head = head_revision()
    if current != head:
        raise SchemaBehind(f"the store's schema is at revision {current}, this daihuo needs {head}: "
                           "run `daihuo db upgrade` (back up the store first)")
