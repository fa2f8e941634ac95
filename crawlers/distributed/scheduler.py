"""scrapy-redis' scheduler, made safe to run on many workers.

On top of ``scrapy_redis.scheduler.Scheduler``: one shared queue per *source* (not per spider
class), leased pops (``queue.LeasedQueue``), expiring fingerprints checked in the same atomic
step as the push, a periodic tick that renews this worker's leases, reaps expired ones and
publishes its stats, and tolerance of Redis outages: every write goes through an ordered
outbox that is retried with backoff, and the worker simply pauses (no new requests) while
Redis is away. The queue is never flushed by a worker: it belongs to the run.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
from collections import deque
from collections.abc import Callable

from scrapy import Request, Spider, signals
from scrapy.exceptions import DontCloseSpider
from scrapy_redis.scheduler import Scheduler
from twisted.internet import task

from crawlers.distributed.connection import REDIS_DOWN, connect, redis_prefix
from crawlers.distributed.dupefilter import ExpiringDupeFilter
from crawlers.distributed.keys import SourceKeys
from crawlers.distributed.leases import LeaseTracker
from crawlers.distributed.queue import LEASE_META, LeasedQueue

log = logging.getLogger(__name__)


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class DistributedScheduler(Scheduler):
    def __init__(self, server, crawler=None, *, prefix: str = "daihuo",  # noqa: ANN001
                 lease_seconds: float = 60.0, max_attempts: int = 3,
                 exit_when_done: bool = True, tick_seconds: float = 1.0) -> None:
        from crawlers.distributed import serializer

        super().__init__(server, persist=True, flush_on_start=False,
                         queue_cls="crawlers.distributed.queue.LeasedQueue",
                         dupefilter_cls="crawlers.distributed.dupefilter.ExpiringDupeFilter",
                         serializer=serializer)
        self.crawler = crawler
        self.prefix = prefix
        self.lease_seconds = lease_seconds
        self.max_attempts = max_attempts
        self.exit_when_done = exit_when_done
        self.tick_seconds = tick_seconds
        self.worker = worker_id()
        self.outbox: deque[tuple[str, Callable[[], object]]] = deque()
        self.down_since: float | None = None
        self._retry_at = 0.0
        self._backoff = 0.5
        self._loop: task.LoopingCall | None = None
        self._last = {"reap": 0.0, "stats": 0.0}
        # After a Redis outage live workers' leases may have run past their deadlines (Redis'
        # clock kept going); this worker reaps nothing until their heartbeats had a lease
        # period to renew them, so only a dead worker's requests are redone.
        self._reap_from = 0.0
        self._heartbeat: threading.Thread | None = None
        self._stopping = threading.Event()
        self.tracker = LeaseTracker(self._ack, self._nack)

    @classmethod
    def from_crawler(cls, crawler):  # noqa: ANN001, ANN206
        s = crawler.settings
        url = s.get("DAIHUO_REDIS_URL") or s.get("REDIS_URL")
        inst = cls(connect(url), crawler, prefix=s.get("DAIHUO_REDIS_PREFIX") or redis_prefix(),
                   lease_seconds=s.getfloat("DAIHUO_LEASE_SECONDS", 60.0),
                   max_attempts=s.getint("DAIHUO_MAX_ATTEMPTS", 3),
                   exit_when_done=s.getbool("DAIHUO_EXIT_WHEN_DONE", True),
                   tick_seconds=s.getfloat("DAIHUO_TICK_SECONDS", 1.0))
        inst.stats = crawler.stats
        crawler.daihuo_scheduler = inst  # the lease middlewares and the store find it here
        crawler.signals.connect(inst.spider_idle, signal=signals.spider_idle)
        return inst

    # -- open / close ----------------------------------------------------------------------
    def open(self, spider: Spider) -> None:
        self.spider = spider
        source = getattr(getattr(spider, "source", None), "name", spider.name)
        self.keys = SourceKeys(source, self.prefix)
        self.queue = LeasedQueue(self.server, spider, self.keys, worker=self.worker,
                                 lease_seconds=self.lease_seconds, max_attempts=self.max_attempts)
        if self.df is None:
            self.df = ExpiringDupeFilter.from_spider(spider)
        engine = getattr(self.crawler, "engine", None)
        if engine is not None and hasattr(engine, "_SLOT_HEARTBEAT_INTERVAL"):
            # Scrapy polls an idle scheduler every 5 s; a worker waiting on others' leases
            # (or a Redis outage) should notice new work sooner.
            engine._SLOT_HEARTBEAT_INTERVAL = min(engine._SLOT_HEARTBEAT_INTERVAL, 1.0)
        self._wait_for_redis()
        self._refresh_run()
        self._loop = task.LoopingCall(self.tick)
        self._loop.start(self.tick_seconds, now=False)
        self._heartbeat = threading.Thread(target=self._renew_leases, daemon=True,
                                           name="daihuo-lease-heartbeat")
        self._heartbeat.start()

    def close(self, reason: str) -> None:
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        self._stopping.set()
        self.tracker.flush_holders()
        # Leases still held were not finished here: back to the queue for another worker.
        # A clean stop is not a failed attempt; a crash (no close at all) is, via the reaper.
        self.tracker.give_back_all(f"worker {self.worker} stopped ({reason})", count=False)
        deadline = time.monotonic() + 60
        while not self._flush_outbox(force=True) and time.monotonic() < deadline:
            time.sleep(1)
        if self.outbox:
            log.error("Redis unreachable at close: %d queue operation(s) not delivered; their "
                      "leases expire and are redone", len(self.outbox))
        self._publish_stats(final=True)

    def _wait_for_redis(self) -> None:
        delay = 0.5
        deadline = time.monotonic() + self.crawler.settings.getfloat(
            "DAIHUO_REDIS_STARTUP_WAIT", 120.0) if self.crawler else time.monotonic()
        while True:
            try:
                self.server.ping()
                return
            except REDIS_DOWN as exc:
                if time.monotonic() > deadline:
                    raise
                log.warning("Redis unreachable (%s); retrying in %.1fs", exc, delay)
                time.sleep(delay)
                delay = min(delay * 2, 5.0)

    # -- the Scrapy scheduler interface ----------------------------------------------------
    def __len__(self) -> int:
        return len(self.queue)

    def has_pending_requests(self) -> bool:
        if self.outbox or self._paused():
            return True
        try:
            return len(self.queue) > 0
        except REDIS_DOWN as exc:
            self._went_down(exc)
            return True

    def enqueue_request(self, request: Request) -> bool:
        lease = request.meta.pop(LEASE_META, None)  # a retry/redirect of a leased request
        if lease:
            self.tracker.forget(lease)
        out = self._do("enqueue", lambda: self._enqueue(request, lease))
        return out is not False

    def next_request(self) -> Request | None:
        if not self._flush_outbox():
            return None
        try:
            request = self.queue.pop()
        except REDIS_DOWN as exc:
            self._went_down(exc)
            return None
        self._up()
        if request is not None:
            self.tracker.leased(request.meta[LEASE_META])
            if self.stats:
                self.stats.inc_value("scheduler/dequeued/redis")
        return request

    def _enqueue(self, request: Request, lease: str | None) -> bool:
        keys, expire = self.df.generation_keys()
        rid = self.queue.enqueue(request, fingerprint=self.df.fingerprint(request),
                                 fp_keys=keys, fp_expire=expire, lease=lease,
                                 check=not request.dont_filter)
        if rid is None:
            self.df.log(request, self.spider)
            return False
        if self.stats:
            self.stats.inc_value("scheduler/enqueued/redis")
        return True

    # -- leases ----------------------------------------------------------------------------
    def _ack(self, lease: str) -> None:
        self._do("ack", lambda: self.queue.ack([lease]))
        if self.stats:
            self.stats.inc_value("daihuo/leases/acked")

    def _nack(self, lease: str, reason: str, mode: str) -> None:
        if mode != "release":
            log.warning("lease %s given back (%s): %s", lease, mode, reason)
        self._do("nack", lambda: self.queue.nack([lease], reason, dead=mode == "dead",
                                                 count=mode != "release"))
        if self.stats:
            self.stats.inc_value(f"daihuo/leases/{mode}")

    def spider_idle(self, spider: Spider) -> None:
        """The engine has nothing to do: store what is batched, settle leftovers, and close
        only when the whole run is finished (nothing queued, nothing leased by anyone)."""
        self.tracker.flush_holders()
        orphans = self.tracker.give_back_all("lease held while the worker was idle")
        if orphans:
            log.error("%d lease(s) were never settled; returned to the queue", len(orphans))
        if not self._flush_outbox(force=True):
            raise DontCloseSpider
        try:
            if time.monotonic() >= self._reap_from:
                self.queue.reap()
            counts = self.queue.counts()
            seeded = self.server.hexists(self.keys.run, "run_id")
        except REDIS_DOWN as exc:
            self._went_down(exc)
            raise DontCloseSpider from None
        if not self.exit_when_done or not seeded or counts["queued"] or counts["leased"]:
            raise DontCloseSpider

    # -- the periodic tick -----------------------------------------------------------------
    def tick(self) -> None:
        now = time.monotonic()
        if not self._flush_outbox():
            return
        try:
            if now >= self._reap_from and now - self._last["reap"] >= max(self.lease_seconds / 4, 1.0):
                self._last["reap"] = now
                self.queue.reap()
            if now - self._last["stats"] >= 2.0:
                self._last["stats"] = now
                self._refresh_run()
                self._publish_stats()
        except REDIS_DOWN as exc:
            self._went_down(exc)

    def _renew_leases(self) -> None:
        """Renew this worker's leases from a thread of its own: the reactor thread can be busy
        for seconds (a large store batch, loading dictionaries), and a lease must expire only
        when the worker is gone, not when it is busy. Retries every second while Redis is
        away, so a short outage does not hand live work to another worker."""
        interval = max(self.lease_seconds / 4, 0.25)
        while not self._stopping.is_set():
            wait = interval
            try:
                ids = self.tracker.ids()
                if ids:
                    self.queue.renew(ids)
            except REDIS_DOWN:
                wait = min(interval, 1.0)
            except Exception:  # never let the heartbeat die silently
                log.exception("lease heartbeat failed")
            self._stopping.wait(wait)

    def _refresh_run(self) -> None:
        try:
            run_id = self.server.hget(self.keys.run, "run_id")
        except REDIS_DOWN:
            return
        if run_id is not None and hasattr(self.spider, "run_id"):
            self.spider.run_id = int(run_id)

    def _publish_stats(self, final: bool = False) -> None:
        if not self.stats:
            return
        stats = self.stats.get_stats()
        stats["daihuo/worker/leases_held"] = len(self.tracker)
        payload = json.dumps({"worker": self.worker, "run_id": getattr(self.spider, "run_id", None),
                              "final": final, "at": time.time(), "stats": stats}, default=str)
        try:
            pipe = self.server.pipeline(transaction=False)
            pipe.set(self.keys.stats(self.worker), payload, ex=7 * 86400)
            if final:
                pipe.zrem(self.keys.workers, self.worker)
            else:
                pipe.zadd(self.keys.workers, {self.worker: time.time()})
            pipe.execute()
        except REDIS_DOWN:
            pass

    # -- outages ---------------------------------------------------------------------------
    def _do(self, what: str, op: Callable[[], object]) -> object:
        """Run a Redis write now, or queue it behind earlier ones while Redis is away."""
        if not self.outbox and not self._paused():
            try:
                out = op()
                self._up()
                return out
            except REDIS_DOWN as exc:
                self._went_down(exc)
        self.outbox.append((what, op))
        return None

    def _flush_outbox(self, force: bool = False) -> bool:
        """Deliver queued writes in order; True when none is left."""
        if self._paused() and not force:
            return False
        while self.outbox:
            try:
                self.outbox[0][1]()
            except REDIS_DOWN as exc:
                self._went_down(exc)
                return False
            self.outbox.popleft()
        self._up()
        return True

    def _paused(self) -> bool:
        return self.down_since is not None and time.monotonic() < self._retry_at

    def _went_down(self, exc: Exception) -> None:
        now = time.monotonic()
        if self.down_since is None:
            self.down_since = now
            log.warning("Redis unreachable (%s): pausing, writes kept in order until it is back",
                        exc)
            if self.stats:
                self.stats.inc_value("daihuo/redis/outages")
        else:
            self._backoff = min(self._backoff * 2, 2.0)
        self._retry_at = now + self._backoff

    def _up(self) -> None:
        if self.down_since is not None:
            log.warning("Redis is back after %.1fs; %d queued write(s) delivered",
                        time.monotonic() - self.down_since, len(self.outbox))
            self.down_since = None
            self._backoff = 0.5
            self._reap_from = time.monotonic() + self.lease_seconds
