"""One generic news spider, driven by a registry source.

Entry points can be list pages (followed by the source's ``follow`` patterns, e.g.
pagination), RSS/Atom feeds or XML sitemaps (recognised by content). Links matching the
source's ``articles`` patterns are fetched as articles and yielded as raw pages; everything
after that is the item pipelines' job. Only the links a source names are followed: following
every link costs more CPU than the rest of the crawl together.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from urllib.parse import urldefrag

import scrapy
from scrapy.http import Response, TextResponse
from scrapy.utils.sitemap import Sitemap

from crawlers.fetch_failures import record_failure
from crawlers.jsonlist import JsonListMixin
from crawlers.multipage import MultiPageMixin
from crawlers.registry import SourceConfig, parse_source
from crawlers.rendering import render_settings
from editorial.sources import source_config
from nlp.document import Page
from pipelines.wiring import system_of

_FEED_SNIFF = re.compile(rb"<(rss|feed|urlset|sitemapindex)[\s>]", re.I)


class NewsSpider(MultiPageMixin, JsonListMixin, scrapy.Spider):
    name = "news"

    def __init__(self, source: SourceConfig | dict | None = None, run_id: int | None = None,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if source is None:
            raise ValueError("NewsSpider needs a source: `scrapy crawl news -a source=NAME` "
                             "crawls a source stored in daihuo (`daihuo sources list`)")
        if isinstance(source, str):
            raise ValueError(f"source {source!r} given by name: build the spider with "
                             "from_crawler, which reads it from the store")
        self.source = source if isinstance(source, SourceConfig) else parse_source(source)
        self.run_id = run_id
        self.allowed_domains = list(self.source.allowed_domains)
        self._follow = [re.compile(p) for p in self.source.follow]
        self._articles = [re.compile(p) for p in self.source.articles]

    @classmethod
    def from_crawler(cls, crawler, *args, source=None, run_id=None, **kwargs):  # noqa: ANN001, ANN206
        """``source`` may be a stored source's name (``scrapy crawl news -a source=NAME``): it
        is read from the store, as an editor saved it. Its politeness applies to the crawl."""
        if isinstance(source, str):
            source = source_config(system_of(crawler).engine, source)
        if run_id is not None:
            run_id = int(run_id)
        spider = super().from_crawler(crawler, *args, source=source, run_id=run_id, **kwargs)
        apply_source_settings(crawler.settings, spider.source)
        return spider

    async def start(self):  # noqa: ANN201
        for url in self.source.start_urls:
            yield scrapy.Request(url, callback=self.parse_entry, errback=self.errback_fetch,
                                 dont_filter=True)
        for request in self.api_requests():  # a JSON list endpoint (crawlers/jsonlist.py)
            yield request

    def errback_fetch(self, failure):  # noqa: ANN001, ANN201
        """Every request's errback: the failure becomes a stored row (nothing vanishes)."""
        yield from record_failure(self, failure)

    # -- entry points ----------------------------------------------------------------------
    def parse_entry(self, response: Response):  # noqa: ANN201
        head = response.body[:2048]
        if _FEED_SNIFF.search(head):
            yield from self.parse_xml(response)
        else:
            yield from self.parse_list(response)

    def parse_xml(self, response: Response):  # noqa: ANN201
        body = response.body
        if re.search(rb"<(urlset|sitemapindex)[\s>]", body[:2048], re.I):
            sitemap = Sitemap(body)
            for entry in sitemap:
                loc = entry.get("loc")
                if not loc:
                    continue
                if sitemap.type == "sitemapindex":
                    yield response.follow(loc, callback=self.parse_xml, errback=self.errback_fetch)
                elif self.is_article(loc):
                    yield self.article_request(response, loc)
            return
        sel = scrapy.Selector(text=body.decode("utf-8", "replace"), type="xml")
        sel.remove_namespaces()
        links = sel.xpath("//item/link/text() | //entry/link/@href").getall()
        for link in links:
            link = link.strip()
            if link and (not self._articles or self.is_article(link)):
                yield self.article_request(response, link)

    def parse_list(self, response: Response):  # noqa: ANN201
        if isinstance(response, TextResponse):
            yield from self.follow_links(response)

    def follow_links(self, response: TextResponse):  # noqa: ANN201
        """Requests for the page's links that the source names: articles, then list pages."""
        for href in response.xpath("//a/@href").getall():
            url = urldefrag(response.urljoin(href.strip()))[0]  # #fragments: same page
            if self.is_article(url):
                yield self.article_request(response, url)
            elif any(p.search(url) for p in self._follow):
                yield scrapy.Request(url, callback=self.parse_list, errback=self.errback_fetch)

    def is_article(self, url: str) -> bool:
        return any(p.search(url) for p in self._articles)

    def article_request(self, response: Response, url: str) -> scrapy.Request:
        # Every status reaches parse_article, so a 404 is recorded, not silently lost.
        return scrapy.Request(response.urljoin(url), callback=self.parse_article,
                              errback=self.errback_fetch, meta={"handle_httpstatus_all": True})

    # -- articles --------------------------------------------------------------------------
    def parse_article(self, response: Response):  # noqa: ANN201
        yield from self.article_items(response)  # multi-page articles: crawlers/multipage.py

    def page_item(self, response: Response, kind: str = "article") -> Page:
        headers = {k.decode("latin-1"): b", ".join(v).decode("latin-1")
                   for k, v in response.headers.items()}
        return Page(
            url=response.url, body=response.body, status=response.status, headers=headers,
            fetched_at=datetime.now(timezone.utc), source=self.source.name,
            region=self.source.region, charset_hint=self.source.charset,
            selector=self.source.selector, run_id=self.run_id, kind=kind,
        )


def apply_source_settings(settings, src: SourceConfig) -> None:  # noqa: ANN001
    """Per-source politeness on top of the project settings (Scrapy freezes settings only
    after the spider is built, so every way of starting a crawl gets the same)."""
    if getattr(settings, "frozen", False):
        return
    settings.set("DOWNLOAD_DELAY", src.delay, priority="spider")
    settings.set("CONCURRENT_REQUESTS_PER_DOMAIN", src.concurrency, priority="spider")
    # A crawler serves one source: the engine hands the downloader no more requests than the
    # source may have in flight, so a graceful stop (cancel: SIGTERM) finishes those few
    # instead of every request already queued behind DOWNLOAD_DELAY (Scrapy's default of 16).
    settings.set("CONCURRENT_REQUESTS", src.concurrency, priority="spider")
    settings.set("AUTOTHROTTLE_ENABLED", src.autothrottle, priority="spider")
    settings.set("AUTOTHROTTLE_START_DELAY", max(src.delay, 0.1), priority="spider")
    render_settings(settings, src)  # the browser's handler, only for sources that render
