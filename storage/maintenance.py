"""Store maintenance after bulk loads: compact the full-text index.

SQLite's FTS5 index is a set of b-tree segments: every flushed batch adds one, and the
automatic merges keep a few per level (about 20 at a million articles). A query looks its
words up in every segment, and an AND of words seeks each segment's doclist in turn, so a
bulk-loaded store answers faster once the segments are merged into one. FTS5's 'optimize'
does that in one transaction (minutes at a million articles, with the crawl's writer
waiting); the 'merge' command does the same work in bounded steps, each its own short
transaction, so crawls keep writing in between.

New near-duplicate (LSH) keys wait in a small table of their own until a batch finds enough
to merge them into the main one in one pass (storage.store); maintenance moves them all, a
band per transaction, so the store is left with one table of keys for readers of the file.

On PostgreSQL the equivalent is VACUUM ANALYZE (the GIN index's pending list is merged and
the planner's statistics refreshed). SQLite's planner statistics (ANALYZE) are left alone:
search's SQL fixes its own join order, and statistics were measured to change it for the
worse on small stores.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine

#: FTS5 leaf pages (of ~4 KB) merged per step: a fraction of a second each
MERGE_STEP_PAGES = 2000


@dataclass
class MaintenanceReport:
    segments_before: int
    segments_after: int
    steps: int
    lsh_keys_moved: int = 0


#: the SQLite full-text indexes (the titles' own, migration 0013, was dropped by 0026)
FTS_TABLES = ("articles_fts",)


def fts_segments(engine: Engine, table: str = "articles_fts") -> int:
    """How many b-tree segments a SQLite full-text index has (0 on PostgreSQL)."""
    if engine.dialect.name != "sqlite":
        return 0
    with engine.connect() as conn:
        return conn.exec_driver_sql(f"SELECT count(DISTINCT segid) FROM {table}_idx").scalar() or 0


def compact(engine: Engine, step_pages: int = MERGE_STEP_PAGES,
            progress: Callable[[int], None] | None = None) -> MaintenanceReport:
    """Merge each SQLite full-text index into one segment in steps of ``step_pages`` pages
    (PostgreSQL: ``VACUUM ANALYZE``). Safe while crawls write: each step is its own
    transaction. ``progress`` is called with the number of steps done after each. The
    report counts the main index's segments and every step, and the LSH keys moved from
    lsh_recent into lsh_keys (a band per transaction, before the steps)."""
    if step_pages < 1:
        raise ValueError("step_pages must be at least 1")
    from storage.store import move_recent_keys  # the store imports nothing from here

    moved = 0
    while True:  # a band per transaction: writers wait for one band's move at most
        with engine.begin() as conn:
            band = conn.exec_driver_sql("SELECT min(band) FROM lsh_recent").scalar()
            if band is None:
                break
            moved += move_recent_keys(conn, band)
    if engine.dialect.name != "sqlite":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE articles")
            conn.exec_driver_sql("VACUUM ANALYZE tags")
        return MaintenanceReport(0, 0, 0, moved)
    before = fts_segments(engine)
    steps = 0
    for table in FTS_TABLES:
        # A negative page count first puts every segment on one level, so that the steps
        # merge all of them; positive counts then carry on the merge that step started. FTS5
        # reports work through the change counter: fewer than two changes means nothing was
        # left to merge.
        pages = -step_pages
        while fts_segments(engine, table) > 1:
            with engine.begin() as conn:
                raw = conn.connection.driver_connection
                changes = raw.total_changes
                conn.exec_driver_sql(f"INSERT INTO {table}({table}, rank) VALUES ('merge', ?)", (pages,))
                worked = raw.total_changes - changes >= 2
            steps += 1
            if progress:
                progress(steps)
            if not worked:
                break
            pages = step_pages
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    return MaintenanceReport(before, fts_segments(engine), steps, moved)
