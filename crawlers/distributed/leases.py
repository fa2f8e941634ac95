"""When a leased request is finished, on the worker side.

A lease is acknowledged only when its work is durable: the callback has run, the requests it
yielded are in Redis, and the items it yielded are written by the store (or spooled to disk).
``LeaseTracker`` counts, per lease, the items still on their way to the store; the spider
middleware marks the callback done; the store pipeline releases items after each batch write;
the downloader middleware settles requests that end without a response.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from scrapy import Request, signals
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.spidermiddlewares.httperror import HttpError

from crawlers.distributed.queue import LEASE_META

log = logging.getLogger(__name__)


@dataclass
class _Lease:
    holds: int = 0  # items of this response not yet written by the store
    done: bool = False  # the callback has finished


class LeaseTracker:
    """Leases this worker holds. The ``ack(lease)`` and ``nack(lease, reason, mode)`` callbacks
    (mode: "retry", "dead" or "release") reach Redis through the scheduler's ordered outbox,
    so an ack never overtakes the pushes that precede it."""

    def __init__(self, ack: Callable[[str], None], nack: Callable[[str, str, str], None]) -> None:
        self._ack = ack
        self._nack = nack
        self.leases: dict[str, _Lease] = {}
        self._items: dict[int, tuple[object, str]] = {}  # id(page) -> (page, lease)
        self.flushers: list[Callable[[], None]] = []  # pipelines that hold items in batches

    def __len__(self) -> int:
        return len(self.leases)

    def ids(self) -> list[str]:
        return list(self.leases)

    def leased(self, lease: str) -> None:
        self.leases[lease] = _Lease()

    def hold(self, lease: str, item: object) -> None:
        entry = self.leases.get(lease)
        if entry is None:
            return
        entry.holds += 1
        page = page_of(item)
        self._items[id(page)] = (page, lease)

    def release_item(self, item: object) -> None:
        found = self._items.pop(id(page_of(item)), None)
        if found is None:
            return
        entry = self.leases.get(found[1])
        if entry is not None:
            entry.holds -= 1
            self._settle(found[1], entry)

    def callback_done(self, lease: str) -> None:
        entry = self.leases.get(lease)
        if entry is not None:
            entry.done = True
            self._settle(lease, entry)

    def finished(self, lease: str) -> None:
        """The request ended without items (filtered, ignored, an HTTP error page)."""
        if self.leases.pop(lease, None) is not None:
            self._ack(lease)

    def failed(self, lease: str, reason: str, dead: bool = False) -> None:
        if self.leases.pop(lease, None) is not None:
            self._drop_items(lease)
            self._nack(lease, reason, "dead" if dead else "retry")

    def forget(self, lease: str) -> None:
        """The lease was released elsewhere (a retry or redirect replaced it in the queue)."""
        self.leases.pop(lease, None)
        self._drop_items(lease)

    def flush_holders(self) -> None:
        for flush in self.flushers:
            flush()

    def give_back_all(self, reason: str, count: bool = True) -> list[str]:
        """Every lease still held (the engine is idle or closing): back to the queue."""
        ids = list(self.leases)
        for lease in ids:
            self.leases.pop(lease, None)
            self._drop_items(lease)
            self._nack(lease, reason, "retry" if count else "release")
        return ids

    def _drop_items(self, lease: str) -> None:
        for key in [k for k, (_, lz) in self._items.items() if lz == lease]:
            del self._items[key]

    def _settle(self, lease: str, entry: _Lease) -> None:
        if entry.done and entry.holds <= 0:
            self.leases.pop(lease, None)
            self._ack(lease)


def page_of(item: object) -> object:
    """Items travel as Page, then Document or ListingBatch wrapping the same Page."""
    return getattr(item, "page", item)


def tracker_of(crawler) -> LeaseTracker | None:  # noqa: ANN001
    sched = getattr(crawler, "daihuo_scheduler", None)
    return getattr(sched, "tracker", None)


def _lease(obj: Request | Any) -> str | None:
    try:
        return obj.meta.get(LEASE_META)
    except AttributeError:  # a response without a request
        return None


class LeaseSpiderMiddleware:
    """Marks a lease's callback done (or failed); holds its items until they are stored.
    In a worker, ``Spider.start()`` is not run: the queue was seeded once for the run."""

    def __init__(self, crawler) -> None:  # noqa: ANN001
        self.crawler = crawler
        self.seed_on_start = crawler.settings.getbool("DAIHUO_SEED_ON_START", False)

    @classmethod
    def from_crawler(cls, crawler):  # noqa: ANN001, ANN206
        if not crawler.settings.get("DAIHUO_REDIS_URL"):
            raise NotConfigured
        mw = cls(crawler)
        crawler.signals.connect(mw.item_gone, signal=signals.item_dropped)
        crawler.signals.connect(mw.item_gone, signal=signals.item_error)
        return mw

    @property
    def tracker(self) -> LeaseTracker | None:
        return tracker_of(self.crawler)

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        if self.seed_on_start:
            async for x in start:
                yield x

    def process_spider_output(self, response, result: Iterable[Any]):  # noqa: ANN001, ANN201
        lease, tracker = _lease(response), self.tracker
        try:
            for x in result:
                if lease and tracker and not isinstance(x, Request):
                    tracker.hold(lease, x)
                yield x
        except Exception as exc:
            if lease and tracker:
                tracker.failed(lease, f"callback error: {type(exc).__name__}: {exc}")
            raise
        if lease and tracker:
            tracker.callback_done(lease)

    async def process_spider_output_async(self, response, result: AsyncIterator[Any]):  # noqa: ANN001, ANN201
        lease, tracker = _lease(response), self.tracker
        try:
            async for x in result:
                if lease and tracker and not isinstance(x, Request):
                    tracker.hold(lease, x)
                yield x
        except Exception as exc:
            if lease and tracker:
                tracker.failed(lease, f"callback error: {type(exc).__name__}: {exc}")
            raise
        if lease and tracker:
            tracker.callback_done(lease)

    def process_spider_exception(self, response, exception: Exception):  # noqa: ANN001, ANN201
        lease, tracker = _lease(response), self.tracker
        if lease and tracker:
            if isinstance(exception, (HttpError, IgnoreRequest)):
                tracker.finished(lease)  # an answer, just not one to parse
            else:
                tracker.failed(lease, f"callback error: {type(exception).__name__}: {exception}")
        return None

    def item_gone(self, item, response=None, spider=None, **kwargs) -> None:  # noqa: ANN001
        tracker = self.tracker
        if tracker:
            tracker.release_item(item)


class LeaseDownloaderMiddleware:
    """Settles a request that ends in the downloader: ignored (robots.txt, offsite) counts as
    done; a download error that retries gave up on goes to the dead-letter list with its
    reason (another attempt on another worker would fail the same way)."""

    def __init__(self, crawler) -> None:  # noqa: ANN001
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):  # noqa: ANN001, ANN206
        if not crawler.settings.get("DAIHUO_REDIS_URL"):
            raise NotConfigured
        return cls(crawler)

    def process_exception(self, request: Request, exception: Exception, spider=None):  # noqa: ANN001, ANN201
        lease, tracker = _lease(request), tracker_of(self.crawler)
        if not (lease and tracker):
            return None
        if isinstance(exception, IgnoreRequest):
            tracker.finished(lease)
        elif request.errback is None:
            tracker.failed(lease, f"download error: {type(exception).__name__}: {exception}",
                           dead=True)
        # with an errback, the spider handles it and the spider middleware settles the lease
        return None
