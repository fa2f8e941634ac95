"""Checkpoint an SQLite store's write-ahead log in a thread of its own, beside the writer.

SQLite copies the WAL back into the database at the commit that makes it pass 1,000 pages
(an automatic checkpoint) and then syncs the database file: a Store.write batch of 1,000
articles dirties a few thousand scattered pages, so each of its commits waited a quarter of a
second, mostly for the disk (a fifth of the write at 300,000 articles, bench/store_write.py).
Here the batch's connection commits without checkpointing and this thread checkpoints
(PASSIVE: it never blocks the writer, nor waits for readers) while the writer works on the
next batch. SQLite starts the log afresh only when a transaction begins after a checkpoint
has copied all of it, which a checkpoint running beside a busy writer never has; so once the
log passes ``settle_bytes`` the writer itself finishes the checkpoint before its next batch
(``catch_up``), and the log starts again from its beginning. Every other connection keeps
SQLite's automatic checkpoint, so a store is checkpointed whether or not this thread runs.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from pathlib import Path

log = logging.getLogger(__name__)

#: the WAL's size past which the writer waits for a whole checkpoint before its next batch
SETTLE_BYTES = 512 << 20
#: SQLite's own automatic checkpoint threshold, restored on the writer's connection after
#: each batch (the pool lends that connection to other work too)
AUTOCHECKPOINT_PAGES = 1000


class WalCheckpointer:
    """One daemon thread per store file, woken after each batch's commit (``poke``)."""

    def __init__(self, path: Path, settle_bytes: int = SETTLE_BYTES) -> None:
        self.path = Path(path)
        self.settle_bytes = settle_bytes
        self.checkpoints = 0  # how many ran (tests, diagnostics)
        self.log_frames = 0  # the log's length at the last checkpoint (frames of a page each)
        self.pid = os.getpid()  # a forked child has no such thread: it starts its own
        self._conn = sqlite3.connect(self.path, timeout=30, isolation_level=None,
                                     check_same_thread=False)
        self._page_size = self._conn.execute("PRAGMA page_size").fetchone()[0]
        self._lock = threading.Lock()  # one checkpoint at a time on the connection
        self._wake = threading.Event()
        self._stop = False
        self._thread = threading.Thread(target=self._run, name=f"wal-checkpoint:{self.path.name}",
                                        daemon=True)
        self._thread.start()

    def poke(self) -> None:
        """A batch committed: checkpoint what it wrote (returns at once)."""
        self._wake.set()

    def catch_up(self) -> None:
        """Before a batch: if the log has grown past ``settle_bytes``, finish the checkpoint
        now, so the batch's transaction starts the log afresh. (The log's length, not its
        file's size: SQLite reuses the file from its start, it does not shrink it.)"""
        if self.log_frames * self._page_size > self.settle_bytes:
            self._checkpoint()

    def close(self) -> None:
        """Stop the thread, then checkpoint what is committed one last time."""
        self._stop = True
        self._wake.set()
        self._thread.join(timeout=60)
        self._checkpoint()
        with self._lock:
            self._conn.close()

    def _checkpoint(self) -> None:
        with self._lock:
            try:
                _, frames, _ = self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                self.log_frames = max(frames, 0)  # -1: not in WAL mode
                self.checkpoints += 1
            except sqlite3.Error as exc:  # busy, or the file went away: the next one catches up
                log.debug("WAL checkpoint of %s skipped: %s", self.path, exc)

    def _run(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            if self._stop:
                return
            self._checkpoint()
