"""The newsroom loop in real headless Chromium: an editor runs a source now from its page and
watches the live run finish; a failing source shows on the dashboard, linked to its run; an
admin adds a webhook and tests it against a local receiver; an impossible cron is refused in
Chinese with the input kept; a story approved with its reposts is one entry on the public
home page. Runs are real crawl processes against the demo site on 127.0.0.1.

Needs Debian's chromium and the Python playwright package; skips without them, except under
CI=true where it must run.
"""

from __future__ import annotations

import re
import socket

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
from sitedata import make_store
from webhook_receiver import Receiver

from daihuo.runs import lifecycle as runs
from daihuo.web.accounts import create_user
from editorial.sources import set_allowed_networks

PW = "browser test password"
pytestmark = pytest.mark.slow


def _dead_port() -> int:
    with socket.socket() as s:  # bound then closed: nothing listens there
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    require_browser()
    from daihuo.web.app import create_app

    tmp = tmp_path_factory.mktemp("browser-newsroom")
    with daihuo_home(tmp / "home"):  # run logs go here
        url = f"sqlite:///{tmp / 'newsroom.sqlite'}"
        demo = ConditionalDemoServer().__enter__()
        store, ids = make_store(url)  # news-a/b/c: an original and its repost are one story
        add_demo_source(store, demo.base_url, concurrency=1, delay=0.3)  # slow enough to watch live
        dead = f"http://127.0.0.1:{_dead_port()}"
        add_demo_source(store, dead, name="dead-news", concurrency=1, delay=0.0,
                        allowed_domains=["127.0.0.1"])
        set_allowed_networks(store.engine, ["127.0.0.0/8"], "test")
        create_user(store.engine, "editor1", PW, "editor")
        create_user(store.engine, "admin1", PW, "admin")
        app = create_app(url)
        with serve_app(app) as base:
            yield base, app.state.engine, ids
        demo.__exit__(None, None, None)
        store.close()


@pytest.fixture(scope="module")
def browser(served):
    with chromium() as b:
        yield b


def _login(browser, base: str, name: str):  # noqa: ANN001, ANN202
    return console_login(browser, base, name, PW, accept_dialogs=True)


def _finish(ctx, page, errors: list[str], shot: str) -> None:  # noqa: ANN001
    """A screenshot for the artifacts, no script error on the way, the context closed."""
    page.screenshot(path=str(ARTIFACTS / f"{shot}.png"), full_page=True)
    assert errors == []
    ctx.close()


def _run_id(page) -> int:  # noqa: ANN001
    m = re.search(r"/console/runs/(\d+)", page.url)
    assert m, page.url
    return int(m.group(1))


def _run_now(page, url: str, button: str) -> int:  # noqa: ANN001
    """Press a run-now ``button`` on the page at ``url``; the new run's id (its page opened)."""
    page.goto(url)
    page.click(button)
    page.wait_for_url(re.compile(r".*/console/runs/\d+.*"))
    return _run_id(page)


def test_run_now_from_the_source_page_opens_a_live_run(served, browser):
    base, engine, _ids = served
    ctx, page, errors = _login(browser, base, "editor1")
    run_id = _run_now(page, f"{base}/console/sources/demo-news", "#run-now")
    assert "已开始运行" in page.locator("p.flash.ok").inner_text()
    assert page.locator("#run").get_attribute("data-status") == "running"
    run = runs.get_run(engine, run_id)
    assert run["trigger"] == "manual" and run["pid"]  # a run process of its own, like a schedule's
    until(lambda: int(page.locator("#run").get_attribute("data-live") or 0) >= 1
           or page.locator("#run").get_attribute("data-status") != "running", 30)
    page.screenshot(path=str(ARTIFACTS / "newsroom-run-now-live.png"), full_page=True)
    until(lambda: page.locator("#run").get_attribute("data-status") in runs.COMPLETED, 90)
    assert int(page.locator("[data-k=stored]").inner_text()) > 0
    assert page.locator("[data-k=status]").inner_text().startswith("完成")  # the demo has a dead link
    assert page.locator("a[download]").get_attribute("href") == f"/console/runs/{run_id}/log.txt"
    # its history chart now has this run
    page.goto(f"{base}/console/sources/demo-news/history")
    assert page.locator("svg.history-chart rect.fetched").count() >= 1
    assert page.locator(f"table.history-table tr[data-run='{run_id}']").count() == 1
    _finish(ctx, page, errors, "newsroom-run-history")


def test_a_failing_source_shows_on_the_dashboard(served, browser):
    base, engine, _ids = served
    ctx, page, errors = _login(browser, base, "editor1")
    run_id = _run_now(page, f"{base}/console/sources", "tr[data-source=dead-news] button[data-action=run]")
    until(lambda: page.locator("#run").get_attribute("data-status") != "running", 90)
    page.goto(f"{base}/console/")
    row = page.locator(f"table.problem-runs tr[data-run='{run_id}']")
    assert row.count() == 1 and "dead-news" in row.inner_text() and "失败" in row.inner_text()
    page.screenshot(path=str(ARTIFACTS / "newsroom-dashboard-health.png"), full_page=True)
    row.locator(f"a[href='/console/runs/{run_id}']").click()
    page.wait_for_load_state()
    assert page.locator("#run").get_attribute("data-run") == str(run_id)
    # the run page lists the URL that could not be fetched, with its stage and reason
    failed = page.locator("table.failures tbody tr")
    assert failed.count() >= 1 and "/" in failed.first.locator("td.url").inner_text()
    assert page.locator("a[download]").count() == 1
    _finish(ctx, page, errors, "newsroom-failed-run")


def test_admin_adds_and_tests_a_webhook(served, browser):
    base, engine, _ids = served
    ctx, page, errors = _login(browser, base, "admin1")
    with Receiver() as rx:
        page.goto(f"{base}/console/webhooks")
        page.fill("form.webhook-form input[name=name]", "ux-hook")
        page.select_option("form.webhook-form select[name=kind]", "wecom")
        page.fill("form.webhook-form input[name=url]", rx.url("/cgi-bin/webhook/send?key=SECRETKEY123"))
        page.click("form.webhook-form button[type=submit]")
        page.wait_for_load_state()
        assert "已添加通知 ux-hook" in page.locator("p.flash.ok").inner_text()
        row = page.locator("tr[data-webhook=ux-hook]")
        assert "企业微信" in row.inner_text() and "SECRETKEY123" not in page.content()
        row.locator("button[data-action=test]").click()
        page.wait_for_load_state()
        assert "测试消息已送达 ux-hook" in page.locator("p.flash.ok").inner_text()
        assert len(rx.posts) == 1 and rx.posts[0]["json"]["msgtype"] == "markdown"
        delivery = page.locator("table.deliveries tr[data-delivery]")
        assert delivery.count() == 1 and "成功" in delivery.inner_text() and "测试" in delivery.inner_text()
    _finish(ctx, page, errors, "newsroom-webhooks")


def test_an_impossible_cron_is_refused_in_chinese(served, browser):
    base, engine, _ids = served
    ctx, page, errors = _login(browser, base, "editor1")
    page.goto(f"{base}/console/schedules")
    page.select_option("form.schedule-add select[name=source]", "news-b")
    page.fill("form.schedule-add input[name=cron]", "0 9 31 2 *")
    page.click("form.schedule-add button[type=submit]")
    page.wait_for_load_state()
    msg = page.locator("p.flash.err").inner_text()
    assert "永远不会触发" in msg and "0 9 31 2 *" in msg
    assert "Internal Server Error" not in page.content()
    assert page.input_value("form.schedule-add input[name=cron]") == "0 9 31 2 *"  # kept
    assert page.input_value("form.schedule-add select[name=source]") == "news-b"
    # the API answers the same cron with a 4xx from the editor's session
    code = page.evaluate("""async () => {
        const csrf = document.querySelector('input[name=csrf_token]').value;
        const r = await fetch('/api/schedules', {method: 'POST', headers: {'Content-Type': 'application/json',
            'X-CSRF-Token': csrf}, body: JSON.stringify({source: 'news-b', cron: '0 9 31 2 *'})});
        return r.status; }""")
    assert code == 422
    _finish(ctx, page, errors, "newsroom-cron-refused")


def test_a_story_approved_with_its_reposts_is_one_entry_on_home(served, browser):
    base, engine, ids = served
    original, repost = ids["https://a.example.com/live/1.html"], ids["https://b.example.org/n/88.html"]
    ctx, page, errors = _login(browser, base, "editor1")
    page.goto(f"{base}/console/queue")
    story = page.locator(f"li.story[data-id='{original}'], li.story[data-id='{repost}']")
    assert story.count() == 1  # the queue shows the story once
    story.locator("input[name=ids]").check()
    page.check("input[name=whole_story]")
    page.click("div.bulkbar button[value=approve]")
    page.wait_for_load_state()
    assert "通过:2 篇" in page.locator("p.flash.ok").inner_text()
    with engine.connect() as conn:
        from sqlalchemy import select

        from storage.models import Article
        statuses = dict(conn.execute(select(Article.id, Article.status)
                                     .where(Article.id.in_([original, repost]))).all())
    assert set(statuses.values()) == {"approved"}
    site = ctx.new_page()
    site.goto(f"{base}/")
    hrefs = [a.get_attribute("href") for a in site.locator("main a[href^='/articles/']").all()]
    shown = {h for h in hrefs if h in (f"/articles/{original}/", f"/articles/{repost}/")}
    assert shown == {f"/articles/{original}/"}, hrefs
    _finish(ctx, site, errors, "newsroom-home-one-story")
