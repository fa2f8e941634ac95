"""The console's workers page in distributed mode: during a real distributed test crawl (two
`daihuo.worker` processes, the shared Redis DB 13 under a key prefix of this test's own,
PostgreSQL for their store) headless Chromium shows two live workers, their leases and the
queue depth; a dead letter is re-queued from the page. Without Redis it says local mode.

Needs Redis on 127.0.0.1:6379, PostgreSQL (the pg_url fixture), Debian's chromium and the
playwright package; skips without them, except under CI=true where it must run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from browser import ARTIFACTS, chromium, require_browser, serve_app
from fastapi.testclient import TestClient
from test_console_catalogue import english_messages
from test_distributed import REDIS_DB, redis_or_skip

from daihuo.demo.demo_server import DemoServer, DemoSite, registry_toml, site_source
from daihuo.web.accounts import create_user

REPO = Path(__file__).resolve().parents[1]
PW = "browser test password"
pytestmark = pytest.mark.slow


@pytest.fixture
def distributed(tmp_path, monkeypatch):
    client = redis_or_skip()
    prefix = f"t{os.urandom(5).hex()}"
    monkeypatch.setenv("DAIHUO_REDIS_URL", f"redis://127.0.0.1:6379/{REDIS_DB}")
    monkeypatch.setenv("DAIHUO_REDIS_PREFIX", prefix)
    monkeypatch.setenv("DAIHUO_HOME", str(tmp_path / "home"))
    yield client, prefix
    for key in client.scan_iter(match=f"{prefix}:*", count=1000):
        client.delete(key)


def _app(tmp_path):
    from daihuo.web.app import create_app

    app = create_app(f"sqlite:///{tmp_path / 'console.sqlite'}")
    create_user(app.state.engine, "editor1", PW, "editor")
    return app


def _login_client(app) -> tuple[TestClient, str]:
    c = TestClient(app, follow_redirects=False)
    r = c.post("/api/auth/login", json={"name": "editor1", "password": PW})
    assert r.status_code == 200
    return c, r.json()["csrf_token"]


def test_local_mode_and_dead_letter_requeue(tmp_path, distributed, monkeypatch):
    client, prefix = distributed
    app = _app(tmp_path)
    c, csrf = _login_client(app)
    # a dead letter and a silent worker (no heartbeat for a minute) of a source in Redis
    letter = {"request": json.dumps({"url": "http://127.0.0.1:9/news/1.html", "priority": 0}),
              "reason": "HTTP 500", "attempts": 3}
    client.rpush(f"{prefix}:syn:dead", json.dumps(letter))
    client.zadd(f"{prefix}:syn:workers", {"gone-worker": time.time() - 60})
    page = c.get("/console/workers")
    assert page.status_code == 200 and 'data-source="syn"' in page.text
    assert 'data-worker="gone-worker" data-alive="no"' in page.text and "离线" in page.text
    assert "http://127.0.0.1:9/news/1.html" in page.text and "HTTP 500" in page.text
    # in Chinese too (worker ids, the prefix and the failure reason are identifiers)
    assert english_messages(page.text, {"syn", "gone-worker", prefix, "HTTP 500", "editor1"}) == []
    r = c.post("/console/workers/syn/requeue", data={"csrf_token": csrf})
    assert r.status_code == 303 and "ok=" in r.headers["location"]
    assert client.llen(f"{prefix}:syn:dead") == 0 and client.zcard(f"{prefix}:syn:queue") == 1
    monkeypatch.delenv("DAIHUO_REDIS_URL")
    local = c.get("/console/workers")
    assert local.status_code == 200 and "本机模式" in local.text


def test_two_live_workers_during_a_distributed_crawl(tmp_path, distributed, pg_url):
    require_browser()
    _client, prefix = distributed
    site = DemoSite(synthetic=400)
    app = _app(tmp_path)
    with DemoServer(site) as srv:
        src = site_source("syn", srv.base_url, delay=0.05, concurrency=2)
        reg = tmp_path / "reg.toml"
        reg.write_text(registry_toml([src]), encoding="utf-8")
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        cmd = [sys.executable, "-m", "daihuo.runs.worker", "syn", "--registry", str(reg), "--db", pg_url]
        subprocess.run(cmd + ["--seed"], env=env, check=True, capture_output=True, timeout=120)
        procs = [subprocess.Popen(cmd + ["--set", "DAIHUO_LEASE_SECONDS=8"], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(2)]
        try:
            with serve_app(app) as base, chromium() as browser:
                ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
                page = ctx.new_page()
                errors: list[str] = []
                page.on("pageerror", lambda e: errors.append(str(e)))
                page.goto(f"{base}/console/login")
                page.fill("input[name=name]", "editor1")
                page.fill("input[name=password]", PW)
                page.click("section.login button[type=submit]")
                page.wait_for_load_state()
                deadline = time.monotonic() + 90
                alive = 0
                while time.monotonic() < deadline:
                    page.goto(f"{base}/console/workers")
                    alive = page.locator("section[data-source=syn] tr[data-alive=yes]").count()
                    if alive == 2:
                        break
                    time.sleep(0.5)
                assert alive == 2, page.content()[-3000:]
                section = page.locator("section[data-source=syn]")
                assert section.locator("dd.alive").inner_text() == "2"
                assert int(section.locator("dd.queued").inner_text()) >= 0
                leases = [int(t) for t in section.locator("td.leases").all_inner_texts()]
                assert len(leases) == 2 and sum(leases) == int(section.locator("dd.leased").inner_text())
                assert "在线" in section.inner_text()
                page.screenshot(path=str(ARTIFACTS / "console-workers.png"), full_page=True)
                assert errors == []
                ctx.close()
        finally:
            for p in procs:
                if p.poll() is None:
                    p.kill()
                    p.wait()
