"""The store pipeline for workers: acknowledges leases only once their items are written.

``pipelines.storing.StorePipeline`` batches writes and spools a batch to disk when the store
refuses it. A worker must not acknowledge a request while its item sits in a batch in memory
(a killed worker would lose it), so this subclass releases each item's lease after the batch
write returns (stored, or spooled to disk). It also waits for the store at start-up and, at
close, keeps replaying the spool with backoff for a while so an outage does not leave the
run's items on one machine's disk. Spool files are claimed by rename before replay, so the
workers sharing a data directory never replay the same batch concurrently.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

from scrapy import signals

from crawlers.distributed.leases import page_of, tracker_of
from nlp.document import Document
from pipelines.listing_items import ListingBatch
from pipelines.storing import StorePipeline
from pipelines.wiring import system_of
from storage.spool import Spool
from storage.store import Outcome, Store

log = logging.getLogger(__name__)


class ClaimingSpool(Spool):
    """A spool that several processes on one machine may replay at once."""

    def replay(self, store: Store) -> list[Outcome]:
        outcomes: list[Outcome] = []
        if not self.dir.exists():
            return outcomes
        self._reclaim_dead()
        mine = self.dir / f".claim-{os.getpid()}"
        for path in sorted(self.dir.glob("batch-*.jsonl")):
            mine.mkdir(exist_ok=True)
            claimed = mine / path.name
            try:
                path.rename(claimed)  # atomic: exactly one process gets each batch
            except FileNotFoundError:
                continue
            try:
                outcomes.extend(Spool(mine).replay(store))
            except Exception:
                if claimed.exists():
                    claimed.rename(path)  # back to the spool for the next try
                raise
        _rmdir(mine)
        return outcomes

    def _reclaim_dead(self) -> None:
        """Batches claimed by a process that died mid-replay go back to the spool."""
        for claim in self.dir.glob(".claim-*"):
            try:
                pid = int(claim.name.split("-", 1)[1])
            except ValueError:
                continue
            if pid != os.getpid() and not _alive(pid):
                for f in claim.glob("batch-*.jsonl"):
                    f.rename(self.dir / f.name)
                _rmdir(claim)

    def pending(self) -> int:
        return len(list(self.dir.glob("batch-*.jsonl"))) if self.dir.exists() else 0


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _rmdir(path: Path) -> None:
    try:
        path.rmdir()
    except OSError:
        pass


class LeasedStorePipeline(StorePipeline):
    def __init__(self, *args, crawler=None, **kwargs) -> None:  # noqa: ANN001, ANN002, ANN003
        super().__init__(*args, **kwargs)
        self.crawler = crawler
        self.pending_pages: list[object] = []
        self.close_wait = 300.0

    @classmethod
    def from_crawler(cls, crawler):  # noqa: ANN001, ANN206
        s = crawler.settings
        system = system_of(crawler)
        store = _open_with_retry(system, s.getfloat("DAIHUO_STORE_STARTUP_WAIT", 120.0))
        pipe = cls(store, ClaimingSpool(system.config.spool_dir), s.getint("DAIHUO_STORE_BATCH", 100),
                   crawler.stats, crawler=crawler)
        pipe.close_wait = s.getfloat("DAIHUO_STORE_CLOSE_WAIT", 300.0)
        crawler.signals.connect(pipe.spider_opened, signal=signals.spider_opened)
        return pipe

    def spider_opened(self, spider) -> None:  # noqa: ANN001
        tracker = tracker_of(self.crawler)
        if tracker is not None:
            tracker.flushers.append(self.flush)  # an idle worker writes what it holds

    def process_item(self, item):  # noqa: ANN001, ANN201
        if isinstance(item, (Document, ListingBatch)):
            self.pending_pages.append(page_of(item))
            return super().process_item(item)
        self._release([item])  # not for the store: nothing to wait for
        return item

    def flush(self) -> None:
        pages, self.pending_pages = self.pending_pages, []
        super().flush()  # stored, or spooled to disk: durable either way
        self._release(pages)

    def _release(self, items: list[object]) -> None:
        tracker = tracker_of(self.crawler) if self.crawler else None
        if tracker is not None:
            for item in items:
                tracker.release_item(item)

    def close_spider(self, spider=None) -> None:  # noqa: ANN001
        self.flush()
        # An outage may have spooled batches: keep replaying a while, so the run's items
        # reach the shared store rather than wait on this machine's disk for the next run.
        delay, deadline = 1.0, time.monotonic() + self.close_wait
        while isinstance(self.spool, ClaimingSpool) and self.spool.pending():
            try:
                self.count(self.spool.replay(self.store))
            except Exception as exc:  # noqa: BLE001
                if time.monotonic() > deadline:
                    log.error("store still unreachable (%s); %d batch(es) stay spooled in %s and "
                              "are replayed by the next crawl or worker", type(exc).__name__,
                              self.spool.pending(), self.spool.dir)
                    break
                log.warning("store unreachable (%s); retrying spooled batches in %.0fs",
                            type(exc).__name__, delay)
                time.sleep(delay)
                delay = min(delay * 2, 10.0)
        self.store.close()


def _open_with_retry(system, wait: float) -> Store:  # noqa: ANN001
    delay, deadline = 1.0, time.monotonic() + wait
    while True:
        try:
            system.engine  # noqa: B018 - connects and checks the schema
            return system.store()
        except Exception as exc:  # noqa: BLE001
            if time.monotonic() > deadline:
                raise
            log.warning("store unreachable (%s); retrying in %.0fs", type(exc).__name__, delay)
            time.sleep(delay)
            delay = min(delay * 2, 10.0)
