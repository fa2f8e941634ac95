"""Distributed crawl throughput: pages/s with 1, 2 and 3 worker processes on this machine.

Each run seeds a fresh queue (its own Redis key prefix) and starts N ``daihuo.runs.worker``
processes against a local demo site of N synthetic articles served from this process, with
the full pipeline into one store (PostgreSQL when ``--db`` names one, a fresh schema per
run; else a fresh SQLite file per run). Rates are measured server-side: page requests between the first and the last
one the site saw (``span``), and over the whole run including worker start-up (``wall``).

1. no politeness limit (source delay 0): what 1, 2, 3 workers do on this machine
2. a limit of ``--limit`` requests/s (source delay 1/limit) with one worker: the rate the site
   sees, against the limit
3. Redis memory: bytes per fingerprint in the expiring dupefilter (1,000,000 URLs) and per
   queued request.

Needs Redis at ``DAIHUO_REDIS_URL`` (default redis://127.0.0.1:6379/13; keys are removed).

    python bench/distributed.py [--pages 2000] [--limit 20] \\
        [--db postgresql+psycopg://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import bisect
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def crawl(pages: int, workers: int, delay: float, redis_url: str, db: str | None,
          tmp: Path) -> dict:
    from daihuo.demo.demo_server import DemoServer, DemoSite, registry_toml, site_source

    prefix = f"bench{uuid.uuid4().hex[:8]}"
    site = DemoSite(synthetic=pages)
    run_dir = tmp / prefix
    run_dir.mkdir()
    schema = None
    if db and db.startswith("postgres"):  # a fresh schema per run: every run stores anew
        schema = prefix
        _pg(db, f'CREATE SCHEMA "{schema}"')
        db = f"{db}{'&' if '?' in db else '?'}options=-csearch_path%3D{schema}"
    db = db or f"sqlite:///{run_dir / 'store.sqlite'}"
    with DemoServer(site) as srv:
        src = site_source("bench", srv.base_url, delay=delay, concurrency=8)
        reg = run_dir / "reg.toml"
        reg.write_text(registry_toml([src]), encoding="utf-8")
        env = {**os.environ, "PYTHONPATH": str(REPO), "DAIHUO_HOME": str(run_dir / "home"),
               "DAIHUO_REDIS_URL": redis_url, "DAIHUO_REDIS_PREFIX": prefix,
               "DAIHUO_ALLOWED_NETWORKS": "127.0.0.1/32"}  # the local site, through the guard
        cmd = [sys.executable, "-m", "daihuo.runs.worker", "bench", "--registry", str(reg), "--db", db]
        subprocess.run(cmd + ["--seed"], env=env, check=True, capture_output=True)
        t0, cpu0 = time.monotonic(), time.process_time()
        procs = [subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL) for _ in range(workers)]
        for p in procs:
            p.wait()
        wall = time.monotonic() - t0
        site_cpu = time.process_time() - cpu0  # this process serves the site
    _drop(redis_url, prefix)
    if schema:
        _pg(db.split("?")[0], f'DROP SCHEMA "{schema}" CASCADE')
    times = sorted(t for t, p in site.requests if p != "/robots.txt")
    span = times[-1] - times[0]
    return {"requests": len(times), "span": span, "wall": wall,
            "rate": (len(times) - 1) / span, "rate_wall": len(times) / wall,
            "max_1s": max(bisect.bisect_left(times, t + 1.0) - i for i, t in enumerate(times)),
            "site_cpu": site_cpu, "ok": all(p.returncode == 0 for p in procs)}


def _pg(url: str, sql: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(sql))
    engine.dispose()


def _drop(redis_url: str, prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter(match=f"{prefix}:*", count=1000):
        client.delete(key)


def memory(redis_url: str, n: int = 1_000_000) -> tuple[float, float]:
    """Bytes of Redis memory per fingerprint (n URLs) and per queued request (10,000)."""
    import redis
    import scrapy

    from crawlers.distributed.dupefilter import ExpiringDupeFilter
    from crawlers.distributed.keys import SourceKeys
    from crawlers.distributed.queue import LeasedQueue
    from crawlers.registry import parse_source
    from crawlers.spiders.news import NewsSpider

    client = redis.Redis.from_url(redis_url)
    prefix = f"benchmem{uuid.uuid4().hex[:8]}"
    keys = SourceKeys("mem", prefix)
    df = ExpiringDupeFilter(client, keys, ttl=86400)
    try:
        before = client.info("memory")["used_memory"]
        fp_keys, expire = df.generation_keys()
        pipe = client.pipeline(transaction=False)
        for i in range(n):
            url = f"https://news.example.com/live/2026/{i // 1000:04d}/{i}.html"
            pipe.sadd(fp_keys[0], df.fingerprint(scrapy.Request(url)))
            if i % 10_000 == 9_999:
                pipe.execute()
        pipe.expire(fp_keys[0], expire)
        pipe.execute()
        per_fp = (client.info("memory")["used_memory"] - before) / n
        spider = NewsSpider(source=parse_source({"name": "mem", "kind": "news",
                                                 "start_urls": ["https://news.example.com/"]}))
        queue = LeasedQueue(client, spider, keys)
        before = client.info("memory")["used_memory"]
        m = 10_000
        for start in range(0, m, 1000):
            queue.push_many([scrapy.Request(f"https://news.example.com/live/2026/{i}.html",
                                            callback=spider.parse_article,
                                            meta={"handle_httpstatus_all": True, "depth": 2})
                             for i in range(start, start + 1000)])
        per_req = (client.info("memory")["used_memory"] - before) / m
    finally:
        _drop(redis_url, prefix)
    return per_fp, per_req


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pages", type=int, default=2000)
    ap.add_argument("--limit", type=float, default=20.0, help="requests/s for the polite run")
    ap.add_argument("--db", help="store URL; PostgreSQL gets a fresh schema per run "
                    "(default: a fresh SQLite file per run)")
    args = ap.parse_args()
    redis_url = os.environ.get("DAIHUO_REDIS_URL", "redis://127.0.0.1:6379/13")
    print(f"distributed crawl, {args.pages} synthetic articles, full pipeline, store "
          f"{'PostgreSQL' if args.db and args.db.startswith('postgres') else 'SQLite'}, "
          f"{os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory() as tmp:
        base = None
        print("no politeness limit:")
        for workers in (1, 2, 3):
            r = crawl(args.pages, workers, 0.0, redis_url, args.db, Path(tmp))
            base = base or r["rate"]
            print(f"  {workers} worker(s): {r['rate']:6.1f} pages/s (span {r['span']:.1f}s, "
                  f"{r['requests']} requests; {r['rate_wall']:.1f}/s over {r['wall']:.1f}s wall "
                  f"with start-up; site {r['site_cpu']:.1f}s CPU) x{r['rate'] / base:.2f}{'' if r['ok'] else '  WORKER FAILED'}")
        n = max(100, int(args.limit * 15))
        r = crawl(n, 1, 1.0 / args.limit, redis_url, args.db, Path(tmp))
        print(f"limit {args.limit:g} requests/s, 1 worker: {r['rate']:.1f} pages/s seen by the "
              f"site (max {r['max_1s']} in any 1 s; {r['requests']} requests)")
    per_fp, per_req = memory(redis_url)
    print(f"Redis memory: {per_fp:.0f} bytes per fingerprint = {per_fp:.0f} MB per million URLs "
          f"remembered; {per_req:.0f} bytes per queued request")


if __name__ == "__main__":
    main()
