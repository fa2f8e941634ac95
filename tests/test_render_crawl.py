"""Rendering through Debian's Chromium (scrapy-playwright): `daihuo crawl` of a list and an
article that JavaScript writes (tests/realsite.py, on 127.0.0.1), with render = "auto"; and
the clear refusal when a source renders on a machine without the browser."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from browser import require_browser
from realsite import Server, build_patterns_site
from test_realsite_crawl import articles, crawl, source, toml_value

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", autouse=True)
def browser_needed():
    require_browser()
    pytest.importorskip("scrapy_playwright", reason="pip install scrapy-playwright")


def _crawl_rendered(tmp_path, site, name: str, list_path: str, render: str, articles: str):  # noqa: ANN001, ANN202
    """`daihuo crawl` of one rendering source from ``list_path`` on ``site``; (its store engine, the process)."""
    with Server(site) as server:
        base = server.base_url
        engine, proc = crawl(tmp_path, [source(name, base, start_urls=[base + list_path],
                                               render=render, articles=[articles])], timeout=240)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return engine, proc


def test_auto_renders_the_js_list_and_article_only(tmp_path):
    site, facts = build_patterns_site()
    engine, proc = _crawl_rendered(tmp_path, site, "js", "/js/list.html", "auto", r"/js/(article|item)/\d+\.html$")
    stored = articles(engine)
    js = facts["js"]
    # the list only exists once its script ran: every article it names was crawled
    assert set(js["list"]) <= set(stored), (sorted(stored), proc.stderr[-2000:])
    # the body the script inserted is stored whole, in order, once
    body = stored[js["article"]]["body"]
    positions = [body.find(m) for m in js["markers"]]
    assert all(p >= 0 for p in positions) and positions == sorted(positions), body
    assert all(body.count(m) == 1 for m in js["markers"])
    # the browser fetched the script's data; the server-rendered articles (no scripts) were
    # decided plain, so the browser never asked for their class again
    assert site.fetched("/js/article/1.json") >= 1 and site.fetched("/js/list.json") >= 1
    for path in js["list"][1:]:
        assert site.fetched(path) == 1, (path, site.paths())


def test_a_rendering_source_without_chromium_says_what_to_install(tmp_path):
    site, _ = build_patterns_site()
    with Server(site) as server:
        base = server.base_url
        registry = tmp_path / "sources.toml"
        src = source("js", base, render="always")
        registry.write_text("[[source]]\n" + "".join(f"{k} = {toml_value(v)}\n" for k, v in src.items()))
        env = {**os.environ, "DAIHUO_DATABASE_URL": f"sqlite:///{tmp_path / 's.sqlite'}",
               "DAIHUO_HOME": str(tmp_path / "home"), "DAIHUO_CHROMIUM": str(tmp_path / "no-chromium")}
        subprocess.run([sys.executable, "-m", "daihuo", "sources", "import", str(registry)],
                       env=env, capture_output=True, text=True, timeout=120, check=True)
        proc = subprocess.run([sys.executable, "-m", "daihuo", "crawl", "js"],
                              env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert "apt-get install chromium" in proc.stderr and "Traceback" not in proc.stderr
    assert site.log == []  # refused before fetching anything


def test_render_always_records_a_failed_render(tmp_path):
    site, facts = build_patterns_site()
    engine, proc = _crawl_rendered(tmp_path, site, "always", "/js/always-list.html", "always", r"/js/(hangup|item)/?\d*\.html$")
    assert "/js/item/2.html" in articles(engine)  # rendered and stored
    from sqlalchemy import text

    with engine.connect() as conn:
        failed = conn.execute(text("SELECT url, status, error, error_stage FROM raw_pages "
                                   "WHERE error IS NOT NULL")).all()
    assert [(r.url.rsplit("/", 1)[1], r.error_stage) for r in failed] == [("hangup.html", "fetch")]
    assert "RenderFailed: render failed" in failed[0].error, failed[0].error


def test_rendered_fetches_keep_robots_and_crawl_delay(tmp_path):
    site, facts = build_patterns_site(crawl_delay=2)
    site.add("/render-list.html", "<html><body><a href='/js/item/2.html'>脚本列表文章二的标题</a>"
             "<a href='/js/item/3.html'>脚本列表文章三的标题</a>"
             "<a href='/private/1.html'>不许抓取的页面标题很长</a></body></html>")
    engine, proc = _crawl_rendered(tmp_path, site, "polite", "/render-list.html", "always", r"/(js/item|private)/\d+\.html$")
    assert {"/js/item/2.html", "/js/item/3.html"} <= set(articles(engine))
    assert not site.fetched("/private/1.html")  # robots.txt holds for the browser too
    pages = [t for t, path in site.log if path.endswith(".html")]
    assert len(pages) == 3
    gaps = [b - a for a, b in zip(pages, pages[1:], strict=False)]
    assert min(gaps) >= 2.0, gaps
