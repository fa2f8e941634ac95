"""The listing spider: account-trading sites. List pages and detail pages both carry
listings, so every fetched page is yielded (kind 'listings') for the listing pipeline;
links are followed by the source's patterns like the news spider (pagination in
``follow``, detail pages in ``articles``)."""

from __future__ import annotations

from scrapy.http import Response, TextResponse

from crawlers.spiders.news import NewsSpider


class ListingSpider(NewsSpider):
    name = "listings"

    def parse_list(self, response: Response):  # noqa: ANN201
        if not isinstance(response, TextResponse):
            return
        yield self.page_item(response, kind="listings")
        yield from self.follow_links(response)

    def parse_article(self, response: Response):  # noqa: ANN201
        yield self.page_item(response, kind="listings")
