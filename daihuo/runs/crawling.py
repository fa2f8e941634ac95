"""Run crawls of registry sources in-process with Scrapy, recording each run in the store."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field

from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.settings import Settings

from crawlers.registry import SourceConfig
from crawlers.rendering import check_sources, render_settings
from crawlers.spiders.listings import ListingSpider
from crawlers.spiders.news import NewsSpider
from storage.config import data_dir, database_url
from storage.store import Spool, Store


@dataclass
class CrawlSummary:
    run_id: int
    status: str
    stats: dict = field(default_factory=dict)

    def get(self, key: str, default: int = 0):  # noqa: ANN201
        return self.stats.get(key, default)

    def prefixed(self, prefix: str) -> dict[str, float]:
        return {k[len(prefix):]: v for k, v in sorted(self.stats.items()) if k.startswith(prefix)}


def project_settings(**overrides) -> Settings:
    settings = Settings()
    settings.setmodule("crawlers.settings", priority="project")
    for key, value in overrides.items():
        settings.set(key, value, priority="cmdline")
    return settings


def source_settings(base: Settings, src: SourceConfig) -> Settings:
    """Per-source politeness from the registry on top of the project settings."""
    s = base.copy()
    s.set("DOWNLOAD_DELAY", src.delay, priority="spider")
    s.set("CONCURRENT_REQUESTS_PER_DOMAIN", src.concurrency, priority="spider")
    # A crawler serves one source: the engine hands the downloader no more requests than the
    # source may have in flight, so a graceful stop (cancel: SIGTERM) finishes those few
    # instead of every request already queued behind DOWNLOAD_DELAY (Scrapy's default of 16).
    s.set("CONCURRENT_REQUESTS", src.concurrency, priority="spider")
    s.set("AUTOTHROTTLE_ENABLED", src.autothrottle, priority="spider")
    s.set("AUTOTHROTTLE_START_DELAY", max(src.delay, 0.1), priority="spider")
    return render_settings(s, src)  # the browser's handler, only for sources that render


def merge_stats(stats_list: list[dict]) -> dict:
    total: dict = {}
    for stats in stats_list:
        for key, value in stats.items():
            prev = total.get(key, 0)
            if isinstance(value, (int, float)) and not isinstance(value, bool) \
                    and isinstance(prev, (int, float)):
                # counters add up; maxima (memory, elapsed time) take the larger
                total[key] = max(prev, value) if key.endswith(("/max", "_seconds")) else prev + value
            elif key not in total:
                total[key] = value
    return total


def run_crawl(sources: list[SourceConfig], *, db_url: str | None = None, trigger: str = "cli",
              progress: bool = False, log_level: str = "WARNING", run_id: int | None = None,
              sync: bool = True, **overrides) -> CrawlSummary:
    """Crawl ``sources`` into the store at ``db_url``; returns the run's merged stats.

    ``run_id`` is a run the scheduler already recorded (daihuo.runs.lifecycle), else a new run is
    started with ``trigger``; ``sync=False`` crawls sources as stored, leaving their stored
    config alone. Runs the Twisted reactor, so call it once per process (the CLI does).
    """
    from daihuo.runs.lifecycle import record_process

    check_sources(sources)  # a source that renders, on a machine without the browser: say so now
    url = db_url or database_url()
    store = Store.open(url)
    if sync:
        store.sync_sources({"name": s.name, "kind": s.kind, "config": s.to_dict()} for s in sources)
    Spool(data_dir() / "spool").replay(store)  # items an earlier outage left on disk
    if run_id is None:
        run_id = store.start_run([s.name for s in sources], trigger)
    # pid and host, so a crash is seen (reap_orphans) and the source is not blocked forever
    record_process(store.engine, run_id, os.getpid())
    base = project_settings(DAIHUO_DATABASE_URL=url, DAIHUO_RUN_ID=run_id,
                            DAIHUO_PROGRESS=progress, LOG_LEVEL=log_level, **overrides)
    process = CrawlerProcess(base)
    logging.getLogger("scrapy").setLevel(log_level)
    crawlers = []
    for i, src in enumerate(sources):
        spider = ListingSpider if src.kind == "listings" else NewsSpider
        # The first crawler installs the reactor (as CrawlerProcess would for its own).
        crawler = Crawler(spider, source_settings(base, src), init_reactor=i == 0)
        crawlers.append(crawler)
        process.crawl(crawler, source=src, run_id=run_id)
    status = "finished"
    try:
        process.start()
    except BaseException:
        status = "failed"
        raise
    finally:
        stats = merge_stats([c.stats.get_stats() for c in crawlers if c.stats])
        # Only a complete crawl may count a listing as missing (a partial one would "remove"
        # everything it did not reach).
        for src, c in zip(sources, crawlers, strict=True):
            if src.kind == "listings" and c.stats and c.stats.get_value("finish_reason") == "finished":
                stats["daihuo/listings/removed"] = stats.get("daihuo/listings/removed", 0) + \
                    store.close_listing_run(src.name, run_id, removed_after=src.removed_after)
        reasons = {c.stats.get_value("finish_reason") for c in crawlers if c.stats}
        if status == "finished" and reasons - {"finished"}:
            status = "failed" if reasons & {"shutdown", None} else status
        store.finish_run(run_id, status, stats)
        _check_quality(store, run_id)
        store.close()
    return CrawlSummary(run_id, status, stats)


def _check_quality(store: Store, run_id: int) -> None:
    """Quality checks of the finished run (webhooks told on failure); never fails the crawl."""
    from daihuo.runs.quality import check_and_notify

    try:
        check_and_notify(store.engine, run_id)
    except Exception:  # noqa: BLE001 - a broken check or webhook must not lose the run
        logging.getLogger(__name__).exception("quality checks of run #%d failed", run_id)
