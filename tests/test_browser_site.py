"""The public site in real headless Chromium: the demo corpus (run through the real pipeline)
plus a hostile page, served by uvicorn on 127.0.0.1. Checks the credited source link, the tag
links, that no crawled markup runs script, and saves phone and desktop screenshots to
tests/artifacts/.

Needs Debian's chromium (/usr/bin/chromium) and the Python playwright package (no
`playwright install`); skips without them, except under CI=true where it must run.
"""

from __future__ import annotations

import pytest
from browser import ARTIFACTS, chromium, require_browser, serve_app

from daihuo.demo.demo_server import DemoSite, article_path
from editorial import curation
from storage.store import Store

DEMO = "http://demo.example.com"  # the demo pages' URLs (nothing is fetched from it)

# A content-farm page carrying live markup and markup-looking text: none of it may run.
HOSTILE = """<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">
<title>直播间违规行为盘点 - 直播电商观察网</title>
<link rel="canonical" href="javascript:window.__pwned='canonical'">
<script>window.__pwned = 'head script';</script></head><body>
<div class="nav"><a href="/">首页</a></div>
<div class="article"><h1>直播间违规行为盘点</h1>
<div class="info">发布时间:2026-03-20 08:00:00 来源:直播电商观察网</div>
<div class="content">
<p>近期多个平台集中整治直播间违规行为,快手和抖音都公布了处罚案例,涉及虚假宣传和诱导私下交易。</p>
<script>window.__pwned = 'body script'; alert('body script');</script>
<p>有主播在商品标题里写入&lt;img src=x onerror="window.__pwned='escaped img';alert(1)"&gt;这样的字符,平台审核系统会自动拦截。</p>
<p><img src="x" onerror="window.__pwned='img onerror'">平台表示,对于屡次违规的直播间,将采取限流、封禁等措施,情节严重的移交有关部门处理。</p>
<p>消费者如遇到问题,可以<a href="javascript:window.__pwned='link';alert(2)">点击这里</a>向平台投诉,也可以保留证据向市场监管部门举报。</p>
<p>业内人士认为,&lt;script&gt;window.__pwned='escaped script'&lt;/script&gt;之类的注入在电商详情页并不少见,平台需要持续加强审核。</p>
</div></div></body></html>"""


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    require_browser()

    from daihuo.web.app import create_app
    from nlp.document import Page, process_page
    from pipelines.convert import document_to_record

    url = f"sqlite:///{tmp_path_factory.mktemp('browser') / 'site.sqlite'}"
    store = Store.open(url)
    store.sync_sources([{"name": "demo-news", "kind": "news", "config": {}}])
    demo = DemoSite()
    records = []
    for art in demo.articles:
        if art.get("private"):
            continue
        status, ctype, body = demo.respond(article_path(art), DEMO)
        page = Page(url=DEMO + article_path(art), body=body, headers={"Content-Type": ctype},
                    source="demo-news")
        records.append(document_to_record(process_page(page)))
    records.append(document_to_record(process_page(Page(
        url=f"{DEMO}/news/6666.html", body=HOSTILE.encode(), headers={"Content-Type": "text/html; charset=utf-8"},
        source="demo-news"))))
    outcomes = store.write(records)
    ids = {o.url: o.article_id for o in outcomes if o.article_id}
    assert f"{DEMO}/news/6666.html" in ids, outcomes
    for i in ids.values():
        curation.approve(store.engine, i, "browser-test")

    with serve_app(create_app(url)) as base:
        yield base, store, ids
    store.close()


@pytest.fixture(scope="module")
def browser(served):
    with chromium() as b:
        yield b


def _page(browser, width):
    ctx = browser.new_context(viewport={"width": width, "height": 900 if width > 500 else 844},
                              device_scale_factor=1, java_script_enabled=True)
    page = ctx.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    return ctx, page, dialogs


def test_home_article_and_platform_pages(served, browser):
    base, store, ids = served
    ARTIFACTS.mkdir(exist_ok=True)
    article_id = ids[f"{DEMO}/news/1001.html"]
    for width, label in ((390, "phone"), (1280, "desktop")):
        ctx, page, dialogs = _page(browser, width)
        page.goto(base + "/")
        titles = page.locator("ol.articles h2 a").all_inner_texts()
        assert "快手电商发布新一季商家扶持计划 老铁经济再提速" in titles
        page.screenshot(path=str(ARTIFACTS / f"site-home-{label}.png"), full_page=True)

        page.click(f"a[href='/articles/{article_id}/']")
        page.wait_for_url(f"{base}/articles/{article_id}/")
        assert page.locator("h1").inner_text() == "快手电商发布新一季商家扶持计划 老铁经济再提速"
        source = page.locator("a.source-link")
        assert source.get_attribute("href") == f"{DEMO}/news/1001.html"
        assert source.inner_text() == "demo.example.com"
        platforms = page.locator("p.tags a.tag.platform")
        assert platforms.all_inner_texts()[0] == "快手"
        assert page.locator("p.tags a.tag.topic").count() >= 1
        assert "2026年3月18日 09:30" in page.locator("p.meta").inner_text()
        body = page.locator("div.body").inner_text()
        assert "老铁经济" in body and "责任编辑" not in body and "分享到" not in body
        # readable on a phone: nothing wider than the viewport
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.screenshot(path=str(ARTIFACTS / f"site-article-{label}.png"), full_page=True)

        platforms.first.click()
        page.wait_for_load_state()
        assert page.locator("h1.section").inner_text() == "平台:快手"
        assert page.locator(f"a[href='/articles/{article_id}/']").count() == 1
        page.screenshot(path=str(ARTIFACTS / f"site-platform-{label}.png"), full_page=True)
        assert dialogs == []
        ctx.close()


def test_crawled_markup_never_runs(served, browser):
    base, store, ids = served
    hostile = ids[f"{DEMO}/news/6666.html"]
    ctx, page, dialogs = _page(browser, 390)
    for path in (f"/articles/{hostile}/", "/", "/search/?q=%E8%BF%9D%E8%A7%84"):
        page.goto(base + path)
        page.wait_for_load_state("load")
        page.wait_for_timeout(200)
        assert page.evaluate("typeof window.__pwned") == "undefined", path
        assert page.locator("script").count() == 0, path
    page.goto(base + f"/articles/{hostile}/")
    text = page.locator("div.body").inner_text()
    assert "<img src=x onerror=" in text  # shown as the text the page had, not as an element
    assert page.locator("div.body img, div.body a").count() == 0
    assert page.locator("a[href^='javascript:']").count() == 0
    # the unsafe canonical URL is not linked: the credit uses the fetched URL
    assert page.locator("a.source-link").get_attribute("href") == f"{DEMO}/news/6666.html"
    for link in page.locator("a.tag").all():  # the tag links lead to working pages
        assert link.get_attribute("href").startswith("/")
    page.locator("a.tag.platform").first.click()
    page.wait_for_load_state()
    assert page.locator(f"a[href='/articles/{hostile}/']").count() == 1
    page.screenshot(path=str(ARTIFACTS / "site-hostile-phone.png"), full_page=True)
    assert dialogs == []
    ctx.close()
