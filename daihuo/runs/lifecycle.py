"""Crawl runs as processes of their own: launch, watch, cancel, re-run, resume, reap.

A launched run is ``python -m daihuo.runs.process exec RUN_ID`` in a new session (so stopping or
restarting the scheduler or the web server never takes a crawl down with it), its output in
``$DAIHUO_HOME/runs/RUN_ID.log``. The run row is created first, in the launcher, so the
"one run per source at a time" check and the record are one step; the child fills in its
stats. A run whose process is gone while its row still says ``running`` (a crash, SIGKILL,
a machine restart) is an orphan: :func:`reap_orphans` marks it failed, and a resume run
(:func:`resume_run`) picks its source up where the store says it stopped.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine

from storage import run_records
from storage.config import data_dir
from storage.timestamps import from_db, now_utc

log = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[2]
#: a run's status: one function writes each terminal state (write_final, finish_run)
STATUSES = ("running", "finished", "finished_with_errors", "failed", "cancelled")
TERMINAL = STATUSES[1:]
COMPLETED = ("finished", "finished_with_errors")  # the crawl ran to its end
#: a run on another host is an orphan when its heartbeat is older than this
STALE_AFTER = timedelta(minutes=3)
#: a launch whose process never reported is an orphan after this
LAUNCH_TIMEOUT = timedelta(seconds=60)
#: the host recorded for a distributed run: its workers are on many machines, and it ends
#: when its queues drain (daihuo.runs.worker.finish_run), never by reaping
DISTRIBUTED_HOST = "(distributed)"
CANCEL_GRACE = 15.0  # seconds between SIGTERM (Scrapy's graceful stop) and SIGKILL

_children: dict[int, subprocess.Popen] = {}  # run id -> the process we launched (reaped on poll)
_children_lock = threading.Lock()


class RunError(ValueError):
    """A run operation that cannot be done (the message says why)."""


class RunConflict(RunError):
    """The source already has a running run: runs of one source never overlap."""


# -- processes -------------------------------------------------------------------------------
def hostname() -> str:
    return socket.gethostname()


def _proc_stat(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return raw[raw.rfind(")") + 2:].split()  # fields after "(comm)": state is [0], starttime [19]


def proc_start(pid: int) -> str | None:
    """The process's start time (clock ticks since boot) where /proc exists: with the pid, it
    names one process, so a reused pid is not mistaken for the run."""
    fields = _proc_stat(pid)
    return fields[19] if fields and len(fields) > 19 else None


def process_alive(pid: int | None, started: str | None = None) -> bool:
    """True when ``pid`` runs (not a zombie) and, if known, started at ``started``."""
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, someone else's
    fields = _proc_stat(pid)
    if fields is None:
        return not Path("/proc").is_dir()  # no /proc: trust kill(0)
    if fields[0] in ("Z", "X"):
        return False
    return started is None or fields[19] == started


def reap_children() -> None:
    """Collect exited children we launched, so they do not linger as zombies."""
    with _children_lock:
        for run_id, proc in list(_children.items()):
            if proc.poll() is not None:
                del _children[run_id]


# -- run rows --------------------------------------------------------------------------------
def running_runs(engine: Engine, source: str) -> list[int]:
    """Ids of runs of ``source`` whose status is running (any trigger, any host)."""
    with engine.connect() as conn:
        rows = run_records.running_run_sources(conn)
    return [r.id for r in rows if source in (r.sources or [])]


def source_exists(engine: Engine, source: str) -> bool:
    return run_records.source_exists(engine, source)


def create_run(engine: Engine, source: str | list[str], trigger: str, *,
               schedule_id: int | None = None, resumed_from: int | None = None,
               rerun_of: int | None = None, now: datetime | None = None) -> int:
    """Record a new running run of ``source`` (or of several sources crawled together);
    RunConflict if one of them is being crawled already.

    The check and the insert share one transaction (on SQLite the write lock is taken first),
    so two launchers cannot both start the same source."""
    names = [source] if isinstance(source, str) else list(source)
    for name in names:
        if not source_exists(engine, name):
            raise RunError(f"no source {name!r}")
    now = now or now_utc()
    with engine.begin() as conn:
        run_records.lock_runs_for_insert(conn)  # take the write lock now
        for r in run_records.running_run_sources(conn):
            busy = set(names) & set(r.sources or [])
            if busy:
                raise RunConflict(f"source {sorted(busy)[0]!r} is being crawled by run #{r.id}")
        run_id = run_records.insert_run(conn, names, trigger, now, schedule_id=schedule_id,
                                        resumed_from=resumed_from, rerun_of=rerun_of)
    return run_id


def record_process(engine: Engine, run_id: int, pid: int, log_path: str | None = None) -> None:
    """Note where run ``run_id`` runs (creating its meta row for runs started elsewhere)."""
    values = dict(pid=pid, proc_start=proc_start(pid), host=hostname(), heartbeat_at=now_utc())
    if log_path:
        values["log_path"] = log_path
    run_records.set_run_process(engine, run_id, values)


def finish_run(engine: Engine, run_id: int, status: str, *, error: str | None = None,
               only_if_running: bool = True, now: datetime | None = None) -> bool:
    """Close a run's row (e.g. an orphan or a cancelled run); False if it was closed already."""
    return run_records.close_run(engine, run_id, status, now or now_utc(), error=error,
                                 only_if_running=only_if_running)


def mark_distributed(engine: Engine, run_id: int) -> None:
    """Mark a run as crawled by distributed workers (not reaped by pid or heartbeat)."""
    run_records.update_run_meta(engine, run_id, host=DISTRIBUTED_HOST, heartbeat_at=now_utc())


def write_final(engine: Engine, payload: dict) -> None:
    """A crawl's end: status, stats and error (``payload`` as daihuo.runs.crawling spools it).

    A run already closed by someone else (cancelled, reaped as an orphan) keeps "cancelled"
    but gets its stats."""
    run_id = payload["run_id"]
    finished_at = datetime.fromisoformat(payload["finished_at"]) if payload.get("finished_at") else now_utc()
    with engine.begin() as conn:  # the read and both writes: one transaction
        cancelled = run_records.cancel_requested_at(conn, run_id)
        status = "cancelled" if cancelled else payload["status"]
        values: dict = {"exit_code": 0 if status in COMPLETED else 1}
        if payload.get("error"):
            values["error"] = payload["error"]
        run_records.write_run_end(conn, run_id, status, finished_at, payload.get("stats") or {}, values)


# -- launching -------------------------------------------------------------------------------
def log_path_for(run_id: int) -> Path:
    from storage.private_files import private_dir

    return private_dir(data_dir() / "runs") / f"{run_id}.log"


def spawn(run_id: int, *, db_url: str, settings: dict | None = None) -> subprocess.Popen:
    """Start the run's process, detached in its own session, output to its log file."""
    path = log_path_for(run_id)
    env = dict(os.environ, DAIHUO_DATABASE_URL=db_url, PYTHONUNBUFFERED="1")
    # A source checkout (not installed) still finds its own packages.
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH")) if p)
    cmd = [sys.executable, "-m", "daihuo.runs.process", "exec", str(run_id)]
    for key, value in (settings or {}).items():
        cmd += ["--set", f"{key}={json.dumps(value)}"]
    from storage.private_files import open_private

    with open_private(path, "ab") as out:  # logs quote pages: owner only
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                env=env, cwd=str(data_dir()), start_new_session=True)
    with _children_lock:
        _children[run_id] = proc
    return proc


def launch_run(engine: Engine, source: str, trigger: str = "manual", *, db_url: str | None = None,
               schedule_id: int | None = None, resumed_from: int | None = None,
               rerun_of: int | None = None, settings: dict | None = None) -> int:
    """Create a run of ``source`` and start its process; returns the run id.

    RunConflict when the source is being crawled; RunError for an unknown source."""
    url = db_url or str(engine.url.render_as_string(hide_password=False))
    run_id = create_run(engine, source, trigger, schedule_id=schedule_id,
                        resumed_from=resumed_from, rerun_of=rerun_of)
    try:
        proc = spawn(run_id, db_url=url, settings=settings)
    except OSError as exc:
        finish_run(engine, run_id, "failed", error=f"could not start: {exc}")
        raise RunError(f"could not start run #{run_id}: {exc}") from exc
    record_process(engine, run_id, proc.pid, str(log_path_for(run_id)))
    return run_id


def rerun(engine: Engine, run_id: int, *, db_url: str | None = None) -> int:
    """Crawl the sources of run ``run_id`` again (one source per launched run)."""
    run = get_run(engine, run_id)
    if run is None:
        raise RunError(f"no run #{run_id}")
    return launch_run(engine, run["source"], "rerun", db_url=db_url, rerun_of=run_id)


def resume_run(engine: Engine, run_id: int, *, db_url: str | None = None,
               settings: dict | None = None) -> int:
    """Continue a failed or cancelled run: a new run of its source that skips every article
    stored since the old run started (list pages are fetched again to find the rest)."""
    run = get_run(engine, run_id)
    if run is None:
        raise RunError(f"no run #{run_id}")
    if run["status"] == "running":
        raise RunError(f"run #{run_id} is still running")
    return launch_run(engine, run["source"], "resume", db_url=db_url, resumed_from=run_id,
                      schedule_id=run.get("schedule_id"), settings=settings)


# -- orphans and cancelling ------------------------------------------------------------------
AliveFn = Callable[[int | None, str | None], bool]


def reap_orphans(engine: Engine, *, now: datetime | None = None, is_alive: AliveFn = process_alive,
                 host: str | None = None) -> list[int]:
    """Mark failed every running run whose process is gone; returns their ids.

    On this host the pid decides; a run on another host is judged by its heartbeat. Runs
    without a meta row (written by code that does not record its process) are left alone."""
    now = now or now_utc()
    host = host or hostname()
    reap_children()
    rows = run_records.running_runs_with_process(engine)
    orphans = []
    for r in rows:
        if r.host == DISTRIBUTED_HOST:
            continue
        if r.pid is None:
            gone = now - from_db(r.started_at) > LAUNCH_TIMEOUT
            why = "the run's process never started"
        elif r.host == host:
            gone = not is_alive(r.pid, r.proc_start)
            why = f"the run's process (pid {r.pid}) is gone"
        else:
            beat = from_db(r.heartbeat_at) or from_db(r.started_at)
            gone = now - beat > STALE_AFTER
            why = f"no heartbeat from {r.host} since {beat.isoformat()}"
        if gone:
            status = "cancelled" if r.cancel_requested_at else "failed"
            if finish_run(engine, r.id, status, error=f"orphaned: {why}", now=now):
                orphans.append(r.id)
                log.warning("run #%d marked %s: %s", r.id, status, why)
    return orphans


def cancel_run(engine: Engine, run_id: int, *, grace: float = CANCEL_GRACE, wait: bool = True) -> str:
    """Stop a running run: SIGTERM (Scrapy closes gracefully), SIGKILL after ``grace`` seconds.

    Returns what happened: "cancelled", "signalled" (wait=False: a thread finishes the job)
    or "not running"."""
    run = get_run(engine, run_id)
    if run is None:
        raise RunError(f"no run #{run_id}")
    if run["status"] != "running":
        return "not running"
    run_records.update_run_meta(engine, run_id, cancel_requested_at=now_utc())
    pid, started = run.get("pid"), run.get("proc_start")
    local = run.get("host") == hostname()
    if not (local and process_alive(pid, started)):
        if local or pid is None:
            finish_run(engine, run_id, "cancelled", error="cancelled (no live process)")
            return "cancelled"
        return "signalled"  # on another host: its worker sees cancel_requested_at

    def stop() -> None:
        try:
            os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + grace
            while process_alive(pid, started) and time.monotonic() < deadline:
                reap_children()
                time.sleep(0.1)
            if process_alive(pid, started):
                os.kill(pid, signal.SIGKILL)
                while process_alive(pid, started):
                    reap_children()
                    time.sleep(0.05)
        except ProcessLookupError:
            pass
        reap_children()
        finish_run(engine, run_id, "cancelled", error="cancelled")

    if wait:
        stop()
        return "cancelled"
    threading.Thread(target=stop, name=f"cancel-run-{run_id}", daemon=True).start()
    return "signalled"


# -- reading ---------------------------------------------------------------------------------
def stats_summary(stats: dict) -> dict:
    """What an editor reads from Scrapy's stats: requests, responses by status, items stored
    and dropped by reason, failures by stage, incremental skips, errors."""
    s = stats or {}

    def prefixed(prefix: str) -> dict:
        return {k[len(prefix):]: v for k, v in sorted(s.items()) if k.startswith(prefix)}

    return {
        "requests": s.get("downloader/request_count", 0),
        "responses": s.get("response_received_count", 0),
        "responses_by_status": prefixed("downloader/response_status_count/"),
        "stored": s.get("daihuo/stored", 0),
        "updated": s.get("daihuo/updated", 0),
        "dropped": s.get("daihuo/dropped", 0),
        "dropped_by_reason": prefixed("daihuo/dropped/"),
        "failed": s.get("daihuo/failed", 0),
        "failed_by_stage": prefixed("daihuo/failed/"),
        "incremental": prefixed("daihuo/incremental/"),
        "listings": s.get("daihuo/listings/parsed", 0),
        # robots.txt refusals reach Scrapy's stats as IgnoreRequest exceptions: not errors
        "errors": s.get("log_count/ERROR", 0) + s.get("spider_exceptions/count", 0)
        + s.get("downloader/exception_count", 0)
        - s.get("downloader/exception_type_count/scrapy.exceptions.IgnoreRequest", 0),
        "exceptions": prefixed("downloader/exception_type_count/"),
        "elapsed_seconds": s.get("elapsed_time_seconds"),
        "finish_reason": s.get("finish_reason"),
    }


def _run_dict(r, *, full: bool) -> dict:  # noqa: ANN001
    started, finished = from_db(r.started_at), from_db(r.finished_at)
    end = finished or (now_utc() if r.status == "running" else None)
    stats = r.stats or {}
    if r.status == "running" and r.live_stats:
        stats = r.live_stats  # the crawl's own stats, a few seconds old
    out = {
        "id": r.id, "source": r.source or (r.sources or [None])[0], "sources": r.sources or [],
        "trigger": r.trigger, "status": r.status, "started_at": started, "finished_at": finished,
        "duration_seconds": round((end - started).total_seconds(), 1) if end and started else None,
        "schedule_id": r.schedule_id, "quality": r.quality, "error": r.error,
        "resumed_from": r.resumed_from, "rerun_of": r.rerun_of,
        "summary": stats_summary(stats),
    }
    if full:
        out.update(pid=r.pid, proc_start=r.proc_start, host=r.host, log_path=r.log_path,
                   heartbeat_at=from_db(r.heartbeat_at), exit_code=r.exit_code,
                   cancel_requested_at=from_db(r.cancel_requested_at),
                   quality_report=r.quality_report or {}, stats=stats)
    return out


def list_runs(engine: Engine, *, source: str | None = None, status: str | None = None,
              limit: int = 50, offset: int = 0) -> list[dict]:
    """Runs, newest first, with their stats summary."""
    rows = run_records.run_rows(engine, source=source, status=status, limit=limit, offset=offset)
    return [_run_dict(r, full=False) for r in rows]


def get_run(engine: Engine, run_id: int) -> dict | None:
    r = run_records.run_row(engine, run_id)
    return _run_dict(r, full=True) if r else None


def read_log(engine: Engine, run_id: int, *, tail: int = 64 * 1024) -> str:
    """The last ``tail`` bytes of the run's log ("" when it has none on this host)."""
    run = get_run(engine, run_id)
    if run is None:
        raise RunError(f"no run #{run_id}")
    path = Path(run["log_path"]) if run.get("log_path") else log_path_for(run_id)
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - tail))
            data = f.read()
    except OSError:
        return ""
    text = data.decode("utf-8", "replace")
    return text if size <= tail else text.split("\n", 1)[-1]  # from a whole line on


# -- the run's own process ---------------------------------------------------------------
def load_source(engine: Engine, name: str):  # noqa: ANN201
    """The stored source as a SourceConfig (fields the registry does not know are ignored)."""
    from crawlers.registry import SourceConfig, parse_source

    row = run_records.source_config_row(engine, name)
    if row is None:
        raise RunError(f"no source {name!r}")
    known = set(SourceConfig.__dataclass_fields__)
    cfg = {k: v for k, v in (row.config or {}).items() if k in known and v is not None}
    cfg.update(name=row.name, kind=row.kind)
    return parse_source(cfg, where=f"stored source {name!r}")
