"""bench/search.py's load: the producer feeds the segmenting workers directly and the writer
takes their batches in corpus order, whichever worker finishes first (the near-duplicate
figures depend on originals being stored before their reposts)."""

from __future__ import annotations

import sys
from pathlib import Path

from sqlalchemy import text

ROOT = Path(__file__).resolve().parents[1]


def test_load_writes_every_batch_in_corpus_order(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.syspath_prepend(str(ROOT))
    import bench.search as bs

    monkeypatch.setattr(bs, "BATCH", 200)  # 13 batches, the last one short
    n = 2_500
    store = bs.open_store(f"sqlite:///{tmp_path / 'load.sqlite'}")
    try:
        info = bs.load(store, n)
        with store.engine.connect() as conn:
            urls = conn.execute(text("SELECT url FROM articles ORDER BY id")).scalars().all()
    finally:
        store.close()
        for mod in [m for m in sys.modules if m == "bench" or m.startswith("bench.")]:
            sys.modules.pop(mod, None)
    expected = [doc["url"] for doc, _ in bs.corpus(n)]
    assert info["docs"] == n and info["stored"] == len(urls)
    assert urls == [u for u in expected if u in set(urls)]  # written in corpus order
    assert len(urls) >= n * 0.99  # nothing lost between the processes (exact copies are merged)
    assert info["joined"] > 0.9  # reposts found their originals: the order held


def _fail(tasks, results) -> None:  # noqa: ANN001
    raise RuntimeError("a worker fails")


def test_a_failed_worker_stops_the_load_with_an_error_not_a_hang(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    """The writer's receiving thread hands the error of a dead worker to the writer."""
    import pytest

    monkeypatch.syspath_prepend(str(ROOT))
    import bench.search as bs

    monkeypatch.setattr(bs, "_segment", _fail)
    store = bs.open_store(f"sqlite:///{tmp_path / 'load.sqlite'}")
    try:
        with pytest.raises(RuntimeError, match="failed"):
            bs.load(store, 500)
    finally:
        store.close()
        for mod in [m for m in sys.modules if m == "bench" or m.startswith("bench.")]:
            sys.modules.pop(mod, None)
