"""Listing pages through the article front door: `daihuo parse`, the article pipeline, and
cards that are not listings (no platform, title or price) never stored as listing rows."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from daihuo.cli.main import main
from nlp.document import Page, process_page
from pipelines.convert import document_to_record
from pipelines.storing import StorePipeline
from storage.listing_queries import query_listings
from storage.spool import Spool
from storage.store import Store

FIX = Path(__file__).parent / "fixtures" / "listings"
GRID = FIX / "market_grid.html"  # a list page in a layout of its own (not the demo's)
CARDS = FIX / "article_fieldless_cards.html"  # an article with follower/flag-only cards beside it
T0 = datetime(2026, 3, 1, tzinfo=timezone.utc)


@pytest.fixture
def runner(tmp_home):
    yield CliRunner()
    from nlp.tagging import lexicon

    lexicon.set_user_dir(None)


def parse_json(runner, *args: str) -> dict:
    res = runner.invoke(main, ["parse", *args])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def test_parse_of_a_listing_only_page_returns_its_listings_and_no_error(runner):
    out = parse_json(runner, str(GRID))
    assert out["kind"] == "listings" and out["error"] is None
    by_title = {li["title"]: li for li in out["listings"]}
    assert set(by_title) == {"家常菜教程号 12区", "萌宠日常号 7区", "乡村生活号 3区"}
    first = by_title["家常菜教程号 12区"]
    assert (first["platform"], first["followers"], first["price_low"]) == ("抖音", 125000, 3800.0)
    assert first["live_enabled"] is True and first["verified"] is True and first["blue_v"] is False
    second = by_title["萌宠日常号 7区"]
    assert second["price_low"] is None and "price_negotiable" in second["flags"]
    assert second["blue_v"] is True and second["verified"] is False  # 企业号 is blue_v, 实名 is verified
    assert set(first) >= {"key", "platform", "followers", "price_low", "verified", "blue_v"}  # the store's names


def test_parse_kind_listings_and_article(runner):
    assert len(parse_json(runner, "--kind", "listings", str(GRID))["listings"]) == 3
    as_article = parse_json(runner, "--kind", "article", str(GRID))
    assert as_article["kind"] == "article" and as_article["error"] and as_article["listings"] == []
    none = parse_json(runner, "--kind", "listings", str(CARDS))
    assert none["listings"] == [] and none["error"] == "no listings found on this page"


def test_article_with_fieldless_cards_gives_no_listing_rows(runner):
    out = parse_json(runner, str(CARDS))
    assert out["kind"] == "article" and out["error"] is None
    assert out["flags"]["listing_cards"] == 4  # the cards were seen ...
    assert out["listings"] == []  # ... but none has a platform, a title or a price


def _doc(path: Path, *, replace: tuple[str, str] | None = None):
    body = path.read_bytes()
    if replace:
        body = body.decode("utf-8").replace(*replace).encode("utf-8")
    return process_page(Page(url=f"http://site.local/{path.name}", body=body, fetched_at=T0, source="src"))


def _store(db_url) -> Store:
    store = Store.open(db_url)
    store.sync_sources([{"name": "src", "kind": "news", "config": {}}])
    return store


def test_article_with_fieldless_cards_stores_no_listing_rows(db_url):
    store = _store(db_url)
    try:
        store.write([document_to_record(_doc(CARDS))])
        assert store.counts()["articles"] == 1
        assert query_listings(store.engine) == []
    finally:
        store.close()


def test_cards_under_an_article_naming_its_platform_are_rows(db_url):
    # the same cards, the article now about 快手 accounts: the page gives them their platform
    named = ("不少返乡青年", "不少返乡青年在快手上开了账号，")
    store = _store(db_url)
    try:
        store.write([document_to_record(_doc(CARDS, replace=named))])
        rows = query_listings(store.engine)
        assert len(rows) == 4 and {r["platform"] for r in rows} == {"快手"}
    finally:
        store.close()


def test_pipeline_stores_the_listings_of_a_listing_page_fetched_as_an_article(tmp_path):
    store = _store(f"sqlite:///{tmp_path / 's.sqlite'}")
    pipe = StorePipeline(store, Spool(tmp_path / "spool"), batch_size=1)
    doc = _doc(GRID)
    assert doc.error == "no article text found"
    pipe.process_item(doc)
    rows = query_listings(store.engine)
    assert {r["title"] for r in rows} == {"家常菜教程号 12区", "萌宠日常号 7区", "乡村生活号 3区"}
    pipe.close_spider()
