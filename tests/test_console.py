"""The console pages and their JSON API (FastAPI TestClient): login, sources with the
private-address rule and test extraction, the curation queue, rules, users, settings."""

import re

import httpx
import pytest
from consolesite import HOSTILE_PATH, HostileDemoSite, add_users, login
from fastapi.testclient import TestClient
from sitedata import make_store
from sqlalchemy import select

from daihuo.demo.demo_server import DemoServer
from daihuo.web.app import create_app
from daihuo.web.console.extraction import FetchError, fetch, test_extraction
from editorial.sources import parse_networks
from storage.models import Article


def _setup(url):
    store, ids = make_store(url)
    add_users(store.engine)
    return create_app(url), store, ids


@pytest.fixture
def setup(tmp_path):
    app, store, ids = _setup(f"sqlite:///{tmp_path / 'console.sqlite'}")
    yield app, store, ids
    store.close()


@pytest.fixture
def setup_any(db_url):
    """The same on SQLite and PostgreSQL (the queue and sources queries differ by dialect)."""
    app, store, ids = _setup(db_url)
    yield app, store, ids
    store.close()


def client_for(app, name=None):
    c = TestClient(app, follow_redirects=False)
    csrf = login(c, name) if name else None
    return c, csrf


def test_login_next_and_logout(setup):
    app, *_ = setup
    c, _ = client_for(app)
    r = c.get("/console/queue?status=new")
    assert r.status_code == 303 and r.headers["location"] == "/console/login?next=/console/queue%3Fstatus%3Dnew"
    page = c.get("/console/login")
    assert page.status_code == 200 and "Content-Security-Policy" in page.headers
    bad = c.post("/console/login", data={"name": "ed", "password": "wrong password", "next": "/console/"})
    assert bad.status_code == 401 and "用户名或密码错误" in bad.text
    # never an open redirect: next must stay inside the console
    r = c.post("/console/login", data={"name": "ed", "password": "editor password", "next": "//evil.example/x"})
    assert r.status_code == 303 and r.headers["location"] == "/console/"
    home = c.get("/console/")
    assert home.status_code == 200 and "ed · 编辑" in home.text
    assert 'href="/console/queue"' in home.text and 'href="/console/users"' not in home.text
    assert 'href="/console/schedules"' in home.text and 'href="/console/runs"' in home.text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', home.text).group(1)
    assert c.post("/console/logout").status_code == 403  # no CSRF token
    assert c.post("/console/logout", data={"csrf_token": csrf}).status_code == 303
    assert c.get("/console/").status_code == 303


def test_roles_see_their_pages(setup):
    app, *_ = setup
    ana, _ = client_for(app, "ana")
    r = ana.get("/console/sources")
    assert r.status_code == 403 and "需要“编辑”或更高的角色" in r.text and "<html" in r.text
    assert ana.get("/console/search?q=快手").status_code == 200
    nav = ana.get("/console/").text
    assert 'href="/console/queue"' not in nav and 'href="/console/search"' in nav
    adm, _ = client_for(app, "adm")
    assert 'href="/console/users"' in adm.get("/console/").text


def test_sources_private_rule_and_test_extraction(setup_any):
    app, store, _ = setup_any
    ed, ed_csrf = client_for(app, "ed")
    adm, adm_csrf = client_for(app, "adm")
    with DemoServer(HostileDemoSite()) as demo:
        form = {"csrf_token": ed_csrf, "name": "demo-local", "kind": "news", "tier": "A",
                "start_urls": f"{demo.base_url}/", "follow": r"/list_\d+\.html$",
                "articles": r"/news/\d+\.html$", "delay": "0", "concurrency": "2",
                "has_enabled": "1", "enabled": "on", "has_autothrottle": "1"}
        r = ed.post("/console/sources", data=form)
        assert r.status_code == 400 and "解析到内网地址" in r.text
        assert ed.post("/console/settings", data={"csrf_token": ed_csrf, "allowed_networks": "127.0.0.0/8"}
                       ).status_code == 403  # settings are the admin's
        r = adm.post("/console/settings", data={"csrf_token": adm_csrf, "allowed_networks": "127.0.0.0/8\n"})
        assert r.status_code == 303
        r = ed.post("/console/sources", data=form)
        assert r.status_code == 303 and r.headers["location"].startswith("/console/sources/demo-local")
        listing = ed.get("/console/sources").text
        assert "demo-local" in listing and demo.base_url in listing
        src = ed.get("/api/sources/demo-local").json()
        assert src["tier"] == "A" and src["config"]["autothrottle"] is False and src["config"]["delay"] == 0

        r = ed.post("/console/sources/demo-local/disable", data={"csrf_token": ed_csrf})
        assert r.status_code == 303 and ed.get("/api/sources/demo-local").json()["enabled"] is False
        r = ed.post("/console/sources/demo-local", data={**form, "tier": "B", "delay": "1.5"})
        assert r.status_code == 303
        src = ed.get("/api/sources/demo-local").json()
        assert src["tier"] == "B" and src["config"]["delay"] == 1.5 and src["enabled"] is True

        r = ed.post("/console/sources/demo-local/test",
                    data={"csrf_token": ed_csrf, "url": demo.base_url + HOSTILE_PATH})
        assert r.status_code == 200, r.text
        page = r.text
        assert "抖音快手联合整治直播间诱导交易" in page and "2026-03-21" in page
        assert 'class="tag platform">抖音' in page and 'class="tag platform">快手' in page
        body = page.split('class="body extracted-body">', 1)[1].split("</div>", 1)[0]
        assert "私下转账" in body and "&lt;img src=x onerror=alert(3)&gt;" in body
        assert "<img" not in body and "<a" not in body and "<script" not in body
        assert "window.__pwned" not in page.replace("&#39;", "'").split("<main>", 1)[1].split("extracted-body", 1)[0]
        assert page.count("<script") == 1 and 'src="/console/static/console.js"' in page
        assert "script-src 'self'" in r.headers["Content-Security-Policy"]

        api = ed.post("/api/sources/demo-local/test", json={"url": demo.base_url + HOSTILE_PATH},
                      headers={"X-CSRF-Token": ed_csrf}).json()
        assert api["result"]["title"] == "抖音快手联合整治直播间诱导交易"
        assert set(api["result"]["platforms"]) >= {"抖音", "快手"}
        assert api["fetch"]["status"] == 200

        # the admin withdraws loopback: the test fetch is refused like the source itself
        adm.put("/api/settings", json={"allowed_networks": []}, headers={"X-CSRF-Token": adm_csrf})
        refused = ed.post("/api/sources/demo-local/test", json={}, headers={"X-CSRF-Token": ed_csrf}).json()
        assert "private/loopback/link-local" in refused["error"] and "result" not in refused
    assert ed.post("/api/sources", json={"name": "bad", "start_urls": ["ftp://x.example.com/"]},
                   headers={"X-CSRF-Token": ed_csrf}).status_code == 400


def test_fetch_guards():
    loopback = parse_networks(["127.0.0.0/8"])

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/hop":
            return httpx.Response(302, headers={"Location": "http://10.0.0.8/admin"})
        if request.url.path == "/big":
            return httpx.Response(200, content=b"x" * 5000)
        return httpx.Response(200, content="<html><body><p>你好</p></body></html>".encode(),
                              headers={"Content-Type": "text/html; charset=utf-8"})

    transport = httpx.MockTransport(handler)
    assert fetch("http://127.0.0.1/ok", loopback, transport=transport).status == 200
    with pytest.raises(FetchError, match="10.0.0.8"):
        fetch("http://127.0.0.1/hop", loopback, transport=transport)  # redirect into the LAN
    with pytest.raises(ValueError, match="cap"):
        fetch("http://127.0.0.1/big", loopback, transport=transport, max_bytes=1000)
    out = test_extraction("javascript:alert(1)", loopback, transport=transport)
    assert "not an http(s) URL" in out["error"]
    out = test_extraction("http://127.0.0.1/hop", loopback, transport=transport)
    assert "10.0.0.8" in out["error"]


def test_queue_collapses_and_decides(setup_any):
    app, store, ids = setup_any
    ed, csrf = client_for(app, "ed")
    page = ed.get("/console/queue")
    assert page.status_code == 200
    # five articles, two of them one story: four rows, the repost folded under its story
    assert page.text.count('class="story"') == 4 and page.text.count('<details class="cluster">') == 1
    data = ed.get("/api/queue").json()
    assert data["total"] == 4
    story = next(i for i in data["items"] if i["members"])
    assert story["cluster_size"] == 2 and story["source"] in ("news-a", "news-b")
    assert story["platforms"] == ["快手"] and "tier" in story

    target = ids["https://a.example.com/live/2.html"]
    r = ed.post(f"/console/articles/{target}/decide", data={"csrf_token": csrf, "action": "approve",
                                                             "reason": "good piece", "back": "/console/queue?status=new"})
    assert r.status_code == 303 and r.headers["location"].startswith("/console/queue?status=new&ok=")
    assert ed.get(f"/api/queue/{target}").json()["status"] == "approved"
    assert ed.get("/api/queue").json()["total"] == 3

    # bulk: reject the whole story (the repost too)
    r = ed.post("/console/queue/bulk", data={"csrf_token": csrf, "ids": [str(story["id"])],
                                             "action": "reject", "reason": "old news", "whole_story": "on"})
    assert r.status_code == 303
    with store.engine.connect() as conn:
        status = dict(conn.execute(select(Article.id, Article.status)).all())
    assert status[ids["https://a.example.com/live/1.html"]] == "rejected"
    assert status[ids["https://b.example.org/n/88.html"]] == "rejected"

    r = ed.post(f"/console/articles/{target}/edit", data={"csrf_token": csrf, "title": "编辑后的标题",
                                                           "summary": "一句话摘要"})
    assert r.status_code == 303
    detail = ed.get(f"/console/articles/{target}").text
    assert "编辑后的标题" in detail and "一句话摘要" in detail and "good piece" in detail

    ana, ana_csrf = client_for(app, "ana")
    assert ana.get("/api/queue").status_code == 200  # analysts read
    other = ids["https://c.example.net/p/7"]
    assert ana.post(f"/api/queue/{other}/approve", json={}, headers={"X-CSRF-Token": ana_csrf}).status_code == 403
    assert ed.post(f"/api/queue/{other}/approve", json={}).status_code == 403  # no CSRF token
    r = ed.post(f"/api/queue/{other}/feature", json={"reason": "lead story"}, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200 and r.json()["featured"] is True
    r = ed.patch(f"/api/queue/{other}", json={"title": "新标题"}, headers={"X-CSRF-Token": csrf})
    assert r.json()["edited_title"] == "新标题"
    r = ed.post("/api/queue-bulk", json={"ids": [other], "action": "approve"}, headers={"X-CSRF-Token": csrf})
    assert r.json()["changed"] == 1
    assert ed.post("/api/queue/999999/approve", json={}, headers={"X-CSRF-Token": csrf}).status_code == 404


def test_rules_from_console_and_api(setup_any):
    app, store, ids = setup_any
    ed, csrf = client_for(app, "ed")
    r = ed.post("/console/rules", data={"csrf_token": csrf, "name": "bad", "condition": "tier Q",
                                        "action": "approve"})
    assert r.status_code == 400 and "tier 只能是" in r.text
    r = ed.post("/api/rules", json={"name": "douyin", "condition": "platform 抖音 and no flag spam",
                                    "action": "approve"}, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 201 and r.json()["condition"] == "platform 抖音 and no flag ad_contact,seo_injection"
    preview = ed.post("/api/rules-run", headers={"X-CSRF-Token": csrf}).json()
    expected = {ids["https://a.example.com/live/2.html"], ids["https://c.example.net/p/7"]}
    assert {d["article_id"] for d in preview} == expected
    assert ed.get("/api/queue").json()["total"] == 4  # a preview changes nothing
    page = ed.post("/console/rules-run", data={"csrf_token": csrf, "apply": "preview"})
    assert page.status_code == 200 and "auto-publish rule" in page.text
    r = ed.post("/console/rules-run", data={"csrf_token": csrf, "apply": "apply"})
    assert r.status_code == 303
    assert ed.get(f"/api/queue/{min(expected)}").json()["history"][-1]["actor"] == "rule:douyin"
    r = ed.post("/console/rules/douyin", data={"csrf_token": csrf, "op": "disable"})
    assert r.status_code == 303 and ed.get("/api/rules").json()[0]["enabled"] is False
    assert ed.delete("/api/rules/douyin", headers={"X-CSRF-Token": csrf}).status_code == 200
    assert ed.get("/console/rules").status_code == 200


def test_users_admin(setup):
    app, *_ = setup
    adm, csrf = client_for(app, "adm")
    r = adm.post("/console/users", data={"csrf_token": csrf, "name": "newbie", "role": "editor",
                                         "password": "a long password"})
    assert r.status_code == 303 and "newbie" in adm.get("/console/users").text
    r = adm.post("/console/users/adm", data={"csrf_token": csrf, "op": "role", "role": "editor"})
    assert "err=" in r.headers["location"]  # no demoting yourself
    r = adm.patch("/api/users/newbie", json={"role": "analyst", "disabled": True}, headers={"X-CSRF-Token": csrf})
    assert r.json() == {"id": r.json()["id"], "name": "newbie", "role": "analyst", "disabled": True}
    ed, ed_csrf = client_for(app, "ed")
    assert ed.get("/api/users").status_code == 403
    assert ed.post("/api/users", json={"name": "x", "role": "admin", "password": "0123456789"},
                   headers={"X-CSRF-Token": ed_csrf}).status_code == 403
