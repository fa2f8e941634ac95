"""Quality checks of runs against the source's recent runs: zero items, a drop in body length
or field coverage, date-parse failures, error rate; a failed check marks the run and posts
to the webhooks (a local receiver on 127.0.0.1)."""

from __future__ import annotations

from datetime import datetime, timezone
from itertools import count

import pytest
from webhook_receiver import Receiver

from daihuo.runs import lifecycle as runs
from daihuo.runs import quality, webhooks
from storage.records import ArticleRecord, PageRecord, RawRecord
from storage.store import Store

T = datetime(2026, 3, 2, tzinfo=timezone.utc)
_n = count()
GOOD_BODY = "直播电商的主播们在产业带里开播,商家说直播间的转化率比去年高了不少。" * 10
OK_STATS = {"downloader/request_count": 12, "downloader/response_status_count/200": 12,
            "item_scraped_count": 10}


@pytest.fixture
def store(tmp_path):
    s = Store.open(f"sqlite:///{tmp_path / 'q.sqlite'}")
    s.sync_sources([{"name": "src", "kind": "news", "config": {}}])
    yield s
    s.close()


def fake_run(store, *, n=10, body=GOOD_BODY, dated=True, authors=True, stats=None, status="finished"):
    run_id = runs.create_run(store.engine, "src", "schedule")
    recs = []
    for _ in range(n):
        i = next(_n)
        url = f"https://src.example.com/n/{i}.html"
        art = ArticleRecord(url=url, canonical_url=url, title=f"第{i}篇", published_at=T if dated else None,
                            body=f"{i}:{body}", script="simplified", content_hash=f"h{i}",
                            authors=["记者"] if authors else [])
        recs.append(PageRecord(raw=RawRecord(url=url, status=200, fetched_at=T, html=b"<p></p>",
                                             source="src", run_id=run_id), article=art))
    store.write(recs)
    store.finish_run(run_id, status, dict(OK_STATS if stats is None else stats))
    return run_id


def failed(report):
    return {c["name"] for c in report["checks"] if not c["ok"]}


def test_healthy_runs_pass(store):
    for _ in range(3):
        report = quality.check_run(store.engine, fake_run(store))
        assert report["status"] == "passed" and failed(report) == set()
    assert report["baseline"]["runs"] == 2 and report["metrics"]["articles"] == 10
    assert runs.get_run(store.engine, fake_run(store))["quality"] is None  # not checked yet


def test_zero_items_fails(store):
    run_id = fake_run(store, n=0, stats={"downloader/request_count": 3,
                                         "downloader/response_status_count/200": 3})
    report = quality.check_run(store.engine, run_id)
    assert failed(report) == {"zero_items"}
    assert runs.get_run(store.engine, run_id)["quality"] == "failed"


def test_known_articles_skipped_by_an_incremental_run_are_not_zero_items(store):
    run_id = fake_run(store, n=0, stats={"downloader/request_count": 3, "daihuo/incremental/skipped": 9})
    assert quality.check_run(store.engine, run_id)["status"] == "passed"


def test_body_length_and_coverage_drop_against_recent_runs(store):
    for _ in range(3):
        quality.check_run(store.engine, fake_run(store))
    teaser = quality.check_run(store.engine, fake_run(store, body="点击阅读全文"))
    assert failed(teaser) == {"body_length"}
    assert "usually" in next(c for c in teaser["checks"] if c["name"] == "body_length")["detail"]
    no_authors = quality.check_run(store.engine, fake_run(store, authors=False))
    assert failed(no_authors) == {"field_coverage"}


def test_date_parse_failures(store):
    # first run of a source without dates: flagged; a source that never has dates is not
    report = quality.check_run(store.engine, fake_run(store, dated=False))
    assert failed(report) == {"date_parse"}


def test_date_parse_failures_vs_usual(store):
    for _ in range(2):
        quality.check_run(store.engine, fake_run(store))
    assert failed(quality.check_run(store.engine, fake_run(store, dated=False))) >= {"date_parse"}


def test_error_rate(store):
    stats = {"downloader/request_count": 10, "downloader/response_status_count/200": 6,
             "downloader/response_status_count/503": 3, "downloader/exception_count": 2,
             "downloader/exception_type_count/scrapy.exceptions.IgnoreRequest": 1,
             "item_scraped_count": 6}
    report = quality.check_run(store.engine, fake_run(store, n=6, stats=stats))
    assert failed(report) == {"error_rate"} and report["metrics"]["error_rate"] == 0.4


def test_failed_check_notifies_webhooks_and_healthy_run_does_not(store):
    with Receiver() as rx:
        webhooks.add_webhook(store.engine, "team", rx.url("/wecom"), "wecom")
        webhooks.add_webhook(store.engine, "ops", rx.url("/json"), "json")
        quality.check_and_notify(store.engine, fake_run(store))
        assert rx.posts == []
        bad = fake_run(store, n=0, stats={"downloader/request_count": 2})
        report = quality.check_and_notify(store.engine, bad, base_url="http://127.0.0.1:8000")
        assert report["notified"] == {"team": "ok", "ops": "ok"}
        crashed = fake_run(store, status="failed")
        quality.check_and_notify(store.engine, crashed)
    by_path = {}
    for p in rx.posts:
        by_path.setdefault(p["path"], []).append(p["json"])
    first = by_path["/json"][0]
    assert first["event"] == "quality_failed" and first["run_id"] == bad
    assert first["url"] == f"http://127.0.0.1:8000/console/runs/{bad}"
    assert [c["name"] for c in first["checks"] if not c["ok"]] == ["zero_items"]
    assert f"run #{bad}" in by_path["/wecom"][0]["markdown"]["content"]
    assert by_path["/json"][1]["event"] == "run_failed" and by_path["/json"][1]["run_id"] == crashed
