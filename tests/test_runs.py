"""Runs as processes of their own, on the demo site served on 127.0.0.1: launch with pid and
log, live stats while crawling, history with the stats summary, cancel (SIGTERM, and SIGKILL
after the grace time), re-run, one run per source, and orphans of dead processes."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
from schedsupport import ConditionalDemoServer, add_demo_source, wait_run

from daihuo.runs import lifecycle as runs
from storage.store import Store

pytestmark = pytest.mark.slow


@pytest.fixture
def setup(tmp_home, tmp_path):
    url = f"sqlite:///{tmp_path / 'runs.sqlite'}"
    store = Store.open(url)
    yield store.engine, url, tmp_home
    store.close()


def _wait_for(cond, timeout=30.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = cond()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_launch_live_stats_history_log_and_rerun(setup):
    engine, url, home = setup
    with ConditionalDemoServer() as server:
        # a polite source (0.4 s between requests), so the crawl is still running when looked at
        add_demo_source(engine_store := Store(engine), server.base_url, concurrency=1, delay=0.4)
        run_id = runs.launch_run(engine, "demo-news", "manual", db_url=url)
        run = runs.get_run(engine, run_id)
        assert run["status"] == "running" and run["trigger"] == "manual" and run["pid"]
        assert runs.process_alive(run["pid"], run["proc_start"])
        assert run["log_path"] == str(home / "runs" / f"{run_id}.log")
        with pytest.raises(runs.RunConflict):  # one run per source at a time
            runs.launch_run(engine, "demo-news", "manual", db_url=url)
        # the live view: stats arrive while the crawl runs
        live = _wait_for(lambda: (r := runs.get_run(engine, run_id))["status"] == "running"
                         and r["summary"]["responses"] >= 2 and r, what="live stats")
        assert live["heartbeat_at"] is not None and live["duration_seconds"] >= 0
        done = wait_run(engine, run_id)
        assert done["status"] in runs.COMPLETED  # the demo links one 404: finished_with_errors
    run = runs.get_run(engine, run_id)
    s = run["summary"]
    assert s["stored"] == 7 and s["responses_by_status"] == {"200": 11, "404": 1}
    assert s["failed_by_stage"] == {"fetch": 1} and s["finish_reason"] == "finished"
    assert run["exit_code"] == 0 and run["duration_seconds"] > 0 and run["quality"] == "passed"
    assert "Spider closed (finished)" in runs.read_log(engine, run_id)
    assert [r["id"] for r in runs.list_runs(engine, source="demo-news")] == [run_id]

    with ConditionalDemoServer() as server:
        add_demo_source(engine_store, server.base_url)  # fast again
        again = runs.rerun(engine, run_id, db_url=url)
        rerun = wait_run(engine, again)
    assert rerun["trigger"] == "rerun" and rerun["rerun_of"] == run_id and rerun["status"] in runs.COMPLETED
    assert rerun["summary"]["stored"] == 0  # incremental: nothing changed
    assert [r["id"] for r in runs.list_runs(engine)] == [again, run_id]


@pytest.mark.parametrize("grace", [20.0, 0.0])
def test_cancel_stops_the_crawl(setup, grace):
    engine, url, _ = setup
    with ConditionalDemoServer() as server:
        add_demo_source(Store(engine), server.base_url, concurrency=1, delay=1.0)
        run_id = runs.launch_run(engine, "demo-news", "manual", db_url=url)
        _wait_for(lambda: runs.get_run(engine, run_id)["summary"]["requests"] >= 3, what="crawling")
        pid, started = runs.get_run(engine, run_id)["pid"], runs.get_run(engine, run_id)["proc_start"]
        t0 = time.monotonic()
        assert runs.cancel_run(engine, run_id, grace=grace) == "cancelled"
        assert not runs.process_alive(pid, started)
        assert time.monotonic() - t0 < 15
    run = runs.get_run(engine, run_id)
    assert run["status"] == "cancelled" and run["finished_at"] is not None
    assert run["summary"]["stored"] < 7
    assert runs.cancel_run(engine, run_id) == "not running"


def test_orphans_of_dead_processes_are_failed(setup):
    engine, url, _ = setup
    Store(engine).sync_sources([{"name": "a", "kind": "news", "config": {}},
                                {"name": "b", "kind": "news", "config": {}}])
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    gone = runs.create_run(engine, "a", "manual")
    runs.record_process(engine, gone, dead.pid)
    # a live process whose pid is recorded with another start time: a reused pid
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        reused = runs.create_run(engine, "b", "manual")
        runs.record_process(engine, reused, live.pid)
        assert runs.reap_orphans(engine) == [gone]
        with Store(engine).engine.begin() as conn:
            from sqlalchemy import update

            from storage.schedule_models import RunMeta
            conn.execute(update(RunMeta).where(RunMeta.run_id == reused).values(proc_start="1"))
        assert runs.reap_orphans(engine) == [reused]
    finally:
        live.kill()
        live.wait()
    assert {runs.get_run(engine, r)["status"] for r in (gone, reused)} == {"failed"}
    assert "orphaned" in runs.get_run(engine, gone)["error"]
    runs.create_run(engine, "a", "manual")  # the source is free again
