"""A crawl killed with SIGKILL half-way is resumed without losing or duplicating an item.

The demo site with 150 generated articles, slowed down server-side, is crawled by a
launched run; the test kills the run's process once some batches are stored, the orphan
is marked failed, and a resume run finishes the source. The resume run is told that every
article is due (so only the resume rule keeps it from re-fetching): it fetches none of the
articles the killed run stored, and the store ends with every article exactly once."""

from __future__ import annotations

import os
import signal
import time

import pytest
from schedsupport import ConditionalDemoServer, add_demo_source, wait_run
from sqlalchemy import func, select

from daihuo.demo.demo_server import DemoSite, article_path
from daihuo.runs import lifecycle as runs
from storage.models import Article, RawPage
from storage.store import Store

pytestmark = pytest.mark.slow
N = 150


def _stored_by(engine, run_id: int) -> set[str]:
    with engine.connect() as conn:
        rows = conn.execute(select(RawPage.url).join(Article, Article.raw_page_id == RawPage.id)
                            .where(RawPage.run_id == run_id)).scalars().all()
    return {u.split("/", 3)[3] for u in rows}


def test_killed_crawl_resumes_without_loss_or_duplicates(tmp_home, tmp_path):
    url = f"sqlite:///{tmp_path / 'resume.sqlite'}"
    store = Store.open(url)
    engine = store.engine
    site = DemoSite(synthetic=N)
    expected = {article_path(a).lstrip("/") for a in site.articles
                if not a.get("private") and not a.get("feed_only")}
    with ConditionalDemoServer(site, delay=0.03) as server:
        add_demo_source(store, server.base_url)
        first = runs.launch_run(engine, "demo-news", "schedule", db_url=url,
                                settings={"DAIHUO_STORE_BATCH": 10})
        deadline = time.monotonic() + 60
        while len(_stored_by(engine, first)) < 30:
            assert time.monotonic() < deadline, runs.read_log(engine, first)[-3000:]
            assert runs.get_run(engine, first)["status"] == "running", "finished before the kill"
            time.sleep(0.05)
        pid = runs.get_run(engine, first)["pid"]
        os.kill(pid, signal.SIGKILL)  # no cleanup of any kind
        runs._children.pop(first).wait(10)
        fetched_before_kill = {p.lstrip("/") for p, _, s in server.requests() if p.startswith("/news/")}

        assert runs.reap_orphans(engine) == [first]
        killed = runs.get_run(engine, first)
        assert killed["status"] == "failed" and "orphaned" in killed["error"]
        stored_first = _stored_by(engine, first)
        assert 30 <= len(stored_first) < len(expected)  # it really died half-way
        lost_in_flight = fetched_before_kill - stored_first  # fetched, not yet written

        server.clear()
        second = runs.resume_run(engine, first, db_url=url,
                                 settings={"DAIHUO_REVISIT_OLD_DAYS": 0, "DAIHUO_REVISIT_NEW_HOURS": 0})
        resumed = wait_run(engine, second)
        assert resumed["status"] in runs.COMPLETED, runs.read_log(engine, second)[-3000:]
        refetched = {p.lstrip("/") for p, _, _ in server.requests() if p.startswith("/news/")}

    stored_second = _stored_by(engine, second)
    assert not refetched & stored_first  # nothing the killed run stored was fetched again
    assert lost_in_flight <= refetched  # what it fetched but never wrote was fetched again
    assert stored_first | stored_second == expected  # nothing lost
    assert not stored_first & stored_second  # nothing stored twice
    s = runs.get_run(engine, second)["stats"]
    assert s["daihuo/stored"] == len(expected) - len(stored_first)
    assert s.get("daihuo/updated", 0) == 0 and s.get("daihuo/dropped", 0) == 0
    with engine.connect() as conn:  # a page robots.txt refused in the first run is known too
        refused_first = conn.execute(select(func.count()).select_from(RawPage).where(
            RawPage.run_id == first, RawPage.status == 0, RawPage.error.like("refused%"))).scalar()
    assert s["daihuo/incremental/skipped"] == len(stored_first) + refused_first
    with engine.connect() as conn:
        per_url = conn.execute(select(RawPage.url, func.count()).group_by(RawPage.url)
                               .having(func.count() > 1)).all()
        articles = conn.execute(select(func.count()).select_from(Article)).scalar()
    assert per_url == [] and articles == len(expected)
    assert resumed["resumed_from"] == first and resumed["trigger"] == "resume"
    store.close()
