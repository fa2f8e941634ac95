"""The SQLite full-text table filled once per Store.write batch (migration 0022), by trigger otherwise;
the batch's tags log one search change per article (migration 0023)."""

from datetime import datetime, timezone

import pytest
from sqlalchemy import insert, text

from storage.models import Article
from storage.records import ArticleRecord, PageRecord, RawRecord, TagRecord
from storage.store import Store

NOW = datetime(2026, 5, 1, tzinfo=timezone.utc)


def _page(n: int, words: str, tags: tuple[tuple[str, str], ...] = ()) -> PageRecord:
    url = f"https://fts.example.com/{n}.html"
    return PageRecord(
        raw=RawRecord(url=url, status=200, fetched_at=NOW, html=b"<html></html>", source="fts"),
        article=ArticleRecord(url=url, canonical_url=url, title=f"标题{n}", body=f"正文{n} " + words,
                              script="simplified", content_hash=f"fts{n}-{words}",
                              title_terms=f"标题 {n}", body_terms=words, published_at=NOW,
                              tags=[TagRecord(kind, value) for kind, value in tags]))


def _matches(conn, table: str, word: str) -> set[int]:  # noqa: ANN001
    return {r[0] for r in conn.execute(text(f"SELECT rowid FROM {table} WHERE {table} MATCH :w"), {"w": word})}


@pytest.fixture
def store(tmp_path):
    st = Store.open(f"sqlite:///{tmp_path / 'fts.sqlite'}")
    st.sync_sources([{"name": "fts", "kind": "news", "config": {}}])
    yield st
    st.close()


def test_a_batch_is_in_the_full_text_table_and_leaves_no_mark(store):
    outcomes = store.write([_page(i, f"直播 带货 词{i}") for i in range(30)])
    ids = {o.article_id for o in outcomes}
    assert len(ids) == 30
    with store.engine.connect() as conn:
        assert _matches(conn, "articles_fts", "直播") == ids
        assert _matches(conn, "articles_fts", "词7") == {outcomes[7].article_id}
        assert _matches(conn, "articles_fts", "标题") == ids  # titles too
        assert conn.execute(text("SELECT count(*) FROM fts_deferred")).scalar() == 0
        # consistent with the content table
        conn.execute(text("INSERT INTO articles_fts(articles_fts) VALUES ('integrity-check')"))


def test_other_inserts_still_go_through_the_triggers_and_deletes_stay_consistent(store):
    store.write([_page(1, "直播 带货")])
    with store.engine.begin() as conn:
        other = conn.execute(insert(Article).values(
            url="https://fts.example.com/x.html", canonical_url="https://fts.example.com/x.html", title="外来",
            body="外来", script="simplified", content_hash="x", title_terms="外来", body_terms="直播 外来",
            flags={}, status="new", created_at=NOW, updated_at=NOW)).inserted_primary_key[0]
    with store.engine.begin() as conn:
        assert other in _matches(conn, "articles_fts", "外来")
        conn.execute(text("DELETE FROM articles"))  # every row was indexed: deletes keep the tables sound
        assert _matches(conn, "articles_fts", "直播") == set()
        conn.execute(text("INSERT INTO articles_fts(articles_fts) VALUES ('integrity-check')"))


def test_a_failed_batch_leaves_neither_rows_nor_the_mark(store):
    bad = _page(2, "直播")
    bad.article.body = None  # NOT NULL: the articles insert fails, the batch rolls back
    with pytest.raises(Exception):  # noqa: B017 - the driver's IntegrityError
        store.write([_page(3, "直播"), bad])
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM fts_deferred")).scalar() == 0
        assert _matches(conn, "articles_fts", "直播") == set()
    store.write([_page(4, "直播")])  # and the next batch is indexed as usual
    with store.engine.connect() as conn:
        assert len(_matches(conn, "articles_fts", "直播")) == 1


def _changes(conn) -> list[int]:  # noqa: ANN001
    return [r[0] for r in conn.execute(text("SELECT article_id FROM search_changes ORDER BY seq"))]


TAGS = (("platform", "抖音"), ("platform", "快手"), ("topic", "直播带货"), ("entity", "某主播"))


def test_a_batch_logs_one_search_change_per_article_not_per_tag(store):
    outcomes = store.write([_page(i, "直播 带货", TAGS) for i in range(5)])
    ids = [o.article_id for o in outcomes]
    with store.engine.begin() as conn:
        assert conn.execute(text("SELECT count(*) FROM tags")).scalar() == 5 * len(TAGS)
        assert _changes(conn) == ids
        conn.execute(text("DELETE FROM search_changes"))
    # a stored article rewritten with other tags is logged once more (its tags changed)
    outcomes = store.write([_page(2, "直播 带货 改写", (("platform", "小红书"),))])
    assert outcomes[0].status == "updated" and outcomes[0].article_id == ids[2]
    with store.engine.begin() as conn:
        assert set(_changes(conn)) == {ids[2]}
        conn.execute(text("DELETE FROM search_changes"))
        # a tag inserted by anything else still logs through the trigger
        conn.execute(text("INSERT INTO tags (article_id, kind, value, score, count, in_title) "
                          "VALUES (:a, 'platform', '淘宝', 0, 1, 0)"), {"a": ids[0]})
        assert _changes(conn) == [ids[0]]
        assert conn.execute(text("SELECT count(*) FROM fts_deferred")).scalar() == 0


def test_the_titles_own_index_is_gone_and_comes_back_on_downgrade(store):
    """Migration 0026 dropped articles_title_fts (no search read it; every batch filled it):
    after it no table or trigger names it and batches, rewrites and deletes work; a downgrade
    to 0025 rebuilds it from the articles and its triggers follow them again."""
    from alembic import command

    from storage.db import alembic_config

    def named(conn) -> list[str]:  # noqa: ANN001
        return conn.execute(text("SELECT name FROM sqlite_master WHERE name LIKE '%title_fts%'")).scalars().all()

    first = store.write([_page(i, "直播") for i in range(3)])
    with store.engine.begin() as conn:
        assert named(conn) == []
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0025")
        assert _matches(conn, "articles_title_fts", "标题") == {o.article_id for o in first}
        conn.execute(text("UPDATE articles SET title_terms = '新 标题' WHERE id = :i"), {"i": first[0].article_id})
        assert _matches(conn, "articles_title_fts", "新") == {first[0].article_id}
        conn.execute(text("INSERT INTO articles_title_fts(articles_title_fts) VALUES ('integrity-check')"))
        command.upgrade(cfg, "head")
        assert named(conn) == []
    more = store.write([_page(i, "直播 带货") for i in range(3, 6)])
    with store.engine.begin() as conn:
        assert _matches(conn, "articles_fts", "直播") == {o.article_id for o in first + more}
        conn.execute(text("DELETE FROM articles WHERE id = :i"), {"i": first[1].article_id})
        conn.execute(text("INSERT INTO articles_fts(articles_fts) VALUES ('integrity-check')"))
