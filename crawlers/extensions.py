"""A one-line progress display for the CLI, from the crawlers' own stats.

Several sources crawl at once in one process, so all their crawlers share one line."""

from __future__ import annotations

import sys
from typing import ClassVar

from scrapy import signals
from scrapy.exceptions import NotConfigured
from twisted.internet import task


class ProgressLine:
    _active: ClassVar[dict[str, object]] = {}  # source name -> its crawler's stats
    _loop: ClassVar[task.LoopingCall | None] = None

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
        for stats in cls._active.values():
            for key in ("response_received_count", "daihuo/stored", "daihuo/updated", "daihuo/dropped",
                        "daihuo/failed", "daihuo/listings/parsed"):
                totals[key] = totals.get(key, 0) + (stats.get_value(key, 0) or 0)
        g = totals.get
        return (f"\rcrawling {len(cls._active)} source(s): fetched {g('response_received_count')}"
                f" · stored {g('daihuo/stored')} · updated {g('daihuo/updated')}"
                f" · dropped {g('daihuo/dropped')} · failed {g('daihuo/failed')}"
                f" · listings {g('daihuo/listings/parsed')}   ")

    @classmethod
    def _tick(cls) -> None:
        sys.stderr.write(cls.line())
        sys.stderr.flush()

    def spider_opened(self, spider) -> None:  # noqa: ANN001
        type(self)._active[getattr(spider, "source", spider).name] = self.stats
        if type(self)._loop is None:
            type(self)._loop = task.LoopingCall(type(self)._tick)
            type(self)._loop.start(self.interval)

    def spider_closed(self, spider) -> None:  # noqa: ANN001
        cls = type(self)
        if len(cls._active) == 1:  # the last one: final line, then stop
            cls._tick()
            sys.stderr.write("\n")
            if cls._loop is not None and cls._loop.running:
                cls._loop.stop()
            cls._loop = None
            cls._active.clear()
        else:
            cls._active.pop(getattr(spider, "source", spider).name, None)
