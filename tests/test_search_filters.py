"""Filters as index words (storage.facets, migration 0011): tag and source filters are matched
by the engine, agree with the tags table, never match the user's words, and survive
re-tagging and a downgrade/upgrade of the schema."""

import hashlib
from dataclasses import replace

import pytest
from alembic import command
from sqlalchemy import text
from test_search_corpus import ARTICLES, SOURCES, T0, load, records, terms

from daihuo.analysis.query_terms import query_terms
from storage.db import alembic_config
from storage.facets import MARK, facet_terms, facet_token
from storage.records import ArticleRecord, PageRecord, RawRecord, TagRecord
from storage.search import SearchRequest, search
from storage.store import Store


def hits(store, query, **kw):
    res = search(store.engine, SearchRequest(query, collapse=False, per_page=100, facets=False, **kw), query_terms)
    return {h.id for h in res.hits}


def tagged(store, kind, value):
    with store.engine.connect() as conn:
        return set(conn.execute(text("SELECT article_id FROM tags WHERE kind = :k AND value = :v"),
                                {"k": kind, "v": value}).scalars())


# -- tokens (no database) -------------------------------------------------------------------
def test_tokens_are_single_words_that_keep_values_apart():
    assert facet_token("platform", "快手") == MARK + "p快手"
    assert facet_token("topic", "快手") == MARK + "t快手"  # the kind is part of the word
    assert facet_token("source", "观察网") == MARK + "s观察网"
    hashed = [facet_token("platform", v) for v in ("TikTok", "tiktok", "Tik Tok", "B站", "**")]
    assert len(set(hashed)) == len(hashed)  # case, spaces and punctuation never merge values
    assert all(t.startswith(MARK + "ph") and t[1:].isalnum() and t[1:].isascii() for t in hashed)
    assert facet_terms([("platform", "抖音"), ("keyword", "带货"), ("platform", "抖音"), ("entity", "薇娅")], "日报") \
        == f"{MARK}p抖音 {MARK}e薇娅 {MARK}s日报"  # keywords are not filters; duplicates once


def test_queries_never_contain_the_mark():
    from storage.query import parse_query

    q = parse_query(f"{MARK}p快手 快手{MARK}", query_terms)
    assert all(MARK not in t for t in q.terms()) and "快手" in q.terms()


def test_a_long_word_implies_its_sub_words():
    from storage.query import parse_query

    terms = query_terms("微信视频号")
    assert {"微信", "视频号", "微信视频号"} <= set(terms)
    assert parse_query("微信视频号", query_terms).fts5() == '"微信视频号"'
    # separate tokens are kept: 抖音号 is 抖音 + 号, neither implies the other
    assert parse_query("抖音号", query_terms).terms() == query_terms("抖音号")


# -- search ---------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["platform", "topic", "entity"])
def test_tag_filters_agree_with_the_tags_table(corpus, kind):
    store, _ = corpus
    values = {v for a in ARTICLES for v in a[{"platform": 5, "topic": 6, "entity": 7}[kind]]}
    assert values
    for query in ("直播", "商家", "快手 OR 抖音 OR 主播 OR 直播"):
        everything = hits(store, query)
        for value in values:
            assert hits(store, query, **{kind: value}) == everything & tagged(store, kind, value), (query, value)


def test_source_filter_and_unknown_values_match_nothing_else(corpus):
    store, ids = corpus
    daily = {ids[a[0]] for a in ARTICLES if a[4] == "日报"}
    assert hits(store, "快手 OR 抖音 OR 商家", source="日报") == daily & hits(store, "快手 OR 抖音 OR 商家")
    assert hits(store, "快手", source="没有这个来源") == set()
    assert hits(store, "快手", platform="没有这个平台") == set()
    assert hits(store, "TikTok", platform="TikTok") == {ids["a11"]}  # a hashed value
    assert hits(store, "TikTok", platform="tiktok") == set()  # values are exact


def test_filter_words_never_match_the_query(db_url):
    """An article tagged 快手 whose text never says 快手 is found by the filter, not the word."""
    store = Store.open(db_url)
    store.sync_sources([{"name": s, "kind": "news", "config": {}} for s in SOURCES])
    body = "某平台上线新的商家扶持政策,覆盖服装和食品类目。"
    url = "http://news.test/only-tagged"
    rec = PageRecord(
        raw=RawRecord(url=url, status=200, fetched_at=T0, html=b"<html></html>", source="日报"),
        article=ArticleRecord(
            url=url, canonical_url=url, title="商家扶持政策", published_at=None, body=body, script="simplified",
            content_hash=hashlib.sha1(body.encode()).hexdigest(), title_terms=terms("商家扶持政策"),
            body_terms=terms(body), tags=[TagRecord("platform", "快手", 1.0, 1)]))
    (out,) = store.write([rec])
    try:
        assert hits(store, "扶持", platform="快手") == {out.article_id}
        assert hits(store, "快手") == set()
        assert hits(store, MARK + "p快手") == set() and hits(store, "p快手") == set()
        # re-tagged (as reprocessing does): the filter follows the new tags
        with store.engine.connect() as conn:
            raw_id = conn.execute(text("SELECT raw_page_id FROM articles WHERE id = :i"),
                                  {"i": out.article_id}).scalar()
        retagged = replace(rec, raw=replace(rec.raw, raw_page_id=raw_id),
                           article=replace(rec.article, tags=[TagRecord("platform", "抖音", 1.0, 1)]))
        assert store.write([retagged])[0].status == "updated"
        assert hits(store, "扶持", platform="快手") == set()
        assert hits(store, "扶持", platform="抖音") == {out.article_id}
    finally:
        store.close()


def test_a_page_cannot_smuggle_a_filter_word_into_its_text(db_url):
    """Filter words are matched without a column filter: the store removes the mark from the
    words it indexes, so a page whose text spells one is not taken for a tagged article."""
    store = Store.open(db_url)
    store.sync_sources([{"name": s, "kind": "news", "config": {}} for s in SOURCES])
    recs = []
    for i, tags in enumerate(([], [TagRecord("platform", "快手", 1.0, 1)])):
        body = f"商家扶持政策第{i}版 {MARK}p快手 {MARK}s日报"
        url = f"http://news.test/smuggle/{i}"
        recs.append(PageRecord(
            raw=RawRecord(url=url, status=200, fetched_at=T0, html=b"<html></html>", source="观察网"),
            article=ArticleRecord(
                url=url, canonical_url=url, title=f"{MARK}p快手", published_at=None, body=body,
                script="simplified", content_hash=hashlib.sha1(body.encode()).hexdigest(),
                title_terms=f"{MARK}p快手", body_terms=f"商家 扶持 {MARK}p快手 {MARK}s日报", tags=tags)))
    untagged, tagged_ = (o.article_id for o in store.write(recs))
    try:
        assert hits(store, "扶持") == {untagged, tagged_}
        assert hits(store, "扶持", platform="快手") == {tagged_}
        assert hits(store, "扶持", source="日报") == set()
    finally:
        store.close()


def test_downgrade_and_upgrade_rebuild_the_filter_words(db_url):
    store = Store.open(db_url)
    ids = load(store)
    cfg = alembic_config()
    with store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0010")
    with store.engine.connect() as conn:
        cols = [r[1] for r in conn.execute(text("PRAGMA table_info(articles)"))] \
            if store.engine.dialect.name == "sqlite" else list(conn.execute(text(
                "SELECT column_name FROM information_schema.columns WHERE table_name = 'articles'"
                " AND table_schema = current_schema()")).scalars())
    assert "facet_terms" not in cols
    with store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    with store.engine.connect() as conn:
        stored = dict(conn.execute(text("SELECT id, facet_terms FROM articles")).all())
    assert set(stored[ids["a3"]].split()) == {MARK + w for w in ("p抖音", "p快手", "t监管与合规", "e薇娅", "s日报")}
    assert hits(store, "主播", entity="薇娅") == {ids["a3"]}
    # new writes after the upgrade are indexed too
    more = records()[0]
    body = more.article.body + "新增一段。"
    more = replace(more, raw=replace(more.raw, url="http://news.test/new"), article=replace(
        more.article, url="http://news.test/new", canonical_url="http://news.test/new", body=body,
        content_hash=hashlib.sha1(body.encode()).hexdigest()))
    (out,) = store.write([more])
    assert out.article_id in hits(store, "扶持", platform="快手", source="观察网")
    store.close()
