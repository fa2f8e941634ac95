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
