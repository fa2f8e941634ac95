"""SQLite's LSH key tables carry no foreign key (a parent lookup for every key moved, migration
0024); deleting an article still deletes its keys, whatever the connection's foreign_keys."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import text

from storage.db import ensure_schema, make_engine
from storage.records import ArticleRecord, PageRecord, RawRecord
from storage.store import Store, move_recent_keys

NOW = datetime(2026, 5, 1, tzinfo=timezone.utc)


def _record(i: int) -> PageRecord:
    body = f"第{i}篇：直播带货的新规则出台，主播与平台各自承担责任。"
    return PageRecord(
        raw=RawRecord(url=f"http://lsh.test/{i}", status=200, fetched_at=NOW, html=body.encode(), source="lsh"),
        article=ArticleRecord(url=f"http://lsh.test/{i}", canonical_url=f"http://lsh.test/{i}", title=f"标题{i}",
                              published_at=NOW, body=body, script="simplified", content_hash=f"h{i}",
                              fingerprint=bytes(8), band_keys=[(b, 1000 * i + b) for b in range(4)]))


def _keys(engine, table: str) -> list[tuple]:  # noqa: ANN001
    with engine.connect() as conn:
        return conn.execute(text(f"SELECT article_id, count(*) FROM {table} GROUP BY article_id ORDER BY 1")).all()


def test_lsh_tables_have_no_foreign_key_and_keys_go_with_their_article(tmp_path) -> None:  # noqa: ANN001
    engine = make_engine(f"sqlite:///{tmp_path / 'lsh.db'}")
    ensure_schema(engine)
    store = Store(engine, owns_engine=True)
    store.sync_sources([{"name": "lsh", "kind": "news", "config": {}}])
    ids = [o.article_id for o in store.write([_record(i) for i in range(3)])]
    with engine.begin() as conn:
        for table in ("lsh_keys", "lsh_recent"):
            assert conn.exec_driver_sql(f"PRAGMA foreign_key_list({table})").all() == []
        move_recent_keys(conn)  # the first two articles' keys in lsh_keys ...
    last = store.write([_record(3)])[0].article_id  # ... the last one's in lsh_recent
    assert [r[0] for r in _keys(engine, "lsh_keys")] == ids
    assert _keys(engine, "lsh_recent") == [(last, 4)]
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA foreign_keys=OFF")  # before the transaction: the trigger needs no cascade
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 0
        conn.execute(text("DELETE FROM articles WHERE id IN (:a, :b)"), {"a": ids[0], "b": last})
        conn.commit()
        conn.exec_driver_sql("PRAGMA foreign_keys=ON")
    assert _keys(engine, "lsh_keys") == [(ids[1], 4), (ids[2], 4)]
    assert _keys(engine, "lsh_recent") == []
    store.close()
