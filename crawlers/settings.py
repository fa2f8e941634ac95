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
}

# A callback yields one item per page: 100 concurrent item tasks per response only costs CPU.
CONCURRENT_ITEMS = 4

# The pipeline: each stage a thin class over a pure function in nlp/ or storage/.
ITEM_PIPELINES = {
    "pipelines.listings.ListingPipeline": 90,
    "pipelines.stages.FetchCheckPipeline": 100,
    "pipelines.stages.DecodePipeline": 110,
    "pipelines.stages.ExtractPipeline": 120,
    "pipelines.stages.TextPipeline": 130,
    "pipelines.stages.SegmentPipeline": 140,
    "pipelines.stages.TagPipeline": 150,
    "pipelines.stages.FingerprintPipeline": 160,
    "pipelines.dedup.DedupPipeline": 200,
    "pipelines.store.StorePipeline": 300,
}

# The store (None: the configured default, see storage/config.py) and its write batch.
DAIHUO_DATABASE_URL = os.environ.get("DAIHUO_DATABASE_URL")
DAIHUO_STORE_BATCH = 100
DAIHUO_RUN_ID = None
DAIHUO_PROGRESS = False  # the CLI turns on its one-line progress display

FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = os.environ.get("DAIHUO_LOG_LEVEL", "INFO")
