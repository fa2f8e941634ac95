"""The schedules/runs/webhooks API and console pages, role by role: every route is tried as
anonymous, analyst, editor and admin (reads: analyst; writes: editor; webhooks: admin; the
console pages: editor), then the API's behaviour (validation, conflicts, not found)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from daihuo.runs import lifecycle as runs
from daihuo.web.accounts import create_user, list_users, start_session
from daihuo.web.app import create_app
from daihuo.web.auth import COOKIE
from daihuo.web.console.runs import router as runs_pages
from daihuo.web.console.schedules import router as schedule_pages
from daihuo.web.scheduling_api import router as api_router
from storage.store import Store

PW = "a long password"


@pytest.fixture
def app(tmp_path, tmp_home):
    url = f"sqlite:///{tmp_path / 'api.sqlite'}"
    application = create_app(url)
    engine = application.state.engine
    Store(engine).sync_sources([{"name": "demo-news", "kind": "news", "config": {}}])
    for role in ("analyst", "editor", "admin"):
        create_user(engine, role, PW, role)
    return application


def client_as(app, role: str | None) -> TestClient:
    """A client logged in as the user named after ``role`` (a session made directly: the
    password check is scrypt, too slow to repeat for every route; test_auth covers login)."""
    c = TestClient(app, follow_redirects=False)
    if role:
        user = next(u for u in list_users(app.state.engine) if u.name == role)
        session = start_session(app.state.engine, user)
        c.cookies.set(COOKIE, session.token)
        c.headers["X-CSRF-Token"] = session.csrf_token
    return c


def _routes():
    for route in [*api_router.routes, *schedule_pages.routes, *runs_pages.routes]:
        for method in sorted(route.methods - {"HEAD"}):
            yield method, route.path


# minimum role per (method, path pattern); everything else in the router must be listed
ROLE = {}
for method, path in _routes():
    if path.startswith("/api/webhooks"):
        ROLE[(method, path)] = "admin"
    elif path == "/console/runs/live.js":
        ROLE[(method, path)] = None
    elif path.startswith("/console/"):
        ROLE[(method, path)] = "editor"
    else:
        ROLE[(method, path)] = "analyst" if method == "GET" else "editor"


def _concrete(path: str) -> str:
    return (path.replace("{schedule_id}", "999").replace("{run_id}", "999")
            .replace("{webhook_id}", "999").replace("{action}", "pause"))


@pytest.mark.parametrize("method, path", sorted(ROLE), ids=lambda v: str(v))
def test_every_route_checks_its_role(app, method, path):
    need = ROLE[(method, path)]
    url = _concrete(path)
    order = ["analyst", "editor", "admin"]
    for who in [None, *order]:
        c = client_as(app, who)
        kw = {"json": {}} if method in ("POST", "PATCH") and url.startswith("/api/") else {}
        r = c.request(method, url, **kw)
        allowed = need is None or (who is not None and order.index(who) >= order.index(need))
        if allowed:
            assert r.status_code not in (401, 403), (who, method, url, r.status_code, r.text[:200])
        elif who is None:
            if url.startswith("/console/"):
                assert r.status_code == 303 and r.headers["location"].startswith("/console/login")
            else:
                assert r.status_code == 401, (method, url, r.status_code)
        else:
            assert r.status_code == 403, (who, method, url, r.status_code)


def test_writes_need_the_csrf_token(app):
    c = client_as(app, "editor")
    del c.headers["X-CSRF-Token"]
    r = c.post("/api/schedules", json={"source": "demo-news", "cron": "* * * * *"})
    assert r.status_code == 403 and "CSRF" in r.text
    r = c.post("/console/schedules", data={"source": "demo-news", "cron": "* * * * *"})
    assert r.status_code == 403


def test_schedule_api(app):
    ed, an = client_as(app, "editor"), client_as(app, "analyst")
    r = ed.post("/api/schedules", json={"source": "demo-news", "cron": "*/15 9-17 * * mon-fri"})
    assert r.status_code == 201, r.text
    s = r.json()
    assert s["timezone"] == "Asia/Shanghai" and s["enabled"] and s["created_by"] == "editor"
    assert an.get("/api/schedules").json()[0]["id"] == s["id"]
    assert an.get(f"/api/schedules/{s['id']}").json()["cron"] == "*/15 9-17 * * mon-fri"
    for bad in ({"source": "demo-news", "cron": "61 * * * *"}, {"source": "nope", "cron": "* * * * *"},
                {"source": "demo-news", "cron": "* * * * *", "timezone": "Nowhere/Land"}):
        assert ed.post("/api/schedules", json=bad).status_code == 422
    r = ed.patch(f"/api/schedules/{s['id']}", json={"enabled": False})
    assert r.status_code == 200 and r.json()["enabled"] is False
    assert ed.patch(f"/api/schedules/{s['id']}", json={"cron": "0 0 31 2 *x"}).status_code == 422
    prev = an.get("/api/schedules/preview", params={"cron": "0 8 * * *", "n": 2}).json()
    assert [t[11:16] for t in prev["next"]] == ["00:00", "00:00"]  # 08:00 Shanghai in UTC
    assert ed.delete(f"/api/schedules/{s['id']}").status_code == 204
    assert ed.get(f"/api/schedules/{s['id']}").status_code == 404


def test_runs_api(app):
    engine = app.state.engine
    ed, an = client_as(app, "editor"), client_as(app, "analyst")
    assert ed.post("/api/runs", json={"source": "nope"}).status_code == 404
    run_id = runs.create_run(engine, "demo-news", "manual")
    r = ed.post("/api/runs", json={"source": "demo-news"})
    assert r.status_code == 409 and f"run #{run_id}" in r.json()["detail"]
    listed = an.get("/api/runs", params={"source": "demo-news"}).json()
    assert [x["id"] for x in listed] == [run_id] and listed[0]["status"] == "running"
    one = an.get(f"/api/runs/{run_id}").json()
    assert one["summary"]["requests"] == 0 and "proc_start" not in one
    assert an.get("/api/runs/999").status_code == 404
    assert ed.post(f"/api/runs/{run_id}/cancel").json()["result"] == "cancelled"  # no process: closed
    assert an.get(f"/api/runs/{run_id}").json()["status"] == "cancelled"
    assert an.get(f"/api/runs/{run_id}/log").text == ""
    assert ed.post(f"/api/runs/{run_id}/cancel").json()["result"] == "not running"


def test_webhook_api(app):
    adm = client_as(app, "admin")
    r = adm.post("/api/webhooks", json={"name": "team", "url": "http://127.0.0.1:9/hook", "kind": "wecom"})
    assert r.status_code == 201 and r.json()["kind"] == "wecom"
    assert adm.post("/api/webhooks", json={"name": "x", "url": "ftp://a/b"}).status_code == 422
    assert [w["name"] for w in adm.get("/api/webhooks").json()] == ["team"]
    assert adm.post(f"/api/webhooks/{r.json()['id']}/test").json()["result"].startswith("unreachable")
    assert adm.delete(f"/api/webhooks/{r.json()['id']}").status_code == 204


def test_console_pages_render(app):
    ed = client_as(app, "editor")
    r = ed.post("/console/schedules", data={"source": "demo-news", "cron": "*/5 * * * *",
                                            "timezone": "Asia/Shanghai"})
    assert r.status_code == 303 and "ok=" in r.headers["location"]
    page = ed.get("/console/schedules")
    assert page.status_code == 200 and "*/5 * * * *" in page.text and "Asia/Shanghai" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    bad = ed.post("/console/schedules", data={"source": "demo-news", "cron": "nonsense"})
    assert bad.status_code == 400 and "cron 表达式需要 5 个字段" in bad.text
    assert 'value="nonsense"' in bad.text  # the typed cron is kept
    run_id = runs.create_run(app.state.engine, "demo-news", "manual")
    page = ed.get(f"/console/runs/{run_id}")
    assert page.status_code == 200 and 'data-status="running"' in page.text and "取消运行" in page.text
    assert ed.get("/console/runs").status_code == 200
    assert ed.get("/console/runs/live.js").headers["content-type"].startswith("text/javascript")
