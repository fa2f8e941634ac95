"""The export's read-ahead thread: errors reach the caller, an early stop stops the reader."""

import threading

import pytest
from sqlalchemy import create_engine

from daihuo.analysis import export
from storage import search as search_mod


def _fake_details(fail_at: int | None = None):  # noqa: ANN202
    def details(conn, part, terms, snippets, *, mark, bodies):  # noqa: ANN001, ANN202
        if fail_at is not None and part[0] == fail_at:
            raise RuntimeError("details failed")
        return [search_mod.Hit(id=i, title="t", url="u", source=None, published_at=None, score=0.0,
                               snippet="", platforms=[], topics=[], status="new", cluster_id=None,
                               cluster_size=1) for i in part]
    return details


def _readers() -> int:
    return sum(t.name == "export-reader" for t in threading.enumerate())


def test_rows_arrive_in_order_and_a_reader_error_is_raised_in_the_caller(monkeypatch, tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'e.sqlite'}")
    monkeypatch.setattr(search_mod, "hit_details", _fake_details())
    parts = iter([[1, 2], [3], [4, 5]])
    assert [r["id"] for r in export._rows(engine, parts, [], False, False)] == [1, 2, 3, 4, 5]
    monkeypatch.setattr(search_mod, "hit_details", _fake_details(fail_at=3))
    with pytest.raises(RuntimeError, match="details failed"):
        list(export._rows(engine, iter([[1, 2], [3], [4]]), [], False, False))
    assert _readers() == 0


def test_a_caller_that_stops_early_stops_the_reader(monkeypatch, tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'e.sqlite'}")
    monkeypatch.setattr(search_mod, "hit_details", _fake_details())
    rows = export._rows(engine, ([i] for i in range(10_000)), [], False, False)
    assert next(rows)["id"] == 0
    rows.close()
    assert _readers() == 0
