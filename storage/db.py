"""Engine creation and migrations. One URL selects the backend (SQLite or PostgreSQL).

Migrations are explicit: :func:`ensure_schema` creates a new, empty store and refuses one
whose schema is behind (``daihuo db upgrade`` brings it forward), so no command migrates a
shared store behind an operator's back; :func:`migrate` holds a lock so two processes never
run migrations at once.
"""

from __future__ import annotations

import fcntl
import os
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, inspect, text

from storage.config import database_url

MIGRATIONS = Path(__file__).with_name("migrations")
SQLITE_CACHE_KIB = 64 * 1024  # per connection, allocated as pages are used
SQLITE_MMAP_BYTES = 2 << 30  # address space, not memory: pages stay in the OS cache


def make_engine(url: str | None = None) -> Engine:
    """An engine for ``url`` (default: the configured store), with SQLite tuned for a crawler:
    WAL so readers never block the writer, a busy timeout instead of 'database is locked'."""
    url = url or database_url()
    if url.startswith("sqlite"):
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


def head_revision() -> str:
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
        if current_revision(engine) == head_revision():
            return
        cfg = alembic_config()
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")


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
