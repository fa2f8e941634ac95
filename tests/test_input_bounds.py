"""Integers the database cannot hold answer 404/422, never 500; a date is YYYY-MM-DD (not a
Unix time); validation errors of our own have FastAPI's HTTPValidationError shape."""

from __future__ import annotations

import pytest
from consolesite import add_users, login
from fastapi.testclient import TestClient

from daihuo.web.app import create_app

HUGE = "99999999999999999999"  # > 2^64
MAX = str(2**31 - 1)  # the largest id an INTEGER column holds: a plain "not found"
BIG = str(2**63 - 1)  # the largest count a BIGINT holds


@pytest.fixture
def client(db_url, tmp_path, monkeypatch):
    monkeypatch.setenv("DAIHUO_HOME", str(tmp_path / "home"))
    app = create_app(db_url)
    add_users(app.state.engine)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c
    app.state.engine.dispose()


def test_big_integers_are_404_or_422(client):
    assert client.get(f"/articles/{HUGE}/").status_code == 404  # anonymous, the public site
    assert client.get(f"/articles/{MAX}/").status_code == 404
    assert client.get("/articles/-1/").status_code == 404
    login(client, "ed")
    for path in (f"/api/articles/{HUGE}", f"/api/articles/{HUGE}/tags", f"/api/clusters/{HUGE}",
                 f"/api/listings/{HUGE}/history", f"/api/runs?offset={HUGE}", f"/api/listings?min_followers={HUGE}",
                 f"/api/schedules/{HUGE}", f"/api/runs/{HUGE}", f"/api/runs/{HUGE}/log", "/api/articles/0",
                 f"/console/articles/{HUGE}", f"/console/runs/{HUGE}"):
        assert client.get(path).status_code == 422, path
    for path in (f"/api/articles/{MAX}", f"/api/schedules/{MAX}", f"/api/runs/{MAX}", f"/api/clusters/{MAX}"):
        assert client.get(path).status_code == 404, path
    assert client.get(f"/api/articles/{2**31}").status_code == 422
    assert client.get(f"/articles/{2**31}/").status_code == 404
    assert client.get(f"/api/runs?offset={BIG}").json() == []
    assert client.get(f"/api/listings?min_followers={BIG}").json() == []


def test_nul_in_a_filter_is_no_match(client):
    login(client, "ana")
    r = client.get("/api/schedules", params={"source": "demo\x00news"})
    assert r.status_code == 200 and r.json() == []


def test_dates_are_calendar_dates(client):
    login(client, "ana")
    for bad in ("0", "1700000000", "2026-13-01", "yesterday"):
        r = client.get(f"/api/search?q=直播&since={bad}")
        assert r.status_code == 422, bad
    assert client.get("/api/search?q=直播&since=2026-03-01").status_code == 200
    assert client.get("/api/listings/stats?until=0").status_code == 422


def test_preview_422_matches_the_declared_schema(client):
    login(client, "ana")
    r = client.get("/api/schedules/preview?cron=not+a+cron")
    assert r.status_code == 422
    detail = r.json()["detail"]
    assert isinstance(detail, list) and detail[0]["loc"] == ["query", "cron"]
    assert detail[0]["msg"] and detail[0]["type"] == "value_error"
