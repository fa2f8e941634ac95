"""Switch a crawl's Scrapy settings to distributed mode (when DAIHUO_REDIS_URL is set)."""

from __future__ import annotations

from scrapy.settings import Settings

from crawlers.distributed.connection import redis_prefix, redis_url
from crawlers.registry import SourceConfig

LOCAL_STORE = "pipelines.storing.StorePipeline"
LEASED_STORE = "crawlers.distributed.leased_storing.LeasedStorePipeline"


def distributed_settings(settings: Settings, source: SourceConfig | None = None, *,
                         url: str | None = None, prefix: str | None = None,
                         priority: str = "cmdline") -> Settings:
    """A copy of ``settings`` that runs the crawl on the shared Redis queue at ``url``
    (default ``DAIHUO_REDIS_URL``): scrapy-redis scheduler with leases, expiring fingerprints,
    the shared per-domain token bucket instead of each process's own delay, and the store
    pipeline that acknowledges leases after writing. Unchanged copy when no URL is set."""
    s = settings.copy()
    url = url or s.get("DAIHUO_REDIS_URL") or redis_url()
    if not url:
        return s

    def put(key: str, value: object) -> None:
        s.set(key, value, priority=priority)

    put("DAIHUO_REDIS_URL", url)
    put("REDIS_URL", url)  # scrapy-redis' own components read this one
    put("DAIHUO_REDIS_PREFIX", prefix or s.get("DAIHUO_REDIS_PREFIX") or redis_prefix())
    put("SCHEDULER", "crawlers.distributed.scheduler.DistributedScheduler")
    put("DUPEFILTER_CLASS", "crawlers.distributed.dupefilter.ExpiringDupeFilter")
    put("SCHEDULER_SERIALIZER", "crawlers.distributed.serializer")
    put("SCHEDULER_PERSIST", True)  # the queue belongs to the run, not to one worker
    # The shared bucket paces the site for all workers; a per-process delay or AutoThrottle
    # on top would only slow each worker down (and AutoThrottle cannot see the others).
    put("DOWNLOAD_DELAY", 0)
    put("AUTOTHROTTLE_ENABLED", False)
    if source is not None:
        put("CONCURRENT_REQUESTS_PER_DOMAIN", source.concurrency)
    handler = "crawlers.distributed.politeness.PoliteHTTPDownloadHandler"
    put("DOWNLOAD_HANDLERS", {**s.getdict("DOWNLOAD_HANDLERS"), "http": handler, "https": handler})
    dl = dict(s.getdict("DOWNLOADER_MIDDLEWARES"))
    dl.update({"crawlers.distributed.politeness.SharedPolitenessMiddleware": 950,
               "crawlers.distributed.leases.LeaseDownloaderMiddleware": 10})
    put("DOWNLOADER_MIDDLEWARES", dl)
    sp = dict(s.getdict("SPIDER_MIDDLEWARES"))
    sp["crawlers.distributed.leases.LeaseSpiderMiddleware"] = 10
    put("SPIDER_MIDDLEWARES", sp)
    pipes = dict(s.getdict("ITEM_PIPELINES"))
    if LOCAL_STORE in pipes:
        pipes[LEASED_STORE] = pipes.pop(LOCAL_STORE)
    put("ITEM_PIPELINES", pipes)
    return s


def is_distributed(settings: Settings) -> bool:
    return bool(settings.get("DAIHUO_REDIS_URL"))
