"""Analyst read queries on both engines: article detail with "also at", trends in China time."""

from datetime import datetime, timedelta, timezone

import pytest
from sitedata import page_record

from storage.queries import article_detail, cluster_members, trends
from storage.store import Store

CN = timezone(timedelta(hours=8))


def rec(url, published, platforms, fp=None):  # noqa: ANN001, ANN201
    return page_record(url, published=published, platforms=platforms, fp=fp)


@pytest.fixture
def store(db_url):
    s = Store.open(db_url, similar=lambda a, b: True)
    s.sync_sources([{"name": "s", "kind": "news", "config": {}}])
    yield s
    s.close()


def test_trends_bucket_by_china_day_and_monday_weeks(store):
    store.write([
        rec("http://a/1", datetime(2026, 3, 1, 23, 30, tzinfo=CN), ["快手"]),        # Sunday
        rec("http://a/2", datetime(2026, 3, 2, 0, 30, tzinfo=CN), ["快手", "抖音"]),  # Monday
        rec("http://a/3", datetime(2026, 3, 4, 12, 0, tzinfo=CN), ["抖音"]),
    ])
    days = {(r["period"], r["value"]): r["articles"] for r in trends(store.engine, interval="day")}
    assert days == {("2026-03-01", "快手"): 1, ("2026-03-02", "快手"): 1, ("2026-03-02", "抖音"): 1,
                    ("2026-03-04", "抖音"): 1}
    weeks = {(r["period"], r["value"]): r["articles"] for r in trends(store.engine, interval="week")}
    assert weeks == {("2026-02-23", "快手"): 1, ("2026-03-02", "快手"): 1, ("2026-03-02", "抖音"): 2}
    only = trends(store.engine, values=["抖音"], since=datetime(2026, 3, 3, tzinfo=CN))
    assert [(r["period"], r["value"]) for r in only] == [("2026-03-04", "抖音")]
    with pytest.raises(ValueError):
        trends(store.engine, interval="hour")


def test_article_detail_lists_the_other_members(store):
    t = datetime(2026, 3, 1, tzinfo=CN)
    store.write([rec("http://a/1", t, ["快手"], fp=b"x"), rec("http://b/1", t + timedelta(hours=1), [], fp=b"y")])
    ids = {m["url"]: m["id"] for m in cluster_members(store.engine, 1)}
    detail = article_detail(store.engine, ids["http://a/1"])
    assert detail["source"] == "s" and [t["value"] for t in detail["tags"]] == ["快手"]
    assert [m["url"] for m in detail["also_at"]] == ["http://b/1"]
    assert detail["published_at"] == t
    assert article_detail(store.engine, 999) is None


def test_analyst_views(store):
    from sqlalchemy import text

    store.write([rec("http://a/1", datetime(2026, 3, 1, tzinfo=CN), ["快手", "抖音"])])
    with store.engine.connect() as conn:
        row = conn.execute(text("SELECT title, source, platforms FROM article_overview")).one()
        plats = conn.execute(text("SELECT platform FROM article_platforms ORDER BY platform")).scalars().all()
    assert row.title == "http://a/1" and row.source == "s"
    assert sorted(row.platforms.split(",")) == ["快手", "抖音"] == sorted(plats)
