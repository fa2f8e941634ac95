"""The SQL of cron schedules and of the scheduler's lease.

Cron maths, lease expiry and what a fire does stay in daihuo.runs.cron. Functions taking a
connection run inside the caller's transaction (the write and its audit entry commit
together); those taking an engine are one transaction of their own.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, Row, delete, insert, select, update

from storage.models import CrawlRun, Source
from storage.schedule_models import RunMeta, Schedule, SchedulerLease

#: the columns a schedule is read with (its source by name)
SCHEDULE_COLUMNS = (Schedule.id, Source.name, Schedule.cron, Schedule.timezone, Schedule.enabled,
                    Schedule.next_run_at, Schedule.last_fired_at, Schedule.last_run_id,
                    Schedule.last_skip, Schedule.created_by)


def schedule_rows(engine: Engine, source: str | None = None) -> Sequence[Row]:
    """Schedules as :data:`SCHEDULE_COLUMNS`, by source name then id."""
    q = select(*SCHEDULE_COLUMNS).join(Source, Source.id == Schedule.source_id)
    if source:
        q = q.where(Source.name == source)
    with engine.connect() as conn:
        return conn.execute(q.order_by(Source.name, Schedule.id)).all()


def schedule_row(engine: Engine, schedule_id: int) -> Row | None:
    with engine.connect() as conn:
        return conn.execute(select(*SCHEDULE_COLUMNS).join(Source, Source.id == Schedule.source_id)
                            .where(Schedule.id == schedule_id)).first()


def source_id(conn: Connection, name: str) -> int | None:
    return conn.execute(select(Source.id).where(Source.name == name)).scalar()


def insert_schedule(conn: Connection, **values: Any) -> int:
    """A new schedule row; returns its id."""
    return conn.execute(insert(Schedule).values(**values)).inserted_primary_key[0]


def update_schedule_row(conn: Connection, schedule_id: int, **values: Any) -> None:
    conn.execute(update(Schedule).where(Schedule.id == schedule_id).values(**values))


def set_schedule(engine: Engine, schedule_id: int, **values: Any) -> None:
    """Set columns of one schedule, in a transaction of its own."""
    with engine.begin() as conn:
        update_schedule_row(conn, schedule_id, **values)


def delete_schedule_row(conn: Connection, schedule_id: int) -> bool:
    """False when there was no such schedule."""
    return bool(conn.execute(delete(Schedule).where(Schedule.id == schedule_id)).rowcount)


def enabled_schedules(engine: Engine) -> Sequence[Row]:
    """(id, cron, timezone, next_run_at, name, enabled) of enabled schedules, the source's
    name and enabled flag included, soonest first."""
    with engine.connect() as conn:
        return conn.execute(
            select(Schedule.id, Schedule.cron, Schedule.timezone, Schedule.next_run_at,
                   Source.name, Source.enabled)
            .join(Source, Source.id == Schedule.source_id)
            .where(Schedule.enabled.is_(True))
            .order_by(Schedule.next_run_at)).all()


def claim_fire(engine: Engine, schedule_id: int, seen_next_run_at: datetime | None,
               next_run_at: datetime, last_fired_at: datetime | None) -> bool:
    """Compare-and-set on ``next_run_at``: move it on only if it still holds the value read
    (``seen_next_run_at``, as stored); False when another scheduler moved it first."""
    with engine.begin() as conn:
        q = update(Schedule).where(Schedule.id == schedule_id)
        q = q.where(Schedule.next_run_at.is_(None) if seen_next_run_at is None
                    else Schedule.next_run_at == seen_next_run_at)
        return bool(conn.execute(q.values(next_run_at=next_run_at, last_fired_at=last_fired_at)).rowcount)


def runs_meta(engine: Engine, run_ids: list[int]) -> Sequence[Row]:
    """(run_id, source, schedule_id, resumed_from, status) of the given runs."""
    with engine.connect() as conn:
        return conn.execute(select(RunMeta.run_id, RunMeta.source, RunMeta.schedule_id,
                                   RunMeta.resumed_from, CrawlRun.status)
                            .join(CrawlRun, CrawlRun.id == RunMeta.run_id)
                            .where(RunMeta.run_id.in_(run_ids))).all()


# -- the lease -------------------------------------------------------------------------------
def lease_row(conn: Connection) -> Row | None:
    """The lease (holder, heartbeat_at), None when no scheduler holds it."""
    return conn.execute(select(SchedulerLease).where(SchedulerLease.id == 1)).first()


def insert_lease(conn: Connection, holder: str, now: datetime) -> None:
    """Raises IntegrityError when another scheduler inserted it first."""
    conn.execute(insert(SchedulerLease).values(id=1, holder=holder, heartbeat_at=now))


def set_lease(conn: Connection, holder: str, now: datetime) -> None:
    conn.execute(update(SchedulerLease).where(SchedulerLease.id == 1)
                 .values(holder=holder, heartbeat_at=now))


def release_lease(engine: Engine, holder: str) -> None:
    with engine.begin() as conn:
        conn.execute(delete(SchedulerLease).where(SchedulerLease.holder == holder))
