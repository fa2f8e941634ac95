"""The scheduling CLI: schedule add/list/pause/edit/remove/next, runs list/show/cancel/log,
webhook add/list/remove, and `daihuo scheduler --once`, on a temporary store."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from daihuo.cli.schedule_commands import register
from daihuo.runs import lifecycle as runs
from storage.store import Store


@pytest.fixture
def cli(tmp_home, tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    monkeypatch.setenv("DAIHUO_DATABASE_URL", url)
    store = Store.open(url)
    store.sync_sources([{"name": "demo-news", "kind": "news", "config": {}}])

    @click.group()
    def main() -> None:
        pass

    register(main)
    runner = CliRunner()

    def invoke(*args, ok=True):
        res = runner.invoke(main, list(args), catch_exceptions=False)
        assert (res.exit_code == 0) == ok, res.output
        return res.output

    yield invoke, store.engine
    store.close()


def test_schedule_commands(cli):
    invoke, engine = cli
    out = invoke("schedule", "add", "demo-news", "*/30 8-22 * * *")
    assert "schedule #1" in out and "Asia/Shanghai" in out
    assert "5 fields" in invoke("schedule", "add", "demo-news", "* * *", ok=False)
    assert "no source" in invoke("schedule", "add", "nope", "* * * * *", ok=False)
    assert "demo-news" in invoke("schedule", "list")
    assert "paused" in invoke("schedule", "pause", "1")
    assert "(paused)" in invoke("schedule", "list")
    assert "resumed" in invoke("schedule", "pause", "1", "--resume")
    assert "'0 9 * * mon'" in invoke("schedule", "edit", "1", "--cron", "0 9 * * mon")
    nxt = invoke("schedule", "next", "0 9 * * mon", "-n", "2").splitlines()
    assert len(nxt) == 2 and all(line.endswith("09:00 Mon") for line in nxt)
    assert "removed" in invoke("schedule", "remove", "1")
    assert "no schedule" in invoke("schedule", "remove", "1", ok=False)


def test_runs_and_scheduler_commands(cli):
    invoke, engine = cli
    run_id = runs.create_run(engine, "demo-news", "manual")
    assert f"#{run_id}" in invoke("runs", "list") and "running" in invoke("runs", "show", str(run_id))
    assert "cancelled" in invoke("runs", "cancel", str(run_id))  # no process behind it
    assert "no run" in invoke("runs", "show", "999", ok=False)
    assert invoke("runs", "log", str(run_id)) == ""
    assert "launched 0" in invoke("scheduler", "--once")
    assert "webhook #1 ops (wecom)" in invoke("webhook", "add", "ops", "http://127.0.0.1:9/x", "--kind", "wecom")
    assert "ops" in invoke("webhook", "list")
    assert "removed" in invoke("webhook", "remove", "1")
