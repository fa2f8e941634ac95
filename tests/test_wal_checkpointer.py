"""Store.write leaves the WAL to a checkpointer thread (storage.wal_checkpointer)."""

import sqlite3
import time
from datetime import datetime, timezone

from sqlalchemy import text

from storage.records import ArticleRecord, PageRecord, RawRecord
from storage.store import Store
from storage.wal_checkpointer import AUTOCHECKPOINT_PAGES, WalCheckpointer

NOW = datetime(2026, 5, 1, tzinfo=timezone.utc)


def _page(n: int) -> PageRecord:
    url = f"https://wal.example.com/{n}.html"
    body = f"第{n}篇 " + "直播带货的正文。" * 200
    return PageRecord(
        raw=RawRecord(url=url, status=200, fetched_at=NOW, html=body.encode(), source="wal"),
        article=ArticleRecord(url=url, canonical_url=url, title=f"标题{n}", body=body,
                              script="simplified", content_hash=f"wal{n}", title_terms=f"标题 {n}",
                              body_terms="直播 带货", published_at=NOW))


def _wait(condition, seconds: float = 10.0) -> bool:  # noqa: ANN001
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def _wal_frames(path) -> tuple[int, int]:  # noqa: ANN001
    """(frames in the log, frames checkpointed): a passive checkpoint's answer."""
    db = sqlite3.connect(path)
    try:
        _, frames, done = db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    finally:
        db.close()
    return frames, done


def test_the_thread_checkpoints_after_batches_and_stops_at_close(tmp_path):
    path = tmp_path / "wal.sqlite"
    store = Store.open(f"sqlite:///{path}")
    try:
        store.sync_sources([{"name": "wal", "kind": "news", "config": {}}])
        for i in range(3):
            store.write([_page(i * 100 + j) for j in range(100)])
        cp = store._checkpointer
        assert cp is not None and _wait(lambda: cp.checkpoints >= 1)
        # the batch's pooled connection is lent back with SQLite's automatic checkpoint
        with store.engine.connect() as conn:
            assert conn.execute(text("PRAGMA wal_autocheckpoint")).scalar() == AUTOCHECKPOINT_PAGES
            assert conn.execute(text("SELECT count(*) FROM articles")).scalar() == 300
    finally:
        store.close()
    assert not cp._thread.is_alive()
    # everything is in the database file: the last connection's close removed the log
    assert not (path.parent / "wal.sqlite-wal").exists()
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT count(*) FROM articles").fetchone()[0] == 300
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_a_long_log_is_settled_before_the_next_batch_and_starts_afresh(tmp_path):
    path = tmp_path / "t.sqlite"
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("CREATE TABLE t (x BLOB)")
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("PRAGMA wal_autocheckpoint=0")
    cp = WalCheckpointer(path, settle_bytes=1 << 20)
    try:
        cp.catch_up()  # a short log: nothing to settle
        assert cp.checkpoints == 0
        for _ in range(8):  # 8 commits of 512 KB, none checkpointed: past the 1 MB limit
            writer.execute("INSERT INTO t VALUES (zeroblob(512 * 1024))")
        cp.poke()
        assert _wait(lambda: cp.checkpoints == 1) and cp.log_frames > 1000
        cp.catch_up()  # the writer finishes the checkpoint itself (no reader holds the log)
        assert cp.checkpoints == 2
        writer.execute("INSERT INTO t VALUES (zeroblob(512 * 1024))")
        frames_after, _ = _wal_frames(path)
        assert frames_after < 200  # the next commit wrote from the log's start
        cp.poke()
        assert _wait(lambda: cp.checkpoints == 3) and cp.log_frames < 200
        cp.catch_up()  # the log's file is as big as before, its length short: no wait
        assert cp.checkpoints == 3
        assert writer.execute("SELECT count(*) FROM t").fetchone()[0] == 9
    finally:
        cp.close()
        writer.close()


def test_no_thread_for_a_memory_store():
    store = Store.open("sqlite://")
    try:
        store.sync_sources([{"name": "wal", "kind": "news", "config": {}}])
        store.write([_page(1)])
        assert store._checkpointer is None
    finally:
        store.close()
