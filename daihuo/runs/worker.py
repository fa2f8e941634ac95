"""``daihuo worker``: drain a source's shared Redis queue, on any number of machines.

A run is started once by seeding (``seed_run``: record the run in the store, push the
sources' start requests to their queues); every worker then leases requests from the queues,
fetches them within the shared per-domain rate, stores items in the shared store
(PostgreSQL) and exits when the run is drained. ``run_status`` aggregates queue counts and
the workers' stats for the console.

Also runnable as ``python -m daihuo.runs.worker`` (tests and benchmarks start workers this way).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import time
from pathlib import Path

from scrapy.crawler import Crawler, CrawlerProcess

from crawlers.distributed.connection import connect, redis_prefix, redis_url
from crawlers.distributed.distributed_settings import distributed_settings
from crawlers.distributed.dupefilter import ExpiringDupeFilter
from crawlers.distributed.keys import SourceKeys
from crawlers.distributed.queue import LeasedQueue
from crawlers.registry import SourceConfig
from crawlers.spiders.listings import ListingSpider
from crawlers.spiders.news import NewsSpider
from daihuo.runs.crawling import (
    close_run,
    merge_stats,
    run_outcome,
    source_settings,
    stored_sources,
)
from daihuo.runs.lifecycle import RunError, create_run, mark_distributed
from daihuo.system import System

log = logging.getLogger(__name__)
ALIVE_SECONDS = 30.0  # a worker that has not reported for this long is counted as gone


def _url(url: str | None) -> str:
    url = url or redis_url()
    if not url:
        raise ValueError("distributed mode needs a Redis URL: set DAIHUO_REDIS_URL "
                         "(e.g. redis://127.0.0.1:6379/0)")
    return url


def _spider_cls(src: SourceConfig) -> type[NewsSpider]:
    return ListingSpider if src.kind == "listings" else NewsSpider


def seed_run(sources: list[SourceConfig], *, url: str | None = None, db_url: str | None = None,
             trigger: str = "cli", prefix: str | None = None,
             reset_fingerprints: bool = False, system: System | None = None) -> int:
    """Start a distributed run: record it in the store and push each source's start requests
    to its queue. Returns the run id. ``reset_fingerprints`` forgets what earlier runs
    fetched (a full re-crawl instead of an incremental one)."""
    server = connect(_url(url))
    prefix = prefix or redis_prefix()
    system = system or System.from_env(database_url=db_url)
    # the same run record and one-run-per-source lock as every other way of starting a crawl
    run_id = create_run(system.engine, [s.name for s in sources], trigger)
    mark_distributed(system.engine, run_id)
    settings = system.scrapy_settings()
    for src in sources:
        spider = _spider_cls(src)(source=src, run_id=run_id)
        keys = SourceKeys(src.name, prefix)
        df = ExpiringDupeFilter(server, keys, ttl=settings.getfloat("DAIHUO_FINGERPRINT_TTL"),
                                generations=settings.getint("DAIHUO_FINGERPRINT_GENERATIONS"))
        if reset_fingerprints:
            df.clear()

        async def starts(sp: NewsSpider = spider) -> list:
            return [r async for r in sp.start()]

        queue = LeasedQueue(server, spider, keys)
        fp_keys, expire = df.generation_keys()
        for request in asyncio.run(starts()):
            # Start URLs are always fetched (dont_filter), and recorded so that links back
            # to them are not fetched a second time.
            queue.enqueue(request, fingerprint=df.fingerprint(request), fp_keys=fp_keys,
                          fp_expire=expire, check=False)
        server.hset(keys.run, mapping={"run_id": run_id, "seeded_at": time.time(),
                                       "trigger": trigger})
    return run_id


def run_worker(sources: list[SourceConfig], *, url: str | None = None,
               db_url: str | None = None, exit_when_done: bool = True,
               log_level: str = "INFO", system: System | None = None,
               **overrides) -> dict[str, dict]:
    """Run one worker for ``sources`` (one crawler each, in this process) until their queues
    are drained (or forever with ``exit_when_done=False``). ``overrides`` are Scrapy settings.
    Returns each source's stats. Runs the Twisted reactor: once per process."""
    url = _url(url)
    system = system or System.from_env(database_url=db_url)
    base = system.scrapy_settings(LOG_LEVEL=log_level, DAIHUO_EXIT_WHEN_DONE=exit_when_done,
                                  **overrides)
    logging.getLogger("scrapy").setLevel(log_level)
    process = CrawlerProcess(base)
    crawlers = []
    for i, src in enumerate(sources):
        settings = distributed_settings(source_settings(base, src), src, url=url)
        crawler = Crawler(_spider_cls(src), settings, init_reactor=i == 0)
        crawlers.append(crawler)
        process.crawl(crawler, source=src, run_id=None)  # the run id comes from Redis
    process.start()
    return {src.name: (c.stats.get_stats() if c.stats else {})
            for src, c in zip(sources, crawlers, strict=True)}


def run_status(names: list[str], *, url: str | None = None,
               prefix: str | None = None) -> dict[str, dict]:
    """Per source: run id, queued/leased/dead counts, live workers, and the stats of every
    worker of the current run merged (counters summed)."""
    server = connect(_url(url))
    prefix = prefix or redis_prefix()
    out = {}
    now = time.time()
    for name in names:
        keys = SourceKeys(name, prefix)
        pipe = server.pipeline(transaction=False)
        pipe.hget(keys.run, "run_id").zcard(keys.queue).zcard(keys.leases).llen(keys.dead)
        pipe.zrangebyscore(keys.workers, now - ALIVE_SECONDS, "+inf")
        run_id, queued, leased, dead, alive = pipe.execute()
        run_id = int(run_id) if run_id is not None else None
        per_worker = []
        for key in server.scan_iter(match=keys.stats("*"), count=200):
            raw = server.get(key)
            if raw:
                entry = json.loads(raw)
                if entry.get("run_id") == run_id:
                    per_worker.append(entry["stats"])
        out[name] = {"run_id": run_id, "queued": queued, "leased": leased, "dead": dead,
                     "workers": sorted(w.decode() for w in alive),
                     "done": run_id is not None and queued == 0 and leased == 0,
                     "stats": merge_stats(per_worker)}
    return out


def finish_run(names: list[str], *, url: str | None = None, db_url: str | None = None,
               prefix: str | None = None, system: System | None = None) -> str | None:
    """Record the run as finished in the store once every source's queue is drained, with
    the workers' merged stats; returns the status written, or None while still running."""
    status = run_status(names, url=url, prefix=prefix)
    if not all(s["done"] for s in status.values()):
        return None
    run_ids = {s["run_id"] for s in status.values()}
    stats = merge_stats([s["stats"] for s in status.values()])
    dead = sum(s["dead"] for s in status.values())
    system = system or System.from_env(database_url=db_url)
    stats = {**stats, "daihuo/dead_letters": dead}
    result = run_outcome(stats, {"finished"})
    if dead and result == "finished":
        result = "finished_with_errors"  # requests that never succeeded
    for run_id in run_ids:
        close_run(system, run_id, result, stats)
    return result


def _pick(system: System, names: list[str], registry: Path | None) -> list[SourceConfig]:
    """Stored sources by name; ``registry`` (a TOML file) is imported into the store first."""
    if registry is not None:
        from editorial.sources import import_registry

        import_registry(system.engine, registry, "worker")
    try:
        return stored_sources(system, names)
    except RunError as exc:
        raise SystemExit(str(exc)) from None


def _value(text: str) -> object:
    try:
        return json.loads(text)
    except ValueError:
        return text


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m daihuo.runs.worker", description=__doc__.split("\n")[0])
    ap.add_argument("sources", nargs="+", help="source names from the registry")
    ap.add_argument("--registry", type=Path, default=None,
                    help="a TOML source file to import into the store first")
    ap.add_argument("--redis", help="Redis URL (default: DAIHUO_REDIS_URL)")
    ap.add_argument("--db", help="store URL (default: DAIHUO_DATABASE_URL)")
    ap.add_argument("--seed", action="store_true", help="start a run: push the start URLs")
    ap.add_argument("--status", action="store_true", help="print the run status as JSON")
    ap.add_argument("--forever", action="store_true", help="keep waiting for new runs")
    ap.add_argument("--log-level", default="WARNING")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="a Scrapy setting (JSON value)")
    args = ap.parse_args(argv)
    system = System.from_env(database_url=args.db)
    sources = _pick(system, args.sources, args.registry)
    if args.seed:
        print(seed_run(sources, url=args.redis, system=system))
        return 0
    if args.status:
        print(json.dumps(run_status(args.sources, url=args.redis), indent=2, default=str))
        return 0
    overrides = dict(kv.split("=", 1) for kv in args.set)
    run_worker(sources, url=args.redis, system=system, exit_when_done=not args.forever,
               log_level=args.log_level, **{k: _value(v) for k, v in overrides.items()})
    return 0


if __name__ == "__main__":
    sys.exit(main())
