"""The JSON API over a small store (FastAPI's TestClient, no server)."""

from datetime import datetime, timedelta, timezone

import pytest
from fastapi.testclient import TestClient
from sitedata import page_record

from daihuo.web.app import create_app
from storage.records import ListingRecord
from storage.store import Store

CN = timezone(timedelta(hours=8))
T = datetime(2026, 3, 2, 10, 0, tzinfo=CN)


def rec(url, title, body, terms, platforms, published=T, fp=None):  # noqa: ANN001, ANN201
    return page_record(url, title=title, body=body, terms=terms, platforms=platforms,
                       published=published, fp=fp, band_key=7)


@pytest.fixture
def client(tmp_path):
    url = f"sqlite:///{tmp_path / 'api.sqlite'}"
    store = Store.open(url, similar=lambda a, b: a == b)
    store.sync_sources([{"name": "s", "kind": "news", "config": {}}, {"name": "acc", "kind": "listings", "config": {}}])
    store.write([
        rec("http://a/1", "快手电商扶持计划", "快手电商发布扶持计划,主播受益。", ("快手 电商 扶持 计划", "快手 电商 扶持 计划 主播"),
            ["快手"], fp=b"same"),
        rec("http://b/1", "快手电商扶持计划(转载)", "快手电商发布扶持计划,主播受益!", ("快手 电商 扶持 计划", "快手 电商 扶持 计划 主播"),
            ["快手"], published=T + timedelta(days=1), fp=b"same"),
        rec("http://c/1", "抖音品牌自播", "品牌自播成为常态。", ("抖音 品牌 自播", "品牌 自播 常态"), ["抖音"],
            published=T + timedelta(days=8)),
    ])
    run = store.start_run(["acc"])
    store.write_listings("acc", run, T, [ListingRecord(key="9", platform="快手", category="美食",
                                                       followers=100000, price_low=5000.0, price_high=5000.0)])
    store.close()
    from daihuo.web.accounts import create_user

    with TestClient(create_app(url)) as c:
        create_user(c.app.state.engine, "ana", "analyst-password", "analyst")
        assert c.get("/api/articles/1").status_code == 401  # nothing without a login
        r = c.post("/api/auth/login", json={"name": "ana", "password": "analyst-password"})
        assert r.status_code == 200 and r.json()["role"] == "analyst"
        yield c


def test_openapi_documents_the_routes(client):
    spec = client.get("/openapi.json").json()
    for path in ("/api/search", "/api/articles/{article_id}", "/api/clusters/{cluster_id}", "/api/trends",
                 "/api/listings", "/api/listings/stats"):
        assert path in spec["paths"]


def test_article_and_cluster(client):
    art = client.get("/api/articles/1").json()
    assert art["title"] == "快手电商扶持计划" and art["also_at"][0]["url"] == "http://b/1"
    assert client.get("/api/articles/1/tags").json()[0]["value"] == "快手"
    cluster = client.get(f"/api/clusters/{art['cluster_id']}").json()
    assert cluster["size"] == 2 and cluster["members"][0]["canonical"] is True
    assert client.get("/api/articles/99").status_code == 404
    assert client.get("/api/clusters/99").status_code == 404


def test_trends_and_listings(client):
    weeks = client.get("/api/trends", params={"interval": "week"}).json()
    assert {(r["period"], r["value"], r["articles"]) for r in weeks} == {
        ("2026-03-02", "快手", 2), ("2026-03-09", "抖音", 1)}
    assert client.get("/api/trends", params={"interval": "hour"}).status_code == 422
    (li,) = client.get("/api/listings", params={"platform": "快手"}).json()
    assert li["followers"] == 100000
    (stats,) = client.get("/api/listings/stats").json()
    assert stats["median_price"] == 5000.0 and stats["median_price_per_10k"] == 500.0
    assert len(client.get(f"/api/listings/{li['id']}/history").json()) == 1
