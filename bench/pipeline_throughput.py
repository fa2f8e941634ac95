"""Crawl throughput: the same generated local site crawled three times in one run.

  1. trivial      - the spider yields the raw page, no item pipelines
  2. trafilatura  - one ``trafilatura.extract`` per page (what a user would otherwise pick)
  3. daihuo       - the full pipeline (decode, extract, clean, convert, segment, tag,
                    dedup) into a fresh SQLite store

Each crawl runs in its own process (Scrapy's reactor runs once per process) against a demo
site with N synthetic articles served from this process on 127.0.0.1, with politeness off.
Prints pages/s, CPU ms per page (the crawl process only) and peak RSS, and the ratio
daihuo / trafilatura.

    python bench/pipeline_throughput.py [--pages 2000]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


class TrafilaturaPipeline:
    def process_item(self, item):  # noqa: ANN001, ANN201
        import trafilatura

        trafilatura.extract(item.body.decode("utf-8", "replace"), url=item.url)
        return item


def worker(mode: str, base_url: str, db: str) -> None:
    """Crawl the site once in this process and print a JSON line of measurements."""
    from scrapy.crawler import Crawler, CrawlerProcess

    from crawlers.registry import parse_source
    from crawlers.spiders.news import NewsSpider
    from daihuo.runs.crawling import project_settings
    from storage.store import Store

    src = parse_source({"name": "bench", "kind": "news", "start_urls": [base_url + "/"],
                        "follow": [r"/list_\d+\.html$"], "articles": [r"/news/\d+\.html$"],
                        "delay": 0.0, "concurrency": 16, "autothrottle": False})
    pipelines = {
        "trivial": {},
        "trafilatura": {f"{__name__}.TrafilaturaPipeline": 100},
    }.get(mode)
    overrides = dict(LOG_LEVEL="ERROR", AUTOTHROTTLE_ENABLED=False, DOWNLOAD_DELAY=0,
                     CONCURRENT_REQUESTS=16, CONCURRENT_REQUESTS_PER_DOMAIN=16,
                     DAIHUO_DATABASE_URL=db, DAIHUO_INCREMENTAL=False)  # a first crawl: fetch all
    if pipelines is not None:
        overrides["ITEM_PIPELINES"] = pipelines
    if mode == "trafilatura":
        import trafilatura  # noqa: F401  (import cost outside the timed crawl)
    if mode == "daihuo":
        Store.open(db).sync_sources([{"name": "bench", "kind": "news", "config": {}}])
        from nlp.document import Page, process_page
        from nlp.segment import engine

        engine()  # dictionary load is per process, not per page: keep it out of the timing
        process_page(Page(url=base_url + "/warm", body=b"<p>\xe9\xa2\x84\xe7\x83\xad</p>"))
    settings = project_settings(**overrides)
    process = CrawlerProcess(settings)
    crawler = Crawler(NewsSpider, settings, init_reactor=True)
    process.crawl(crawler, source=src)
    cpu0, t0 = time.process_time(), time.perf_counter()
    process.start()
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - t0
    stats = crawler.stats.get_stats()
    pages = stats.get("item_scraped_count", 0) + stats.get("item_dropped_count", 0)
    print(json.dumps({
        "mode": mode, "pages": pages, "responses": stats.get("response_received_count", 0),
        "wall_s": wall, "cpu_s": cpu, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "stored": stats.get("daihuo/stored", 0),
        "stage_ms": {k.rsplit("/", 1)[1]: v for k, v in stats.items() if k.startswith("daihuo/time_ms/")},
    }))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pages", type=int, default=2000)
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--base", help=argparse.SUPPRESS)
    ap.add_argument("--db", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(args.worker, args.base, args.db)
        return

    from daihuo.demo.demo_server import DemoServer, DemoSite

    sys.path.insert(0, str(REPO / "bench"))
    import corpusgen  # distinct realistic articles (recombined demo paragraphs would all be near-duplicates)

    generated = [{"id": 100000 + i, "title": d["title"], "author": "记者", "editor": "编辑",
                  "published": d["published"].strftime("%Y-%m-%d %H:%M:%S"),
                  "paragraphs": d["body"].split("\n")}
                 for i, d in enumerate(corpusgen.generate(args.pages, seed=7))]
    print(f"pipeline throughput: {args.pages} generated article pages (bench/corpusgen.py), one crawl "
          f"process each, site served from a second process")
    results = []
    with DemoServer(DemoSite(generated=generated)) as server, tempfile.TemporaryDirectory() as tmp:
        for mode in ("trivial", "trafilatura", "daihuo"):
            db = f"sqlite:///{tmp}/{mode}.sqlite"
            out = subprocess.run([sys.executable, __file__, "--worker", mode, "--base", server.base_url,
                                  "--db", db], capture_output=True, text=True, cwd=REPO,
                                 env={**__import__("os").environ, "DAIHUO_HOME": tmp})
            line = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
            if out.returncode or not line:
                print(f"{mode}: worker failed\n{out.stderr[-3000:]}")
                sys.exit(1)
            results.append(json.loads(line[-1]))
    print(f"\n{'mode':<12} {'pages':>6} {'pages/s':>8} {'CPU ms/page':>12} {'peak RSS MB':>12}")
    by = {}
    for r in results:
        pps = r["pages"] / r["wall_s"]
        by[r["mode"]] = (pps, r)
        print(f"{r['mode']:<12} {r['pages']:>6} {pps:>8.1f} {1000 * r['cpu_s'] / max(r['pages'], 1):>12.2f} "
              f"{r['peak_rss_mb']:>12.0f}")
    full, traf = by["daihuo"], by["trafilatura"]
    print(f"\nratio daihuo / trafilatura-only throughput: {full[0] / traf[0]:.2f}x (target >= 0.8x)")
    print(f"daihuo stored {full[1]['stored']} articles")
    stage = full[1]["stage_ms"]
    if stage:
        total = sum(stage.values())
        print("daihuo stage CPU per page (ms): " + ", ".join(
            f"{k} {v / max(full[1]['pages'], 1):.2f}" for k, v in sorted(stage.items(), key=lambda kv: -kv[1]))
              + f"; stages total {total / max(full[1]['pages'], 1):.2f}")


if __name__ == "__main__":
    main()
