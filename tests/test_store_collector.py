"""Store.write runs a batch with Python's cyclic garbage collector paused (a batch allocates
~100,000 containers, none of them garbage) and leaves the collector as it found it, also when
the batch fails."""

from __future__ import annotations

import gc
from datetime import datetime, timezone

import pytest

from storage.db import ensure_schema, make_engine
from storage.records import ArticleRecord, PageRecord, RawRecord
from storage.store import Store

NOW = datetime(2026, 5, 1, tzinfo=timezone.utc)


def _record(i: int) -> PageRecord:
    body = f"第{i}篇：直播间的退货规则，平台与商家各自说明。"
    url = f"http://gc.test/{i}"
    return PageRecord(
        raw=RawRecord(url=url, status=200, fetched_at=NOW, html=body.encode(), source="gc"),
        article=ArticleRecord(url=url, canonical_url=url, title=f"标题{i}", published_at=NOW, body=body,
                              script="simplified", content_hash=f"gc{i}", fingerprint=bytes(8),
                              band_keys=[(b, 7 + b) for b in range(4)]))  # shared: all are candidates


@pytest.fixture
def observed(tmp_path):  # noqa: ANN001, ANN201
    """A store whose similarity function notes whether the collector ran while it was called
    (in the middle of a batch), and fails when told to."""
    seen: list[bool] = []
    fail = {"now": False}

    def similar(a: bytes, b: bytes) -> float:
        seen.append(gc.isenabled())
        if fail["now"]:
            raise RuntimeError("similarity failed")
        return 0.0

    engine = make_engine(f"sqlite:///{tmp_path / 'gc.db'}")
    ensure_schema(engine)
    store = Store(engine, similar=similar, owns_engine=True)
    store.sync_sources([{"name": "gc", "kind": "news", "config": {}}])
    yield store, seen, fail
    store.close()
    gc.enable()


def test_a_batch_runs_with_the_collector_paused_and_turns_it_back_on(observed) -> None:  # noqa: ANN001
    store, seen, _ = observed
    assert gc.isenabled()
    outcomes = store.write([_record(i) for i in range(3)])
    assert [o.status for o in outcomes] == ["stored"] * 3
    assert seen and not any(seen)  # compared during the batch, collector off
    assert gc.isenabled()


def test_a_failed_batch_turns_the_collector_back_on(observed) -> None:  # noqa: ANN001
    store, seen, fail = observed
    store.write([_record(0)])
    fail["now"] = True
    with pytest.raises(RuntimeError, match="similarity failed"):
        store.write([_record(1)])
    assert seen[-1] is False
    assert gc.isenabled()


def test_a_collector_turned_off_by_the_caller_stays_off(observed) -> None:  # noqa: ANN001
    store, _, _ = observed
    gc.disable()
    store.write([_record(0), _record(1)])
    assert not gc.isenabled()
