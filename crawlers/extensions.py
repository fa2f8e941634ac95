"""A one-line progress display for the CLI, from the crawler's own stats."""

from __future__ import annotations

import sys

from scrapy import signals
from scrapy.exceptions import NotConfigured
from twisted.internet import task


class ProgressLine:
    def __init__(self, stats, interval: float = 1.0) -> None:  # noqa: ANN001
        self.stats = stats
        self.interval = interval
        self.task: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler):  # noqa: ANN001, ANN206
        if not crawler.settings.getbool("DAIHUO_PROGRESS"):
            raise NotConfigured
        ext = cls(crawler.stats)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def line(self, spider) -> str:  # noqa: ANN001
        g = self.stats.get_value
        return (f"\r[{spider.name}] fetched {g('response_received_count', 0)}"
                f" · stored {g('daihuo/stored', 0)} · updated {g('daihuo/updated', 0)}"
                f" · dropped {g('daihuo/dropped', 0)} · failed {g('daihuo/failed', 0)}   ")

    def spider_opened(self, spider) -> None:  # noqa: ANN001
        self.task = task.LoopingCall(lambda: sys.stderr.write(self.line(spider)))
        self.task.start(self.interval)

    def spider_closed(self, spider) -> None:  # noqa: ANN001
        if self.task and self.task.running:
            self.task.stop()
        sys.stderr.write(self.line(spider) + "\n")
