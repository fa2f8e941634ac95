"""How fast this machine is today, printed beside benchmark figures: the machines these
benchmarks run on differ in speed, and one machine from hour to hour, so absolute rates from
two runs compare only with this beside them (ratios measured in one run need no correction).

Two probes, because they disagree: on one machine the Python loop read 0.35-0.53 s while the
store's load and queries ran 1.6-2x slower than on a machine where it read 0.67 s. The load
is bound by SQLite's B-tree work (random index pages, memory copies, the WAL), which the
second probe imitates: random-key inserts into an indexed table of a file database."""

from __future__ import annotations

import os
import sqlite3
import tempfile
import time
from pathlib import Path

STEPS = 10_000_000
ROWS, BATCH = 100_000, 1_000


def loop_seconds(repeat: int = 3) -> float:
    """The best of ``repeat`` timings of a pure-Python loop of STEPS additions (one core)."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        s = 0
        for i in range(STEPS):
            s += i
        best = min(best, time.perf_counter() - t0)
    return best


def sqlite_seconds() -> float:
    """ROWS rows of 1 KB under a random 40-character unique key, BATCH per transaction, into
    a new file in WAL mode with synchronous=NORMAL, as the store runs (fixed here, not read
    from storage.db, so the probe stays the same when the store's settings change): seconds."""
    with tempfile.TemporaryDirectory(prefix="daihuo-probe-") as tmp:
        conn = sqlite3.connect(Path(tmp) / "probe.sqlite", isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, k TEXT UNIQUE, v BLOB)")
            rows = [(os.urandom(20).hex(), os.urandom(1024)) for _ in range(ROWS)]
            t0 = time.perf_counter()
            for i in range(0, ROWS, BATCH):
                conn.execute("BEGIN")
                conn.executemany("INSERT INTO t (k, v) VALUES (?, ?)", rows[i:i + BATCH])
                conn.execute("COMMIT")
            return time.perf_counter() - t0
        finally:
            conn.close()


def machine_speed() -> str:
    return (f"here a {STEPS // 1_000_000}M-step Python loop takes {loop_seconds():.2f} s, "
            f"{ROWS // 1000}k random-key SQLite inserts {sqlite_seconds():.2f} s")
