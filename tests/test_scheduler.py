"""The scheduler with a fake clock and fake processes: cron syntax (steps, ranges, names,
aliases, time zones), firing on time, no overlapping runs of a source, the misfire policy
(missed fires run once), the single-scheduler lease, and recovery after a restart (orphans
failed and resumed once, live runs left alone)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from itertools import count

import pytest
from sqlalchemy import select

from daihuo.runs import lifecycle as runs
from daihuo.runs.cron import (
    ScheduleError,
    Scheduler,
    add_schedule,
    get_schedule,
    next_fire,
    remove_schedule,
    upcoming,
    update_schedule,
    validate_cron,
)
from storage.models import CrawlRun, Source
from storage.schedule_models import RunMeta
from storage.store import Store

UTC = timezone.utc
T0 = datetime(2026, 3, 2, 0, 0, 30, tzinfo=UTC)  # Monday 08:00:30 in Shanghai


def sh(y, mo, d, h, mi):  # a Shanghai wall-clock time as UTC
    from zoneinfo import ZoneInfo

    return datetime(y, mo, d, h, mi, tzinfo=ZoneInfo("Asia/Shanghai")).astimezone(UTC)


class FakeClock:
    def __init__(self, t: datetime) -> None:
        self.t = t

    def now(self) -> datetime:
        return self.t

    def advance(self, **kw) -> None:
        self.t += timedelta(**kw)


class FakeProcesses:
    """Launches that record a run with a fake pid; a pid is alive until finished or killed."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.alive: set[int] = set()
        self.pids = count(4_000_000)  # above any real pid_max
        self.launches: list[dict] = []
        self.pid_of: dict[int, int] = {}

    def launch(self, engine, source, trigger, *, db_url=None, schedule_id=None, resumed_from=None):
        run_id = runs.create_run(engine, source, trigger, schedule_id=schedule_id,
                                 resumed_from=resumed_from, now=self.clock.now())
        pid = next(self.pids)
        runs.record_process(engine, run_id, pid)
        self.alive.add(pid)
        self.pid_of[run_id] = pid
        self.launches.append({"run": run_id, "source": source, "trigger": trigger,
                              "schedule": schedule_id, "resumed_from": resumed_from, "at": self.clock.now()})
        return run_id

    def is_alive(self, pid, started=None):
        return pid in self.alive

    def finish(self, engine, run_id, status="finished"):
        runs.finish_run(engine, run_id, status, now=self.clock.now())
        self.alive.discard(self.pid_of[run_id])

    def kill(self, run_id):
        self.alive.discard(self.pid_of[run_id])


@pytest.fixture
def engine(db_url):  # SQLite, and PostgreSQL when reachable (conftest)
    store = Store.open(db_url)
    store.sync_sources([{"name": "demo-news", "kind": "news", "config": {}},
                        {"name": "other", "kind": "news", "config": {}}])
    yield store.engine
    store.close()


@pytest.fixture
def world(engine):
    clock = FakeClock(T0)
    procs = FakeProcesses(clock)

    def scheduler(**kw):
        return Scheduler(engine, clock=clock, launcher=procs.launch, is_alive=procs.is_alive, **kw)

    return clock, procs, scheduler


# -- cron syntax -----------------------------------------------------------------------------
@pytest.mark.parametrize("expr, after, expected", [
    ("*/15 9-17 * * mon-fri", sh(2026, 3, 2, 8, 0), [sh(2026, 3, 2, 9, 0), sh(2026, 3, 2, 9, 15)]),
    ("*/15 9-17 * * mon-fri", sh(2026, 3, 6, 17, 50), [sh(2026, 3, 9, 9, 0)]),  # Fri evening -> Mon
    ("5-59/20 * * * *", sh(2026, 3, 2, 8, 0), [sh(2026, 3, 2, 8, 5), sh(2026, 3, 2, 8, 25),
                                               sh(2026, 3, 2, 8, 45), sh(2026, 3, 2, 9, 5)]),
    ("0 8 1,15 * *", sh(2026, 3, 2, 8, 0), [sh(2026, 3, 15, 8, 0), sh(2026, 4, 1, 8, 0)]),
    ("30 6 * * 0", sh(2026, 3, 2, 8, 0), [sh(2026, 3, 8, 6, 30)]),  # 0 is Sunday, as in cron
    ("0 0 * jan,jul *", sh(2026, 3, 2, 8, 0), [sh(2026, 7, 1, 0, 0)]),
    ("0 12 L * *", sh(2026, 2, 1, 0, 0), [sh(2026, 2, 28, 12, 0)]),  # last day of the month
    ("0 9 * * 1#2", sh(2026, 3, 2, 8, 0), [sh(2026, 3, 9, 9, 0)]),  # second Monday
    ("@daily", sh(2026, 3, 2, 8, 0), [sh(2026, 3, 3, 0, 0)]),  # midnight in Shanghai
    ("@hourly", sh(2026, 3, 2, 8, 0), [sh(2026, 3, 2, 9, 0)]),
])
def test_cron_syntax_in_shanghai_time(expr, after, expected):
    assert upcoming(expr, "Asia/Shanghai", after, n=len(expected)) == expected


def test_time_zone_is_respected():
    after = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
    assert next_fire("0 8 * * *", "Asia/Shanghai", after) == datetime(2026, 3, 3, 0, 0, tzinfo=UTC)
    assert next_fire("0 8 * * *", "UTC", after) == datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize("expr", ["61 * * * *", "* * * *", "0 0 * * * *", "every day", "0 25 * * *",
                                  "*/0 * * * *", "5-1/x * * * *", ""])
def test_invalid_cron_refused(expr, engine):
    with pytest.raises(ScheduleError):
        validate_cron(expr)
    with pytest.raises(ScheduleError):
        add_schedule(engine, "demo-news", expr)


def test_unknown_zone_and_source_refused(engine):
    with pytest.raises(ScheduleError, match="time zone"):
        add_schedule(engine, "demo-news", "* * * * *", "Mars/Olympus")
    with pytest.raises(ScheduleError, match="no source"):
        add_schedule(engine, "nope", "* * * * *")


# -- firing ----------------------------------------------------------------------------------
def test_fires_on_time_and_not_before(engine, world):
    clock, procs, scheduler = world
    s = add_schedule(engine, "demo-news", "*/5 * * * *", now=clock.now())
    assert s.next_run_at == sh(2026, 3, 2, 8, 5) and s.timezone == "Asia/Shanghai"
    sched = scheduler()
    clock.advance(minutes=4)
    assert sched.tick().launched == []
    clock.advance(seconds=40)  # 08:05:10
    res = sched.tick()
    assert [sid for sid, _ in res.launched] == [s.id]
    assert procs.launches[0]["trigger"] == "schedule" and procs.launches[0]["schedule"] == s.id
    info = get_schedule(engine, s.id)
    assert info.next_run_at == sh(2026, 3, 2, 8, 10) and info.last_run_id == res.launched[0][1]
    assert sched.tick().launched == []  # same minute: nothing more


def _every_minute_first_run(engine, world):  # noqa: ANN001, ANN202
    """A schedule firing every minute and a scheduler that launched its first run:
    (clock, procs, scheduler factory, schedule, that scheduler, run id)."""
    clock, procs, scheduler = world
    s = add_schedule(engine, "demo-news", "* * * * *", now=clock.now())
    sched = scheduler()
    clock.advance(minutes=1)
    (_, run_id), = sched.tick().launched
    return clock, procs, scheduler, s, sched, run_id


def test_no_overlap_with_a_running_run(engine, world):
    clock, procs, _, s, sched, first = _every_minute_first_run(engine, world)
    clock.advance(minutes=1)  # the crawl takes longer than a minute
    res = sched.tick()
    assert res.launched == [] and res.skipped and f"run #{first}" in res.skipped[0][1]
    assert "skipped" in get_schedule(engine, s.id).last_skip
    procs.finish(engine, first)
    clock.advance(minutes=1)
    (_, second), = sched.tick().launched
    assert second != first and get_schedule(engine, s.id).last_skip is None
    # a run started by hand blocks the schedule too, and a manual launch is refused meanwhile
    procs.finish(engine, second)
    manual = procs.launch(engine, "demo-news", "manual")
    clock.advance(minutes=1)
    assert sched.tick().launched == []
    with pytest.raises(runs.RunConflict):
        runs.create_run(engine, "demo-news", "manual")
    procs.finish(engine, manual)
    # other sources are independent
    add_schedule(engine, "other", "* * * * *", now=clock.now())
    clock.advance(minutes=1)
    assert sorted(r for _, r in sched.tick().launched)
    running = [r["id"] for r in runs.list_runs(engine, status="running")]
    assert len(running) == 2 and {runs.get_run(engine, r)["source"] for r in running} == {"demo-news", "other"}


def test_two_schedules_of_one_source_never_overlap(engine, world):
    clock, procs, scheduler = world
    add_schedule(engine, "demo-news", "*/2 * * * *", now=clock.now())
    add_schedule(engine, "demo-news", "*/3 * * * *", now=clock.now())
    sched = scheduler()
    clock.t = sh(2026, 3, 2, 8, 6) + timedelta(seconds=1)  # both due
    res = sched.tick()
    assert len(res.launched) == 1 and len(res.skipped) == 1


def test_misfire_runs_once_not_n_times(engine, world):
    clock, procs, scheduler = world
    s = add_schedule(engine, "demo-news", "*/10 * * * *", now=clock.now())
    clock.advance(hours=3)  # the scheduler was down: 18 fires missed
    sched = scheduler()
    res = sched.tick()
    assert len(res.launched) == 1
    assert get_schedule(engine, s.id).next_run_at == sh(2026, 3, 2, 11, 10)
    procs.finish(engine, res.launched[0][1])
    for _ in range(5):
        assert sched.tick().launched == []
    clock.advance(minutes=10)
    assert len(sched.tick().launched) == 1


def test_pause_and_resume_do_not_replay(engine, world):
    clock, procs, scheduler = world
    s = add_schedule(engine, "demo-news", "* * * * *", now=clock.now())
    sched = scheduler()
    update_schedule(engine, s.id, enabled=False, now=clock.now())
    clock.advance(minutes=30)
    assert sched.tick().launched == []
    info = update_schedule(engine, s.id, enabled=True, now=clock.now())
    assert info.next_run_at > clock.now()
    assert sched.tick().launched == []
    clock.advance(minutes=1)
    assert len(sched.tick().launched) == 1
    # editing the expression recomputes the next fire from now
    info = update_schedule(engine, s.id, cron="0 9 * * *", now=clock.now())
    assert info.next_run_at == sh(2026, 3, 2, 9, 0)
    assert remove_schedule(engine, s.id) and get_schedule(engine, s.id) is None


def test_disabled_source_is_skipped(engine, world):
    clock, procs, scheduler = world
    s = add_schedule(engine, "demo-news", "* * * * *", now=clock.now())
    from sqlalchemy import update

    with engine.begin() as conn:
        conn.execute(update(Source).where(Source.name == "demo-news").values(enabled=False))
    clock.advance(minutes=1)
    res = scheduler().tick()
    assert res.launched == [] and "disabled" in get_schedule(engine, s.id).last_skip


# -- restarts ----------------------------------------------------------------------------------
def test_restart_leaves_live_runs_alone_and_resumes_orphans_once(engine, world):
    clock, procs, scheduler, s, first, run_id = _every_minute_first_run(engine, world)
    # the scheduler process dies (no lease release); the crawl it launched lives on
    clock.advance(seconds=10)
    second = scheduler()
    assert not second.tick().active  # the dead one's lease is still fresh
    clock.advance(seconds=30)  # 08:02:10: lease expired, and the 08:02 fire is due
    res = second.tick()
    assert res.active and res.orphans == [] and res.launched == []  # live run: no overlap
    assert f"being crawled by run #{run_id}" in res.skipped[0][1]
    assert runs.get_run(engine, run_id)["status"] == "running"
    # then the machine restarts: the crawl's process is gone
    procs.kill(run_id)
    third = scheduler()
    clock.advance(minutes=2)
    res = third.tick()
    assert res.orphans == [run_id]
    run = runs.get_run(engine, run_id)
    assert run["status"] == "failed" and "orphaned" in run["error"]
    assert res.resumed and res.resumed[0][0] == run_id
    resume_run = res.resumed[0][1]
    assert procs.launches[-1]["trigger"] == "resume" and procs.launches[-1]["resumed_from"] == run_id
    assert res.launched == []  # the due fire is skipped: the resume run is crawling the source
    # a resume that dies too is marked failed but not resumed again
    procs.kill(resume_run)
    clock.advance(minutes=1)
    res = third.tick()
    assert res.orphans == [resume_run] and res.resumed == []
    assert len(res.launched) == 1  # the schedule goes on
    assert get_schedule(engine, s.id).last_run_id == res.launched[0][1]


def test_lease_keeps_one_scheduler_active(engine, world):
    clock, procs, scheduler = world
    add_schedule(engine, "demo-news", "* * * * *", now=clock.now())
    a, b = scheduler(holder="a"), scheduler(holder="b")
    clock.advance(minutes=1)
    assert a.tick().active and not b.tick().active
    assert len(procs.launches) == 1
    a.release_lease()  # a clean stop hands over at once
    assert b.tick().active and not a.tick().active


def test_a_fire_is_claimed_once(engine, world):
    """Two schedulers that both think they are active (a lease race) still launch once."""
    clock, procs, scheduler = world
    add_schedule(engine, "demo-news", "* * * * *", now=clock.now())
    a, b = scheduler(holder="a"), scheduler(holder="b")
    a.acquire_lease = b.acquire_lease = lambda now: True
    clock.advance(minutes=1)
    launched = a.tick().launched + b.tick().launched
    assert len(launched) == 1


def test_cancelled_orphan_is_marked_cancelled(engine, world):
    clock, procs, scheduler = world
    run_id = procs.launch(engine, "demo-news", "manual")
    with engine.begin() as conn:
        from sqlalchemy import update

        conn.execute(update(RunMeta).where(RunMeta.run_id == run_id).values(cancel_requested_at=clock.now()))
    procs.kill(run_id)
    assert scheduler().tick().orphans == [run_id]
    with engine.connect() as conn:
        assert conn.execute(select(CrawlRun.status).where(CrawlRun.id == run_id)).scalar() == "cancelled"
