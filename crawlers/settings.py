"""Scrapy settings for daihuo. Politeness is set explicitly: Scrapy's library defaults
(8 requests per domain, no delay) differ from its project template, and a crawler that
republishes content has every reason to be a good guest."""

import os

BOT_NAME = "daihuo"
SPIDER_MODULES = ["crawlers.spiders"]
NEWSPIDER_MODULE = "crawlers.spiders"

# Who we are, and how a site owner reaches us (set DAIHUO_CONTACT_URL for real crawls).
DAIHUO_CONTACT_URL = os.environ.get("DAIHUO_CONTACT_URL", "https://github.com/daihuo/daihuo#contact")
USER_AGENT = f"daihuo/0.1 (+{DAIHUO_CONTACT_URL})"

# Politeness (per-source registry values override delay and concurrency).
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 1
DOWNLOAD_DELAY = 2.0
DOWNLOAD_DELAY_JITTER = 0.5  # ±50%, so requests don't arrive on a fixed beat
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 2.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_TIMEOUT = 30
RETRY_TIMES = 2
DOWNLOAD_MAXSIZE = 20 * 1024 * 1024  # a page larger than this is not an article
COOKIES_ENABLED = False

# No remote consoles: both are on by default in Scrapy 2.19 and neither is needed.
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
EXTENSIONS = {
    "scrapy.extensions.telnet.TelnetConsole": None,
    "scrapy.extensions.remote_control.RemoteControl": None,
    "crawlers.extensions.ProgressLine": 500,
    "crawlers.livestats.LiveStats": 510,
}

# The network guard (crawlers/netguard.py): every request's host is resolved once and must be
# public or inside an allowed network; the reactor connects to the address that was checked.
TWISTED_DNS_RESOLVER = "crawlers.netguard.PinnedResolver"
DAIHUO_ALLOWED_NETWORKS: list[str] = []  # the operator's; env DAIHUO_ALLOWED_NETWORKS adds more
DAIHUO_NETGUARD_SETTINGS_SECONDS = 2.0  # the admin's allowed networks are re-read this often

# Incremental crawls (crawlers/incremental.py): list pages every run; a known article again
# only when due by its age, as a conditional request; an unchanged answer stores nothing.
SPIDER_MIDDLEWARES = {"crawlers.incremental.IncrementalMiddleware": 600}
# A <meta refresh> to javascript: or to the page itself keeps the page (Scrapy's raises or
# drops it); every failed request becomes a row (crawlers/fetch_failures.py).
DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "crawlers.fetch_failures.SafeMetaRefreshMiddleware": 580,
    # robots.txt Crawl-delay (Scrapy parses it, never enforces it) and, for sources with
    # render = auto/always, the choice of fetching through Chromium (crawlers/rendering.py)
    "crawlers.crawldelay.CrawlDelayMiddleware": 110,
    "crawlers.rendering.RenderMiddleware": 960,
    # before RenderMiddleware: a page Chromium would fetch is checked first
    "crawlers.netguard.NetGuardMiddleware": 955,
}
# Dropped items are logged with their URL and reason, never the item (bodies are megabytes).
LOG_FORMATTER = "crawlers.logformat.QuietLogFormatter"
DAIHUO_INCREMENTAL = True
DAIHUO_REVISIT_NEW_DAYS = 7.0    # an article younger than this is "new" ...
DAIHUO_REVISIT_NEW_HOURS = 24.0  # ... and is re-checked this often,
DAIHUO_REVISIT_OLD_DAYS = 30.0   # an older one this often
DAIHUO_RESUME_SINCE = None       # resuming a killed run: skip articles stored since (ISO time)
DAIHUO_LIVE_STATS_INTERVAL = 2.0  # seconds between a run's live stats/heartbeat writes

# A callback yields one item per page: 100 concurrent item tasks per response only costs CPU.
CONCURRENT_ITEMS = 4

# The pipeline: each stage a thin class over a pure function in nlp/ or storage/.
ITEM_PIPELINES = {
    "pipelines.listing_items.ListingPipeline": 90,
    "pipelines.stages.FetchCheckPipeline": 100,
    "pipelines.stages.DecodePipeline": 110,
    "pipelines.stages.ExtractPipeline": 120,
    "pipelines.stages.TextPipeline": 130,
    "pipelines.stages.SegmentPipeline": 140,
    "pipelines.stages.TagPipeline": 150,
    "pipelines.stages.FingerprintPipeline": 160,
    "pipelines.dedup.DedupPipeline": 200,
    "pipelines.storing.StorePipeline": 300,
}

# The composition root (daihuo.system.System): the engine, store, lexicons and IDF every
# component uses, given by whoever starts the crawl; the add-on builds one for `scrapy crawl`.
ADDONS = {"daihuo.system.SystemAddon": 0}
DAIHUO_SYSTEM = None

# The store (None: the configured default, see storage/config.py) and its write batch.
DAIHUO_DATABASE_URL = os.environ.get("DAIHUO_DATABASE_URL")
DAIHUO_STORE_BATCH = 100
DAIHUO_RUN_ID = None
DAIHUO_PROGRESS = False  # the CLI turns on its one-line progress display

FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = os.environ.get("DAIHUO_LOG_LEVEL", "INFO")

# Distributed mode (crawlers/distributed): on when DAIHUO_REDIS_URL is set, e.g.
# redis://10.0.0.5:6379/0. Keys start with DAIHUO_REDIS_PREFIX.
DAIHUO_REDIS_URL = os.environ.get("DAIHUO_REDIS_URL")
DAIHUO_REDIS_PREFIX = os.environ.get("DAIHUO_REDIS_PREFIX", "daihuo")
DAIHUO_LEASE_SECONDS = 60.0  # a dead worker's requests return to the queue after this
DAIHUO_MAX_ATTEMPTS = 3  # expired leases before a request goes to the dead-letter list
DAIHUO_FINGERPRINT_TTL = 86400.0  # seconds a fetched URL is not fetched again
DAIHUO_FINGERPRINT_GENERATIONS = 4  # expiry granularity: TTL/4
DAIHUO_BACKOFF_BASE = 5.0  # first pause after a 429/503 without Retry-After, doubling
DAIHUO_BACKOFF_MAX = 600.0  # longest pause (and cap on Retry-After)
DAIHUO_EXIT_WHEN_DONE = True  # a worker exits when its run's queue is drained
DAIHUO_SEED_ON_START = False  # workers never push start URLs: seeding does, once per run
DAIHUO_REDIS_STARTUP_WAIT = 120.0
DAIHUO_STORE_STARTUP_WAIT = 120.0
DAIHUO_STORE_CLOSE_WAIT = 300.0  # at close, retry spooled batches this long
DAIHUO_POLITENESS_MARGIN = 0.1  # space shared-bucket grants 10% wider than the limit (send jitter)
