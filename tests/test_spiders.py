"""Spider callbacks on saved responses, no reactor: list pages, RSS and sitemaps."""

from scrapy.http import HtmlResponse, Request, XmlResponse

from crawlers.registry import parse_source
from crawlers.spiders.listings import ListingSpider
from crawlers.spiders.news import NewsSpider
from nlp.document import Page

SRC = {"name": "t", "kind": "news", "start_urls": ["http://a.example.com/"],
       "follow": [r"/list_\d+\.html$"], "articles": [r"/news/\d+\.html$"]}


def urls(results):
    return sorted(r.url for r in results if isinstance(r, Request))


def test_list_page_follows_only_named_links():
    spider = NewsSpider(source=SRC)
    body = (b'<a href="/news/1.html">a</a><a href="/list_2.html">2</a><a href="/about.html">x</a>'
            b'<a href="http://a.example.com/news/2.html#c">b</a>')
    res = list(spider.parse_entry(HtmlResponse("http://a.example.com/", body=body)))
    assert urls(res) == ["http://a.example.com/list_2.html", "http://a.example.com/news/1.html",
                         "http://a.example.com/news/2.html"]
    article = next(r for r in res if "/news/1" in r.url)
    assert article.callback == spider.parse_article and article.meta["handle_httpstatus_all"]


def test_rss_and_atom_entry_points():
    spider = NewsSpider(source=SRC)
    rss = ('<?xml version="1.0"?><rss version="2.0"><channel><item><link>http://a.example.com/news/7.html'
           '</link></item><item><link>http://a.example.com/other/8.html</link></item></channel></rss>')
    assert urls(spider.parse_entry(XmlResponse("http://a.example.com/rss.xml", body=rss.encode()))) \
        == ["http://a.example.com/news/7.html"]
    atom = ('<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><entry>'
            '<link href="http://a.example.com/news/9.html"/></entry></feed>')
    assert urls(spider.parse_entry(XmlResponse("http://a.example.com/atom.xml", body=atom.encode()))) \
        == ["http://a.example.com/news/9.html"]


def test_sitemap_and_sitemap_index():
    spider = NewsSpider(source=SRC)
    sm = ('<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
          '<url><loc>http://a.example.com/news/3.html</loc></url>'
          '<url><loc>http://a.example.com/tags/x.html</loc></url></urlset>')
    assert urls(spider.parse_entry(XmlResponse("http://a.example.com/sitemap.xml", body=sm.encode()))) \
        == ["http://a.example.com/news/3.html"]
    idx = ('<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
           '<sitemap><loc>http://a.example.com/sitemap-1.xml</loc></sitemap></sitemapindex>')
    (req,) = spider.parse_entry(XmlResponse("http://a.example.com/sitemap.xml", body=idx.encode()))
    assert req.url.endswith("sitemap-1.xml") and req.callback == spider.parse_xml


def test_article_becomes_a_page_with_registry_hints():
    spider = NewsSpider(source={**SRC, "region": "tw", "charset": "big5"}, run_id=5)
    resp = HtmlResponse("http://a.example.com/news/1.html", status=404, body=b"gone",
                        headers={"Content-Type": "text/html"})
    (page,) = spider.parse_article(resp)
    assert isinstance(page, Page)
    assert (page.status, page.region, page.charset_hint, page.run_id, page.source, page.kind) == \
        (404, "tw", "big5", 5, "t", "article")
    assert page.headers["Content-Type"] == "text/html"


def test_listing_spider_yields_list_pages_too():
    spider = ListingSpider(source={**SRC, "kind": "listings", "follow": [r"/zh/list_\d+\.html$"],
                                   "articles": [r"/zh/\d+\.html$"]})
    body = b'<a href="/zh/12.html">x</a><a href="/zh/list_2.html">2</a>'
    res = list(spider.parse_entry(HtmlResponse("http://a.example.com/zh/list_1.html", body=body)))
    pages = [r for r in res if isinstance(r, Page)]
    assert [p.kind for p in pages] == ["listings"]
    assert urls(res) == ["http://a.example.com/zh/12.html", "http://a.example.com/zh/list_2.html"]


def test_spider_needs_a_source():
    import pytest

    with pytest.raises(ValueError, match="needs a source"):
        NewsSpider()
    assert parse_source(SRC).name == "t"


def _api_spider(**api):
    from scrapy.utils.test import get_crawler

    src = {"name": "api", "list_api": {"url": "http://a.example.com/api?p={page}", "items": "data.list",
                                       "link": "u", "title": "t", "date": "ts", "max_pages": 3, **api}}
    crawler = get_crawler(NewsSpider)
    spider = NewsSpider.from_crawler(crawler, source=parse_source(src))
    return spider, crawler.stats


def _api_page(spider, page, body):
    start = next(iter(spider.api_requests()))  # sets up the list's state
    req = start.replace(url=f"http://a.example.com/api?p={page}", meta={**start.meta, "daihuo_api_page": page})
    from scrapy.http import TextResponse

    return list(spider.parse_api(TextResponse(req.url, body=body, request=req)))


def test_json_list_items_pages_and_bad_answers():
    import json

    spider, stats = _api_spider()
    items = {"data": {"list": [{"u": "/n/1.html", "t": "标题一", "ts": 1793000000},
                               {"u": "/n/2.html"}, {"t": "no link"}]}}
    out = _api_page(spider, 1, json.dumps(items).encode())
    arts = [r for r in out if r.callback == spider.parse_article]
    assert [r.url for r in arts] == ["http://a.example.com/n/1.html", "http://a.example.com/n/2.html"]
    assert arts[0].meta["daihuo_list_hints"]["title"] == "标题一"
    assert arts[0].meta["daihuo_list_hints"]["date"].startswith("2026-")  # a Unix time, as ISO
    assert [r.url for r in out if r.callback == spider.parse_api] == ["http://a.example.com/api?p=2"]
    assert stats.get_value("daihuo/list_api/items_without_link") == 1
    # the last page allowed (max_pages 3 from page 1) asks for no more
    assert not [r for r in _api_page(spider, 3, json.dumps({"data": {"list": [{"u": "/n/9.html"}]}}).encode())
                if r.callback == spider.parse_api]
    assert _api_page(spider, 1, b"<html>not json</html>") == []
    assert stats.get_value("daihuo/list_api/bad_json") == 1
    assert _api_page(spider, 1, b'{"data": {"list": {"not": "an array"}}}') == []
    assert stats.get_value("daihuo/list_api/bad_shape") == 1
