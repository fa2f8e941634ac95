"""The analysts' pages in real headless Chromium with every non-local request blocked: the
search facets render with counts and filter when clicked; the trends and listing charts render
(SVG with Chinese labels, a table beside each) from nothing but the app itself."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest
from analystdata import make_analyst_store
from browser import ARTIFACTS, chromium, require_browser, serve_app
from consolesite import PASSWORDS


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    require_browser()
    from daihuo.web.app import create_app

    url = f"sqlite:///{tmp_path_factory.mktemp('analyst-browser') / 'analyst.sqlite'}"
    store, _ = make_analyst_store(url)
    with serve_app(create_app(url)) as base:
        yield base
    store.close()


@pytest.fixture
def page(served):
    with chromium() as browser:
        ctx = browser.new_context(viewport={"width": 1280, "height": 900}, device_scale_factor=1)
        outside: list[str] = []

        def guard(route):  # noqa: ANN001
            if urlparse(route.request.url).hostname in ("127.0.0.1", "localhost"):
                return route.continue_()
            outside.append(route.request.url)
            return route.abort()

        ctx.route("**/*", guard)
        pg = ctx.new_page()
        errors: list[str] = []
        pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        pg.goto(served + "/console/login")
        pg.fill("input[name=name]", "ana")
        pg.fill("input[name=password]", PASSWORDS["ana"])
        pg.click("section.login button[type=submit]")
        pg.wait_for_load_state()
        yield served, pg
        assert outside == [], f"requests left the machine: {outside}"
        assert errors == [], errors
        ctx.close()


def test_search_facets_render_and_filter_when_clicked(page):
    base, pg = page
    pg.goto(base + "/console/search?q=直播&expand=true")
    facet = pg.locator('section[data-facet="platform"] li').first
    assert facet.is_visible()
    name = facet.locator("a").inner_text()
    count = int(facet.locator(".count").inner_text())
    pg.screenshot(path=str(ARTIFACTS / "console-analyst-search.png"), full_page=True)
    facet.locator("a").click()
    pg.wait_for_load_state()
    assert int(pg.locator("strong.total").inner_text()) == count
    assert pg.locator('section[data-facet="platform"] a[aria-current="true"]').inner_text() == name
    pg.goto(base + "/console/search?platform=抖音")  # browsing without a keyword
    assert int(pg.locator("strong.total").inner_text()) > 0


def _chart_box(pg, chart_id: str) -> dict:
    svg = pg.locator(f"svg#{chart_id}")
    assert svg.is_visible()
    box = svg.bounding_box()
    assert box["width"] > 300 and box["height"] > 150
    labels = svg.locator("text").all_text_contents()
    return {"labels": labels, "title": svg.locator("title").first.text_content()}


def test_trends_chart_renders_offline_and_switches(page):
    base, pg = page
    pg.goto(base + "/console/trends?kind=platform&interval=week")
    chart = _chart_box(pg, "trend-chart")
    assert "每周" in chart["title"] and "快手" in chart["labels"]
    assert pg.locator("#trend-table tbody tr").count() >= 1
    assert pg.locator("svg#trend-chart polyline.series").count() >= 2
    pg.screenshot(path=str(ARTIFACTS / "console-analyst-trends.png"), full_page=True)
    pg.select_option("select[name=interval]", "day")
    pg.select_option("select[name=kind]", "topic")
    pg.click("form.filters button[type=submit]")
    pg.wait_for_load_state()
    chart = _chart_box(pg, "trend-chart")
    assert "每日" in chart["title"] and "话题" in chart["title"]


def test_listing_charts_render_offline(page):
    base, pg = page
    pg.goto(base + "/console/listing-stats")
    price = _chart_box(pg, "price-chart")
    assert any("快手/美食" in t for t in price["labels"])
    _chart_box(pg, "follower-chart")
    pg.screenshot(path=str(ARTIFACTS / "console-analyst-listing-stats.png"), full_page=True)
    pg.click("text=美食探店号")
    pg.wait_for_load_state()
    history = _chart_box(pg, "price-history")
    assert "价格" in history["labels"] and pg.locator("#price-table tbody tr").count() == 3
    assert pg.locator("svg#price-history circle").count() == 3
    pg.screenshot(path=str(ARTIFACTS / "console-analyst-listing.png"), full_page=True)
