"""Shared plumbing for the browser tests (not a test module): Debian's Chromium driven by
Playwright (never `playwright install`), and the app served by uvicorn on a free loopback port.
Without chromium or playwright the tests skip, except under CI=true where they must run."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = os.environ.get("DAIHUO_CHROMIUM", "/usr/bin/chromium")
IN_CI = os.environ.get("CI", "").lower() == "true"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def require_browser() -> None:
    """Skip (or, under CI=true, fail) when Chromium or Playwright is missing."""
    why = None
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        why = f"no chromium at {CHROMIUM} (apt-get install -y chromium)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            why = "the playwright package is not installed (pip install playwright; no browser download)"
    if why:
        if IN_CI:
            pytest.fail(f"the browser test must run under CI=true: {why}")
        pytest.skip(why)


@contextmanager
def serve_app(app) -> Iterator[str]:  # noqa: ANN001
    """Serve ``app`` with uvicorn on 127.0.0.1 (a free port) in a thread; yields its base URL."""
    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@contextmanager
def chromium() -> Iterator[object]:
    """A headless Chromium (Playwright's sync API); screenshots go to ARTIFACTS."""
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def daihuo_home(path: Path) -> Iterator[Path]:
    """DAIHUO_HOME set to ``path`` for a module's served app (run logs, spool), then restored."""
    old = os.environ.get("DAIHUO_HOME")
    os.environ["DAIHUO_HOME"] = str(path)
    try:
        yield path
    finally:
        if old is None:
            os.environ.pop("DAIHUO_HOME", None)
        else:
            os.environ["DAIHUO_HOME"] = old


def console_login(browser, base: str, name: str, password: str, *, accept_dialogs: bool = False):  # noqa: ANN001, ANN201
    """A new zh-CN browser context logged into the console as ``name``: (context, page, page
    errors). With ``accept_dialogs`` every confirm() is answered yes."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    if accept_dialogs:
        page.on("dialog", lambda d: d.accept())
    page.goto(f"{base}/console/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", password)
    page.click("section.login button[type=submit]")
    page.wait_for_load_state()
    assert "/console/login" not in page.url
    return ctx, page, errors


def until(cond, timeout: float) -> None:  # noqa: ANN001
    """Poll ``cond`` (a page may be reloading: errors count as not yet) until it holds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if cond():
                return
        except Exception:  # noqa: BLE001 - the page is reloading
            pass
        time.sleep(0.2)
    raise AssertionError("timed out")
