"""The console in real headless Chromium: log in as each role; the admin allows loopback;
an editor adds a source pointing at the local demo site, runs "test extraction" on a page
carrying <script>, onerror= and javascript: links (nothing may run), and approves an
article from the queue; an analyst cannot reach editor pages or API routes. Screenshots go
to tests/artifacts/.

Needs Debian's chromium (/usr/bin/chromium) and the Python playwright package (no
`playwright install`); skips without them, except under CI=true where it must run.
"""

from __future__ import annotations

import pytest
from browser import ARTIFACTS, chromium, require_browser, serve_app
from consolesite import HOSTILE_PATH, PASSWORDS, HostileDemoSite, add_users
from sitedata import make_store
from sqlalchemy import select

from daihuo.demo.demo_server import DemoServer
from storage.models import Article


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    require_browser()

    from daihuo.web.app import create_app

    url = f"sqlite:///{tmp_path_factory.mktemp('console-browser') / 'console.sqlite'}"
    store, ids = make_store(url)
    add_users(store.engine)
    with serve_app(create_app(url)) as base, DemoServer(HostileDemoSite()) as demo:
        yield base, store, ids, demo
    store.close()


@pytest.fixture(scope="module")
def browser(served):
    with chromium() as b:
        yield b


def _login(browser, base: str, name: str):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, device_scale_factor=1)
    page = ctx.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(base + "/console/queue")  # not logged in: sent to the login page, then back
    assert "/console/login" in page.url
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORDS[name])
    page.click("section.login button[type=submit]")
    page.wait_for_load_state()
    return ctx, page, dialogs


def test_each_role_logs_in(served, browser):
    base, *_ = served
    expect = {"ana": ("analyst", False, False), "ed": ("editor", True, False), "adm": ("admin", True, True)}
    for name, (role, sees_queue, sees_users) in expect.items():
        ctx, page, dialogs = _login(browser, base, name)
        if role == "analyst":  # the queue it asked for is not an analyst's page
            assert page.locator("p.forbidden").inner_text() == "需要“编辑”或更高的角色"
            page.goto(base + "/console/")
        else:
            assert page.url == base + "/console/queue"
        assert page.locator(".who").get_attribute("data-role") == role
        nav = page.locator("header nav a").all_inner_texts()
        assert ("审核队列" in nav) is sees_queue and ("用户" in nav) is sees_users
        page.goto(base + "/console/")
        page.screenshot(path=str(ARTIFACTS / f"console-dashboard-{role}.png"), full_page=True)
        page.click("form.logout button")
        page.wait_for_url(base + "/console/login")
        assert dialogs == []
        ctx.close()


def test_editor_adds_demo_source_tests_extraction_and_approves(served, browser):
    base, store, ids, demo = served
    # the admin allows loopback first: a source on 127.0.0.1 is refused otherwise
    ctx, page, _ = _login(browser, base, "adm")
    page.goto(base + "/console/settings")
    page.fill("textarea[name=allowed_networks]", "127.0.0.0/8")
    page.click("form.settings-form button")
    page.wait_for_load_state()
    assert "127.0.0.0/8" in page.locator("p.flash.ok").inner_text()
    ctx.close()

    ctx, page, dialogs = _login(browser, base, "ed")
    page.goto(base + "/console/sources/new")
    page.fill("input[name=name]", "demo-local")
    page.fill("textarea[name=start_urls]", demo.base_url + "/")
    page.fill("textarea[name=follow]", r"/list_\d+\.html$")
    page.fill("textarea[name=articles]", r"/news/\d+\.html$")
    page.fill("input[name=delay]", "0")
    page.select_option("select[name=tier]", "A")
    page.click("form.source-form button[type=submit]")
    page.wait_for_url(f"{base}/console/sources/demo-local?**")
    page.goto(base + "/console/sources")
    row = page.locator("tr[data-source=demo-local]")
    assert demo.base_url in row.inner_text() and row.locator("td.state").inner_text() == "启用"
    page.screenshot(path=str(ARTIFACTS / "console-sources.png"), full_page=True)

    page.goto(base + "/console/sources/demo-local")
    page.fill("form.test-form input[name=url]", demo.base_url + HOSTILE_PATH)
    page.click("#test-extraction")
    page.wait_for_load_state("load")
    page.wait_for_timeout(300)  # give any injected handler (onerror, onload) time to fire
    assert demo.site.fetched(HOSTILE_PATH), "the test fetch reached the demo site"
    assert page.locator("dd.title").inner_text() == "抖音快手联合整治直播间诱导交易"
    assert {"抖音", "快手"} <= set(page.locator("dd.platforms .tag").all_inner_texts())
    body = page.locator("div.extracted-body")
    assert "私下转账" in body.inner_text()
    assert "<img src=x onerror=alert(3)>" in body.inner_text()  # shown as text, not an element
    assert body.locator("img, a, script").count() == 0
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.locator("a[href^='javascript:']").count() == 0
    assert dialogs == []
    page.screenshot(path=str(ARTIFACTS / "console-test-extraction.png"), full_page=True)

    # approve an article from the queue (the select-all script works under the CSP)
    page.goto(base + "/console/queue")
    page.check("input.select-all")
    boxes = page.locator("input[name=ids]")
    assert boxes.count() == 4 and all(boxes.nth(i).is_checked() for i in range(4))
    page.uncheck("input.select-all")
    target = ids["https://c.example.net/p/7"]
    page.click(f"li.story[data-id='{target}'] button.approve")
    page.wait_for_load_state()
    assert f"#{target} 已通过" in page.locator("p.flash.ok").inner_text()
    assert page.locator(f"li.story[data-id='{target}']").count() == 0
    with store.engine.connect() as conn:
        assert conn.scalar(select(Article.status).where(Article.id == target)) == "approved"
    page.screenshot(path=str(ARTIFACTS / "console-queue.png"), full_page=True)
    assert dialogs == []
    ctx.close()


def test_analyst_cannot_reach_editor_pages_or_api(served, browser):
    base, *_ = served
    ctx, page, _ = _login(browser, base, "ana")
    for path in ("/console/sources", "/console/sources/new", "/console/queue", "/console/rules",
                 "/console/users", "/console/settings"):
        response = page.goto(base + path)
        assert response.status == 403, path
        assert "或更高的角色" in page.locator("p.forbidden").inner_text()
    page.screenshot(path=str(ARTIFACTS / "console-analyst-forbidden.png"), full_page=True)
    api = page.request  # carries the analyst's session cookie
    assert api.get(base + "/api/sources").status == 200  # reads are an analyst's
    assert api.get(base + "/api/users").status == 403
    assert api.get(base + "/api/auth/me").json()["role"] == "analyst"
    page.goto(base + "/console/")
    csrf = page.locator("input[name=csrf_token]").first.get_attribute("value")  # a valid token: the role refuses
    for method, path, body in (("post", "/api/sources", {"name": "x", "start_urls": ["https://x.example.com/"]}),
                               ("post", "/api/queue/1/approve", {}), ("post", "/api/rules-run", {}),
                               ("put", "/api/settings", {"allowed_networks": []})):
        r = getattr(api, method)(base + path, data=body, headers={"X-CSRF-Token": csrf})
        assert r.status == 403, (path, r.status)
    page.goto(base + "/console/search?q=快手")
    assert page.locator("ol.hits li").count() >= 1
    page.screenshot(path=str(ARTIFACTS / "console-analyst-search.png"), full_page=True)
    ctx.close()
