"""Shared politeness: one token bucket per domain in Redis, used by every worker.

Scrapy spaces requests per *process*: N workers hit a site N times as often as its source
allows. Here each request first takes a token from the domain's bucket in Redis (GCRA, burst
1: grants are at least ``interval`` apart on Redis' clock, whichever worker asks). The interval
is the larger of the source's ``delay`` and the site's robots.txt ``Crawl-delay`` (Scrapy
parses it but does not enforce it), plus a small margin for send jitter. A 429 or 503 blocks the domain for every worker: for
``Retry-After`` seconds when the site says so, else for an exponentially growing pause.
Sources on the same host share its bucket.
"""

from __future__ import annotations

import email.utils
import logging
import time

from scrapy import Request
from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.task import deferLater

from crawlers.distributed.connection import REDIS_DOWN, connect, redis_prefix
from crawlers.distributed.keys import domain_key

log = logging.getLogger(__name__)

_NOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
"""
# KEYS: tat, blocked-until  ARGV: interval  -> seconds to wait ('0': granted)
_ACQUIRE = _NOW + """
local blocked = tonumber(redis.call('GET', KEYS[2]) or '0')
if blocked > now then return string.format('%.6f', blocked - now) end
local interval = tonumber(ARGV[1])
if interval <= 0 then return '0' end
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat > now then return string.format('%.6f', tat - now) end
redis.call('SET', KEYS[1], string.format('%.6f', now + interval), 'PX',
           math.ceil(interval * 1000) + 1000)
return '0'
"""
# KEYS: blocked-until, streak  ARGV: seconds (<0: exponential), base, cap -> seconds blocked
_BACKOFF = _NOW + """
local n = redis.call('INCR', KEYS[2])
redis.call('EXPIRE', KEYS[2], 3600)
local wait = tonumber(ARGV[1])
if wait < 0 then wait = math.min(tonumber(ARGV[2]) * 2 ^ (n - 1), tonumber(ARGV[3])) end
local untl = now + wait
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
if untl > cur then
  redis.call('SET', KEYS[1], string.format('%.6f', untl), 'PX', math.ceil(wait * 1000) + 1000)
end
return string.format('%.6f', wait)
"""


class DomainBuckets:
    """The per-domain buckets (usable without Scrapy)."""

    def __init__(self, server, prefix: str = "daihuo", backoff_base: float = 5.0,  # noqa: ANN001
                 backoff_cap: float = 600.0) -> None:
        self.server = server
        self.prefix = prefix
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self._acquire = server.register_script(_ACQUIRE)
        self._backoff = server.register_script(_BACKOFF)

    def _keys(self, host: str, *names: str) -> list[str]:
        return [domain_key(self.prefix, host, n) for n in names]

    def acquire(self, host: str, interval: float) -> float:
        """Take a token: 0.0 when granted, else the seconds to wait before asking again."""
        return float(self._acquire(keys=self._keys(host, "tat", "blocked"), args=[interval]))

    def backoff(self, host: str, retry_after: float | None = None) -> float:
        """Block ``host`` for every worker: ``retry_after`` seconds, or exponentially."""
        wait = -1 if retry_after is None else min(max(retry_after, 0.0), self.backoff_cap)
        return float(self._backoff(keys=self._keys(host, "blocked", "streak"),
                                   args=[wait, self.backoff_base, self.backoff_cap]))

    def recovered(self, host: str) -> None:
        self.server.delete(*self._keys(host, "streak"))


def retry_after_seconds(value: bytes | str | None, now: float | None = None) -> float | None:
    """``Retry-After`` as seconds: delta-seconds or an HTTP date; None when absent/invalid."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class SharedPolitenessMiddleware:
    """Downloader middleware: the domain's interval (source delay, robots.txt Crawl-delay)
    and the 429/503 backoff. The wait for the token itself happens in the download handler
    (``PoliteHTTPDownloadHandler``), right before the connection: a token taken earlier, in
    ``process_request``, could be spent while the request waits for a free slot, and the site
    would see requests bunch up."""

    BACKOFF_STATUSES = (429, 503)

    def __init__(self, crawler, buckets: DomainBuckets) -> None:  # noqa: ANN001
        self.crawler = crawler
        self.buckets = buckets
        s = crawler.settings
        self.user_agent = s.get("ROBOTSTXT_USER_AGENT") or s.get("USER_AGENT") or "*"
        self.max_wait_step = 2.0  # re-ask at least this often: another worker may block the site
        # A request leaves a few ms after its grant (a busy reactor, a descheduled process),
        # so arrivals jitter; the margin keeps the rate the *site* sees under the limit.
        self.margin = s.getfloat("DAIHUO_POLITENESS_MARGIN", 0.1)
        self._robots = None
        self._crawl_delay: dict[str, float] = {}
        self._backed_off: dict[str, float] = {}
        self._down_logged = False

    @classmethod
    def from_crawler(cls, crawler):  # noqa: ANN001, ANN206
        s = crawler.settings
        url = s.get("DAIHUO_REDIS_URL")
        if not url:
            raise NotConfigured
        buckets = DomainBuckets(connect(url), s.get("DAIHUO_REDIS_PREFIX") or redis_prefix(),
                                backoff_base=s.getfloat("DAIHUO_BACKOFF_BASE", 5.0),
                                backoff_cap=s.getfloat("DAIHUO_BACKOFF_MAX", 600.0))
        mw = cls(crawler, buckets)
        crawler.daihuo_politeness = mw  # the download handler waits through it
        return mw

    def interval(self, request: Request) -> float:
        spider = self.crawler.spider
        source = getattr(spider, "source", None)
        delay = float(getattr(source, "delay", None) or self.crawler.settings.getfloat(
            "DAIHUO_DOMAIN_DELAY", 0.0))
        return max(delay, self.crawl_delay(request)) * (1.0 + self.margin)

    def crawl_delay(self, request: Request) -> float:
        """robots.txt Crawl-delay for this host, from the parser Scrapy's robots.txt
        middleware already fetched (it runs before this one)."""
        netloc = urlparse_cached(request).netloc
        if netloc in self._crawl_delay:
            return self._crawl_delay[netloc]
        mw = self._robots_mw()
        parser = getattr(mw, "_parsers", {}).get(netloc) if mw else None
        if parser is None or not hasattr(parser, "crawl_delay"):
            return 0.0  # not fetched yet (or no robots.txt): ask again next time
        delay = parser.crawl_delay(self.user_agent) or 0.0
        self._crawl_delay[netloc] = float(delay)
        if delay:
            log.info("robots.txt of %s asks for Crawl-delay %.1fs; shared by all workers",
                     netloc, delay)
        return float(delay)

    def _robots_mw(self):  # noqa: ANN202
        if self._robots is None:
            from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware

            engine = getattr(self.crawler, "engine", None)
            mws = engine.downloader.middleware.middlewares if engine else []
            self._robots = next((m for m in mws if isinstance(m, RobotsTxtMiddleware)), False)
        return self._robots or None

    async def wait_for_token(self, request: Request) -> None:
        host = urlparse_cached(request).hostname or ""
        interval = self.interval(request)
        down_wait = 0.5
        while True:
            try:
                wait = self.buckets.acquire(host, interval)
                self._down_logged = False
            except REDIS_DOWN as exc:  # no shared limit to go by: wait, never fetch blind
                if not self._down_logged:
                    log.warning("politeness: Redis unreachable (%s); downloads paused", exc)
                    self._down_logged = True
                wait, down_wait = down_wait, min(down_wait * 2, 5.0)
            if wait <= 0:
                return None
            self.crawler.stats.inc_value("daihuo/politeness/waits")
            from twisted.internet import reactor  # the one Scrapy installed, never our own

            await maybe_deferred_to_future(
                deferLater(reactor, min(wait, self.max_wait_step), lambda: None))

    def process_response(self, request: Request, response: Response, spider=None) -> Response:  # noqa: ANN001
        host = urlparse_cached(request).hostname or ""
        try:
            if response.status in self.BACKOFF_STATUSES:
                after = retry_after_seconds(response.headers.get(b"Retry-After"))
                blocked = self.buckets.backoff(host, after)
                self._backed_off[host] = time.monotonic()
                self.crawler.stats.inc_value("daihuo/politeness/backoffs")
                log.warning("%s answered %d: all workers pause it for %.1fs", host,
                            response.status, blocked)
            elif response.status < 400 and host in self._backed_off:
                self.buckets.recovered(host)
                del self._backed_off[host]
        except REDIS_DOWN:
            pass  # the scheduler pauses the worker; the next 429 sets the block
        return response


class PoliteHTTPDownloadHandler(HTTP11DownloadHandler):
    """Scrapy's HTTP/1.1 handler, taking the domain's token just before each download."""

    async def download_request(self, request: Request) -> Response:
        gate = getattr(self.crawler, "daihuo_politeness", None)
        if gate is not None:
            await gate.wait_for_token(request)
        return await super().download_request(request)
