"""Engine creation and migrations. One URL selects the backend (SQLite or PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event

from storage.config import database_url

MIGRATIONS = Path(__file__).with_name("migrations")
SQLITE_CACHE_KIB = 64 * 1024  # per connection, allocated as pages are used
SQLITE_MMAP_BYTES = 2 << 30  # address space, not memory: pages stay in the OS cache


def make_engine(url: str | None = None) -> Engine:
    """An engine for ``url`` (default: the configured store), with SQLite tuned for a crawler:
    WAL so readers never block the writer, a busy timeout instead of 'database is locked'."""
    url = url or database_url()
    if url.startswith("sqlite"):
        from storage.private_files import create_private, sqlite_file

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


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration (idempotent)."""
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
