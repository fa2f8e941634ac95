"""The live site without DAIHUO_SITE_URL: a forged Host header never reaches links and never
grows the renderer cache (the audit measured +59.8 MB for 8,000 distinct Hosts)."""

from __future__ import annotations

import gc
import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sitedata import T0, make_store

from daihuo.web.app import create_app
from editorial import curation


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20


@pytest.fixture
def client(tmp_path, monkeypatch):
    monkeypatch.delenv("DAIHUO_SITE_URL", raising=False)
    monkeypatch.delenv("DAIHUO_SITE_HOSTS", raising=False)
    url = f"sqlite:///{tmp_path / 'site.sqlite'}"
    store, ids = make_store(url)
    for i in list(ids.values())[:3]:
        curation.approve(store.engine, i, "lin", now=T0 + timedelta(days=1))
    app = create_app(url)
    with TestClient(app) as c:
        yield c, app, list(ids.values())
    store.close()


def canonical(html: str) -> str:
    return re.search(r'<link rel="canonical" href="([^"]+)"', html).group(1)


def test_forged_host_is_not_reflected(client, monkeypatch):
    c, app, ids = client
    page = c.get(f"/articles/{ids[0]}/", headers={"Host": "evil.example"})
    assert page.status_code == 200
    assert "evil.example" not in page.text
    assert canonical(page.text).startswith("http://localhost/")
    assert "evil.example" not in c.get("/feed.xml", headers={"Host": "evil.example"}).text
    # a loopback name (local use) and a listed host are used as they are
    assert canonical(c.get("/", headers={"Host": "127.0.0.1:8000"}).text).startswith("http://127.0.0.1:8000/")
    monkeypatch.setenv("DAIHUO_SITE_HOSTS", "news.example.org")
    assert canonical(c.get("/", headers={"Host": "news.example.org"}).text).startswith("http://news.example.org/")
    assert canonical(c.get("/", headers={"Host": "evil.example"}).text).startswith("http://news.example.org/")


@pytest.mark.slow
def test_distinct_host_headers_do_not_grow_memory(client):
    c, app, ids = client
    # Unbounded, each origin cached a renderer and a feed builder (about 7.5 KB): 1,500
    # origins would add over 10 MB; the cache's own bound is checked too.
    for i in range(300):  # warm up: allocator pools, caches of the pages themselves
        c.get("/robots.txt", headers={"Host": f"warm{i}.example"})
        c.get("/", headers={"Host": f"127.0.0.1:{1000 + i}"})
    gc.collect()
    before = rss_mb()
    for i in range(1500):
        c.get("/robots.txt", headers={"Host": f"h{i}.example"})
        c.get("/", headers={"Host": f"127.0.0.1:{10000 + i}"})  # allowed names, distinct ports
    gc.collect()
    grown = rss_mb() - before
    assert grown < 5.0, f"RSS grew {grown:.1f} MB over 3,000 distinct Host headers"
    assert len(app.state._site_renderers) <= 16
