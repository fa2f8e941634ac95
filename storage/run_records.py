"""The SQL of crawl runs: ``crawl_runs`` rows and their ``run_meta`` beside them.

Only reads and writes live here; what a status means, when a run is an orphan and which
process it is belong to daihuo.runs.lifecycle. Functions taking a connection run inside the
caller's transaction (several statements that must commit together); those taking an engine
are one statement or one transaction of their own.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, Row, insert, select, update

from storage.models import CrawlRun, Source
from storage.schedule_models import RunMeta

#: the columns a run is read with (crawl_runs joined with its run_meta, if any)
RUN_COLUMNS = (CrawlRun.id, CrawlRun.sources, CrawlRun.trigger, CrawlRun.status, CrawlRun.started_at,
               CrawlRun.finished_at, CrawlRun.stats, RunMeta.schedule_id, RunMeta.pid,
               RunMeta.proc_start, RunMeta.host, RunMeta.log_path, RunMeta.heartbeat_at,
               RunMeta.live_stats, RunMeta.cancel_requested_at, RunMeta.resumed_from,
               RunMeta.rerun_of, RunMeta.exit_code, RunMeta.error, RunMeta.quality,
               RunMeta.quality_report, RunMeta.source)


def running_run_sources(conn: Connection) -> list[Row]:
    """(id, sources) of every run whose status is running."""
    return conn.execute(select(CrawlRun.id, CrawlRun.sources).where(CrawlRun.status == "running")).all()


def source_exists(engine: Engine, name: str) -> bool:
    with engine.connect() as conn:
        return conn.execute(select(Source.id).where(Source.name == name)).first() is not None


def lock_runs_for_insert(conn: Connection) -> None:
    """Take the write lock on crawl_runs now, so a check-then-insert in this transaction
    cannot interleave with another launcher's."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("UPDATE crawl_runs SET id = id WHERE 0")
    else:
        conn.exec_driver_sql("LOCK TABLE crawl_runs IN SHARE ROW EXCLUSIVE MODE")


def insert_run(conn: Connection, sources: list[str], trigger: str, started_at: datetime, *,
               schedule_id: int | None, resumed_from: int | None, rerun_of: int | None) -> int:
    """A new running run and its meta row; returns the run id."""
    run_id = conn.execute(insert(CrawlRun).values(
        sources=sources, trigger=trigger, status="running", started_at=started_at, stats={})
    ).inserted_primary_key[0]
    conn.execute(insert(RunMeta).values(
        run_id=run_id, source=sources[0], schedule_id=schedule_id, resumed_from=resumed_from,
        rerun_of=rerun_of, live_stats={}, quality_report={}))
    return run_id


def set_run_process(engine: Engine, run_id: int, values: dict[str, Any]) -> None:
    """Write ``values`` to the run's meta row, creating the row (for runs started elsewhere)."""
    with engine.begin() as conn:
        if not conn.execute(update(RunMeta).where(RunMeta.run_id == run_id).values(**values)).rowcount:
            src = conn.execute(select(CrawlRun.sources).where(CrawlRun.id == run_id)).scalar()
            conn.execute(insert(RunMeta).values(run_id=run_id, source=(src or [None])[0],
                                                live_stats={}, quality_report={}, **values))


def close_run(engine: Engine, run_id: int, status: str, finished_at: datetime, *,
              error: str | None = None, only_if_running: bool = True) -> bool:
    """Set the run's status and end time (and its error); False if no row changed."""
    with engine.begin() as conn:
        q = update(CrawlRun).where(CrawlRun.id == run_id)
        if only_if_running:
            q = q.where(CrawlRun.status == "running")
        done = conn.execute(q.values(status=status, finished_at=finished_at)).rowcount
        if done and error:
            conn.execute(update(RunMeta).where(RunMeta.run_id == run_id).values(error=error))
    return bool(done)


def update_run_meta(engine: Engine, run_id: int, **values: Any) -> None:
    """Set columns of the run's meta row (host, heartbeat, cancel request...)."""
    with engine.begin() as conn:
        conn.execute(update(RunMeta).where(RunMeta.run_id == run_id).values(**values))


def cancel_requested_at(conn: Connection, run_id: int) -> datetime | None:
    row = conn.execute(select(RunMeta.cancel_requested_at).where(RunMeta.run_id == run_id)).first()
    return row.cancel_requested_at if row else None


def write_run_end(conn: Connection, run_id: int, status: str, finished_at: datetime, stats: dict,
                  meta: dict[str, Any]) -> None:
    """A finished crawl's status, end time and stats, and ``meta`` on its meta row."""
    conn.execute(update(CrawlRun).where(CrawlRun.id == run_id).values(
        status=status, finished_at=finished_at, stats=stats))
    conn.execute(update(RunMeta).where(RunMeta.run_id == run_id).values(**meta))


def running_runs_with_process(engine: Engine) -> list[Row]:
    """Running runs that have a meta row, with where their process is and its heartbeat."""
    with engine.connect() as conn:
        return conn.execute(select(CrawlRun.id, CrawlRun.started_at, RunMeta.pid, RunMeta.proc_start,
                                   RunMeta.host, RunMeta.heartbeat_at, RunMeta.cancel_requested_at)
                            .join(RunMeta, RunMeta.run_id == CrawlRun.id)
                            .where(CrawlRun.status == "running")).all()


def run_rows(engine: Engine, *, source: str | None = None, status: str | None = None,
             limit: int = 50, offset: int = 0) -> Sequence[Row]:
    """Runs as :data:`RUN_COLUMNS`, newest first."""
    q = select(*RUN_COLUMNS).outerjoin(RunMeta, RunMeta.run_id == CrawlRun.id)
    if status:
        q = q.where(CrawlRun.status == status)
    if source:
        q = q.where(RunMeta.source == source)
    q = q.order_by(CrawlRun.id.desc()).limit(limit).offset(offset)
    with engine.connect() as conn:
        return conn.execute(q).all()


def run_row(engine: Engine, run_id: int) -> Row | None:
    """One run as :data:`RUN_COLUMNS`; None when there is no such run."""
    with engine.connect() as conn:
        return conn.execute(select(*RUN_COLUMNS).outerjoin(RunMeta, RunMeta.run_id == CrawlRun.id)
                            .where(CrawlRun.id == run_id)).first()


def source_config_row(engine: Engine, name: str) -> Row | None:
    """(name, kind, config) of a stored source; None when there is none."""
    with engine.connect() as conn:
        return conn.execute(select(Source.name, Source.kind, Source.config)
                            .where(Source.name == name)).first()
