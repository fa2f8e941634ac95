"""The public site served live (FastAPI TestClient): pages, links, escaping, pagination,
embargo, search."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from sitedata import T0, make_store, record

from daihuo.web.app import create_app
from daihuo.web.site import SiteConfig
from daihuo.web.site.markup import blocks_to_html, safe_href
from editorial import curation

NOW = T0 + timedelta(days=10)
BASE = "https://news.example.cn"


class Clock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


@pytest.fixture
def site(tmp_path):
    url = f"sqlite:///{tmp_path / 'site.sqlite'}"
    store, ids = make_store(url)
    ids = list(ids.values())
    for n, i in enumerate(ids[:4]):  # ids[4] stays unapproved
        curation.approve(store.engine, i, "lin", now=NOW + timedelta(minutes=n))
    clock = Clock(NOW + timedelta(hours=1))
    app = create_app(url)
    app.state.site_config = SiteConfig(base_url=BASE, per_page=2)
    app.state.site_clock = clock
    with TestClient(app) as client:
        yield client, store, ids, clock
    store.close()


def _article_links(html):
    return [int(m) for m in re.findall(r'<h2><a href="/articles/(\d+)/">', html)]


def test_home_lists_public_articles_newest_first_featured_first(site):
    client, store, ids, clock = site
    r = client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert _article_links(r.text) == [ids[3], ids[2]]
    # ids[0] and its repost ids[1] are one story: the home page lists it once (the original)
    assert _article_links(client.get("/page/2/").text) == [ids[0]]
    assert client.get("/page/3/").status_code == 404
    curation.feature(store.engine, ids[0], "lin", now=NOW)
    home = client.get("/").text
    assert _article_links(home) == [ids[0], ids[3]] and "精选" in home
    assert f'<link rel="canonical" href="{BASE}/">' in home
    assert 'rel="next" href="/page/2/"' in home


def test_article_page(site):
    client, store, ids, clock = site
    html = client.get(f"/articles/{ids[0]}/").text
    assert "<h1>快手电商发布新一季商家扶持计划</h1>" in html
    # date in China time, machine-readable with its offset
    assert '<time datetime="2026-03-02T10:00:00+08:00">2026年3月2日 10:00</time>' in html
    # blocks rebuilt: heading, one list of two items, quote, caption
    assert "<h2>重点扶持产业带商家</h2>" in html
    assert "<ul>\n<li>流量券</li>\n<li>佣金减免</li>\n</ul>" in html
    assert "<blockquote><p>信任是老铁经济的根本。</p></blockquote>" in html
    assert '<p class="caption">图为商家大会现场</p>' in html
    # tags link to their pages
    assert f'<a class="tag platform" href="/platforms/{quote("快手")}/">快手</a>' in html
    assert f'<a class="tag topic" href="/topics/{quote("直播带货模式")}/">直播带货模式</a>' in html
    # the source is credited and linked
    assert '<a class="source-link" href="https://a.example.com/live/1.html"' in html
    # the repost is listed as another report, with its page here (it is public too)
    also = html.split('<section class="also">')[1]
    assert "https://b.example.org/n/88.html" in also and f'href="/articles/{ids[1]}/"' in also
    # canonical and Open Graph
    assert f'<link rel="canonical" href="{BASE}/articles/{ids[0]}/">' in html
    assert '<meta property="og:type" content="article">' in html
    assert f'<meta property="og:url" content="{BASE}/articles/{ids[0]}/">' in html
    assert '<meta property="article:tag" content="快手">' in html
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html


def test_edited_title_and_summary_show(site):
    client, store, ids, clock = site
    curation.edit(store.engine, ids[2], "lin", title="抖音品牌自播观察", summary="编辑写的摘要。", now=NOW)
    html = client.get(f"/articles/{ids[2]}/").text
    assert "<h1>抖音品牌自播观察</h1>" in html and '<p class="lede">编辑写的摘要。</p>' in html
    assert "抖音品牌自播观察" in client.get("/").text


def test_unpublished_and_unknown_articles_are_not_served(site):
    client, store, ids, clock = site
    assert client.get(f"/articles/{ids[4]}/").status_code == 404  # never approved
    assert client.get("/articles/9999/").status_code == 404
    assert client.get("/articles/abc/").status_code in (404, 422)


def test_platform_and_topic_pages(site):
    client, store, ids, clock = site
    kuaishou = client.get(f"/platforms/{quote('快手')}/")
    assert kuaishou.status_code == 200 and _article_links(kuaishou.text) == [ids[1], ids[0]]
    assert "平台:快手" in kuaishou.text and "共 2 篇" in kuaishou.text
    assert f'href="/platforms/{quote("快手")}/atom.xml"' in kuaishou.text
    assert _article_links(client.get(f"/topics/{quote('品牌自播')}/").text) == [ids[2]]
    assert client.get(f"/platforms/{quote('淘宝')}/").status_code == 404
    assert client.get(f"/platforms/{quote('快手')}/page/2/").status_code == 404  # 2 fit on one page
    index = client.get("/platforms/").text
    assert re.search(r'快手</a> <span class="count">2</span>', index)
    assert "京东" not in index


def test_embargoed_article_appears_at_its_time(site):
    client, store, ids, clock = site
    at = clock.now + timedelta(hours=3)
    curation.approve(store.engine, ids[4], "lin", publish_at=at, now=clock.now)
    assert client.get(f"/articles/{ids[4]}/").status_code == 404
    assert ids[4] not in _article_links(client.get("/").text)
    clock.now = at
    assert client.get(f"/articles/{ids[4]}/").status_code == 200
    assert _article_links(client.get("/").text)[0] == ids[4]


def test_search_page_shows_public_articles_only(site):
    client, store, ids, clock = site
    html = client.get("/search/", params={"q": "监管"}).text
    assert "共 0 篇" in html  # ids[4] matches but is not approved
    curation.approve(store.engine, ids[4], "lin", now=clock.now)
    html = client.get("/search/", params={"q": "监管"}).text
    assert _article_links(html) == [ids[4]] and "共 1 篇" in html
    html = client.get("/search/", params={"q": "扶持计划"}).text
    assert len(_article_links(html)) == 1  # the story and its repost: one hit per story
    assert 'value="扶持计划"' in html
    assert client.get("/search/", params={"q": "<b>"}).status_code == 200


def test_crawled_markup_is_text_never_markup(tmp_path):
    url = f"sqlite:///{tmp_path / 'x.sqlite'}"
    store, _ = make_store(url)
    evil = record("news-a", "https://a.example.com/live/66.html", '<script>alert("t")</script>标题', T0,
                  ["快手"], [], [{"kind": "p", "text": '<img src=x onerror="alert(1)">正文'},
                                 {"kind": "h", "text": "</h2><script>alert(2)</script>"}])
    evil.article.canonical_url = "javascript:alert(3)"
    (out,) = store.write([evil])
    curation.approve(store.engine, out.article_id, "lin")
    with TestClient(create_app(url)) as client:
        html = client.get(f"/articles/{out.article_id}/").text
        home = client.get("/").text
        feed = client.get("/atom.xml").text
    store.close()
    for page in (html, home):
        assert "<script" not in page and "<img" not in page and "javascript:" not in page
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;正文" in html
    assert "&lt;script&gt;alert(&#34;t&#34;)&lt;/script&gt;标题" in html
    assert "javascript:" not in feed
    # an unsafe canonical URL is never linked: the credit falls back to the fetched URL
    assert '<a class="source-link" href="https://a.example.com/live/66.html"' in html


def test_robots_and_stylesheet(site):
    client, *_ = site
    robots = client.get("/robots.txt").text
    assert f"Sitemap: {BASE}/sitemap.xml" in robots and "Disallow: /search/" in robots
    css = client.get("/static/site.css")
    assert css.status_code == 200 and "PingFang SC" in css.text and "@media" in css.text


def test_api_still_served_beside_the_site(site):
    from daihuo.web.accounts import create_user

    client, store, ids, clock = site
    assert client.get(f"/api/articles/{ids[0]}").status_code == 401  # the API needs a login
    create_user(client.app.state.engine, "ana", "analyst-password", "analyst")
    assert client.post("/api/auth/login", json={"name": "ana", "password": "analyst-password"}).status_code == 200
    assert client.get(f"/api/articles/{ids[0]}").json()["id"] == ids[0]
    assert client.get("/").status_code == 200  # the site stays public


def test_blocks_to_html_and_safe_href():
    html = blocks_to_html([{"kind": "li", "text": "一"}, {"kind": "p", "text": "a & b"},
                           {"kind": "li", "text": "二"}, {"kind": "weird", "text": "<x>"},
                           {"kind": "p", "text": "  "}])
    assert str(html) == "<ul>\n<li>一</li>\n</ul>\n<p>a &amp; b</p>\n<ul>\n<li>二</li>\n</ul>\n<p>&lt;x&gt;</p>"
    assert safe_href("https://a.cn/x?y=1") == "https://a.cn/x?y=1"
    for bad in ("javascript:alert(1)", " JavaScript:alert(1)", "data:text/html,x", "/relative",
                "http://a.cn/\"onmouseover=x", "", None, "http:///nohost"):
        assert safe_href(bad) is None, bad


def test_search_shows_a_story_as_its_original(site):
    client, store, ids, clock = site
    # ids[0] (original) and ids[1] (its repost) are one story: when both match, whichever
    # ranks first, the hit shown is the original, and only once
    from daihuo.analysis.query_terms import query_terms
    from storage.search import SearchRequest, search

    for q in ("扶持计划", "快手 扶持计划", "流量券"):
        raw = search(store.engine, SearchRequest(query=q, collapse=False), query_terms).hits
        assert {h.id for h in raw} == {ids[0], ids[1]}  # both match (today the repost ranks first)
        assert _article_links(client.get("/search/", params={"q": q}).text) == [ids[0]], q
    # words only the repost has find the repost
    assert _article_links(client.get("/search/", params={"q": "中小商家受益"}).text) == [ids[1]]
    curation.unpublish(store.engine, ids[0], actor="lin", reason="test")
    assert _article_links(client.get("/search/", params={"q": "扶持计划"}).text) == [ids[1]]


def test_site_search_filters_public_articles_inside_the_search(site):
    """A fixed number of statements finds the hits, whatever the store holds: the published
    state is a filter of the search itself, not a check per hit afterwards."""
    from sqlalchemy import event

    from daihuo.web.site.searching import site_search

    client, store, ids, clock = site
    seen: list[str] = []

    def record(conn, cursor, statement, *args):  # noqa: ANN001, ANN002
        seen.append(statement)

    event.listen(store.engine, "before_cursor_execute", record)
    try:
        result = site_search(store.engine, "快手", clock())
    finally:
        event.remove(store.engine, "before_cursor_execute", record)
    assert result.hits and all(h["id"] != ids[4] for h in result.hits)  # ids[4] is not public
    assert result.total == len(result.hits)
    # the search filters by status and publish time itself; the list items are read once
    assert any("f_live" in s or ("a.status IN" in s and "publish_at" in s) for s in seen)
    assert sum("publish_at" in s for s in seen) <= 2 and len(seen) <= 8, seen
