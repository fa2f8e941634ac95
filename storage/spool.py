"""Batches the store could not take wait on disk and are replayed, without poisoning it.

A spool file is JSON lines: a header ``{"spool": 2}`` then one PageRecord per line (files
written before the header existed hold records only, and are still replayed). On replay,
and when a new batch is refused, the failure decides: a *transient* one (store unreachable,
database locked) leaves the batch waiting; a *lasting* one (a value longer than its column,
a constraint) splits the batch until the bad records are isolated, which go to the
``quarantine`` table with their error, and the rest is written. So one bad record never
blocks the others, nor every later run.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import insert
from sqlalchemy.exc import DBAPIError, DisconnectionError, OperationalError, TimeoutError

from storage.models import Quarantine
from storage.records import PageRecord
from storage.store import Outcome, Store
from storage.timestamps import now_utc

log = logging.getLogger(__name__)

SPOOL_VERSION = 2


def is_transient(exc: BaseException) -> bool:
    """True when retrying later may succeed: the store is down, busy or locked."""
    if isinstance(exc, (OperationalError, DisconnectionError, TimeoutError, ConnectionError, OSError)):
        return True
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


def quarantine(store: Store, rec: PageRecord, error: BaseException) -> None:
    """Keep a refused record with its error (visible in daihuo info, the console, the run)."""
    message = f"{type(error).__name__}: {error}".splitlines()[0][:2000]
    with store.engine.begin() as conn:
        conn.execute(insert(Quarantine).values(
            created_at=now_utc(), run_id=rec.raw.run_id, source=rec.raw.source,
            url=rec.raw.url or "(no URL)", error=message, record=rec.to_json()))
    log.error("quarantined %s: %s", rec.raw.url, message)


def write_isolating(store: Store, records: list[PageRecord],
                    on_bad: Callable[[Store, PageRecord, BaseException], None] = quarantine,
                    ) -> list[Outcome]:
    """``store.write(records)``; on a lasting failure, halves until each bad record is alone
    and handed to ``on_bad``. Transient failures are raised (the caller spools and retries)."""
    try:
        return store.write(records)
    except Exception as exc:
        if is_transient(exc):
            raise
        if len(records) == 1:
            on_bad(store, records[0], exc)
            return [Outcome("quarantined", records[0].raw.url, reason=str(exc)[:200])]
        mid = len(records) // 2
        return write_isolating(store, records[:mid], on_bad) + write_isolating(store, records[mid:], on_bad)


class Spool:
    """A folder of batches waiting for the store."""

    def __init__(self, directory: Path) -> None:
        self.dir = directory

    def put(self, records: list[PageRecord]) -> Path:
        self.dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = self.dir / f"batch-{now_utc().strftime('%Y%m%dT%H%M%S%f')}.jsonl"
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # page text: private
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(json.dumps({"spool": SPOOL_VERSION}) + "\n")
            for rec in records:
                fh.write(json.dumps(rec.to_json(), ensure_ascii=False) + "\n")
        tmp.replace(path)  # atomic: a half-written spool file is never replayed
        return path

    def pending(self) -> int:
        return len(list(self.dir.glob("batch-*.jsonl"))) if self.dir.exists() else 0

    @staticmethod
    def read(path: Path) -> list[PageRecord]:
        records = []
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                if not line.strip():
                    continue
                data = json.loads(line)
                if "spool" in data and "raw" not in data:  # the header
                    if data["spool"] > SPOOL_VERSION:
                        raise ValueError(f"{path} is spool format {data['spool']}, newer than "
                                         f"this daihuo reads ({SPOOL_VERSION}): upgrade daihuo")
                    continue
                records.append(PageRecord.from_json(data))
        return records

    def replay(self, store: Store) -> list[Outcome]:
        """Write every waiting batch, oldest first; bad records are quarantined. A transient
        failure stops the replay (the batches wait) and is raised."""
        outcomes: list[Outcome] = []
        if not self.dir.exists():
            return outcomes
        for path in sorted(self.dir.glob("batch-*.jsonl")):
            outcomes.extend(write_isolating(store, self.read(path)))
            path.unlink()
        return outcomes
