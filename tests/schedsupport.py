"""Helpers for the scheduler, run, incremental and resume tests: a demo server that answers
conditional requests and can be slowed down, and waiting for launched runs."""

from __future__ import annotations

import hashlib
import threading
import time

from daihuo.demo.demo_server import DemoServer, DemoSite, _Handler, demo_sources
from daihuo.runs import lifecycle as runs
from storage.store import Store

LAST_MODIFIED = "Mon, 02 Mar 2026 00:00:00 GMT"


class ConditionalDemoServer(DemoServer):
    """The demo site with ETag/Last-Modified validators (304 on a match), an optional delay
    per article page (so a kill lands mid-crawl), and a log of conditional requests."""

    def __init__(self, site: DemoSite | None = None, *, delay: float = 0.0, validators: bool = True) -> None:
        super().__init__(site)
        self.delay = delay
        self.validators = validators
        self.log: list[tuple[str, bool, int]] = []  # (path, conditional?, status)
        self._lock = threading.Lock()
        server = self

        class Handler(_Handler):
            site = self.site

            def do_GET(self) -> None:  # noqa: N802
                host, port = self.server.server_address[:2]
                status, ctype, body = self.site.respond(self.path, f"http://{host}:{port}")
                conditional = bool(self.headers.get("If-None-Match") or self.headers.get("If-Modified-Since"))
                if server.delay and self.path.startswith("/news/"):
                    time.sleep(server.delay)
                etag = f'"{hashlib.sha1(body).hexdigest()[:16]}"'
                if server.validators and status == 200 and self.path.startswith("/news/") and (
                        self.headers.get("If-None-Match") == etag
                        or (not self.headers.get("If-None-Match")
                            and self.headers.get("If-Modified-Since") == LAST_MODIFIED)):
                    status, body = 304, b""
                with server._lock:
                    server.log.append((self.path, conditional, status))
                self.send_response(status)
                if server.validators and status in (200, 304) and self.path.startswith("/news/"):
                    self.send_header("ETag", etag)
                    self.send_header("Last-Modified", LAST_MODIFIED)
                if status != 304:
                    self.send_header("Content-Type", ctype)
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if status != 304:
                    self.wfile.write(body)

        self.httpd.RequestHandlerClass = Handler

    def requests(self) -> list[tuple[str, bool, int]]:
        with self._lock:
            return list(self.log)

    def clear(self) -> None:
        with self._lock:
            self.log.clear()


def add_demo_source(store: Store, base_url: str, name: str = "demo-news", **overrides) -> dict:
    src = next(s for s in demo_sources(base_url) if s["name"] == "demo-news")
    src = {**src, "name": name, **overrides}
    store.sync_sources([{"name": name, "kind": "news", "config": src}])
    return src


def wait_run(engine, run_id: int, timeout: float = 90.0) -> dict:
    """Wait for a launched run's process to exit; returns the run."""
    proc = runs._children.get(run_id)
    if proc is not None:
        proc.wait(timeout)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = runs.get_run(engine, run_id)
        if run["status"] != "running":
            return run
        time.sleep(0.1)
    raise AssertionError(f"run #{run_id} still running: {runs.read_log(engine, run_id)[-3000:]}")
