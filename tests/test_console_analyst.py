"""The analysts' console: search with clickable facet counts, date range, sort, browsing
without a keyword, export of the current view; trends and listing charts (server-side SVG
with a table beside each); unknown filter values named with the closest known ones."""

from __future__ import annotations

import csv
import io
import re
from html import unescape

import pytest
from analystdata import make_analyst_store
from consolesite import login
from fastapi.testclient import TestClient

from daihuo.web.app import create_app


@pytest.fixture
def ana(db_url):
    store, ids = make_analyst_store(db_url)
    with TestClient(create_app(db_url), follow_redirects=False) as c:
        login(c, "ana")
        yield c, store, ids
    store.close()


def _facets(html: str) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for name, body in re.findall(r'<section data-facet="(\w+)">(.*?)</section>', html, re.S):
        out[name] = {unescape(v): int(n) for v, n in re.findall(r'>([^<>]+)</a> <span class="count">(\d+)</span>', body)}
    return out


def test_facets_have_counts_and_links_that_filter(ana):
    c, *_ = ana
    r = c.get("/console/search", params={"q": "直播", "expand": "true"})
    assert r.status_code == 200
    total = int(re.search(r'<strong class="total">(\d+)</strong>', r.text).group(1))
    facets = _facets(r.text)
    assert facets["platform"] and sum(facets["month"].values()) == total
    platform, n = next(iter(facets["platform"].items()))
    link = unescape(re.search(r'<section data-facet="platform">.*?<a href="([^"]+)"', r.text, re.S).group(1))
    narrowed = c.get(link)
    assert int(re.search(r'<strong class="total">(\d+)</strong>', narrowed.text).group(1)) == n
    assert 'aria-current="true"' in narrowed.text


def test_browse_without_a_keyword_with_dates_and_sort(ana):
    c, *_ = ana
    assert "按筛选条件浏览" in c.get("/console/search").text  # nothing searched without a filter
    r = c.get("/console/search", params={"platform": "快手", "sort": "date", "expand": "true"})
    assert r.status_code == 200 and "没有符合条件的结果" not in r.text
    total = int(re.search(r'<strong class="total">(\d+)</strong>', r.text).group(1))
    assert total > 0 and _facets(r.text)["platform"]["快手"] == total
    months = _facets(r.text)["month"]
    month = sorted(months)[0]
    r2 = c.get("/console/search", params={"platform": "快手", "since": f"{month}-01", "until": f"{month}-28",
                                         "expand": "true"})
    assert int(re.search(r'<strong class="total">(\d+)</strong>', r2.text).group(1)) <= months[month]


@pytest.mark.parametrize("value", ["小红薯", "xiaohongsu"])
def test_unknown_platform_names_the_closest(ana, value):
    c, *_ = ana
    r = c.get("/console/search", params={"q": "直播", "platform": value})
    assert r.status_code == 200 and "未知的平台" in r.text and "小红书" in r.text
    assert c.get("/console/search/export", params={"q": "直播", "platform": value}).status_code == 400


def test_export_of_the_current_view_is_complete_with_a_bom(ana):
    c, *_ = ana
    page = c.get("/console/search", params={"q": "直播", "expand": "true"}).text
    total = int(re.search(r'<strong class="total">(\d+)</strong>', page).group(1))
    href = unescape(re.search(r'<a class="export" href="([^"]+)"', page).group(1))
    r = c.get(href)
    assert r.status_code == 200 and r.content.startswith(b"\xef\xbb\xbf")
    assert r.headers["x-total-count"] == str(total)
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert len(rows) == total and not any("【" in row["snippet"] for row in rows)


def test_parquet_export_has_the_csv_rows_with_typed_timestamps(ana):
    pytest.importorskip("pyarrow", reason="Parquet is optional: pip install -e '.[parquet]'")
    import pyarrow as pa
    import pyarrow.parquet as pq

    c, *_ = ana
    page = c.get("/console/search", params={"q": "直播", "expand": "true", "sort": "date"}).text
    href = unescape(re.search(r'<a class="export-parquet" href="([^"]+)"', page).group(1))
    r = c.get(href)
    assert r.status_code == 200 and r.content.startswith(b"PAR1")
    table = pq.read_table(io.BytesIO(r.content))
    assert table.schema.field("published_at").type == pa.timestamp("us", tz="UTC")
    rows = list(csv.DictReader(io.StringIO(c.get(href.replace("fmt=parquet", "fmt=csv")).content.decode("utf-8-sig"))))
    got = table.to_pylist()
    assert len(got) == len(rows) == int(r.headers["x-total-count"]) > 0
    assert [g["id"] for g in got] == [int(row["id"]) for row in rows]  # the same rows, same order
    assert [g["published_at"].isoformat() if g["published_at"] else "" for g in got] == \
        [row["published_at"] for row in rows]


def test_parquet_export_without_pyarrow_says_what_to_install(ana, monkeypatch):
    import daihuo.analysis.export as export

    monkeypatch.setattr(export, "parquet_available", lambda: False)
    c, *_ = ana
    page = c.get("/console/search", params={"q": "直播"}).text
    assert "export-parquet" not in page and 'class="export"' in page
    r = c.get("/console/search/export", params={"q": "直播", "fmt": "parquet"})
    assert r.status_code == 501 and "pyarrow" in r.text and "服务器没有安装" in r.text


def test_trends_chart_with_its_table_switches_kind_and_interval(ana):
    c, *_ = ana
    for kind, interval in (("platform", "week"), ("topic", "day")):
        r = c.get("/console/trends", params={"kind": kind, "interval": interval})
        assert r.status_code == 200
        assert '<svg class="chart" id="trend-chart"' in r.text and 'role="img"' in r.text
        assert '<table class="grid" id="trend-table">' in r.text
        assert ("每周" if interval == "week" else "每日") in r.text
    assert "cdn" not in r.text.lower() and "<script" not in r.text.split("</head>")[1]
    assert c.get("/console/trends", params={"kind": "platform", "bogus": "1"}).status_code == 200


def test_listing_stats_and_price_history(ana):
    c, store, _ = ana
    r = c.get("/console/listing-stats")
    assert r.status_code == 200
    assert 'id="price-chart"' in r.text and 'id="follower-chart"' in r.text and 'id="listing-stats"' in r.text
    assert "快手" in r.text and "美食" in r.text and "6,000" in r.text  # its one listing, at its latest price
    link = re.search(r'href="(/console/listings/\d+)">美食探店号', r.text).group(1)
    h = c.get(link)
    assert h.status_code == 200 and 'id="price-history"' in h.text and 'id="price-table"' in h.text
    assert h.text.count("<polyline") == 1 and h.text.count('<tr><th scope="row">') == 3
    assert c.get("/console/listings/99999").status_code == 404
    # a platform alias finds the listings; an unknown platform is said, with the ones there are
    alias = c.get("/console/listing-stats", params={"platform": "kuaishou"})
    assert alias.status_code == 200 and "美食" in alias.text
    unknown = c.get("/console/listings", params={"platform": "火星台"})
    assert unknown.status_code == 400 and "账号里没有平台“火星台”" in unknown.text and "快手" in unknown.text


def test_empty_and_bad_dates_from_the_form(ana):
    c, *_ = ana
    r = c.get("/console/search", params={"q": "直播", "since": "", "until": ""})
    assert r.status_code == 200 and '<strong class="total">' in r.text
    r = c.get("/console/search", params={"q": "直播", "since": "2026-13-01"})
    assert r.status_code == 200 and "不是有效日期" in r.text
    r = c.get("/console/trends", params={"since": "昨天"})
    assert r.status_code == 400 and "不是有效日期" in r.text
