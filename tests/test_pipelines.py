"""The Scrapy item pipelines as plain objects (no crawl): stage adapters, in-run dedup,
and the store pipeline's spool when the store is down."""

from datetime import datetime, timezone

import pytest
from scrapy.exceptions import DropItem
from scrapy.settings import Settings
from scrapy.statscollectors import MemoryStatsCollector
from sqlalchemy.exc import OperationalError

from daihuo.demo.demo_server import DemoSite
from nlp.document import Document, Page
from pipelines import stages
from pipelines.dedup import DedupPipeline
from pipelines.storing import StorePipeline
from storage.spool import Spool
from storage.store import Store


class FakeCrawler:
    def __init__(self):
        self.settings = Settings()
        self.stats = MemoryStatsCollector(self)


def demo_page(path="/news/1001.html", url=None):
    status, ctype, body = DemoSite().respond(path, "http://127.0.0.1:1")
    return Page(url=url or f"http://127.0.0.1:1{path}", body=body, status=status,
                headers={"Content-Type": ctype}, fetched_at=datetime(2026, 3, 20, tzinfo=timezone.utc),
                source="demo-news")


STAGES = [stages.FetchCheckPipeline, stages.DecodePipeline, stages.ExtractPipeline,
          stages.TextPipeline, stages.SegmentPipeline, stages.TagPipeline, stages.FingerprintPipeline]


def run_stages(page, crawler=None):
    item = page
    for cls in STAGES:
        item = cls(crawler).process_item(item)
    return item


def test_stages_turn_a_page_into_a_tagged_document():
    crawler = FakeCrawler()
    doc = run_stages(demo_page(), crawler)
    assert isinstance(doc, Document) and doc.ok
    assert doc.title.startswith("快手电商") and "快手" in [p.name for p in doc.tags.platforms]
    assert crawler.stats.get_value("daihuo/time_ms/extract") > 0


def test_a_failed_stage_is_recorded_and_later_stages_skip():
    crawler = FakeCrawler()
    doc = run_stages(demo_page("/news/1099.html"), crawler)
    assert (doc.error_stage, doc.error) == ("fetch", "HTTP 404")
    assert crawler.stats.get_value("daihuo/failed/fetch") == 1
    assert doc.tags is None and "extract" not in doc.timings


def test_dedup_drops_same_url_and_same_body_within_a_run():
    crawler = FakeCrawler()
    dedup = DedupPipeline(crawler)
    dedup.process_item(run_stages(demo_page()))
    with pytest.raises(DropItem, match="duplicate_url"):
        dedup.process_item(run_stages(demo_page()))
    with pytest.raises(DropItem, match="duplicate_body"):  # same page under another URL
        dedup.process_item(run_stages(demo_page(url="http://127.0.0.1:1/mirror/1001.html")))
    assert crawler.stats.get_value("daihuo/dropped") == 2


def test_store_outage_spools_then_replays(tmp_path, monkeypatch):
    store = Store.open(f"sqlite:///{tmp_path / 's.sqlite'}")
    store.sync_sources([{"name": "demo-news", "kind": "news", "config": {}}])
    crawler = FakeCrawler()
    pipe = StorePipeline(store, Spool(tmp_path / "spool"), batch_size=1, stats=crawler.stats)
    real_write = store.write

    def down(records):
        raise OperationalError("INSERT", {}, Exception("server closed the connection"))

    monkeypatch.setattr(store, "write", down)
    pipe.process_item(run_stages(demo_page()))
    assert list((tmp_path / "spool").glob("batch-*.jsonl"))
    assert crawler.stats.get_value("daihuo/spooled") == 1
    monkeypatch.setattr(store, "write", real_write)
    pipe.process_item(run_stages(demo_page("/news/1002.html")))  # next flush replays the spool
    assert store.counts()["articles"] == 2
    assert not list((tmp_path / "spool").glob("batch-*.jsonl"))
    pipe.close_spider()


def test_auto_publish_rules_decide_on_arrival(tmp_path):
    from sqlalchemy import text

    from editorial.rules import add_rule

    store = Store.open(f"sqlite:///{tmp_path / 's.sqlite'}")
    store.sync_sources([{"name": "demo-news", "kind": "news", "config": {}}])
    add_rule(store.engine, "kuaishou", "platform 快手", "approve", "test")
    crawler = FakeCrawler()
    pipe = StorePipeline(store, Spool(tmp_path / "spool"), batch_size=2, stats=crawler.stats)
    pipe.process_item(run_stages(demo_page("/news/1001.html")))  # 快手
    pipe.process_item(run_stages(demo_page("/news/1002.html")))  # 抖音
    with store.engine.connect() as conn:
        status = dict(conn.execute(text("SELECT url, status FROM articles")).all())
        events = conn.execute(text("SELECT action, actor, reason FROM curation_events")).all()
    assert status["http://127.0.0.1:1/news/1001.html"] == "approved"
    assert status["http://127.0.0.1:1/news/1002.html"] == "new"
    assert len(events) == 1 and events[0].actor == "rule:kuaishou" and "kuaishou" in events[0].reason
    assert crawler.stats.get_value("daihuo/auto/approve") == 1
    pipe.close_spider()
