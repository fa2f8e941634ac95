"""A cron expression that never fires (31 February) or fires less than once a year (29
February) is refused everywhere: the scheduler's validation, the API (a 4xx, never a 500),
the console (a Chinese message, the typed cron and the chosen source kept) and the CLI (one
line, no traceback). Schedule changes reach the audit list."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from fastapi.testclient import TestClient

from daihuo.runs.cron import ScheduleError, add_schedule, longest_gap_days, validate_cron
from daihuo.web.accounts import create_user, list_users, start_session
from daihuo.web.app import create_app
from daihuo.web.auth import COOKIE
from editorial.sources import recent_audit
from storage.store import Store

NEVER, RARE = "0 9 31 2 *", "0 0 29 2 *"


@pytest.mark.parametrize("expr", ["*/30 * * * *", "15 9 * * mon-fri", "0 3 1,15 * *", "0 0 1 1 *",
                                  "@yearly", "0 0 L 2 *", "0 0 * * 5#5", "0 0 30 2 mon"])
def test_schedules_that_fire_at_least_yearly_pass(expr):
    assert validate_cron(expr)


def test_never_and_rarely_firing_crons_are_refused():
    with pytest.raises(ScheduleError, match="never fires"):
        validate_cron(NEVER)
    with pytest.raises(ScheduleError, match="less than once a year"):
        validate_cron(RARE)
    assert longest_gap_days("31 2 *") is None
    assert longest_gap_days("29 2 *") > 1400  # every four years
    assert longest_gap_days("1 1 *") == 366  # yearly, a leap year included


@pytest.fixture
def app(tmp_path, tmp_home):
    application = create_app(f"sqlite:///{tmp_path / 'cron.sqlite'}")
    engine = application.state.engine
    Store(engine).sync_sources([{"name": "alpha-news", "kind": "news", "config": {}},
                                {"name": "beta-news", "kind": "news", "config": {}}])
    create_user(engine, "editor", "a long password", "editor")
    return application


def _editor(app) -> TestClient:
    c = TestClient(app, follow_redirects=False)
    user = next(u for u in list_users(app.state.engine) if u.name == "editor")
    session = start_session(app.state.engine, user)
    c.cookies.set(COOKIE, session.token)
    c.headers["X-CSRF-Token"] = session.csrf_token
    return c


def test_api_answers_4xx_not_500(app):
    c = _editor(app)
    for expr in (NEVER, RARE):
        r = c.get("/api/schedules/preview", params={"cron": expr})
        assert r.status_code == 422 and "fire" in r.json()["detail"], r.text
        r = c.post("/api/schedules", json={"source": "alpha-news", "cron": expr})
        assert r.status_code == 422, r.text
    ok = c.post("/api/schedules", json={"source": "alpha-news", "cron": "0 8 * * *"})
    assert ok.status_code == 201
    r = c.patch(f"/api/schedules/{ok.json()['id']}", json={"cron": NEVER})
    assert r.status_code == 422 and "never fires" in r.json()["detail"]


def test_console_refuses_in_chinese_and_keeps_the_input(app):
    c = _editor(app)
    r = c.post("/console/schedules", data={"source": "beta-news", "cron": NEVER, "timezone": "Asia/Shanghai"})
    assert r.status_code == 400
    assert "永远不会触发" in r.text and "Internal Server Error" not in r.text
    assert f'value="{NEVER}"' in r.text  # the typed cron
    assert '<option value="beta-news" selected>' in r.text  # the chosen source, not the first one
    r = c.post("/console/schedules", data={"source": "beta-news", "cron": RARE})
    assert r.status_code == 400 and "不到一年触发一次" in r.text
    # editing a schedule: the error names it and its row keeps the typed cron
    s = add_schedule(app.state.engine, "alpha-news", "0 8 * * *", created_by="editor")
    r = c.post(f"/console/schedules/{s.id}/edit", data={"cron": NEVER, "timezone": "Asia/Shanghai"})
    assert r.status_code == 400 and f"计划 #{s.id}" in r.text and "永远不会触发" in r.text
    assert f'value="{NEVER}"' in r.text
    # changes are audited, the failed ones are not
    assert c.post(f"/console/schedules/{s.id}/pause").status_code == 303
    actions = [(a["action"], a["actor"]) for a in recent_audit(app.state.engine)]
    assert actions[:2] == [("schedule_pause", "editor"), ("schedule_add", "editor")]
    page = c.get("/console/settings")  # admins only: the editor's dashboard shows the same list
    assert page.status_code == 403
    home = c.get("/console/")
    assert "暂停计划" in home.text and "添加计划" in home.text


def _cli(*args: str, url: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, DAIHUO_DATABASE_URL=url)
    return subprocess.run([sys.executable, "-m", "daihuo", *args], capture_output=True, text=True,
                          env=env, timeout=120)


def test_cli_prints_one_line_without_traceback(tmp_path, tmp_home):
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    store = Store.open(url)
    store.sync_sources([{"name": "alpha-news", "kind": "news", "config": {}}])
    s = add_schedule(store.engine, "alpha-news", "0 8 * * *")
    store.close()
    for args in (("schedule", "next", NEVER), ("schedule", "add", "alpha-news", NEVER),
                 ("schedule", "edit", str(s.id), "--cron", NEVER), ("schedule", "next", RARE)):
        res = _cli(*args, url=url)
        assert res.returncode != 0, args
        lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
        assert len(lines) == 1 and "Traceback" not in res.stderr, res.stderr
        assert "fire" in lines[0], lines[0]
