"""The listing spider: account-trading sites. List pages and detail pages both carry
listings, so every fetched page is yielded (kind 'listings') for the listing pipeline;
links are followed by the source's patterns like the news spider (pagination in
``follow``, detail pages in ``articles``)."""

from __future__ import annotations

from urllib.parse import urldefrag

import scrapy
from scrapy.http import Response, TextResponse

from crawlers.spiders.news import NewsSpider


class ListingSpider(NewsSpider):
    name = "listings"

    def parse_list(self, response: Response):  # noqa: ANN201
        if not isinstance(response, TextResponse):
            return
        yield self.page_item(response, kind="listings")
        for href in response.xpath("//a/@href").getall():
            url = urldefrag(response.urljoin(href.strip()))[0]  # #fragments: same page
            if self.is_article(url):
                yield self.article_request(response, url)
            elif any(p.search(url) for p in self._follow):
                yield scrapy.Request(url, callback=self.parse_list)

    def parse_article(self, response: Response):  # noqa: ANN201
        yield self.page_item(response, kind="listings")
