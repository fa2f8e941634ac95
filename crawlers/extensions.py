"""A one-line progress display for the CLI, from the crawlers' own stats.

Several sources crawl at once in one process, so all their crawlers share one line. Counts
cover every source of the run, finished ones included (so they never go down), and pages
are shown against the requests found so far (``fetched 19/41``), the total known then."""

from __future__ import annotations

import sys
from typing import ClassVar

from scrapy import signals
from scrapy.exceptions import NotConfigured
from twisted.internet import task


class ProgressLine:
    _active: ClassVar[dict[str, object]] = {}  # source name -> its crawler's stats (crawling)
    _done: ClassVar[dict[str, object]] = {}  # sources of this run that finished
    _loop: ClassVar[task.LoopingCall | None] = None
    _width: ClassVar[int] = 0  # of the last line written, to blank what a shorter one leaves

    def __init__(self, stats, interval: float = 1.0) -> None:  # noqa: ANN001
        self.stats = stats
        self.interval = interval

    @classmethod
    def from_crawler(cls, crawler):  # noqa: ANN001, ANN206
        if not crawler.settings.getbool("DAIHUO_PROGRESS"):
            raise NotConfigured
        ext = cls(crawler.stats)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    @classmethod
    def line(cls) -> str:
        totals: dict[str, int] = {}
        for stats in [*cls._active.values(), *cls._done.values()]:
            for key in ("response_received_count", "robotstxt/response_count", "scheduler/enqueued",
                        "daihuo/stored", "daihuo/updated",
                        "daihuo/dropped", "daihuo/failed", "daihuo/listings/parsed"):
                totals[key] = totals.get(key, 0) + (stats.get_value(key, 0) or 0)
        g = totals.get
        sources = len(cls._active) + len(cls._done)
        found = g("scheduler/enqueued")
        fetched = g("response_received_count") - g("robotstxt/response_count")  # robots.txt is not a page
        text = (f"crawling {len(cls._done)}/{sources} source(s) done: fetched {fetched}"
                + (f"/{found}" if found else "")
                + f" · stored {g('daihuo/stored')} · updated {g('daihuo/updated')}"
                f" · dropped {g('daihuo/dropped')} · failed {g('daihuo/failed')}"
                f" · listings {g('daihuo/listings/parsed')}")
        pad = max(0, cls._width - len(text))
        cls._width = len(text)
        return "\r" + text + " " * pad

    @classmethod
    def _tick(cls) -> None:
        sys.stderr.write(cls.line())
        sys.stderr.flush()

    def spider_opened(self, spider) -> None:  # noqa: ANN001
        if not type(self)._active:  # a new run: forget the last one's sources
            type(self)._done.clear()
            type(self)._width = 0
        type(self)._active[getattr(spider, "source", spider).name] = self.stats
        if type(self)._loop is None:
            type(self)._loop = task.LoopingCall(type(self)._tick)
            type(self)._loop.start(self.interval)

    def spider_closed(self, spider) -> None:  # noqa: ANN001
        cls = type(self)
        name = getattr(spider, "source", spider).name
        if name in cls._active:
            cls._done[name] = cls._active.pop(name)
        if not cls._active:  # the last one: final line, then stop
            cls._tick()
            sys.stderr.write("\n")
            if cls._loop is not None and cls._loop.running:
                cls._loop.stop()
            cls._loop = None
