"""Schedules and runs in real headless Chromium: an editor logs in, schedules the demo-site
source to run every minute, the scheduler's tick is driven with a clock one minute ahead
(so the test does not wait a minute; the run itself is a real crawl process), the run
appears with its stats and live view, and an analyst can reach neither the schedule/run
pages nor the API's write routes.

Needs Debian's chromium (/usr/bin/chromium) and the Python playwright package; skips
without them, except under CI=true where it must run.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from browser import (
    ARTIFACTS,
    chromium,
    console_login,
    daihuo_home,
    require_browser,
    serve_app,
    until,
)
from schedsupport import ConditionalDemoServer, add_demo_source

from daihuo.runs import lifecycle as runs
from daihuo.runs.cron import Scheduler
from daihuo.web.accounts import create_user
from storage.store import Store
from storage.timestamps import now_utc

PW = "browser test password"

pytestmark = pytest.mark.slow


class AheadClock:
    """The wall clock plus an offset: one tick 'a minute later' without waiting a minute."""

    def __init__(self, ahead: timedelta) -> None:
        self.ahead = ahead

    def now(self):  # noqa: ANN201
        return now_utc() + self.ahead


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    require_browser()

    from daihuo.web.app import create_app

    tmp = tmp_path_factory.mktemp("browser-schedule")
    with daihuo_home(tmp / "home"):  # run logs go here
        url = f"sqlite:///{tmp / 'console.sqlite'}"
        demo = ConditionalDemoServer().__enter__()
        store = Store.open(url)
        add_demo_source(store, demo.base_url, concurrency=1, delay=0.3)  # slow enough to watch live
        create_user(store.engine, "editor1", PW, "editor")
        create_user(store.engine, "analyst1", PW, "analyst")
        app = create_app(url)
        with serve_app(app) as base:
            yield base, app.state.engine, url
        demo.__exit__(None, None, None)
        store.close()


@pytest.fixture(scope="module")
def browser(served):
    with chromium() as b:
        yield b


def _login(browser, base: str, name: str):  # noqa: ANN001, ANN202
    return console_login(browser, base, name, PW)


def test_editor_schedules_a_crawl_and_watches_the_run(served, browser):
    base, engine, url = served
    ARTIFACTS.mkdir(exist_ok=True)
    ctx, page, errors = _login(browser, base, "editor1")
    page.goto(f"{base}/console/schedules")
    page.select_option("form.schedule-add select[name=source]", "demo-news")
    page.fill("form.schedule-add input[name=cron]", "* * * * *")
    page.click("form.schedule-add button[type=submit]")
    page.wait_for_load_state()
    assert page.locator(".flash.ok").count() == 1
    row = page.locator("tr[data-schedule]")
    assert row.count() == 1 and "demo-news" in row.inner_text() and "启用" in row.inner_text()

    # the scheduler's tick, a minute ahead: the every-minute schedule is due and launches
    res = Scheduler(engine, db_url=url, clock=AheadClock(timedelta(seconds=61))).tick()
    assert len(res.launched) == 1, res
    run_id = res.launched[0][1]

    page.goto(f"{base}/console/runs")
    link = page.locator(f"tr[data-run='{run_id}'] a")
    assert link.count() == 1 and "计划" in page.locator(f"tr[data-run='{run_id}']").inner_text()
    link.click()
    page.wait_for_load_state()
    assert page.locator("#run").get_attribute("data-status") == "running"
    # the live view polls the run while it crawls, then reloads when it ends
    # (polled from Python: the console's CSP forbids the eval that wait_for_function uses)
    until(lambda: int(page.locator("#run").get_attribute("data-live") or 0) >= 1
           or page.locator("#run").get_attribute("data-status") != "running", 30)
    page.screenshot(path=str(ARTIFACTS / "console-run-live.png"), full_page=True)
    until(lambda: page.locator("#run").get_attribute("data-status") in runs.COMPLETED, 60)
    stored = page.locator("[data-k=stored]").inner_text()
    assert stored == "7", stored
    assert "200: 11" in page.locator("[data-k=responses_by_status]").inner_text()
    assert page.locator("[data-k=status]").inner_text().startswith("完成")  # the demo links one 404
    assert "Spider closed" in page.locator("#log").inner_text()
    page.screenshot(path=str(ARTIFACTS / "console-run-finished.png"), full_page=True)

    page.goto(f"{base}/console/schedules")
    assert f"#{run_id}" in page.locator("tr[data-schedule]").inner_text()
    page.screenshot(path=str(ARTIFACTS / "console-schedules.png"), full_page=True)
    assert errors == []  # no script errors (and none blocked by the CSP)
    assert runs.get_run(engine, run_id)["status"] in runs.COMPLETED
    ctx.close()


def test_analyst_cannot_reach_schedule_or_run_editing(served, browser):
    base, engine, url = served
    ctx, page, _ = _login(browser, base, "analyst1")
    for path in ("/console/schedules", "/console/runs", "/console/runs/1"):
        resp = page.goto(f"{base}{path}")
        assert resp.status == 403, path
        assert page.locator("p.forbidden").count() == 1
    assert "计划" not in page.locator("header.top nav").inner_text()
    page.screenshot(path=str(ARTIFACTS / "console-analyst-403.png"))
    # the API from the analyst's own session, with the right CSRF token: reads yes, writes no
    codes = page.evaluate("""async () => {
        const me = await fetch('/api/auth/me').then(r => r.status);
        const csrf = document.querySelector('input[name=csrf_token]').value;
        const h = {'Content-Type': 'application/json', 'X-CSRF-Token': csrf};
        const post = (u, b) => fetch(u, {method: 'POST', headers: h, body: JSON.stringify(b)}).then(r => r.status);
        return {
          me, runs: await fetch('/api/runs').then(r => r.status),
          schedules: await fetch('/api/schedules').then(r => r.status),
          add: await post('/api/schedules', {source: 'demo-news', cron: '* * * * *'}),
          start: await post('/api/runs', {source: 'demo-news'}),
          rerun: await post('/api/runs/1/rerun', {}),
          cancel: await post('/api/runs/1/cancel', {}),
          patch: await fetch('/api/schedules/1', {method: 'PATCH', headers: h, body: '{"enabled": false}'}).then(r => r.status),
          del: await fetch('/api/schedules/1', {method: 'DELETE', headers: h}).then(r => r.status),
          hooks: await fetch('/api/webhooks').then(r => r.status),
        };
    }""")
    assert codes == {"me": 200, "runs": 200, "schedules": 200, "add": 403, "start": 403, "rerun": 403,
                     "cancel": 403, "patch": 403, "del": 403, "hooks": 403}, codes
    ctx.close()
