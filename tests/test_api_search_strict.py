"""The search API: exact totals, browsing without a query, filter values resolved (aliases
to canonical names, unknown ones a 422 naming the closest), unknown parameters a 422."""

import pytest
from test_api import client, rec  # noqa: F401  (the API test's store and login)


def test_browse_without_a_query_and_exact_totals(client):  # noqa: F811
    r = client.get("/api/search", params={"platform": "快手", "expand": "true"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total"] == len(body["hits"]) == 2 and body["total_exact"]
    assert dict((f["value"], f["count"]) for f in body["facets"]["platform"]) == {"快手": 2}
    r = client.get("/api/search")
    assert r.status_code == 400 and "filter" in r.json()["detail"]


@pytest.mark.parametrize("value", ["小红薯", "xiaohongsu"])
def test_an_unknown_platform_is_a_422_naming_the_closest(client, value):  # noqa: F811
    r = client.get("/api/search", params={"q": "快手", "platform": value})
    assert r.status_code == 422 and "小红书" in r.json()["detail"][0]["msg"] and value in r.json()["detail"][0]["msg"]


def test_aliases_are_canonical_platforms(client):  # noqa: F811
    body = client.get("/api/search", params={"q": "快手", "platform": "xiaohongshu"}).json()
    assert body["total"] == 0 and body["filters"] == {"platform": "小红书"}
    r = client.get("/api/search", params={"q": "快手", "platform": "Kuaishou", "expand": "true"})
    assert r.status_code == 200 and r.json()["total"] == 2


def test_an_unknown_query_parameter_is_a_422(client):  # noqa: F811
    r = client.get("/api/search", params={"q": "快手", "limit": 2})
    assert r.status_code == 422
    msg = r.json()["detail"][0]["msg"]
    assert "limit" in msg and "per_page" in msg
    assert client.get("/api/search", params={"q": "快手", "per_page": 2}).status_code == 200
    assert client.get("/api/listings", params={"min_follower": 5}).status_code == 422


def test_trend_values_resolve_like_filters(client):  # noqa: F811
    rows = client.get("/api/trends", params={"kind": "platform", "value": "kuaishou"}).json()
    assert rows and {r["value"] for r in rows} == {"快手"}
    r = client.get("/api/trends", params={"kind": "platform", "value": "小红薯"})
    assert r.status_code == 422 and "小红书" in r.json()["detail"][0]["msg"]
