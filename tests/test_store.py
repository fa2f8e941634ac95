"""The store on SQLite and (when reachable) PostgreSQL: migrations, batched writes with
exact-duplicate merging, spooling, and search safety."""

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import inspect, text

from storage.records import ArticleRecord, PageRecord, RawRecord, TagRecord
from storage.search import QueryError, SearchRequest, make_snippet, search
from storage.spool import Spool
from storage.store import Store

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=timezone(timedelta(hours=8)))


def record(url, body, title="标题", terms="", platforms=(), canonical=None, html=b"<html></html>"):
    return PageRecord(
        raw=RawRecord(url=url, status=200, fetched_at=T0, html=html, source="s1"),
        article=ArticleRecord(
            url=url, canonical_url=canonical or url, title=title, published_at=T0, body=body,
            script="simplified", content_hash=str(hash(body)), title_terms=title,
            body_terms=terms or body,
            tags=[TagRecord("platform", p, 1.0, 1) for p in platforms]))


@pytest.fixture
def store(db_url):
    s = Store.open(db_url)
    s.sync_sources([{"name": "s1", "kind": "news", "config": {}}])
    yield s
    s.close()


def test_migrations_create_schema_idempotently(store, db_url):
    names = set(inspect(store.engine).get_table_names())
    assert {"sources", "crawl_runs", "raw_pages", "articles", "tags", "alembic_version"} <= names
    Store.open(db_url).close()  # a second migrate is a no-op


def test_write_merges_exact_duplicates(store):
    out = store.write([record("http://a/1", "甲 乙"), record("http://a/2", "丙 丁")])
    assert [o.status for o in out] == ["stored", "stored"]
    again = store.write([
        record("http://a/1", "甲 乙"),                 # same URL, same body
        record("http://b/9", "甲 乙"),                 # same body elsewhere
        record("http://a/2", "丙 丁 戊"),              # same URL, changed
    ])
    assert [o.status for o in again] == ["unchanged", "duplicate", "updated"]
    assert store.counts()["articles"] == 2
    assert store.counts()["raw_pages"] == 5  # every fetch is kept for reprocessing


def test_pages_of_one_batch_are_merged_with_each_other(store):
    """New articles are inserted together after the batch is read: a later page of the same
    batch still sees an earlier one (same URL changed, same body, same URL and body)."""
    out = store.write([
        record("http://a/1", "甲 乙", platforms=["抖音"]),
        record("http://a/1", "甲 乙 丙", platforms=["快手"]),  # same URL, changed before insert
        record("http://b/1", "甲 乙 丙"),                      # the changed body elsewhere
        record("http://a/1", "甲 乙 丙"),                      # same URL, same body again
        record("http://c/1", "丁"),
    ])
    assert [o.status for o in out] == ["stored", "updated", "duplicate", "unchanged", "stored"]
    first = out[0].article_id
    assert first is not None and {o.article_id for o in out[:4]} == {first} and out[4].article_id != first
    with store.engine.connect() as conn:
        body = conn.execute(text("SELECT body FROM articles WHERE id = :i"), {"i": first}).scalar()
        tags = conn.execute(text("SELECT value FROM tags WHERE article_id = :i"), {"i": first}).scalars().all()
    assert body == "甲 乙 丙" and tags == ["快手"]  # the last version's tags only
    assert [h.url for h in find(store, "丙")] == ["http://a/1"]


def test_failed_page_is_kept_with_stage_and_error(store):
    rec = PageRecord(raw=RawRecord(url="http://a/404", status=404, fetched_at=T0, html=b"gone",
                                   error="HTTP 404", error_stage="fetch", source="s1"))
    (o,) = store.write([rec])
    assert o.status == "failed"
    with store.engine.connect() as conn:
        row = conn.execute(text("SELECT error, error_stage FROM raw_pages")).one()
    assert tuple(row) == ("HTTP 404", "fetch")


def test_raw_html_round_trips_compressed(store):
    html = "<html>直播电商</html>".encode("gb18030") * 50
    store.write([record("http://a/1", "甲", html=html)])
    (row,) = list(store.iter_raw_pages())
    assert row[-1] == html and row[5] == "s1"


def find(store, query, **kw):
    return search(store.engine, SearchRequest(query, **kw), str.split).hits


def test_search_ranks_title_above_body_and_filters(store):
    store.write([
        record("http://a/1", "正文 提到 带货", title="其他", platforms=["快手"]),
        record("http://a/2", "正文", title="带货", platforms=["抖音"]),
    ])
    hits = find(store, "带货")
    assert [h.url for h in hits] == ["http://a/2", "http://a/1"]
    assert [h.url for h in find(store, "带货", platform="快手")] == ["http://a/1"]
    assert hits[1].platforms == ["快手"]
    assert find(store, "带货", since=T0 + timedelta(days=1)) == []


@pytest.mark.parametrize("evil", ['"', "AND", "*", "NEAR(", "');DROP TABLE articles;--", "a" * 10000,
                                  "title_terms:x", "^带货", "OR NOT"])
def test_user_text_never_becomes_query_syntax(store, evil):
    store.write([record("http://a/1", "带货 AND NEAR")])
    try:  # no SQL error, whatever the text: hits, or a clear QueryError
        hits = find(store, evil)
    except QueryError as exc:
        assert "query" in str(exc)
    else:
        assert all(h.url == "http://a/1" for h in hits)
    assert store.counts()["articles"] == 1


def test_empty_query_is_a_clear_error(store):
    with pytest.raises(QueryError, match="no searchable words"):
        find(store, "  ")


def test_snippet_marks_matches_in_original_text():
    s = make_snippet("很长的前文。" * 10 + "快手电商发布扶持计划", ["扶持计划"])
    assert "【扶持计划】" in s and s.startswith("…")


def test_spool_keeps_batches_the_store_refused(tmp_path, store):
    spool = Spool(tmp_path / "spool")
    spool.put([record("http://a/7", "己 庚")])
    assert store.counts()["articles"] == 0
    out = spool.replay(store)
    assert [o.status for o in out] == ["stored"] and not list((tmp_path / "spool").iterdir())


def near(a: bytes, b: bytes) -> bool:
    """A stand-in similarity for store tests: fingerprints sharing their first byte."""
    return a[:1] == b[:1]


def clustered(url, body, fp, published=T0, original=None):
    rec = record(url, body)
    rec.article.fingerprint = fp
    rec.article.band_keys = [(0, fp[0]), (1, 1000 + fp[0])]
    rec.article.published_at = published
    rec.article.original_source = original
    return rec


def lsh_rows(conn):
    return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar() for t in ("lsh_keys", "lsh_recent")}


def test_near_duplicates_join_one_cluster_with_a_canonical(db_url):
    store = Store.open(db_url, similar=near)
    store.sync_sources([{"name": "s1", "kind": "news", "config": {}}])
    later = T0 + timedelta(days=1)
    store.write([clustered("http://farm/1", "转载 甲", b"\x01a", published=later, original="原站"),
                 clustered("http://orig/1", "原文 甲", b"\x01b", published=later + timedelta(hours=1)),
                 clustered("http://other/1", "无关 乙", b"\x02c")])
    store.write([clustered("http://farm/2", "再转载 甲", b"\x01d", published=T0, original="原站")])
    with store.engine.connect() as conn:
        rows = dict(conn.execute(text("SELECT url, cluster_id FROM articles")).all())
        (cluster,) = conn.execute(text("SELECT id, canonical_id, size FROM clusters")).all()
        canonical = conn.execute(text("SELECT url FROM articles WHERE id = :i"), {"i": cluster.canonical_id}).scalar()
        keys = lsh_rows(conn)
    assert rows["http://other/1"] is None
    assert {rows[u] for u in ("http://farm/1", "http://orig/1", "http://farm/2")} == {cluster.id}
    assert cluster.size == 3 and keys == {"lsh_keys": 0, "lsh_recent": 8}  # below RECENT_ROWS
    # the member that credits no other source wins over an earlier repost
    assert canonical == "http://orig/1"
    store.delete_sources(["s1"])
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM clusters")).scalar() == 0
        assert lsh_rows(conn) == {"lsh_keys": 0, "lsh_recent": 0}
    store.close()


def test_reposts_in_one_batch_join_the_cluster_they_start(db_url):
    """Cluster ids and sizes are written at the batch's end: a second repost in the batch
    must still find the cluster the first one started with a stored original."""
    store = Store.open(db_url, similar=near)
    store.sync_sources([{"name": "s1", "kind": "news", "config": {}}])
    store.write([clustered("http://orig/1", "原文 甲", b"\x01a", published=T0)])
    store.write([clustered("http://farm/1", "转载 甲", b"\x01b", published=T0 + timedelta(days=1), original="原站"),
                 clustered("http://farm/2", "再转载 甲", b"\x01c", published=T0 + timedelta(days=2)),
                 clustered("http://farm/3", "又转载 甲", b"\x01d", published=T0 - timedelta(days=1),
                           original="原站"),
                 clustered("http://other/1", "无关 乙", b"\x02e")])
    with store.engine.connect() as conn:
        rows = dict(conn.execute(text("SELECT url, cluster_id FROM articles")).all())
        (cluster,) = conn.execute(text("SELECT id, canonical_id, size FROM clusters")).all()
        canonical = conn.execute(text("SELECT url FROM articles WHERE id = :i"), {"i": cluster.canonical_id}).scalar()
    assert rows.pop("http://other/1") is None
    assert set(rows.values()) == {cluster.id} and cluster.size == 4
    # the earliest member that credits no other source; farm/3 is earlier but a credited repost
    assert canonical == "http://orig/1"
    store.close()


def test_lsh_probes_read_the_newest_articles_of_a_crowded_key(db_url, monkeypatch):
    """A band key shared by many articles (boilerplate) is cut to its newest PROBE_LIMIT:
    a fresh repost still finds its recent original, a stale look-alike is no longer read."""
    import storage.store as store_mod

    monkeypatch.setattr(store_mod, "PROBE_LIMIT", 2)
    store = Store.open(db_url, similar=near)
    store.sync_sources([{"name": "s1", "kind": "news", "config": {}}])

    def crowded(url, body, fp):
        rec = clustered(url, body, fp)
        rec.article.band_keys = [(0, 7)]  # everyone shares one key
        return rec

    store.write([crowded("http://old/1", "旧文 甲", b"\x05a")])
    store.write([crowded(f"http://noise/{i}", f"噪声 {i}", bytes([10 + i]) + b"n") for i in range(3)])
    store.write([crowded("http://orig/1", "原文 乙", b"\x06b")])
    store.write([crowded("http://farm/1", "转载 乙", b"\x06c"), crowded("http://farm/2", "转载 甲", b"\x05d")])
    with store.engine.connect() as conn:
        rows = dict(conn.execute(text("SELECT url, cluster_id FROM articles")).all())
    assert rows["http://farm/1"] is not None and rows["http://farm/1"] == rows["http://orig/1"]
    assert rows["http://farm/2"] is None and rows["http://old/1"] is None  # beyond the newest 2
    store.close()


def test_new_lsh_keys_merge_into_the_main_table_and_are_probed_in_both(db_url, monkeypatch):
    """New keys wait in lsh_recent until a batch brings it to RECENT_ROWS, then move into
    lsh_keys in one pass. A repost finds its original in either table, a crowded key keeps
    its newest PROBE_LIMIT across both, and a rewritten article's keys leave both."""
    import storage.store as store_mod

    monkeypatch.setattr(store_mod, "RECENT_ROWS", 6)  # three articles of two keys
    monkeypatch.setattr(store_mod, "PROBE_LIMIT", 2)
    store = Store.open(db_url, similar=near)
    store.sync_sources([{"name": "s1", "kind": "news", "config": {}}])

    def crowded(url, body, fp, own=None):
        rec = clustered(url, body, fp)
        rec.article.band_keys = [(0, 7), (1, own or 1000 + fp[0])]  # band 0: everyone's
        return rec

    store.write([crowded("http://old/1", "旧文 甲", b"\x05a"), crowded("http://orig/1", "原文 乙", b"\x06b")])
    with store.engine.connect() as conn:
        assert lsh_rows(conn) == {"lsh_keys": 0, "lsh_recent": 4}
    store.write([crowded("http://orig/2", "原文 丙", b"\x07c")])  # 6 keys: merged
    with store.engine.connect() as conn:
        assert lsh_rows(conn) == {"lsh_keys": 6, "lsh_recent": 0}
        main = conn.execute(text("SELECT band, key, article_id FROM lsh_keys")).all()
    store.write([crowded("http://noise/1", "噪声 丁", b"\x08n")])  # stays in lsh_recent
    store.write([crowded("http://farm/1", "转载 乙", b"\x06d"),    # original in lsh_keys
                 crowded("http://farm/2", "转载 丁", b"\x08e"),    # original in lsh_recent
                 crowded("http://farm/3", "转载 甲", b"\x05f", own=1999)])  # shares band 0 only
    with store.engine.connect() as conn:
        rows = dict(conn.execute(text("SELECT url, cluster_id FROM articles")).all())
        assert lsh_rows(conn) == {"lsh_keys": 14, "lsh_recent": 0}  # 2 + 6 = 8 >= 6: merged
        assert set(main) <= set(conn.execute(text("SELECT band, key, article_id FROM lsh_keys")).all())
    assert rows["http://farm/1"] is not None and rows["http://farm/1"] == rows["http://orig/1"]
    assert rows["http://farm/2"] is not None and rows["http://farm/2"] == rows["http://noise/1"]
    # farm/3 shares only the crowded band 0 with old/1, and that key is read for its newest
    # two articles (of the six under it in both tables), which old/1 is not
    assert rows["http://farm/3"] is None and rows["http://old/1"] is None
    changed = crowded("http://orig/1", "原文 乙 改", b"\x09g")
    store.write([changed])
    with store.engine.connect() as conn:
        ids = dict(conn.execute(text("SELECT url, id FROM articles")).all())
        keys = conn.execute(text("SELECT 'main', band, key FROM lsh_keys WHERE article_id = :i UNION ALL "
                                 "SELECT 'recent', band, key FROM lsh_recent WHERE article_id = :i"),
                            {"i": ids["http://orig/1"]}).all()
    assert sorted(keys) == [("recent", 0, 7), ("recent", 1, 1009)]
    store.close()


def test_one_batch_of_reposts_finds_each_its_own_original(db_url):
    """A batch's LSH probes are read in one statement: each new article must still be
    matched with the stored articles sharing its own keys, not its batch-mates'."""
    store = Store.open(db_url, similar=near)
    store.sync_sources([{"name": "s1", "kind": "news", "config": {}}])
    store.write([clustered(f"http://orig/{i}", f"原文 {i}", bytes([i]) + b"o") for i in range(1, 6)])
    store.write([clustered(f"http://farm/{i}", f"转载 {i}", bytes([i]) + b"f") for i in (5, 3, 1)]
                + [clustered("http://other/9", "无关", b"\x09x")])
    with store.engine.connect() as conn:
        rows = dict(conn.execute(text("SELECT url, cluster_id FROM articles")).all())
        sizes = conn.execute(text("SELECT size FROM clusters")).scalars().all()
    for i in (5, 3, 1):
        assert rows[f"http://farm/{i}"] is not None and rows[f"http://farm/{i}"] == rows[f"http://orig/{i}"]
    assert len({rows[f"http://farm/{i}"] for i in (5, 3, 1)}) == 3 and sorted(sizes) == [2, 2, 2]
    assert rows["http://orig/2"] is None and rows["http://other/9"] is None
    store.close()


def test_lsh_keys_survive_the_migrations_of_their_tables(tmp_path):
    """Migration 0014 (SQLite) rebuilt lsh_keys as a WITHOUT ROWID table and 0015 added
    lsh_recent: downgrading moves waiting keys into lsh_keys and restores the rowid table
    with its covering index; upgrading keeps every key, and a repost written after the
    upgrade still finds its original."""
    from alembic import command

    from storage.db import alembic_config

    url = f"sqlite:///{tmp_path / 'lsh.sqlite'}"
    store = Store.open(url, similar=near)
    store.sync_sources([{"name": "s1", "kind": "news", "config": {}}])
    cfg = alembic_config()

    def schema(conn):
        return conn.execute(text("SELECT sql FROM sqlite_master WHERE name = 'lsh_keys'")).scalar()

    def keys(conn):
        return sorted(conn.execute(text("SELECT band, key, article_id FROM lsh_keys")).all())

    store.write([clustered("http://orig/1", "原文 甲", b"\x01a"), clustered("http://orig/2", "原文 乙", b"\x02b")])
    with store.engine.begin() as conn:
        waiting = sorted(conn.execute(text("SELECT band, key, article_id FROM lsh_recent")).all())
        assert len(waiting) == 4 and keys(conn) == []
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0013")
        assert "WITHOUT ROWID" not in schema(conn) and keys(conn) == waiting
        assert not inspect(conn).has_table("lsh_recent")
        command.upgrade(cfg, "head")
        assert "WITHOUT ROWID" in schema(conn) and keys(conn) == waiting
        assert lsh_rows(conn) == {"lsh_keys": 4, "lsh_recent": 0}
    store.write([clustered("http://farm/1", "转载 甲", b"\x01c")])
    with store.engine.begin() as conn:
        rows = dict(conn.execute(text("SELECT url, cluster_id FROM articles")).all())
        assert rows["http://farm/1"] is not None and rows["http://farm/1"] == rows["http://orig/1"]
        assert lsh_rows(conn) == {"lsh_keys": 4, "lsh_recent": 2}
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0013")
        assert "WITHOUT ROWID" not in schema(conn)
        assert conn.execute(text("SELECT count(*) FROM lsh_keys")).scalar() == 6
        indexes = set(conn.execute(text("SELECT name FROM sqlite_master WHERE tbl_name = 'lsh_keys'"
                                        " AND type = 'index'")).scalars())
        assert {"ix_lsh_keys_band_key_article", "ix_lsh_keys_article"} <= indexes
    store.close()
