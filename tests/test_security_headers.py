"""Security headers on the site, console and API; /api/docs rendered from local files only
(a browser with every non-local request aborted), with no CSP violation."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from browser import chromium, require_browser, serve_app
from fastapi.testclient import TestClient

from daihuo.web.app import create_app


@pytest.fixture
def app(tmp_path, monkeypatch):
    monkeypatch.setenv("DAIHUO_HOME", str(tmp_path / "home"))
    return create_app(f"sqlite:///{tmp_path / 'store.sqlite'}")


@pytest.mark.parametrize("path", ["/", "/robots.txt", "/feed.xml", "/console/login", "/api/search?q=x",
                                  "/openapi.json", "/api/docs", "/articles/1/"])
def test_every_area_sends_the_headers(app, path):
    with TestClient(app) as c:
        r = c.get(path)
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert r.headers["referrer-policy"] in ("same-origin", "strict-origin-when-cross-origin")
    assert "unsafe-inline" not in r.headers["content-security-policy"].split("script-src", 1)[-1].split(";")[0]


def test_api_docs_render_with_the_network_blocked(app):
    require_browser()
    with TestClient(app) as c:
        html = c.get("/api/docs").text
    assert "cdn" not in html.lower() and "<script>" not in html  # no inline script, no CDN
    with serve_app(app) as base, chromium() as browser:
        page = browser.new_page()
        foreign, violations = [], []

        def route(r):  # noqa: ANN001
            host = urlsplit(r.request.url).hostname
            if host not in ("127.0.0.1", "localhost"):
                foreign.append(r.request.url)
                return r.abort()
            return r.continue_()

        page.route("**/*", route)
        page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
        page.goto(f"{base}/api/docs")
        page.wait_for_selector(".opblock-tag", timeout=20000)  # the operations, from /openapi.json
        assert page.locator(".opblock").count() > 10
        assert page.get_by_text("/api/search", exact=True).count() >= 1
        page.close()
    assert foreign == [] and violations == []
