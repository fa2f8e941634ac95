"""Three worker processes crawl a 1,200-page local site through Redis into PostgreSQL.

* ``test_three_workers_fetch_once_store_once_within_rate``: every page fetched exactly once
  (the site's own request log), every article stored once (PostgreSQL, ``pg_url``), and the
  site never sees more than the source's rate across the three workers together: at most
  ``rate * W + 1`` requests in any window of W seconds (a token bucket of burst 1), W = 1, 5.
* ``test_faults_lose_nothing``: one worker is killed with SIGKILL mid-crawl, Redis is restarted
  and PostgreSQL stopped for 12 s, and still every article is fetched and stored exactly once.
  "Restarting Redis loses nothing" means: Redis keeps its data across a restart (appendonly,
  fsync always, as a production deployment must be configured); a Redis that keeps nothing on
  disk (like the shared CI one) loses the queue on restart by definition. So this test starts
  its *own* redis-server with AOF on a free port, and its own PostgreSQL cluster (initdb as
  the postgres user into a temp directory, on a free port), so stopping them disturbs no other
  test.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from test_distributed import IN_CI, REDIS_DB, listed_articles, max_in_window, redis_or_skip

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def need(condition: bool, why: str) -> None:
    if not condition:
        if IN_CI:
            pytest.fail(f"{why} (required under CI=true)")
        pytest.skip(why)


class OwnRedis:
    """A redis-server of this test's own, persisting every write (appendfsync always)."""

    def __init__(self, workdir: Path) -> None:
        self.dir = workdir
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.dir),
             "--appendonly", "yes", "--appendfsync", "always", "--save", "",
             "--logfile", str(self.dir / "redis.log")])
        import redis

        client = redis.Redis(port=self.port, socket_connect_timeout=1)
        for _ in range(100):
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
            except redis.BusyLoadingError:
                time.sleep(0.05)
        raise RuntimeError("own redis-server did not start")

    def leased_paths(self, worker: str, ns: str) -> set[str]:
        """Paths of the requests ``worker`` holds leases on."""
        import redis

        client = redis.Redis(port=self.port)
        ids = [i for i, w in client.hgetall(f"{ns}:owners").items() if w.decode() == worker]
        payloads = client.hmget(f"{ns}:payloads", ids) if ids else []
        return {urlsplit(json.loads(p)["url"]).path for p in payloads if p}

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            import redis

            try:
                redis.Redis(port=self.port).shutdown()  # fsyncs the AOF, then exits
            except redis.RedisError:
                pass
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class OwnPostgres:
    """A throwaway PostgreSQL cluster on a free port, run as the postgres user."""

    def __init__(self) -> None:
        bins = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
        need(bool(bins) and os.geteuid() == 0 and shutil.which("runuser") is not None,
             "an own PostgreSQL needs /usr/lib/postgresql/*/bin/initdb and root (runuser)")
        self.bin = bins[-1].parent
        self.dir = Path(tempfile.mkdtemp(prefix="daihuo-pg-"))
        shutil.chown(self.dir, "postgres", "postgres")
        self.port = free_port()
        self._run(self.bin / "initdb", "-D", self.dir / "data", "-A", "trust", "-U", "postgres",
                  "--no-sync", "-E", "UTF8")

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *cmd: object) -> None:
        subprocess.run(["runuser", "-u", "postgres", "--", *map(str, cmd)], check=True,
                       capture_output=True, timeout=60)

    def start(self) -> None:
        opts = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(self.bin / "pg_ctl", "-D", self.dir / "data", "-l", self.dir / "log", "-w",
                  "-o", opts, "start")

    def stop(self) -> None:
        self._run(self.bin / "pg_ctl", "-D", self.dir / "data", "-m", "fast", "-w", "stop")

    def remove(self) -> None:
        try:
            self.stop()
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)


class Crawl:
    """A synthetic site, its registry entry, and worker processes started on it."""

    def __init__(self, tmp: Path, site, base_url: str, redis_url: str, prefix: str,  # noqa: ANN001
                 db_url: str, delay: float) -> None:
        from daihuo.demo.demo_server import registry_toml, site_source

        self.site, self.tmp = site, tmp
        src = site_source("syn", base_url, delay=delay, concurrency=8)
        reg = tmp / "reg.toml"
        reg.write_text(registry_toml([src]), encoding="utf-8")
        self.env = {**os.environ, "PYTHONPATH": str(REPO), "DAIHUO_HOME": str(tmp / "home"),
                    "DAIHUO_REDIS_URL": redis_url, "DAIHUO_REDIS_PREFIX": prefix}
        self.cmd = [sys.executable, "-m", "daihuo.runs.worker", "syn", "--registry", str(reg),
                    "--db", db_url]
        self.procs: list[subprocess.Popen] = []

    def seed(self) -> None:
        subprocess.run(self.cmd + ["--seed"], env=self.env, check=True, capture_output=True,
                       timeout=120)

    def start_workers(self, n: int, *settings: str) -> None:
        for i in range(n):
            err = open(self.tmp / f"worker{i}.log", "wb")  # noqa: SIM115 - closed with the process
            sets = [a for kv in settings for a in ("--set", kv)]
            self.procs.append(subprocess.Popen(self.cmd + sets, env=self.env,
                                               stdout=subprocess.DEVNULL, stderr=err))

    def wait_until_fetched(self, n: int, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while len(self.site.fetched("/news/")) < n:
            assert time.monotonic() < deadline, f"crawl stalled before {n} articles"
            time.sleep(0.1)

    def wait(self, timeout: float, skip: tuple[int, ...] = ()) -> None:
        deadline = time.monotonic() + timeout
        for i, p in enumerate(self.procs):
            if i in skip:
                continue
            try:
                p.wait(max(1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.kill_all()
                pytest.fail(f"worker {i} did not finish: {self.log(i)[-3000:]}")
            assert p.returncode == 0, f"worker {i} failed: {self.log(i)[-3000:]}"

    def diagnostics(self) -> str:
        """The workers' log lines that explain a redone request (reaped leases, retries)."""
        marks = ("reaper:", "Retrying", "Gave up", "Redis is back", "unreachable", "lease")
        lines = [f"worker{i}: {line}" for i in range(len(self.procs))
                 for line in self.log(i).splitlines() if any(m in line for m in marks)]
        return "\n".join(lines[-60:])

    def log(self, i: int) -> str:
        return (self.tmp / f"worker{i}.log").read_text(errors="replace")

    def kill_all(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait()

    def status(self) -> dict:
        out = subprocess.run(self.cmd + ["--status"], env=self.env, check=True,
                             capture_output=True, timeout=60).stdout
        return json.loads(out)["syn"]


def stored_articles(db_url: str) -> tuple[int, int]:
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            return tuple(conn.execute(text(
                "SELECT count(*), count(DISTINCT canonical_url) FROM articles")).one())
    finally:
        engine.dispose()


@pytest.fixture
def shared_redis():
    client = redis_or_skip()
    prefix = f"t{os.urandom(5).hex()}"
    yield f"redis://127.0.0.1:6379/{REDIS_DB}", prefix
    for key in client.scan_iter(match=f"{prefix}:*", count=1000):
        client.delete(key)


def test_three_workers_fetch_once_store_once_within_rate(tmp_path, pg_url, shared_redis):
    from daihuo.demo.demo_server import DemoServer, DemoSite

    rate = 60.0  # requests per second the source allows (delay 1/60 s)
    site = DemoSite(synthetic=1200)
    with DemoServer(site) as srv:
        crawl = Crawl(tmp_path, site, srv.base_url, *shared_redis, pg_url, delay=1 / rate)
        try:
            crawl.seed()
            crawl.start_workers(3)
            crawl.wait(timeout=240)
        finally:
            crawl.kill_all()
        status = crawl.status()

    counts = Counter(p for _, p in site.requests)
    assert counts.pop("/robots.txt") <= 3  # once per worker: each runs Scrapy's robots.txt check
    twice = {p: n for p, n in counts.items() if n > 1}
    assert not twice, f"fetched more than once: {twice}"
    articles = listed_articles(site)
    assert len(articles) >= 1200 and articles <= set(counts)
    assert stored_articles(pg_url) == (len(articles), len(articles))
    assert (status["queued"], status["leased"], status["dead"]) == (0, 0, 0)
    # the three workers shared the work, and the site's limit held for all of them together
    per_worker = [json.loads(v) for v in _stats_values(shared_redis)]
    assert len(per_worker) == 3
    assert all(w["stats"].get("response_received_count", 0) > 100 for w in per_worker)
    times = [t for t, p in site.requests if p != "/robots.txt"]
    print(f"span {times[-1] - times[0]:.1f}s for {len(times)} requests, "
          f"max/1s {max_in_window(times, 1.0)}, max/5s {max_in_window(times, 5.0)}")
    assert max_in_window(times, 1.0) <= rate + 1
    assert max_in_window(times, 5.0) <= 5 * rate + 1


def _stats_values(shared_redis) -> list[bytes]:  # noqa: ANN001
    import redis

    url, prefix = shared_redis
    client = redis.Redis.from_url(url)
    return [client.get(k) for k in client.scan_iter(match=f"{prefix}:syn:stats:*")]


def test_faults_lose_nothing(tmp_path):
    from daihuo.demo.demo_server import DemoServer, DemoSite

    need(shutil.which("redis-server") is not None, "redis-server is not installed")
    pg = OwnPostgres()
    rds = OwnRedis(tmp_path)
    site = DemoSite(synthetic=900)
    try:
        pg.start()
        rds.start()
        with DemoServer(site) as srv:
            crawl = Crawl(tmp_path, site, srv.base_url, rds.url, "faults", pg.url, delay=0.05)
            try:
                crawl.seed()
                # short leases so the killed worker's requests come back quickly; small store
                # batches bound how much of its work is redone
                crawl.start_workers(3, "DAIHUO_LEASE_SECONDS=8", "DAIHUO_STORE_BATCH=20")
                crawl.wait_until_fetched(120)
                crawl.procs[0].send_signal(signal.SIGKILL)
                crawl.procs[0].wait()
                held = rds.leased_paths(f"{socket.gethostname()}:{crawl.procs[0].pid}", "faults:syn")
                assert held  # it died holding work
                crawl.wait_until_fetched(300)
                rds.stop()  # Redis goes away for 2 s and comes back with its data
                time.sleep(2)
                rds.start()
                crawl.wait_until_fetched(420)
                pg.stop()
                try:
                    # the workers fetch the rest meanwhile (~500 pages at ~60/s together);
                    # their batches are spooled
                    time.sleep(12)
                finally:
                    pg.start()
                crawl.wait(timeout=240, skip=(0,))
                status = crawl.status()
            finally:
                crawl.kill_all()
        articles = listed_articles(site)
        fetched = Counter(site.fetched("/news/"))
        assert articles <= set(fetched), f"never fetched: {sorted(articles - set(fetched))[:10]}"
        # Only the killed worker's leases were redone (fetched, not yet stored when it died),
        # each once; any other second fetch must be one of Scrapy's own retries.
        redone = {p: n - 1 for p, n in fetched.items() if n > 1}
        others = {p: n - (p in held) for p, n in redone.items() if n - (p in held) > 0}
        retries = status["stats"].get("retry/count", 0)
        assert sum(others.values()) <= retries, (
            f"redone beyond the killed worker's {len(held)} leases and {retries} retries: "
            f"{others}; " + crawl.diagnostics())
        assert stored_articles(pg.url) == (len(articles), len(articles))
        assert (status["queued"], status["leased"], status["dead"]) == (0, 0, 0)
        stats = status["stats"]
        assert stats.get("daihuo/redis/outages", 0) >= 2  # both survivors saw Redis go
        assert stats.get("daihuo/spooled", 0) > 0  # and PostgreSQL: batches went to disk
        assert not list((tmp_path / "home" / "spool").glob("batch-*")), "spool not replayed"
    finally:
        rds.stop()
        pg.remove()
