"""The public home page and feeds with one entry per story: what the per-story filter costs.

Generates N approved articles (as bench/publish.py does: demo paragraphs recombined, tags, no
NLP), a third of them reposts of the article before them (same fingerprint, so the store
clusters them), then times the queries the site runs for the home page (page 1 and a deep
page, featured first) and the main feed (with bodies), with and without ``per_story``, in one
run so the ratio is comparable on a busy machine.

    python bench/home_per_story.py [--articles 10000] [--repeat 30] [--db sqlite|URL]
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from editorial import curation  # noqa: E402
from editorial.published import published_articles  # noqa: E402
from storage.store import Store  # noqa: E402


def _publish_bench():  # noqa: ANN202
    spec = importlib.util.spec_from_file_location("bench_publish", REPO / "bench" / "publish.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build(url: str, n: int) -> tuple[int, int]:
    """(articles, clusters) stored: every third article reposts the one before it."""
    recs = _publish_bench().records(n)
    for i, rec in enumerate(recs):
        story = i - 1 if i % 3 == 2 else i
        fp = f"story-{story}".encode()
        rec.article.fingerprint, rec.article.band_keys = fp, [(0, hash(fp) & 0xFFFFFF)]
    store = Store.open(url, similar=lambda a, b: a == b)
    store.sync_sources([{"name": f"src{k}", "kind": "news", "config": {}} for k in range(40)])
    ids: list[int] = []
    for start in range(0, n, 500):
        ids += [o.article_id for o in store.write(recs[start : start + 500])]
    curation.approve_many(store.engine, ids, "bench", now=datetime(2026, 6, 1, tzinfo=timezone.utc))
    with store.engine.connect() as conn:
        clusters = conn.exec_driver_sql("SELECT count(*) FROM clusters").scalar()
    store.close()
    return len(ids), clusters


def timed(fn, repeat: int) -> float:  # noqa: ANN001
    fn()  # warm the cache
    runs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t0)
    return statistics.median(runs) * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--articles", type=int, default=10000)
    ap.add_argument("--repeat", type=int, default=30)
    ap.add_argument("--db", default="sqlite", help="sqlite (a temp file) or a database URL")
    args = ap.parse_args()
    tmp = tempfile.TemporaryDirectory()
    url = f"sqlite:///{tmp.name}/home.sqlite" if args.db == "sqlite" else args.db
    t0 = time.perf_counter()
    n, clusters = build(url, args.articles)
    print(f"store: {n} approved articles, {clusters} repost clusters, built in {time.perf_counter() - t0:.1f}s")
    store = Store.open(url)
    now = datetime(2026, 7, 1, tzinfo=timezone.utc)
    deep = max(1, n // 20 // 2)  # a page halfway down the per-story listing
    cases = {
        "home page 1": dict(featured_first=True, page=1, per_page=20),
        f"home page {deep}": dict(featured_first=True, page=deep, per_page=20),
        "feed (20, bodies)": dict(page=1, per_page=20, with_body=True),
    }
    print(f"{'query':<20} {'all (ms)':>9} {'per story (ms)':>15} {'ratio':>6} {'entries: all / per story':>26}")
    for name, kw in cases.items():
        every = timed(lambda kw=kw: published_articles(store.engine, now, **kw), args.repeat)
        story = timed(lambda kw=kw: published_articles(store.engine, now, per_story=True, **kw), args.repeat)
        totals = (published_articles(store.engine, now, **kw).total,
                  published_articles(store.engine, now, per_story=True, **kw).total)
        print(f"{name:<20} {every:>9.1f} {story:>15.1f} {story / every:>6.2f} {totals[0]:>13} / {totals[1]}")
    store.close()
    tmp.cleanup()


if __name__ == "__main__":
    main()
