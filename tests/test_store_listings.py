"""Listings in the store: snapshots only on change, removal after N missed crawls, never
deduplicated away, analyst queries and stats."""

from datetime import datetime, timedelta, timezone

import pytest

from storage.listing_queries import listing_stats, price_history, query_listings
from storage.records import ListingRecord
from storage.store import Store

T0 = datetime(2026, 3, 1, tzinfo=timezone.utc)


def li(key, price=3000.0, followers=100000, **kw):
    return ListingRecord(key=key, platform=kw.pop("platform", "快手"), category=kw.pop("category", "美食"),
                         followers=followers, price_low=price, price_high=price, **kw)


@pytest.fixture
def store(db_url):
    s = Store.open(db_url)
    s.sync_sources([{"name": "acc", "kind": "listings", "config": {}}])
    yield s
    s.close()


def test_snapshots_only_when_something_changed(store):
    r1, r2, r3 = (store.start_run(["acc"]) for _ in range(3))
    assert store.write_listings("acc", r1, T0, [li("a"), li("b")]) == {"new": 2, "changed": 0, "same": 0}
    assert store.write_listings("acc", r2, T0 + timedelta(days=1), [li("a"), li("b", price=2500.0)]) \
        == {"new": 0, "changed": 1, "same": 1}
    store.write_listings("acc", r3, T0 + timedelta(days=2), [li("a"), li("b", price=2500.0)])
    rows = {r["key"]: r for r in query_listings(store.engine)}
    assert len(rows) == 2
    hist_b = price_history(store.engine, rows["b"]["id"])
    assert [h["price_low"] for h in hist_b] == [3000.0, 2500.0]
    assert len(price_history(store.engine, rows["a"]["id"])) == 1
    assert rows["a"]["first_seen"] == T0 and rows["a"]["last_seen"] == T0 + timedelta(days=2)


def test_removed_after_n_missed_crawls_and_back_again(store):
    runs = [store.start_run(["acc"]) for _ in range(4)]
    store.write_listings("acc", runs[0], T0, [li("a"), li("gone")])
    store.close_listing_run("acc", runs[0], removed_after=2)
    store.write_listings("acc", runs[1], T0, [li("a")])
    assert store.close_listing_run("acc", runs[1], removed_after=2) == 0  # one miss: still active
    store.write_listings("acc", runs[2], T0, [li("a")])
    assert store.close_listing_run("acc", runs[2], removed_after=2) == 1
    gone = query_listings(store.engine, status="removed")
    assert [g["key"] for g in gone] == ["gone"]
    assert [h["status"] for h in price_history(store.engine, gone[0]["id"])] == ["active", "removed"]
    store.write_listings("acc", runs[3], T0, [li("gone")])  # relisted
    assert query_listings(store.engine, status="removed") == []


def test_filters_and_stats(store):
    run = store.start_run(["acc"])
    store.write_listings("acc", run, T0, [
        li("a", price=1000.0, followers=10000, verified=True),
        li("b", price=3000.0, followers=50000),
        li("c", price=None, followers=200000),                       # 面议
        li("d", price=800.0, followers=20000, platform="抖音", category="游戏"),
    ])
    assert {r["key"] for r in query_listings(store.engine, platform="快手", min_followers=20000)} == {"b", "c"}
    assert [r["key"] for r in query_listings(store.engine, verified=True)] == ["a"]
    stats = {(s.platform, s.category): s for s in listing_stats(store.engine)}
    ks = stats[("快手", "美食")]
    assert (ks.count, ks.priced, ks.median_price) == (3, 2, 2000.0)
    assert ks.median_price_per_10k == pytest.approx((1000.0 + 600.0) / 2)
    assert stats[("抖音", "游戏")].median_price == 800.0
