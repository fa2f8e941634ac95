"""End to end: the real spider and pipelines crawl the demo site (served on 127.0.0.1) into a
temporary store, on SQLite and on PostgreSQL. The crawl runs as `daihuo crawl` in a child
process, as a user would run it."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlalchemy import text

from daihuo.analysis.query_terms import query_terms
from daihuo.demo.demo_server import (
    BOILERPLATE,
    DemoServer,
    article_path,
    demo_sources,
    load_articles,
    registry_toml,
)
from storage.search import SearchRequest, search
from storage.store import Store

pytestmark = pytest.mark.slow


@pytest.fixture
def crawled(db_url, tmp_path):
    with DemoServer() as server:
        registry = tmp_path / "sources.toml"
        registry.write_text(registry_toml(demo_sources(server.base_url)), encoding="utf-8")
        env = {**os.environ, "DAIHUO_DATABASE_URL": db_url, "DAIHUO_HOME": str(tmp_path / "home")}
        # sources live in the store: import the file, then crawl them by name
        imported = subprocess.run([sys.executable, "-m", "daihuo", "sources", "import", str(registry)],
                                  env=env, capture_output=True, text=True, timeout=120)
        assert imported.returncode == 0, imported.stderr[-3000:]
        proc = subprocess.run(
            [sys.executable, "-m", "daihuo", "crawl", "demo-news", "demo-feed"],
            env=env, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr[-3000:]
        store = Store(Store.open(db_url).engine)
        yield store, server.site, proc
        store.close()


def _articles(store):
    with store.engine.connect() as conn:
        rows = conn.execute(text("SELECT id, url, title, body, script, flags FROM articles")).mappings().all()
    return {row["url"].split("/", 3)[3]: row for row in rows}


def test_demo_crawl_end_to_end(crawled):
    store, site, proc = crawled
    _, articles = load_articles()
    stored = _articles(store)
    expected = {article_path(a).lstrip("/"): a for a in articles if not a.get("private")}
    assert set(stored) == set(expected)

    for path, art in expected.items():
        row = stored[path]
        for line in BOILERPLATE + ["责任编辑", "相关新闻", "当前位置", "上一篇", "热门排行"]:
            assert line not in row["body"], f"{path}: boilerplate {line!r} leaked"
        # the article's own text survived (compare a Simplified sentence fragment)
        if not art.get("traditional"):
            assert art["paragraphs"][1][:15] in row["body"]

    # The Traditional page with pinyin readings is stored in Simplified, readings gone.
    trad = next(a for a in articles if a.get("traditional"))
    row = stored[article_path(trad).lstrip("/")]
    assert row["title"] == trad["expect"]["simplified_title"]
    assert row["script"] == "traditional"
    assert "產" not in row["body"] and "(chǎn)" not in row["body"] and "产业带" in row["body"]

    # The GBK page (charset only in <meta>) decoded correctly.
    gbk = next(a for a in articles if a.get("encoding") == "gbk")
    assert "脐橙" in stored[article_path(gbk).lstrip("/")]["body"]

    # Account cards are not article text.
    cards = next(a for a in articles if a.get("cards"))
    assert "粉丝数量" not in stored[article_path(cards).lstrip("/")]["body"]

    # robots.txt: the disallowed page was never fetched; the 404 was kept as a failed page.
    assert site.fetched("/robots.txt")
    assert not site.fetched("/private/")
    with store.engine.connect() as conn:
        failed = conn.execute(text("SELECT url, status, error_stage, error FROM raw_pages "
                                   "WHERE error IS NOT NULL ORDER BY url")).all()
        runs = conn.execute(text("SELECT status, stats FROM crawl_runs")).all()
    # Nothing vanishes: the page robots.txt forbids is a row too (refused, never fetched).
    assert [(r.url.rsplit("/", 2)[1:], r.status, r.error_stage) for r in failed] == [
        (["news", "1099.html"], 404, "fetch"), (["private", "1007.html"], 0, "fetch")]
    assert "robots" in failed[1].error and "refused" in failed[1].error
    # A 404 among the articles: the run says so.
    assert [r.status for r in runs] == ["finished_with_errors"]

    # A content-farm repost joins its original's cluster; the original is the canonical member.
    with store.engine.connect() as conn:
        clusters = conn.execute(text(
            "SELECT a.url, a.cluster_id, c.canonical_id, a.id FROM articles a "
            "LEFT JOIN clusters c ON c.id = a.cluster_id")).all()
    by_path = {r.url.split("/", 3)[3]: r for r in clusters}
    for art in articles:
        other = art.get("expect", {}).get("cluster_with")
        if other:
            mine, theirs = by_path[article_path(art).lstrip("/")], by_path[f"news/{other}.html"]
            assert mine.cluster_id is not None and mine.cluster_id == theirs.cluster_id
            assert mine.canonical_id == theirs.id
    assert sum(r.cluster_id is not None for r in clusters) == 2  # nothing else was merged

    # Searching a word from an article returns it first; platform filters use the tags.
    for art in articles:
        exp = art.get("expect", {})
        if "search_word" not in exp:
            continue
        hits = search(store.engine, SearchRequest(exp["search_word"], per_page=5), query_terms).hits
        assert hits and hits[0].url.endswith(article_path(art)), (exp["search_word"], [h.url for h in hits])
        for platform in exp.get("platforms", []):
            assert hits[0].id in {h.id for h in search(store.engine, SearchRequest(
                exp["search_word"], platform=platform), query_terms).hits}
