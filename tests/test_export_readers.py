"""The export's readers (daihuo.analysis.export._Readers): several threads read parts' details,
the caller gets them in the parts' order whichever finishes first, an error in a reader is
raised in the caller, and a caller that stops early stops them."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import create_engine

from daihuo.analysis import export


@pytest.fixture
def engine(tmp_path):  # noqa: ANN001, ANN201
    eng = create_engine(f"sqlite:///{tmp_path / 'readers.db'}")
    yield eng
    eng.dispose()


def test_parts_come_back_in_order_whichever_reader_finishes_first(engine) -> None:  # noqa: ANN001
    threads: set[str] = set()

    def read_part(conn, part: int) -> int:  # noqa: ANN001
        threads.add(threading.current_thread().name)
        time.sleep(0.05 if part % 3 == 0 else 0.001)  # every third part is slow
        return part * 10

    readers = export._Readers(engine, iter(range(40)), read_part)
    try:
        assert list(readers) == [p * 10 for p in range(40)]
    finally:
        readers.close()
    assert len(threads) == export.READERS >= 2


def test_a_readers_error_is_raised_in_the_caller(engine) -> None:  # noqa: ANN001
    def read_part(conn, part: int) -> int:  # noqa: ANN001
        if part == 7:
            raise ValueError("part 7 is unreadable")
        return part

    readers = export._Readers(engine, iter(range(20)), read_part)
    got = []
    with pytest.raises(ValueError, match="part 7 is unreadable"):
        for item in readers:
            got.append(item)
    readers.close()
    assert got == list(range(len(got))) and len(got) <= 7


def test_stopping_early_stops_the_readers_and_bounds_the_read_ahead(engine) -> None:  # noqa: ANN001
    taken: list[int] = []

    def parts():  # noqa: ANN202
        for p in range(10_000):
            taken.append(p)
            yield p

    readers = export._Readers(engine, parts(), lambda conn, part: part)
    it = iter(readers)
    assert [next(it) for _ in range(3)] == [0, 1, 2]
    time.sleep(0.2)
    readers.close()
    assert not any(t.is_alive() for t in readers._threads)
    assert len(taken) <= 3 + export.READ_AHEAD  # read ahead, never the whole result
