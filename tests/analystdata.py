"""A store for the analyst console tests (not a test module): sitedata's articles plus
listings with price changes over three runs."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from consolesite import add_users
from sitedata import make_store

from storage.records import ListingRecord

T = datetime(2026, 3, 1, 10, 0, tzinfo=timezone.utc)


def make_analyst_store(url: str):  # noqa: ANN201
    store, ids = make_store(url)
    store.sync_sources([{"name": "acc", "kind": "listings", "config": {}}])
    for k, price in enumerate((5000.0, 6500.0, 6000.0)):
        run = store.start_run(["acc"])
        store.write_listings("acc", run, T + timedelta(days=k), [
            ListingRecord(key="9", platform="快手", category="美食", title="美食探店号", followers=100000 + k * 5000,
                          price_low=price, price_high=price),
            ListingRecord(key="10", platform="抖音", category="游戏", title="游戏解说号", followers=52000,
                          price_low=3000.0, price_high=4000.0),
            ListingRecord(key="11", platform="抖音", category="游戏", title="面议小号", followers=8000),
        ])
    add_users(store.engine)
    return store, ids
