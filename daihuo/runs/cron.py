"""Cron schedules per source, and the scheduler that launches their runs.

Cron math is croniter's (standard five fields: lists, ranges, steps, names, ``L`` and ``#``,
plus @hourly/@daily/...), evaluated in the schedule's time zone (Asia/Shanghai by default).
The loop is our own, over state in the database, rather than APScheduler's: its job store
pickles jobs, its ``max_instances`` guard lives in one process's memory (a restart forgets
that a crawl is still running), and 3.x's ``from_crontab`` counts weekdays from Monday=0,
unlike cron.

Rules (each tested with a fake clock):

* a schedule fires when its stored ``next_run_at`` (UTC) has passed; the next one is
  computed from *now*, so **missed fires are coalesced: a schedule that missed N fires while
  the scheduler was down runs once on start, not N times**;
* runs of one source never overlap: a fire while the source is being crawled (by any run,
  scheduled or not) launches nothing and is recorded as skipped;
* every tick first marks orphaned runs (process gone) failed, and resumes an orphaned
  scheduled run once, so a crash or machine restart loses no work;
* one scheduler is active at a time (a lease row refreshed every tick), and a fire is
  claimed by compare-and-set on ``next_run_at``, so two schedulers never launch it twice.
"""

from __future__ import annotations

import logging
import os
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import CroniterError, croniter
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from daihuo.runs import lifecycle as runs
from storage import schedule_records as records
from storage.schedule_models import DEFAULT_TZ
from storage.timestamps import from_db, now_utc, to_utc

log = logging.getLogger(__name__)
ALIASES = ("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly")


class ScheduleError(ValueError):
    """An invalid schedule (the message says which part and why)."""


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return now_utc()


# -- cron ------------------------------------------------------------------------------------
def validate_cron(expr: str) -> str:
    """The expression, whitespace-normalised; ScheduleError if it is not valid cron."""
    expr = " ".join((expr or "").split())
    if expr.lower() in ALIASES:
        return expr.lower()
    fields = expr.split(" ")
    if len(fields) != 5:
        raise ScheduleError(f"a cron expression has 5 fields (minute hour day month weekday), "
                            f"not {len(fields)}: {expr!r}")
    if not croniter.is_valid(expr):
        raise ScheduleError(f"not a valid cron expression: {expr!r}")
    gap = longest_gap_days(" ".join(fields[2:]))
    if gap is None:
        raise ScheduleError(f"cron expression {expr!r} never fires (no date matches its day, "
                            "month and weekday fields)")
    if gap > MAX_GAP_DAYS:
        raise ScheduleError(f"cron expression {expr!r} fires less than once a year "
                            f"(up to {gap} days apart); a schedule must run at least yearly")
    return expr


MAX_GAP_DAYS = 366  # "at least once a year", leap years included
_GAP_START = datetime(2024, 1, 1)  # fixed, so the answer never depends on today's date


@lru_cache(maxsize=512)
def longest_gap_days(day_fields: str) -> int | None:
    """The longest wait, in days, between fire days of the day/month/weekday fields over an
    8-year window (two leap cycles), counted from the window's start; None if no date ever
    matches (``31 2 *``). Hours and minutes do not matter: a matching day fires."""
    if day_fields == "* * *":
        return 1
    end = _GAP_START + timedelta(days=8 * 366)
    try:
        it = croniter(f"0 0 {day_fields}", _GAP_START - timedelta(minutes=1))
        prev = it.get_next(datetime)
    except CroniterError:
        return None
    gap = (prev - _GAP_START).days + 1
    while prev < end:
        try:
            nxt = it.get_next(datetime)
        except CroniterError:  # no further date within croniter's search: a very long gap
            return 10 ** 6
        gap, prev = max(gap, (nxt - prev).days), nxt
    return gap


def validate_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleError(f"unknown time zone {name!r} (e.g. Asia/Shanghai)") from None
    return name


def next_fire(expr: str, tz: str, after: datetime) -> datetime:
    """The first fire strictly after ``after``, in UTC."""
    local = to_utc(after).astimezone(ZoneInfo(tz))
    return to_utc(croniter(expr, local).get_next(datetime))


def upcoming(expr: str, tz: str = DEFAULT_TZ, after: datetime | None = None, n: int = 5) -> list[datetime]:
    """The next ``n`` fires after ``after`` (default now), in UTC."""
    expr, tz = validate_cron(expr), validate_timezone(tz)
    it = croniter(expr, to_utc(after or now_utc()).astimezone(ZoneInfo(tz)))
    return [to_utc(it.get_next(datetime)) for _ in range(n)]


# -- schedules in the store ------------------------------------------------------------------
@dataclass(frozen=True)
class ScheduleInfo:
    id: int
    source: str
    cron: str
    timezone: str
    enabled: bool
    next_run_at: datetime | None
    last_fired_at: datetime | None
    last_run_id: int | None
    last_skip: str | None
    created_by: str | None

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def _info(r) -> ScheduleInfo:  # noqa: ANN001
    return ScheduleInfo(r.id, r.name, r.cron, r.timezone, bool(r.enabled), from_db(r.next_run_at),
                        from_db(r.last_fired_at), r.last_run_id, r.last_skip, r.created_by)


def list_schedules(engine: Engine, source: str | None = None) -> list[ScheduleInfo]:
    return [_info(r) for r in records.schedule_rows(engine, source)]


def get_schedule(engine: Engine, schedule_id: int) -> ScheduleInfo | None:
    r = records.schedule_row(engine, schedule_id)
    return _info(r) if r else None


def add_schedule(engine: Engine, source: str, cron: str, timezone: str = DEFAULT_TZ, *,
                 enabled: bool = True, created_by: str | None = None,
                 now: datetime | None = None) -> ScheduleInfo:
    """A new schedule for a stored source; its first fire is the next one after ``now``."""
    cron, timezone = validate_cron(cron), validate_timezone(timezone or DEFAULT_TZ)
    now = now or now_utc()
    with engine.begin() as conn:
        sid = records.source_id(conn, source)
        if sid is None:
            raise ScheduleError(f"no source {source!r}")
        new_id = records.insert_schedule(
            conn, source_id=sid, cron=cron, timezone=timezone, enabled=enabled,
            next_run_at=next_fire(cron, timezone, now), created_by=created_by,
            created_at=now, updated_at=now)
        _audit(conn, created_by, "schedule_add", f"#{new_id} {source}",
               {"cron": cron, "timezone": timezone, "enabled": enabled})
    return get_schedule(engine, new_id)


def update_schedule(engine: Engine, schedule_id: int, *, cron: str | None = None,
                    timezone: str | None = None, enabled: bool | None = None,
                    now: datetime | None = None, actor: str | None = None) -> ScheduleInfo:
    """Change a schedule. A new expression, zone or a resume counts from ``now``: pausing
    and resuming never replays the fires missed while paused."""
    current = get_schedule(engine, schedule_id)
    if current is None:
        raise ScheduleError(f"no schedule #{schedule_id}")
    now = now or now_utc()
    cron = validate_cron(cron) if cron is not None else current.cron
    timezone = validate_timezone(timezone) if timezone is not None else current.timezone
    enabled = current.enabled if enabled is None else enabled
    values: dict = dict(cron=cron, timezone=timezone, enabled=enabled, updated_at=now)
    if (cron, timezone) != (current.cron, current.timezone) or (enabled and not current.enabled):
        values["next_run_at"] = next_fire(cron, timezone, now)
    with engine.begin() as conn:
        records.update_schedule_row(conn, schedule_id, **values)
        if enabled != current.enabled and (cron, timezone) == (current.cron, current.timezone):
            action = "schedule_resume" if enabled else "schedule_pause"
        else:
            action = "schedule_edit"
        _audit(conn, actor, action, f"#{schedule_id} {current.source}",
               {"cron": cron, "timezone": timezone, "enabled": enabled})
    return get_schedule(engine, schedule_id)


def remove_schedule(engine: Engine, schedule_id: int, actor: str | None = None) -> bool:
    current = get_schedule(engine, schedule_id)
    with engine.begin() as conn:
        gone = records.delete_schedule_row(conn, schedule_id)
        if gone and current is not None:
            _audit(conn, actor, "schedule_delete", f"#{schedule_id} {current.source}",
                   {"cron": current.cron, "timezone": current.timezone})
    return gone


def _audit(conn, actor: str | None, action: str, target: str, detail: dict) -> None:  # noqa: ANN001
    """Schedule changes join the configuration audit list (who changed what)."""
    from editorial.sources import audit

    audit(conn, actor or "system", action, target, detail)


# -- the scheduler ---------------------------------------------------------------------------
Launcher = Callable[..., int]  # (engine, source, trigger, *, db_url, schedule_id, resumed_from) -> run id


@dataclass
class TickResult:
    active: bool = True
    launched: list[tuple[int | None, int]] = field(default_factory=list)  # (schedule id, run id)
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (schedule id, why)
    orphans: list[int] = field(default_factory=list)
    resumed: list[tuple[int, int]] = field(default_factory=list)  # (orphaned run, resume run)


class Scheduler:
    def __init__(self, engine: Engine, *, db_url: str | None = None, clock: Clock | None = None,
                 launcher: Launcher | None = None, is_alive: runs.AliveFn | None = None,
                 holder: str | None = None, lease_ttl: timedelta = timedelta(seconds=30),
                 resume_orphans: bool = True) -> None:
        self.engine = engine
        self.db_url = db_url or engine.url.render_as_string(hide_password=False)
        self.clock = clock or SystemClock()
        self.launcher = launcher or runs.launch_run
        self.is_alive = is_alive or runs.process_alive
        self.holder = holder or f"{runs.hostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.lease_ttl = lease_ttl
        self.resume_orphans = resume_orphans
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- lease ---------------------------------------------------------------------------
    def acquire_lease(self, now: datetime) -> bool:
        """Hold (or refresh) the single-scheduler lease; False while another one holds it."""
        try:
            with self.engine.begin() as conn:
                row = records.lease_row(conn)
                if row is None:
                    records.insert_lease(conn, self.holder, now)
                    return True
                if row.holder != self.holder and now - from_db(row.heartbeat_at) < self.lease_ttl:
                    return False
                records.set_lease(conn, self.holder, now)
                return True
        except IntegrityError:  # another scheduler inserted it first
            return False

    def release_lease(self) -> None:
        records.release_lease(self.engine, self.holder)

    # -- one pass ------------------------------------------------------------------------
    def tick(self) -> TickResult:
        """Reap orphans, resume orphaned scheduled runs, fire due schedules (once each)."""
        now = self.clock.now()
        result = TickResult()
        if not self.acquire_lease(now):
            result.active = False
            return result
        result.orphans = runs.reap_orphans(self.engine, now=now, is_alive=self.is_alive)
        if self.resume_orphans:
            result.resumed = self._resume(result.orphans)
        due = records.enabled_schedules(self.engine)
        for s in due:
            old = from_db(s.next_run_at)
            if old is not None and old > now:
                continue
            nxt = next_fire(s.cron, s.timezone, now)  # from now: missed fires coalesce into this one
            # claim the fire: compare-and-set on next_run_at (the value as stored)
            claimed = records.claim_fire(self.engine, s.id, None if old is None else s.next_run_at,
                                         nxt, now if old else None)
            if not claimed or old is None:
                continue  # another scheduler took it, or a schedule without a first fire yet
            self._fire(s.id, s.name, bool(s.enabled), now, result)
        return result

    def _fire(self, schedule_id: int, source: str, source_enabled: bool, now: datetime,
              result: TickResult) -> None:
        why, run_id = None, None
        if not source_enabled:
            why = f"source {source!r} is disabled"
        else:
            try:
                run_id = self.launcher(self.engine, source, "schedule", db_url=self.db_url,
                                       schedule_id=schedule_id)
            except runs.RunConflict as exc:
                why = f"skipped: {exc}"
            except runs.RunError as exc:
                why = f"not launched: {exc}"
        values = {"last_skip": f"{now.isoformat(timespec='seconds')} {why}" if why else None}
        if run_id is not None:
            values["last_run_id"] = run_id
        records.set_schedule(self.engine, schedule_id, **values)
        if why:
            log.info("schedule #%d (%s): %s", schedule_id, source, why)
            result.skipped.append((schedule_id, why))
        else:
            log.info("schedule #%d launched run #%d of %s", schedule_id, run_id, source)
            result.launched.append((schedule_id, run_id))

    def _resume(self, orphans: list[int]) -> list[tuple[int, int]]:
        """Resume each orphaned scheduled run once (a run that was itself a resume is not
        resumed again: a crawl that keeps dying needs a person)."""
        if not orphans:
            return []
        rows = records.runs_meta(self.engine, orphans)
        done = []
        for r in rows:
            if r.schedule_id is None or r.resumed_from is not None or r.status != "failed":
                continue
            try:
                new = self.launcher(self.engine, r.source, "resume", db_url=self.db_url,
                                    schedule_id=r.schedule_id, resumed_from=r.run_id)
            except runs.RunError as exc:
                log.warning("could not resume run #%d: %s", r.run_id, exc)
                continue
            done.append((r.run_id, new))
        return done

    # -- running -------------------------------------------------------------------------
    def run(self, interval: float = 5.0) -> None:
        """Tick every ``interval`` seconds until stop(); the lease is released on the way out."""
        self.lease_ttl = max(self.lease_ttl, timedelta(seconds=3 * interval))
        log.info("scheduler %s started", self.holder)
        try:
            while not self._stop.is_set():
                try:
                    self.tick()
                except Exception:  # noqa: BLE001 - a store hiccup must not end the scheduler
                    log.exception("scheduler tick failed")
                self._stop.wait(interval)
        finally:
            try:
                self.release_lease()
            except Exception:  # noqa: BLE001
                log.exception("could not release the scheduler lease")
            log.info("scheduler %s stopped", self.holder)

    def start(self, interval: float = 5.0) -> Scheduler:
        """Run in a daemon thread (``daihuo serve`` does this)."""
        self._thread = threading.Thread(target=self.run, args=(interval,), name="daihuo-scheduler",
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)


def start_in_thread(system, interval: float = 5.0) -> Scheduler:  # noqa: ANN001
    """The scheduler over ``system``'s store (daihuo.system), ticking in a background thread."""
    return Scheduler(system.engine, db_url=system.config.database_url).start(interval)
