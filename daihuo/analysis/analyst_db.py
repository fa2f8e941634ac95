"""An analyst's copy of the store: the corpus in one SQLite file, without accounts, sessions
or webhook secrets (``daihuo analyst-db OUT.db``).

Why a copy and not a second database for the private tables: the store stays one file (or
one PostgreSQL schema) for backups, migrations and every existing deployment, and what an
analyst receives is decided in one place, here. The copy is built by creating a new, empty
store with the project's own migrations (same tables, the documented views, the full-text
index and its triggers), copying only :data:`CORPUS_TABLES` into it, then dropping the
private and internal tables, which were never filled. The secrets are therefore never
written to the file, not even to pages a VACUUM would later free. From PostgreSQL the rows
are copied through the same SQLAlchemy tables the store writes with, so times, JSON and
flags read back exactly as from a SQLite store.

Every table of the schema is classified below; ``tests/test_analyst_db.py`` fails when a new
table is added without being classified, so a future table of secrets cannot leak by default.
"""

from __future__ import annotations

import os
import re
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, create_engine, insert, select, text

import storage.console_models  # noqa: F401  (registers its tables in Base.metadata)
import storage.schedule_models  # noqa: F401
import storage.webhook_delivery_models  # noqa: F401
from storage.db import make_engine, migrate
from storage.models import Base

#: copied: what analysts read (the README's "Data for analysts" tables and their context)
CORPUS_TABLES = (
    "sources", "source_meta", "crawl_runs", "run_meta", "schedules", "raw_pages", "clusters",
    "articles", "tags", "curation_events", "publish_rules", "listings", "listing_snapshots",
    "quarantine",
)
#: never copied: credentials and secrets, and who did what in the console
PRIVATE_TABLES = {
    "sessions": "session token hashes and CSRF tokens",
    "users": "user names, roles and password hashes",
    "webhook_deliveries": "delivery results of webhooks (may quote their URLs)",
    "webhooks": "webhook URLs (WeCom/DingTalk/Feishu keys sit in them) and signing secrets",
    "console_audit": "who changed users, sources, settings and webhooks, with the details",
    "console_settings": "admin settings such as the internal networks crawls may reach",
}
#: never copied: machinery with no analytical content (near-duplicate keys are large)
INTERNAL_TABLES = {
    "lsh_keys": "near-duplicate LSH band keys (24 per article)",
    "lsh_recent": "LSH keys waiting to move into lsh_keys",
    "scheduler_lease": "which scheduler process is active",
    "search_changes": "the search index's change log (storage.search_index)",
}
#: kept, empty: machinery the copy's own triggers read (never holds data between writes)
KEPT_EMPTY = {
    "fts_deferred": "marks a Store.write batch: its articles enter the full-text table at once, its tags log one search change per article",
}
FTS_TABLES = ("articles_fts",)
BATCH = 2000


class AnalystCopyError(ValueError):
    """The copy cannot be written (the message says what to change)."""


@dataclass
class AnalystCopy:
    path: Path
    rows: dict[str, int] = field(default_factory=dict)  # table -> rows copied


def _sidecars(path: Path) -> list[Path]:
    return [path, *(path.with_name(path.name + s) for s in ("-wal", "-shm", "-journal", ".migrate-lock"))]


def _remove(path: Path) -> None:
    for p in _sidecars(path):
        p.unlink(missing_ok=True)


def _source_file(engine: Engine) -> Path | None:
    db = engine.url.database
    return Path(db).resolve() if db and db != ":memory:" else None


def write_analyst_db(engine: Engine, out: Path) -> AnalystCopy:
    """Write the corpus of the store behind ``engine`` (SQLite or PostgreSQL, schema at head)
    to a new SQLite file ``out``; raises AnalystCopyError for a bad destination."""
    out = Path(out)
    if out.exists():
        raise AnalystCopyError(f"{out} already exists: give a new file name (or remove it first)")
    if not out.parent.is_dir():
        raise AnalystCopyError(f"the folder {out.parent} does not exist: create it first")
    if engine.dialect.name == "sqlite" and _source_file(engine) is None:
        raise AnalystCopyError("the store is an in-memory SQLite database: nothing to copy from")
    tmp = out.with_name(f".{out.name}.partial")
    _remove(tmp)  # a previous run that was killed
    try:
        target = make_engine(f"sqlite:///{tmp}")
        try:
            migrate(target)  # the same schema a new store gets: views, FTS tables, triggers
        finally:
            target.dispose()
        if engine.dialect.name == "sqlite":
            rows = _copy_from_sqlite(_source_file(engine), tmp)  # type: ignore[arg-type]
        else:
            rows = _copy_through_models(engine, tmp)
        _finish(tmp)
        tmp.with_name(tmp.name + ".migrate-lock").unlink(missing_ok=True)
        os.replace(tmp, out)
    except BaseException:
        _remove(tmp)
        raise
    return AnalystCopy(out, rows)


def _copy_from_sqlite(source: Path, tmp: Path) -> dict[str, int]:
    """INSERT … SELECT from the attached store, in one transaction: one consistent snapshot
    of the source (its WAL readers never block the crawl writing it)."""
    rows: dict[str, int] = {}
    conn = sqlite3.connect(tmp, isolation_level=None)
    try:
        conn.execute("PRAGMA foreign_keys=OFF")  # tables are copied whole, in any order
        conn.execute("ATTACH DATABASE ? AS src", (str(source),))
        conn.execute("BEGIN")
        for table in CORPUS_TABLES:
            mine = [r[1] for r in conn.execute(f'PRAGMA main.table_info("{table}")')]
            theirs = {r[1] for r in conn.execute(f'PRAGMA src.table_info("{table}")')}
            cols = ", ".join(f'"{c}"' for c in mine if c in theirs)
            cur = conn.execute(f'INSERT INTO main."{table}" ({cols}) SELECT {cols} FROM src."{table}"')
            rows[table] = cur.rowcount
        conn.execute("COMMIT")
        conn.execute("DETACH DATABASE src")
    finally:
        conn.close()
    return rows


def _copy_through_models(engine: Engine, tmp: Path) -> dict[str, int]:
    """Rows read and written through the store's own tables (type conversion included),
    streamed in batches; PostgreSQL sends times in UTC, as SQLite stores them."""
    rows: dict[str, int] = {}
    # a plain engine: SQLite's foreign keys stay off, tables are copied whole in any order
    target = create_engine(f"sqlite:///{tmp}")
    try:
        with engine.connect() as src, target.begin() as dst:
            if engine.dialect.name == "postgresql":
                src.execute(text("SET TIME ZONE 'UTC'"))
            for name in CORPUS_TABLES:
                table = Base.metadata.tables[name]
                result = src.execution_options(yield_per=BATCH).execute(
                    select(table).order_by(*table.primary_key.columns))
                n = 0
                for part in result.partitions():
                    dst.execute(insert(table), [dict(r._mapping) for r in part])
                    n += len(part)
                rows[name] = n
    finally:
        target.dispose()
    return rows


def _finish(tmp: Path) -> None:
    """Drop the (empty) private and internal tables, merge the full-text indexes, and leave
    one self-contained file (no WAL beside it)."""
    conn = sqlite3.connect(tmp, isolation_level=None)
    try:
        conn.execute("PRAGMA foreign_keys=OFF")
        dropped = (*PRIVATE_TABLES, *INTERNAL_TABLES)
        for trigger, sql in conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").fetchall():
            if any(re.search(rf"\b{table}\b", sql) for table in dropped):
                # it writes to a table dropped next (search_changes, the LSH keys): left in
                # place it would fail every edit of an article in the copy
                conn.execute(f'DROP TRIGGER "{trigger}"')
        for table in dropped:
            conn.execute(f'DROP TABLE IF EXISTS "{table}"')
        for fts in FTS_TABLES:
            conn.execute(f"INSERT INTO {fts}({fts}) VALUES ('optimize')")
        conn.execute("ANALYZE")
        conn.execute("PRAGMA journal_mode=DELETE")
        conn.execute("VACUUM")
    finally:
        conn.close()
