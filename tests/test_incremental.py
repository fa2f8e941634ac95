"""Incremental re-crawls of the demo site (served on 127.0.0.1, with ETag/Last-Modified), each
run launched as its own process like the scheduler does: an unchanged site is re-read as
list pages only (default policy) or list pages plus conditional requests (revisit policy
set to "everything is due"), and stores nothing new — asserted from the runs' stats, the
server's log and the store. A changed article is stored again; a server without
validators is covered by the content hash."""

from __future__ import annotations

import pytest
from schedsupport import ConditionalDemoServer, add_demo_source, wait_run
from sqlalchemy import func, select

from daihuo.runs import lifecycle as runs
from storage.models import Article, RawPage
from storage.store import Store

pytestmark = pytest.mark.slow
REVISIT_ALL = {"DAIHUO_REVISIT_OLD_DAYS": 0, "DAIHUO_REVISIT_NEW_HOURS": 0}
LIST_PAGES = ("/robots.txt", "/", "/list_")


def _counts(engine) -> tuple[int, int]:
    with engine.connect() as conn:
        return (conn.execute(select(func.count()).select_from(RawPage)).scalar(),
                conn.execute(select(func.count()).select_from(Article)).scalar())


def _crawl(store, url, settings=None) -> dict:
    run_id = runs.launch_run(store.engine, "demo-news", "manual", db_url=url, settings=settings)
    run = wait_run(store.engine, run_id)
    assert run["status"] in runs.COMPLETED, runs.read_log(store.engine, run_id)[-3000:]
    return runs.get_run(store.engine, run_id)


@pytest.fixture
def store(tmp_home, tmp_path):
    url = f"sqlite:///{tmp_path / 'incr.sqlite'}"
    s = Store.open(url)
    yield s, url
    s.close()


def test_unchanged_site_recrawl_stores_nothing(store):
    store, url = store
    with ConditionalDemoServer() as server:
        add_demo_source(store, server.base_url)
        first = _crawl(store, url)
        articles = {p for p, _, status in server.requests() if p.startswith("/news/") and status == 200}
        assert first["summary"]["stored"] == len(articles) == 7
        before = _counts(store.engine)

        # default policy: the demo articles are months old, so only list pages are fetched
        server.clear()
        second = _crawl(store, url)
        fetched = [p for p, _, _ in server.requests()]
        assert fetched and all(p == "/" or p.startswith(LIST_PAGES) for p in fetched), fetched
        s = second["stats"]
        assert s["daihuo/incremental/skipped"] == len(articles) + 2  # the known 404 and robots refusal
        assert s.get("daihuo/stored", 0) == s.get("daihuo/updated", 0) == 0
        assert s["downloader/request_count"] == len(fetched)
        assert _counts(store.engine) == before

        # everything due: list pages plus conditional requests, every answer a 304
        server.clear()
        third = _crawl(store, url, REVISIT_ALL)
        log = server.requests()
        news = [(p, cond, status) for p, cond, status in log if p.startswith("/news/")]
        assert {p for p, _, _ in news if p in articles} == articles
        assert all(cond and status == 304 for p, cond, status in news if p in articles), news
        assert all(p == "/" or p.startswith(LIST_PAGES) for p, _, _ in log if not p.startswith("/news/"))
        s = third["stats"]
        assert s["downloader/response_status_count/304"] == len(articles)
        assert s["daihuo/incremental/not_modified"] == len(articles)
        assert s["daihuo/incremental/conditional"] == len(articles)
        assert s["daihuo/incremental/still_failing"] == 1  # the 404 is not stored again either
        assert s.get("daihuo/stored", 0) == s.get("daihuo/updated", 0) == s.get("item_scraped_count", 0) == 0
        assert _counts(store.engine) == before
        assert third["quality"] == "passed", third["quality_report"]

        # one article changes on the site: only it is stored again
        art = server.site.by_path["/news/1001.html"]
        art["paragraphs"] = art["paragraphs"] + ["编者按:本文发布后,多个品牌方补充了直播间的最新成交数据,现更新如下。"]
        server.clear()
        fourth = _crawl(store, url, REVISIT_ALL)
        s = fourth["stats"]
        assert s.get("daihuo/updated", 0) == 1 and s.get("daihuo/stored", 0) == 0
        assert s["daihuo/incremental/not_modified"] == len(articles) - 1
        assert ("/news/1001.html", True, 200) in server.requests()
        with store.engine.connect() as conn:
            body = conn.execute(select(Article.body).where(Article.url.like("%/news/1001.html"))).scalar()
        assert "编者按" in body


def test_server_without_validators_is_covered_by_the_content_hash(store):
    store, url = store
    with ConditionalDemoServer(validators=False) as server:
        add_demo_source(store, server.base_url)
        _crawl(store, url)
        before = _counts(store.engine)
        server.clear()
        again = _crawl(store, url, REVISIT_ALL)
        news = [(p, cond) for p, cond, _ in server.requests() if p.startswith("/news/")]
        assert news and not any(cond for _, cond in news)  # nothing to be conditional with
        s = again["stats"]
        assert s["daihuo/incremental/unchanged_body"] == 7
        assert s.get("item_scraped_count", 0) == 0 and s.get("daihuo/stored", 0) == 0
        assert _counts(store.engine) == before
