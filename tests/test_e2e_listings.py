"""End to end for listings: the demo account-trading site is crawled twice by the real
listing spider; between crawls one price changes and one listing disappears."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
from sqlalchemy import text

from daihuo.demo.demo_listings import listing_source
from daihuo.demo.demo_server import DemoServer, registry_toml
from storage.listing_queries import price_history, query_listings
from storage.store import Store

pytestmark = pytest.mark.slow
PHONE = re.compile(r"1[3-9]\d{9}")


def crawl(registry, db_url, home):
    env = {**os.environ, "DAIHUO_DATABASE_URL": db_url, "DAIHUO_HOME": str(home)}
    for args in (["sources", "import", str(registry)], ["crawl", "demo-listings"]):
        proc = subprocess.run([sys.executable, "-m", "daihuo", *args], env=env,
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.returncode == 0, proc.stderr[-3000:]


def test_listings_tracked_over_two_crawls(db_url, tmp_path):
    with DemoServer() as server:
        site = server.site.listings
        registry = tmp_path / "sources.toml"
        registry.write_text(registry_toml([{**listing_source(server.base_url), "removed_after": 1}]),
                            encoding="utf-8")
        crawl(registry, db_url, tmp_path)
        changed, gone = site.listings[0], site.listings[1]
        first_price = changed.price_low
        site.set_price(changed.id, "¥88,888")
        site.remove(gone.id)
        crawl(registry, db_url, tmp_path)

    engine = Store.open(db_url).engine
    rows = query_listings(engine)
    by_key = {r["key"]: r for r in rows}
    truth = {str(li.id): li for li in site.listings}
    assert len(rows) == len(by_key)  # no duplicate listings
    assert set(by_key) >= set(truth) | {str(gone.id)}

    # parsed fields match what the site shows
    for key, li in truth.items():
        r = by_key[key]
        assert (r["platform"], r["category"], r["followers"]) == (li.platform, li.category, li.followers_n)
        assert r["verified"] is li.verified and r["live_enabled"] is li.live_enabled

    hist = price_history(engine, by_key[str(changed.id)]["id"])
    assert [h["price_low"] for h in hist] == [first_price, 88888.0]
    assert by_key[str(gone.id)]["status"] == "removed"
    assert [h["status"] for h in price_history(engine, by_key[str(gone.id)]["id"])] == ["active", "removed"]
    unchanged = next(k for k in truth if k != str(changed.id))
    assert len(price_history(engine, by_key[unchanged]["id"])) == 1  # seen twice, one snapshot

    # contact details never reach the listing records
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT title, fields, flags FROM listings")).all()
    blob = json.dumps([tuple(r) for r in stored], ensure_ascii=False, default=str)
    assert not PHONE.search(blob)
    assert all(li.contact not in blob for li in site.listings)
    engine.dispose()
