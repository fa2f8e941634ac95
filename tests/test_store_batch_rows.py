"""Store.write's batched path (one executemany for a batch's raw pages and articles, their ids
read back, clustering candidates probed for the whole batch) stores exactly the rows that
writing the same pages one at a time stores, and a bad record in the middle of a batch is
quarantined while the others are stored, on both backends."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from storage.records import ArticleRecord, PageRecord, RawRecord, TagRecord
from storage.spool import write_isolating
from storage.store import Store

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=timezone(timedelta(hours=8)))


def near(a: bytes, b: bytes) -> float:
    """A stand-in similarity: fingerprints sharing their first byte are one story."""
    return 1.0 if a[:1] == b[:1] else 0.0


def page(url: str, body: str, story: int | None = None, hours: int = 0) -> PageRecord:
    """A page whose one tag names its URL (so a tag on the wrong article shows), in the
    cluster ``story`` when given (its fingerprint's first byte and its band keys)."""
    fp = bytes([story]) + url.encode() if story is not None else None
    return PageRecord(
        raw=RawRecord(url=url, status=200, fetched_at=T0 + timedelta(hours=hours), html=f"<p>{body}</p>".encode(),
                      source="s1"),
        article=ArticleRecord(
            url=url, canonical_url=url, title=f"题 {body}", published_at=T0 + timedelta(hours=hours), body=body,
            script="simplified", content_hash=f"h-{body}", title_terms=body, body_terms=body,
            authors=["甲"], blocks=[{"t": "p", "text": body}], flags={"n": len(body)},
            fingerprint=fp, band_keys=[(0, story), (1, 100 + story)] if story is not None else [],
            tags=[TagRecord("platform", url, 1.0, 1), TagRecord("topic", "直播", 0.5, 2, 3, True, "x")]))


def pages() -> list[PageRecord]:
    failed = PageRecord(raw=RawRecord(url="http://a/404", status=404, fetched_at=T0, html=b"gone",
                                      error="HTTP 404", error_stage="fetch", source="s1"))
    changed = page("http://a/2", "乙 改", story=2, hours=9)
    return [page("http://a/1", "甲", story=1), page("http://a/2", "乙", story=2, hours=1),
            page("http://farm/1", "甲 转", story=1, hours=2), failed, page("http://a/3", "丙", hours=3),
            page("http://b/1", "甲", hours=4),  # same body as a/1: a duplicate
            # (a stored article rewritten before reposts of it arrive: a batch rewrites its
            # stored articles before it clusters its new ones, so a rewrite after a repost
            # in the same batch would elect the canonical member against the rewritten one)
            changed, page("http://farm/2", "乙 转", story=2, hours=5),
            page("http://farm/3", "甲 再转", story=1, hours=6),
            page("http://a/1", "甲", story=1, hours=7),  # unchanged
            page("http://farm/4", "乙 又转", story=2, hours=10)]


def rows(store: Store) -> dict[str, list]:
    """Everything the writes stored, write times left out (tag ids follow write order)."""
    q = {
        "raw": "SELECT id, source_id, url, status, fetched_at, headers, html_z, error, error_stage FROM raw_pages",
        "articles": "SELECT id, source_id, raw_page_id, url, canonical_url, title, published_at, authors, body, "
                    "blocks, content_hash, flags, title_terms, body_terms, facet_terms, cluster_id, fingerprint "
                    "FROM articles",
        "tags": "SELECT article_id, kind, value, score, count, first_pos, in_title, detail FROM tags",
        "lsh": "SELECT band, key, article_id FROM lsh_keys UNION ALL SELECT band, key, article_id FROM lsh_recent",
        "clusters": "SELECT id, canonical_id, size FROM clusters",
    }
    with store.engine.connect() as conn:
        return {name: sorted(tuple(r) for r in conn.execute(text(sql)).all()) for name, sql in q.items()}


@pytest.fixture
def other_url(db_url, tmp_path):
    """A second, empty store on the same backend as db_url."""
    if db_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'other.sqlite'}"
        return
    import psycopg
    from conftest import PG_URL

    schema, dsn = f"t_{uuid.uuid4().hex[:12]}", "host=127.0.0.1 port=5432 user=postgres dbname=test"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def opened(url: str) -> Store:
    store = Store.open(url, similar=near)
    store.sync_sources([{"name": "s1", "kind": "news", "config": {}}])
    return store


def test_a_batch_stores_the_rows_of_its_pages_written_one_by_one(db_url, other_url):
    together, alone = opened(db_url), opened(other_url)
    batched = together.write(pages()[:6]) + together.write(pages()[6:])
    single = [o for rec in pages() for o in alone.write([rec])]
    assert [(o.status, o.article_id) for o in batched] == [(o.status, o.article_id) for o in single]
    assert [o.status for o in batched] == ["stored", "stored", "stored", "failed", "stored", "duplicate",
                                           "updated", "stored", "stored", "unchanged", "stored"]
    got = rows(together)
    assert got == rows(alone)
    # each id went to its own row: an article's raw page and tag name its URL
    raw_url = {r[0]: r[2] for r in got["raw"]}
    url_of = {a[0]: a[3] for a in got["articles"]}
    assert all(raw_url[a[2]] == a[3] for a in got["articles"])
    assert {(t[0], t[2]) for t in got["tags"] if t[1] == "platform"} == {(i, u) for i, u in url_of.items()}
    # two stories of three articles each (a/2, rewritten, keeps its cluster)
    assert sorted(c[2] for c in got["clusters"]) == [3, 3]
    together.close()
    alone.close()


def test_a_bad_record_mid_batch_is_quarantined_and_the_rest_stored(db_url, other_url):
    good = [page(f"http://a/{i}", f"正文 {i}", story=i % 2, hours=i) for i in range(5)]
    bad = page("http://a/bad", "坏")
    bad.article.body = None  # NOT NULL on both backends: a lasting failure of the articles insert
    store, clean = opened(db_url), opened(other_url)
    out = write_isolating(store, good[:2] + [bad] + good[2:])
    assert [o.status for o in out] == ["stored", "stored", "quarantined", "stored", "stored", "stored"]
    clean.write(good)
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT url FROM quarantine")).scalars().all() == ["http://a/bad"]
    got, want = rows(store), rows(clean)
    if db_url.startswith("sqlite"):  # the failed attempts' ids are given again
        assert got == want
    else:  # PostgreSQL's sequences do not roll back: compare by URL
        by_url = {name: sorted(map(_without_ids, got[name])) for name in ("articles",)}
        assert by_url == {name: sorted(map(_without_ids, want[name])) for name in ("articles",)}
        assert len(got["tags"]) == len(want["tags"]) and len(got["lsh"]) == len(want["lsh"])
    url_of = {a[0]: a[3] for a in got["articles"]}
    assert sorted(url_of.values()) == [f"http://a/{i}" for i in range(5)]
    assert {(url_of[t[0]], t[2]) for t in got["tags"] if t[1] == "platform"} == {(u, u) for u in url_of.values()}
    assert sorted(c[2] for c in got["clusters"]) == [2, 3]
    store.close()
    clean.close()


def _without_ids(article: tuple) -> tuple:
    """An article row without its own, raw page and cluster ids."""
    return article[1:2] + article[3:15] + article[16:]
