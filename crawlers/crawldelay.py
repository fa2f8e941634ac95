"""robots.txt ``Crawl-delay`` in single-machine crawls (distributed mode has its own, in
crawlers/distributed/politeness.py).

Scrapy's robots.txt middleware parses Crawl-delay (Protego) but never enforces it. This
downloader middleware reads the parser that middleware already fetched and raises the
downloader slot's delay to the larger of the source's delay and the site's Crawl-delay —
Scrapy's own per-slot spacing then does the waiting. The slot's random jitter is narrowed so
the shortest gap it can draw is still the Crawl-delay, and the floor is put back after every
response because AutoThrottle lowers the delay towards the source's own when a site is fast.
"""

from __future__ import annotations

import logging

from scrapy import Request, signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.httpobj import urlparse_cached

log = logging.getLogger(__name__)

MAX_JITTER = 0.25  # above a Crawl-delay: gaps drawn from [delay, delay * 1.5]


def floored(delay: float, jitter: float, crawl_delay: float) -> tuple[float, float]:
    """(delay, jitter) for a slot so that every gap ``delay * (1 ± jitter)`` is at least
    ``crawl_delay``; unchanged when the slot is slower already."""
    if crawl_delay <= 0 or delay * (1 - jitter) >= crawl_delay:
        return delay, jitter
    j = min(jitter, MAX_JITTER)
    return crawl_delay * (1 + j), j / (1 + j)


class CrawlDelayMiddleware:
    def __init__(self, crawler) -> None:  # noqa: ANN001
        self.crawler = crawler
        s = crawler.settings
        if not s.getbool("ROBOTSTXT_OBEY") or s.get("DAIHUO_REDIS_URL"):
            raise NotConfigured  # no robots.txt, or distributed mode's shared buckets do it
        self.user_agent = s.get("ROBOTSTXT_USER_AGENT") or s.get("USER_AGENT") or "*"
        self._delays: dict[str, float] = {}  # netloc -> Crawl-delay (0: none)
        self._robots = None
        crawler.signals.connect(self._response_downloaded, signal=signals.response_downloaded)

    @classmethod
    def from_crawler(cls, crawler):  # noqa: ANN001, ANN206
        return cls(crawler)

    def crawl_delay(self, request: Request) -> float | None:
        netloc = urlparse_cached(request).netloc
        if netloc in self._delays:
            return self._delays[netloc]
        parser = getattr(self._robots_mw(), "_parsers", {}).get(netloc)
        if parser is None or not hasattr(parser, "crawl_delay"):
            return None  # robots.txt not read yet (or a Deferred still): ask again next time
        delay = float(parser.crawl_delay(self.user_agent) or 0.0)
        self._delays[netloc] = delay
        if delay:
            self.crawler.stats.set_value(f"daihuo/robots/crawl_delay/{netloc}", delay)
            log.info("robots.txt of %s asks for Crawl-delay %.1fs: requests spaced so", netloc, delay)
        return delay

    def _robots_mw(self):  # noqa: ANN202
        if self._robots is None:
            from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware

            mws = self.crawler.engine.downloader.middleware.middlewares
            self._robots = next((m for m in mws if isinstance(m, RobotsTxtMiddleware)), False)
        return self._robots or None

    def _apply(self, request: Request) -> None:
        delay = self.crawl_delay(request)
        if not delay:
            return
        downloader = self.crawler.engine.downloader
        key = downloader.get_slot_key(request)
        slot = downloader.slots.get(key)
        if slot is None:  # the slot is made when the request is enqueued: start it floored
            downloader._get_slot(request)  # noqa: SLF001 - Scrapy makes slots only this way
            slot = downloader.slots.get(key)
        if slot is not None:
            slot.delay, slot.jitter = floored(slot.delay, slot.jitter, delay)

    def process_request(self, request: Request, spider=None) -> None:  # noqa: ANN001
        self._apply(request)

    def _response_downloaded(self, response, request, spider=None) -> None:  # noqa: ANN001
        self._apply(request)  # after AutoThrottle (connected earlier) adjusted the slot
