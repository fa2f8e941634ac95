"""The news spider's multi-page articles: page 1's pager names pages 2..N, fetched in order
and handed on as one raw page under page 1's URL (nlp.extract.pagination joins the bytes,
the extract stage joins the text).

* A continuation page reached directly (a list or sitemap linking ``123_2.html``) is never an
  article of its own: the spider asks for its page 1 instead (Scrapy's dupefilter drops it
  when page 1 is already on its way).
* Each page may name further pages (a pager that shows a window of numbers); only numbers
  above the last fetched one are taken, a URL is fetched once per article, and at most the
  source's ``max_pages`` pages are fetched: a cycle or a runaway pager ends there.
* A continuation that fails (HTTP error, network error, a failed render) does not lose the
  article: it is stored with the pages that were fetched and flagged ``pages_missing``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import scrapy
from scrapy.http import Response, TextResponse
from twisted.python.failure import Failure

from crawlers.fetch_failures import record_failure
from crawlers.jsonlist import add_hints
from nlp.extract.pagination import MAX_PAGES, PARTS_HEADER, Pager, find_pager, join_parts

CHAIN = "daihuo_pages"  # request meta: the article being assembled


@dataclass
class _Chain:
    first: Response
    bodies: list[bytes]
    last: int = 1  # number of the last page taken
    fetched: set[str] = field(default_factory=set)
    queue: dict[int, str] = field(default_factory=dict)  # number -> URL, still to fetch
    missing: int = 0
    truncated: bool = False


def page_links(response: TextResponse) -> list[tuple[str, str, str]]:
    """(absolute href, text, rel) of a page's links, <link rel=next> included."""
    out = []
    for a in response.xpath("//a[@href] | //link[@rel][@href]"):
        href = (a.attrib.get("href") or "").strip()
        if href and not href.startswith(("javascript:", "mailto:", "#")):
            text = "".join(a.xpath(".//text()").getall()) if a.root.tag == "a" else ""
            out.append((response.urljoin(href), text, a.attrib.get("rel", "")))
    return out


def pager_of(response: Response) -> Pager | None:
    if response.status != 200 or not isinstance(response, TextResponse):
        return None
    return find_pager(response.url, page_links(response))


class MultiPageMixin:
    """Mixed into NewsSpider: ``article_items`` replaces a plain ``page_item`` for articles."""

    def max_pages(self) -> int:
        return int(getattr(self.source, "max_pages", MAX_PAGES) or MAX_PAGES)

    def article_items(self, response: Response):  # noqa: ANN201
        pager = pager_of(response)
        if pager is None:
            yield add_hints(self.page_item(response), response)
            return
        if pager.current != 1:
            self.crawler.stats.inc_value("daihuo/pages/continuation_redirected")
            yield self.article_request(response, pager.first_url)
            return
        chain = _Chain(first=response, bodies=[response.body], fetched={pager.url})
        self._enqueue(chain, pager)
        yield from self._next_part(chain)

    def _enqueue(self, chain: _Chain, pager: Pager) -> None:
        for n, url in pager.after(chain.last):
            if url not in chain.fetched and n not in chain.queue:
                chain.queue[n] = url

    def _next_part(self, chain: _Chain):  # noqa: ANN202
        if chain.queue and len(chain.bodies) + chain.missing >= self.max_pages():
            chain.truncated = True
            chain.queue.clear()
        if not chain.queue:
            yield self._joined_item(chain)
            return
        n = min(chain.queue)
        url = chain.queue.pop(n)
        chain.last = n
        chain.fetched.add(url)
        meta = {CHAIN: chain, "handle_httpstatus_all": True}
        # dont_filter: a page 2 linked from a list too must still reach this article;
        # the chain's own bounds stop cycles. Higher priority: finish articles first.
        yield scrapy.Request(url, callback=self._on_part, errback=self._on_part_failed,
                             meta=meta, dont_filter=True, priority=10)

    def _on_part(self, response: Response):  # noqa: ANN202
        chain: _Chain = response.meta[CHAIN]
        pager = pager_of(response)
        if response.status != 200:
            chain.missing += 1
            self.crawler.stats.inc_value("daihuo/pages/missing")
            yield self.page_item(response)  # the failed page is a row of its own (not an article)
        else:
            chain.bodies.append(response.body)
            if pager is not None:
                self._enqueue(chain, pager)
        yield from self._next_part(chain)

    def _on_part_failed(self, failure: Failure):  # noqa: ANN202
        chain: _Chain = failure.request.meta[CHAIN]
        chain.missing += 1
        self.crawler.stats.inc_value("daihuo/pages/missing")
        self.logger.warning("continuation page %s failed: %s", failure.request.url,
                            failure.getErrorMessage())
        yield from record_failure(self, failure)  # a row, as for every failed request
        yield from self._next_part(chain)

    def _joined_item(self, chain: _Chain):  # noqa: ANN202
        page = add_hints(self.page_item(chain.first), chain.first)
        if len(chain.bodies) > 1 or chain.missing or chain.truncated:
            page.body, value = join_parts(chain.bodies, chain.missing, chain.truncated)
            page.headers[PARTS_HEADER] = value
            self.crawler.stats.inc_value("daihuo/pages/joined_articles")
            self.crawler.stats.inc_value("daihuo/pages/continuations", len(chain.bodies) - 1)
        if chain.truncated:
            self.crawler.stats.inc_value("daihuo/pages/truncated")
            self.logger.warning("%s: pager stopped at %d pages (max_pages)", chain.first.url,
                                self.max_pages())
        return page
