"""Live run stats: every few seconds the crawl writes its Scrapy stats and a heartbeat into its
run's ``run_meta`` row, so the console shows a running crawl and the scheduler can tell a
live run on another host from an orphan."""

from __future__ import annotations

import json
import logging

from scrapy import signals
from scrapy.exceptions import NotConfigured
from sqlalchemy import update
from twisted.internet import task

from pipelines.wiring import system_of
from storage.schedule_models import RunMeta
from storage.timestamps import now_utc

log = logging.getLogger(__name__)


class LiveStats:
    def __init__(self, crawler, run_id: int, engine, interval: float) -> None:  # noqa: ANN001
        self.crawler = crawler
        self.run_id = run_id
        self.engine = engine
        self.interval = interval
        self.loop: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler):  # noqa: ANN001, ANN206
        s = crawler.settings
        run_id, interval = s.get("DAIHUO_RUN_ID"), s.getfloat("DAIHUO_LIVE_STATS_INTERVAL", 2.0)
        if run_id is None or interval <= 0:
            raise NotConfigured
        ext = cls(crawler, int(run_id), system_of(crawler).engine, interval)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider) -> None:  # noqa: ANN001
        self.loop = task.LoopingCall(self.write)
        self.loop.start(self.interval, now=True)

    def spider_closed(self, spider) -> None:  # noqa: ANN001
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        self.write()

    def write(self) -> None:
        stats = json.loads(json.dumps(self.crawler.stats.get_stats(), default=str))
        try:
            with self.engine.begin() as conn:
                conn.execute(update(RunMeta).where(RunMeta.run_id == self.run_id)
                             .values(live_stats=stats, heartbeat_at=now_utc()))
        except Exception as exc:  # noqa: BLE001 - a busy store only delays the live view
            log.debug("live stats not written: %s", exc)
