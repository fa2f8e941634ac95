"""Distributed crawling parts against a real Redis on 127.0.0.1:6379 (DB 13, a key prefix per
test, removed afterwards): JSON requests, leases, reaper and dead letters, expiring
fingerprints, the shared token bucket, and a small crawl honouring Crawl-delay and 429."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import scrapy

from crawlers.distributed.distributed_settings import distributed_settings
from crawlers.distributed.dupefilter import ExpiringDupeFilter
from crawlers.distributed.keys import SourceKeys
from crawlers.distributed.politeness import DomainBuckets, retry_after_seconds
from crawlers.distributed.queue import LEASE_META, LeasedQueue
from crawlers.distributed.serializer import PayloadError, request_from_json, request_to_json
from crawlers.registry import parse_source
from crawlers.spiders.news import NewsSpider

REPO = Path(__file__).resolve().parents[1]
IN_CI = os.environ.get("CI", "").lower() == "true"
REDIS_DB = 13


def redis_or_skip(port: int = 6379):  # noqa: ANN201
    import redis

    client = redis.Redis(host="127.0.0.1", port=port, db=REDIS_DB, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        why = f"Redis on 127.0.0.1:{port} unreachable: {exc}"
        if IN_CI:
            pytest.fail(f"{why} (required under CI=true)")
        pytest.skip(why)
    return client


@pytest.fixture
def rds():
    """(client, url, prefix): a unique key prefix in DB 13, deleted after the test."""
    client = redis_or_skip()
    prefix = f"t{uuid.uuid4().hex[:10]}"
    yield client, f"redis://127.0.0.1:6379/{REDIS_DB}", prefix
    for key in client.scan_iter(match=f"{prefix}:*", count=1000):
        client.delete(key)


@pytest.fixture
def spider():
    return NewsSpider(source={"name": "unit", "kind": "news", "start_urls": ["http://a.test/"]})


# -- serialisation ----------------------------------------------------------------------------
def test_request_round_trips_as_json(spider):
    req = scrapy.Request("http://a.test/p?q=1", method="POST", body=b"\x00\xffbody",
                         headers={"X-Token": "abc"}, callback=spider.parse_article,
                         errback=None, priority=3, dont_filter=True,
                         meta={"handle_httpstatus_all": True, "depth": 2,
                               LEASE_META: "000001", "obj": object()},
                         cb_kwargs={"page": 2})
    text = request_to_json(req, spider)
    data = json.loads(text)  # plain JSON, no pickle anywhere
    assert data["callback"] == "parse_article" and "obj" not in data["meta"]
    assert LEASE_META not in data["meta"]  # a lease belongs to one worker
    back = request_from_json(text, spider)
    assert (back.url, back.method, back.body, back.priority, back.dont_filter) == \
        (req.url, "POST", b"\x00\xffbody", 3, True)
    assert back.headers[b"X-Token"] == b"abc"
    assert back.callback == spider.parse_article and back.cb_kwargs == {"page": 2}
    assert back.meta == {"handle_httpstatus_all": True, "depth": 2}


@pytest.mark.parametrize("payload", [
    b"\x80\x04\x95pickled",  # a pickle is refused, never loaded
    json.dumps({"v": 1, "url": "http://a.test/", "callback": "close"}),  # not a parse* method
    json.dumps({"v": 1, "url": "http://a.test/", "callback": "parse_nothing"}),  # no such method
    json.dumps({"v": 1, "url": "http://a.test/", "_class": "os.system"}).replace('"v"', '"x"'),
])
def test_bad_payloads_are_refused(spider, payload):
    with pytest.raises(PayloadError):
        request_from_json(payload, spider)


def test_payload_class_is_never_imported(spider):
    # "_class" is ignored: scrapy's request_from_dict would import and call it
    text = json.dumps({"v": 1, "url": "http://a.test/", "_class": "subprocess.Popen"})
    assert type(request_from_json(text, spider)) is scrapy.Request


# -- leases ---------------------------------------------------------------------------------
def make_queue(rds, spider, **kw) -> LeasedQueue:  # noqa: ANN001
    client, _, prefix = rds
    return LeasedQueue(client, spider, SourceKeys("unit", prefix), worker="w1", **kw)


def test_pop_leases_and_ack_removes(rds, spider):
    q = make_queue(rds, spider)
    q.push_many([scrapy.Request(f"http://a.test/{i}", callback=spider.parse_article)
                 for i in range(3)])
    first = q.pop()
    assert first.url == "http://a.test/0"  # FIFO within a priority
    assert q.counts() == {"queued": 2, "leased": 1, "dead": 0}
    q.ack([first.meta[LEASE_META]])
    assert q.counts() == {"queued": 2, "leased": 0, "dead": 0}
    q.push(scrapy.Request("http://a.test/urgent", priority=5))
    assert q.pop().url == "http://a.test/urgent"  # priority first


def test_expired_leases_return_then_go_to_dead_letters(rds, spider):
    q = make_queue(rds, spider, lease_seconds=0.2, max_attempts=2)
    q.push(scrapy.Request("http://a.test/x", callback=spider.parse_article))
    lease = q.pop().meta[LEASE_META]
    assert q.reap() == (0, 0)  # not expired yet
    time.sleep(0.3)
    assert q.reap() == (1, 0)  # the worker died: back to the queue, attempt 1
    again = q.pop()
    assert again.meta[LEASE_META] == lease and again.url == "http://a.test/x"
    time.sleep(0.3)
    assert q.reap() == (0, 1)  # attempt 2 of 2: dead-lettered
    assert q.counts() == {"queued": 0, "leased": 0, "dead": 1}
    [dead] = q.dead_letters()
    assert dead["reason"] == "lease expired" and dead["attempts"] == 2
    assert dead["request"]["url"] == "http://a.test/x"
    assert q.requeue_dead() == 1 and q.pop().url == "http://a.test/x"


def test_renewed_leases_do_not_expire(rds, spider):
    q = make_queue(rds, spider, lease_seconds=0.4)
    q.push(scrapy.Request("http://a.test/x"))
    lease = q.pop().meta[LEASE_META]
    for _ in range(3):
        time.sleep(0.2)
        assert q.renew([lease]) == 1
        assert q.reap() == (0, 0)


def test_no_reaping_for_a_lease_period_after_redis_comes_back(rds, spider):
    """Redis' clock runs on through an outage, so live workers' leases can be past their
    deadline when it returns: a worker that saw the outage leaves them a lease period to be
    renewed before it reaps (test_faults_lose_nothing redid live work without this)."""
    from crawlers.distributed.scheduler import DistributedScheduler

    client, _, prefix = rds
    sched = DistributedScheduler(client, None, prefix=prefix, lease_seconds=0.5)
    client_url = rds[1]
    spider.settings = scrapy.settings.Settings({"DAIHUO_REDIS_URL": client_url, "DAIHUO_REDIS_PREFIX": prefix})
    sched.open(spider)
    try:
        other = make_queue(rds, spider, lease_seconds=0.5)
        other.push(scrapy.Request("http://a.test/x"))
        other.pop()  # a live worker's lease, not renewed while Redis was away
        sched._went_down(ConnectionError("gone"))
        time.sleep(0.6)  # the outage outlasts the lease
        sched._up()
        sched._last["reap"] = 0.0
        sched.tick()
        assert other.counts() == {"queued": 0, "leased": 1, "dead": 0}
        time.sleep(0.6)  # a lease period after Redis came back: a dead worker's lease goes
        sched._last["reap"] = 0.0
        sched.tick()
        assert other.counts() == {"queued": 1, "leased": 0, "dead": 0}
    finally:
        sched._stopping.set()
        if sched._loop is not None and sched._loop.running:
            sched._loop.stop()


def test_release_does_not_count_an_attempt(rds, spider):
    q = make_queue(rds, spider, max_attempts=1)
    q.push(scrapy.Request("http://a.test/x"))
    lease = q.pop().meta[LEASE_META]
    assert q.nack([lease], "worker stopped", count=False) == ["queued"]
    lease = q.pop().meta[LEASE_META]
    assert q.nack([lease], "callback error") == ["dead"]


def test_unrunnable_payload_is_dead_lettered_on_pop(rds, spider):
    client, _, prefix = rds
    q = make_queue(rds, spider)
    keys = SourceKeys("unit", prefix)
    client.hset(keys.payloads, "0000000000000000", b"\x80\x04pickle")
    client.zadd(keys.queue, {"0000000000000000": 0})
    q.push(scrapy.Request("http://a.test/ok"))
    assert q.pop().url == "http://a.test/ok"
    assert q.counts()["dead"] == 1 and "bad payload" in q.dead_letters()[0]["reason"]


def test_enqueue_filters_duplicates_and_releases_the_lease_atomically(rds, spider):
    client, _, prefix = rds
    q = make_queue(rds, spider)
    df = ExpiringDupeFilter(client, SourceKeys("unit", prefix), ttl=60)
    keys, expire = df.generation_keys()
    r = scrapy.Request("http://a.test/page")
    assert q.enqueue(r, fingerprint=df.fingerprint(r), fp_keys=keys, fp_expire=expire)
    assert q.enqueue(r, fingerprint=df.fingerprint(r), fp_keys=keys, fp_expire=expire) is None
    leased = q.pop()
    # its redirect target is new: pushed, and the lease released in the same step
    target = scrapy.Request("http://a.test/moved")
    assert q.enqueue(target, fingerprint=df.fingerprint(target), fp_keys=keys,
                     fp_expire=expire, lease=leased.meta[LEASE_META])
    assert q.counts() == {"queued": 1, "leased": 0, "dead": 0}
    # a dont_filter request is queued, and recorded so later links to it are filtered
    start = scrapy.Request("http://a.test/start", dont_filter=True)
    assert q.enqueue(start, fingerprint=df.fingerprint(start), fp_keys=keys, fp_expire=expire,
                     check=False)
    assert df.request_seen(scrapy.Request("http://a.test/start"))


# -- fingerprints -------------------------------------------------------------------------------
def test_fingerprints_expire_after_ttl(rds):
    client, _, prefix = rds
    now = [1_000_000.0]
    df = ExpiringDupeFilter(client, SourceKeys("unit", prefix), ttl=100, generations=4,
                            clock=lambda: now[0])
    r = scrapy.Request("http://a.test/article/1")
    assert df.request_seen(r) is False
    assert df.request_seen(r) is True
    now[0] += 99
    assert df.request_seen(r) is True  # within the TTL
    now[0] += 30  # past ttl + one generation: forgotten, so a re-crawl refetches it
    assert df.request_seen(r) is False
    # every generation set carries an expiry: memory is bounded by the window
    sets = list(client.scan_iter(match=f"{prefix}:unit:fp:*"))
    assert sets and all(0 < client.ttl(k) <= 100 + 25 + 1 for k in sets)
    assert client.smembers(sets[0]).pop() == df.fingerprint(r)  # 20 raw bytes
    assert len(df.fingerprint(r)) == 20


# -- politeness ------------------------------------------------------------------------------
def test_token_bucket_spaces_grants_across_clients(rds):
    client, url, prefix = rds
    import redis

    a = DomainBuckets(client, prefix)
    b = DomainBuckets(redis.Redis.from_url(url), prefix)  # another worker's connection
    assert a.acquire("site.test", 0.3) == 0.0
    wait = b.acquire("site.test", 0.3)
    assert 0.2 < wait <= 0.3
    assert a.acquire("other.test", 0.3) == 0.0  # per domain
    time.sleep(wait)
    assert b.acquire("site.test", 0.3) == 0.0


def test_backoff_honours_retry_after_then_grows(rds):
    client, _, prefix = rds
    buckets = DomainBuckets(client, prefix, backoff_base=0.5, backoff_cap=4)
    assert buckets.backoff("site.test", retry_after=2) == 2
    assert 1.8 < buckets.acquire("site.test", 0) <= 2.0  # blocked for every worker
    assert buckets.backoff("site.test") == 1.0  # no Retry-After: base * 2^(streak-1)
    assert buckets.backoff("site.test") == 2.0
    assert buckets.backoff("site.test", retry_after=3600) == 4  # capped
    buckets.recovered("site.test")
    assert buckets.backoff("site.test") == 0.5


def test_retry_after_parsing():
    assert retry_after_seconds(b"120") == 120
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470) == 10
    assert retry_after_seconds(None) is None and retry_after_seconds("soon") is None


def test_settings_switch_to_distributed_mode_only_with_a_url():
    from daihuo.runs.crawling import project_settings, source_settings

    src = parse_source({"name": "s", "kind": "news", "start_urls": ["http://a.test/"],
                        "delay": 2.0, "concurrency": 2})
    base = source_settings(project_settings(DAIHUO_REDIS_URL=None), src)
    assert distributed_settings(base, src, url=None).get("SCHEDULER") == base.get("SCHEDULER")
    s = distributed_settings(base, src, url="redis://127.0.0.1:6379/0")
    assert s["SCHEDULER"].endswith("DistributedScheduler")
    assert s["DUPEFILTER_CLASS"].endswith("ExpiringDupeFilter")
    assert s.getfloat("DOWNLOAD_DELAY") == 0 and not s.getbool("AUTOTHROTTLE_ENABLED")
    pipes = s.getdict("ITEM_PIPELINES")
    assert "pipelines.storing.StorePipeline" not in pipes
    assert pipes["crawlers.distributed.leased_storing.LeasedStorePipeline"] == 300
    assert s.getint("CONCURRENT_REQUESTS_PER_DOMAIN") == 2


# -- a small real crawl: Crawl-delay and 429 ----------------------------------------------------
def crawl(rds, tmp_path, site, *, delay: float = 0.0, workers: int = 1, extra=(),  # noqa: ANN001
          handler=None):  # noqa: ANN001
    """Seed and run ``workers`` worker processes on ``site`` (a DemoSite); returns the store URL."""
    from daihuo.demo.demo_server import DemoServer, registry_toml, site_source

    _, url, prefix = rds
    srv = DemoServer(site)
    if handler is not None:
        srv.httpd.RequestHandlerClass = handler
    with srv:
        src = site_source("syn", srv.base_url, delay=delay, concurrency=4)
        reg = tmp_path / "reg.toml"
        reg.write_text(registry_toml([src]), encoding="utf-8")
        db = f"sqlite:///{tmp_path / 'store.sqlite'}"
        env = {**os.environ, "PYTHONPATH": str(REPO), "DAIHUO_HOME": str(tmp_path / "home"),
               "DAIHUO_REDIS_URL": url, "DAIHUO_REDIS_PREFIX": prefix}
        cmd = [sys.executable, "-m", "daihuo.runs.worker", "syn", "--registry", str(reg), "--db", db]
        subprocess.run(cmd + ["--seed"], env=env, check=True, capture_output=True, timeout=60)
        procs = [subprocess.Popen(cmd + ["--set", "DAIHUO_LEASE_SECONDS=5", *extra], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                 for _ in range(workers)]
        for p in procs:
            _, err = p.communicate(timeout=120)
            assert p.returncode == 0, err.decode()[-2000:]
        status = json.loads(subprocess.run(cmd + ["--status"], env=env, check=True,
                                           capture_output=True, timeout=60).stdout)["syn"]
    return db, status


@pytest.mark.slow
def test_crawl_honours_robots_crawl_delay(rds, tmp_path, monkeypatch):
    import daihuo.demo.demo_server as demosite
    from daihuo.demo.demo_server import DemoSite

    monkeypatch.setattr(demosite, "ROBOTS", demosite.ROBOTS + "Crawl-delay: 0.25\n")
    site = DemoSite(synthetic=12)
    _, status = crawl(rds, tmp_path, site, delay=0.0, workers=2)
    times = [t for t, p in site.requests if p != "/robots.txt"]
    assert len(times) >= 12 and status["done"] and status["dead"] == 0
    # Two workers share one 0.25 s spacing: at most 1/0.25 + 1 requests in any second (a
    # token bucket of burst 1), and the crawl cannot be faster than the spacing allows.
    assert max_in_window(times, 1.0) <= 5
    assert times[-1] - times[0] >= (len(times) - 1) * 0.25


def max_in_window(times: list[float], width: float) -> int:
    """The most requests seen in any window [t, t + width) (t: each request's time)."""
    import bisect

    times = sorted(times)
    return max(bisect.bisect_left(times, t + width) - i for i, t in enumerate(times))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="kernel receive timestamps: Linux")
def test_site_logs_when_a_request_arrived_not_when_it_was_served():
    """The rate tests measure what the site sees: a request that waits in the accept queue
    while the server is busy is logged at its arrival, so a stall cannot bunch the log."""
    import socket

    from daihuo.demo.demo_server import DemoServer, DemoSite

    site = DemoSite()
    srv = DemoServer(site)  # listening, but no thread serves it yet
    host, port = srv.httpd.server_address[:2]
    # Linux turns receive timestamps on in a deferred work item once a first socket asks for
    # them; a packet arriving before that has none (and would be logged when served)
    time.sleep(0.2)
    with socket.create_connection((host, port)) as conn:
        conn.sendall(b"GET /robots.txt HTTP/1.0\r\nHost: x\r\n\r\n")
        sent = time.monotonic()
        time.sleep(0.5)
        with srv:
            reply = b""
            while chunk := conn.recv(4096):
                reply += chunk
            served = time.monotonic()
    assert reply.startswith(b"HTTP/1.0 200")
    [(logged, path)] = site.requests
    assert path == "/robots.txt"
    assert abs(logged - sent) < 0.1 and served - logged > 0.4


class TooManyRequestsOnce:
    """Wraps a DemoSite: the first request for the home page is answered 429, Retry-After: 2
    (the only request of the run then: its retry goes back to the shared queue, and whichever
    worker takes it must wait out the pause)."""

    def __init__(self, site) -> None:  # noqa: ANN001
        self.site = site
        self.requests = site.requests
        self.refused_at: float | None = None

    def respond(self, path: str, base: str, at: float | None = None):  # noqa: ANN201
        status, ctype, body = self.site.respond(path, base, at)
        if path == "/" and self.refused_at is None:
            self.refused_at = time.monotonic()
            return 429, "text/plain", b"slow down"
        return status, ctype, body


def retry_after_handler(site):  # noqa: ANN001, ANN201
    from daihuo.demo.demo_server import _Handler

    class Handler(_Handler):
        def do_GET(self) -> None:  # noqa: N802
            host, port = self.server.server_address[:2]
            status, ctype, body = self.site.respond(self.path, f"http://{host}:{port}")
            self.send_response(status)
            if status == 429:
                self.send_header("Retry-After", "2")
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    Handler.site = site
    return Handler


@pytest.mark.slow
def test_429_pauses_every_worker_for_retry_after(rds, tmp_path):
    from daihuo.demo.demo_server import DemoSite

    site = TooManyRequestsOnce(DemoSite(synthetic=60))
    _, status = crawl(rds, tmp_path, site, workers=2, handler=retry_after_handler(site))
    assert site.refused_at is not None and status["done"] and status["dead"] == 0
    after = [t for t, p in site.requests if t > site.refused_at and p != "/robots.txt"]
    assert after and min(after) - site.refused_at >= 1.9  # nobody asked during Retry-After
    assert status["stats"].get("daihuo/politeness/backoffs") == 1
    assert site.site.fetched("/").count("/") == 2  # refused, then retried
    assert set(site.site.fetched("/news/")) == listed_articles(site.site)


def listed_articles(site) -> set[str]:  # noqa: ANN001
    """Paths of the site's articles a crawl from the list pages reaches (not robots-private,
    not feed-only)."""
    from daihuo.demo.demo_server import article_path

    return {article_path(a) for page in site.pages for a in page if not a.get("private")}
