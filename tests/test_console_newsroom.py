"""The console closes the newsroom's loop (TestClient): the dashboard shows live counts and
run health with links; a source's run history has an SVG chart and a table; a run's log
downloads; run now starts a run through the same entry point as a schedule's 立即运行;
webhooks are managed by admins with their delivery history; the queue is ordered by
arrival with a lead per story; a reject reason can be required; rules reorder."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from consolesite import add_users, login
from fastapi.testclient import TestClient
from sitedata import make_store
from sqlalchemy import update
from webhook_receiver import Receiver

from daihuo.runs import cron as scheduler
from daihuo.runs import lifecycle as runs
from daihuo.runs import webhooks
from daihuo.web.app import create_app
from editorial import curation, rules
from editorial.sources import recent_audit
from storage.models import CrawlRun
from storage.schedule_models import RunMeta, Schedule
from storage.timestamps import now_utc


@pytest.fixture
def room(tmp_path, tmp_home):
    url = f"sqlite:///{tmp_path / 'room.sqlite'}"
    store, ids = make_store(url)
    add_users(store.engine)
    app = create_app(url)
    yield app, store.engine, ids
    store.close()


@pytest.fixture
def room_any(db_url, tmp_home):
    """The same on SQLite and PostgreSQL (the health and queue queries)."""
    store, ids = make_store(db_url)
    add_users(store.engine)
    app = create_app(db_url)
    yield app, store.engine, ids
    store.close()


def _client(app, who):
    c = TestClient(app, follow_redirects=False)
    return c, login(c, who)


def test_dashboard_counts_what_is_live_and_what_failed(room_any):
    app, engine, ids = room_any
    ordered = sorted(ids.values())
    for i in ordered[:4]:
        curation.approve(engine, i, "ed")
    curation.approve(engine, ordered[4], "ed", publish_at=now_utc() + timedelta(days=1))
    failed = runs.create_run(engine, "news-a", "manual")
    runs.finish_run(engine, failed, "failed", error="orphaned: the run's process (pid 42) is gone")
    noisy = runs.create_run(engine, "news-b", "manual")
    runs.finish_run(engine, noisy, "finished")
    clean = runs.create_run(engine, "news-c", "manual")
    runs.finish_run(engine, clean, "finished")
    old = runs.create_run(engine, "news-c", "manual")
    runs.finish_run(engine, old, "failed")
    late = scheduler.add_schedule(engine, "news-c", "0 8 * * *")
    with engine.begin() as conn:
        conn.execute(update(CrawlRun).where(CrawlRun.id == noisy).values(stats={"log_count/ERROR": 3}))
        conn.execute(update(CrawlRun).where(CrawlRun.id == old).values(started_at=now_utc() - timedelta(days=2)))
        conn.execute(update(RunMeta).where(RunMeta.run_id == clean).values(
            quality="failed", quality_report={"checks": [{"name": "zero_items", "ok": False,
                                                          "detail": "the crawl found no articles (x)"}]}))
        conn.execute(update(Schedule).where(Schedule.id == late.id)
                     .values(next_run_at=now_utc() - timedelta(hours=2)))
    c, _ = _client(app, "ed")
    html = c.get("/console/").text
    card = dict(re.findall(r'data-count="(\w+)"><span class="n">(\d+)</span>', html))
    assert card == {"new": "0", "live": "4", "scheduled": "1", "rejected": "0"}  # approved is public
    assert "published" not in html and "已发布" not in html
    problems = html.split('class="grid problem-runs"')[1].split("</table>")[0]
    assert f'href="/console/runs/{failed}"' in problems and f'href="/console/runs/{noisy}"' in problems
    assert 'href="/console/sources/news-a"' in problems and "运行进程(pid 42)已不存在" in problems
    assert f"/console/runs/{old}" not in problems  # older than 24 hours
    assert f"/console/runs/{clean}\"" not in problems  # finished cleanly...
    checks = html.split('class="grid failed-checks"')[1].split("</table>")[0]
    assert f'href="/console/runs/{clean}"' in checks and "本次抓取没有找到文章" in checks  # ...but failed its checks
    overdue = html.split('class="grid overdue"')[1].split("</table>")[0]
    assert 'href="/console/sources/news-c"' in overdue and "120 分钟" in overdue
    assert 'class="grid quarantined"' in html and "没有被隔离的记录" in html  # quarantine and spool
    assert 'id="health-spool"' in html
    # an analyst sees the health too, without links into editor pages
    a, _ = _client(app, "ana")
    ana = a.get("/console/").text
    assert f"#{failed}" in ana and f'href="/console/runs/{failed}"' not in ana


def test_run_history_chart_and_log_download(room, tmp_home):
    app, engine, _ids = room
    made = []
    for n, (fetched, stored, errors) in enumerate([(10, 4, 0), (20, 8, 5), (0, 0, 2)]):
        run_id = runs.create_run(engine, "news-a", "manual")
        runs.finish_run(engine, run_id, "finished" if n < 2 else "failed")
        with engine.begin() as conn:
            conn.execute(update(CrawlRun).where(CrawlRun.id == run_id).values(stats={
                "downloader/request_count": max(fetched, 1), "response_received_count": fetched,
                "daihuo/stored": stored, "log_count/ERROR": errors}))
        made.append(run_id)
    c, _ = _client(app, "ed")
    page = c.get("/console/sources/news-a/history")
    assert page.status_code == 200
    svg = page.text.split("<svg", 1)[1].split("</svg>", 1)[0]
    assert svg.count('class="fetched"') == 3 and svg.count('class="stored"') == 3
    assert "<title" in svg and "polyline" in svg
    rows = re.findall(r'<tr data-run="(\d+)">.*?class="fetched">(\d+)<.*?class="stored">(\d+)<.*?'
                      r'class="error-rate">(\d+)%', page.text, re.S)
    assert rows == [(str(made[2]), "0", "0", "100"), (str(made[1]), "20", "8", "25"),
                    (str(made[0]), "10", "4", "0")]  # the accessible table, newest first
    assert "<script" not in page.text.split("<main>")[1]
    assert c.get("/console/sources/nope/history").status_code == 404
    # the whole log, not only the tail the page shows
    log = runs.log_path_for(made[0])
    log.write_text("".join(f"line {i} 抓取\n" for i in range(5000)), encoding="utf-8")
    with engine.begin() as conn:
        conn.execute(update(RunMeta).where(RunMeta.run_id == made[0]).values(log_path=str(log)))
    got = c.get(f"/console/runs/{made[0]}/log.txt")
    assert got.status_code == 200 and got.text.startswith("line 0 抓取") and got.text.count("\n") == 5000
    assert "attachment" in got.headers["content-disposition"]
    assert f'href="/console/runs/{made[0]}/log.txt"' in c.get(f"/console/runs/{made[0]}").text
    a, _ = _client(app, "ana")
    assert a.get(f"/console/runs/{made[0]}/log.txt").status_code == 403


def test_run_now_uses_the_schedules_entry_point(room, monkeypatch):
    app, engine, _ids = room
    calls = []

    def fake_launch(eng, source, trigger="manual", **kw):
        calls.append((source, trigger))
        return runs.create_run(eng, source, trigger)  # the same lock: one run per source

    monkeypatch.setattr(runs, "launch_run", fake_launch)
    c, csrf = _client(app, "ed")
    r = c.post("/console/sources/news-a/run", data={"csrf_token": csrf},
               headers={"referer": "http://testserver/console/sources/news-a"})
    assert r.status_code == 303 and re.fullmatch(r"/console/runs/\d+\?ok=.*", r.headers["location"])
    assert calls == [("news-a", "manual")]
    again = c.post("/console/sources/news-a/run", data={"csrf_token": csrf})
    assert again.status_code == 303 and again.headers["location"].startswith("/console/sources?err=")
    assert "正在被运行" in c.get(again.headers["location"]).text
    assert c.post("/console/sources/news-a/run").status_code == 403  # no CSRF token
    a, acsrf = _client(app, "ana")
    assert a.post("/console/sources/news-b/run", data={"csrf_token": acsrf}).status_code == 403
    html = c.get("/console/sources").text
    assert 'action="/console/sources/news-b/run"' in html
    assert 'action="/console/sources/news-a/run"' in c.get("/console/sources/news-a").text


def test_webhooks_in_the_console(room):
    app, engine, _ids = room
    c, csrf = _client(app, "adm")
    with Receiver() as rx:
        url = rx.url("/robot/send?access_token=TOPSECRETTOKEN")
        r = c.post("/console/webhooks", data={"csrf_token": csrf, "name": "ux-hook", "url": url,
                                              "kind": "dingtalk", "secret": "SIGNSECRET"})
        assert r.status_code == 303
        hook = webhooks.find_webhook(engine, "ux-hook")
        page = c.get("/console/webhooks").text
        assert "TOPSECRETTOKEN" not in page and "SIGNSECRET" not in page  # never shown back
        r = c.post(f"/console/webhooks/{hook.id}/test", data={"csrf_token": csrf})
        assert "ok=" in r.headers["location"] and len(rx.posts) == 1
        assert rx.posts[0]["query"]["access_token"] == ["TOPSECRETTOKEN"] and "sign" in rx.posts[0]["query"]
        # edit: a new name; the URL and secret left empty are kept
        r = c.post(f"/console/webhooks/{hook.id}", data={"csrf_token": csrf, "name": "ux-hook2", "kind": "dingtalk"})
        assert r.status_code == 303
        assert webhooks.find_webhook(engine, hook.id).url == url
        bad = c.post(f"/console/webhooks/{hook.id}", data={"csrf_token": csrf, "name": "x", "url": "ftp://a/b"})
        assert bad.status_code == 400 and "通知地址必须是 http/https 地址" in bad.text
        c.post(f"/console/webhooks/{hook.id}/disable", data={"csrf_token": csrf})
        assert webhooks.notify(engine, {"event": "run_failed", "run_id": 1}) == {}  # disabled: not told
        c.post(f"/console/webhooks/{hook.id}/enable", data={"csrf_token": csrf})
        webhooks.notify(engine, {"event": "run_failed", "run_id": 1, "source": "news-a"})
        assert len(rx.posts) == 2
    detail = c.get(f"/console/webhooks/{hook.id}").text
    history = detail.split('class="grid deliveries"')[1]
    assert history.count("data-delivery=") == 2 and "运行失败" in history and "测试" in history
    assert "TOPSECRETTOKEN" not in detail
    r = c.post(f"/console/webhooks/{hook.id}/test", data={"csrf_token": csrf})  # the receiver is gone
    assert "err=" in r.headers["location"] and "无法连接" in c.get(r.headers["location"]).text
    actions = [a["action"] for a in recent_audit(engine, 10)]
    assert {"webhook_add", "webhook_edit", "webhook_disable", "webhook_enable"} <= set(actions)
    assert not any("SIGNSECRET" in str(a["detail"]) or "TOPSECRET" in str(a["detail"])
                   for a in recent_audit(engine, 10))
    e, ecsrf = _client(app, "ed")
    assert e.get("/console/webhooks").status_code == 403
    assert 'href="/console/webhooks"' not in e.get("/console/").text


def test_cli_webhook_accepts_names_and_ids(room, monkeypatch):
    import click
    from click.testing import CliRunner

    from daihuo.cli.schedule_commands import register

    app, engine, _ids = room
    monkeypatch.setenv("DAIHUO_DATABASE_URL", str(engine.url))

    @click.group()
    def main() -> None:
        pass

    register(main)
    run = CliRunner()
    with Receiver() as rx:
        out = run.invoke(main, ["webhook", "add", "ux-hook", rx.url()], catch_exceptions=False)
        assert out.exit_code == 0
        hook_id = webhooks.find_webhook(engine, "ux-hook").id
        for ref in ("ux-hook", str(hook_id), f"#{hook_id}"):
            res = run.invoke(main, ["webhook", "test", ref], catch_exceptions=False)
            assert res.exit_code == 0 and res.output.strip().endswith(": ok"), res.output
        assert len(rx.posts) == 3
    res = run.invoke(main, ["webhook", "history", "ux-hook"], catch_exceptions=False)
    assert res.output.count("test") == 3
    res = run.invoke(main, ["webhook", "test", "nope"], catch_exceptions=False)
    assert res.exit_code == 1 and "no webhook 'nope'" in res.output and "Traceback" not in res.output
    assert run.invoke(main, ["webhook", "disable", "ux-hook"]).exit_code == 0
    assert not webhooks.find_webhook(engine, hook_id).enabled
    assert run.invoke(main, ["webhook", "remove", "ux-hook"]).exit_code == 0


def test_queue_order_lead_and_required_reject_reason(room_any):
    app, engine, ids = room_any
    c, csrf = _client(app, "ed")

    def order(q=""):
        html = c.get("/console/queue?status=new" + q).text
        return [int(i) for i in re.findall(r'<li class="story" data-id="(\d+)"', html)], html

    newest, html = order()
    oldest, _ = order("&order=oldest")
    assert newest == sorted(newest, reverse=True) and oldest == sorted(oldest) and set(newest) == set(oldest)
    assert 'class="lead"' in html and "监管部门发布直播营销新规" in html  # lead of the story
    assert 'data-confirm="确定拒绝所有选中的文章?"' in html
    target = sorted(ids.values())[2]
    # by default a reason is optional
    r = c.post(f"/console/articles/{target}/decide", data={"csrf_token": csrf, "action": "reject"})
    assert "ok=" in r.headers["location"]
    curation.approve(engine, target, "ed")
    a, acsrf = _client(app, "adm")
    a.post("/console/settings", data={"csrf_token": acsrf, "allowed_networks": "", "has_reject_reason": "1",
                                      "require_reject_reason": "on"})
    r = c.post(f"/console/articles/{target}/decide", data={"csrf_token": csrf, "action": "reject"})
    assert "err=" in r.headers["location"] and "拒绝需要填写原因" in c.get(r.headers["location"]).text
    r = c.post("/console/queue/bulk", data={"csrf_token": csrf, "action": "reject", "ids": [str(target)]})
    assert "err=" in r.headers["location"]
    r = c.post(f"/console/articles/{target}/decide", data={"csrf_token": csrf, "action": "reject",
                                                            "reason": "重复"})
    assert "ok=" in r.headers["location"]
    assert "拒绝时必填" in c.get("/console/queue").text


def test_rules_edit_and_reorder(room):
    app, engine, _ids = room
    for name in ("first", "second", "third"):
        rules.add_rule(engine, name, "tier A", "approve", "ed")
    c, csrf = _client(app, "ed")
    c.post("/console/rules/third", data={"csrf_token": csrf, "op": "up"})
    assert [r.name for r in rules.list_rules(engine)] == ["first", "third", "second"]
    c.post("/console/rules/first", data={"csrf_token": csrf, "op": "down"})
    assert [r.name for r in rules.list_rules(engine)] == ["third", "first", "second"]
    r = c.post("/console/rules/second", data={"csrf_token": csrf, "op": "edit", "condition": "platform 快手",
                                              "action": "feature"})
    assert "ok=" in r.headers["location"]
    edited = rules.get_rule(engine, "second")
    assert edited.condition == "platform 快手" and edited.action == "feature"
    bad = c.post("/console/rules/second", data={"csrf_token": csrf, "op": "edit", "condition": "tier Q"})
    assert bad.status_code == 400 and "规则 second" in bad.text and "tier 只能是" in bad.text
    assert 'value="tier Q"' in bad.text  # the typed condition is kept
    page = c.get("/console/rules").text
    assert 'data-confirm="确定删除规则 second?"' in page and 'value="up"' in page
