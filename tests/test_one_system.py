"""One system: every entry point crawls the sources in the store with the editor's settings,
through one run lifecycle whose status says what happened, and nothing is lost at the seams
(failed fetches leave rows, a bad record is quarantined, an outage at the end is spooled)."""

from __future__ import annotations

import gzip
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from consolesite import add_users, login
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text

from daihuo.demo.demo_server import DemoServer, demo_sources
from daihuo.runs import lifecycle as runs
from daihuo.system import System
from daihuo.web.app import create_app
from storage.models import Article, CrawlRun, Quarantine, RawPage, Source

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def _env(db_url: str, home: Path, **extra: str) -> dict:
    env = {**os.environ, "DAIHUO_DATABASE_URL": db_url, "DAIHUO_HOME": str(home),
           "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1", **extra}
    env.pop("DAIHUO_REDIS_URL", None)
    return env


def daihuo(env: dict, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "daihuo", *args], env=env, cwd=str(REPO),
                          capture_output=True, text=True, timeout=timeout)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _articles_of(engine, source: str) -> set[str]:  # noqa: ANN001
    with engine.connect() as conn:
        rows = conn.execute(select(Article.url).join(Source, Source.id == Article.source_id)
                            .where(Source.name == source)).scalars().all()
    return {u.rsplit("/", 1)[1] for u in rows}


def _add_through_console(url: str, base_url: str, name: str, articles: str) -> None:
    """An editor adds a source in the console's API (an admin allows 127.0.0.0/8 first)."""
    system = System.from_env(database_url=url)
    add_users(system.engine)
    with TestClient(create_app(system=system)) as adm, TestClient(create_app(system=system)) as ed:
        adm_csrf = login(adm, "adm")
        r = adm.put("/api/settings", json={"allowed_networks": ["127.0.0.0/8"]},
                    headers={"X-CSRF-Token": adm_csrf})
        assert r.status_code == 200, r.text
        ed_csrf = login(ed, "ed")
        r = ed.post("/api/sources", headers={"X-CSRF-Token": ed_csrf}, json={
            "name": name, "kind": "news", "start_urls": [f"{base_url}/"],
            "follow": [r"/list_\d+\.html$"], "articles": [articles],
            "delay": 0.0, "concurrency": 4, "autothrottle": False})
        assert r.status_code in (200, 201), r.text
    system.close()


def test_a_console_source_is_crawled_by_the_cli_and_by_scrapy_crawl(db_url, tmp_path):
    # The editor's own article pattern (only 1000-1003) must be what both crawls use.
    with DemoServer() as server:
        _add_through_console(db_url, server.base_url, "desk-news", r"/news/100[0-3]\.html$")
        env = _env(db_url, tmp_path / "home")
        cli = daihuo(env, "crawl", "desk-news")
        assert cli.returncode == 0, cli.stderr[-3000:]
        system = System.from_env(database_url=db_url)
        got = _articles_of(system.engine, "desk-news")
        wanted = {"1000.html", "1001.html", "1002.html", "1003.html"}
        assert len(got) >= 3 and got <= wanted
        fetched = {p.rsplit("/", 1)[1] for p in server.site.fetched("/news/")}
        assert fetched <= wanted  # the editor's pattern, nothing outside it

        # scrapy crawl, in a fresh store copy of the source: same settings, same result
        with system.engine.begin() as conn:
            conn.execute(text("DELETE FROM tags"))
            conn.execute(text("UPDATE listings SET article_id = NULL"))
            conn.execute(text("DELETE FROM articles"))
        scrapy = subprocess.run([sys.executable, "-m", "scrapy", "crawl", "news", "-a", "source=desk-news",
                                 "-s", "LOG_LEVEL=WARNING", "-s", "DAIHUO_INCREMENTAL=False"],
                                env=env, cwd=str(REPO), capture_output=True, text=True, timeout=120)
        assert scrapy.returncode == 0, scrapy.stderr[-3000:]
        assert _articles_of(system.engine, "desk-news") == got
        system.close()


def test_sources_export_then_import_is_lossless(tmp_path):
    a, b = f"sqlite:///{tmp_path / 'a.sqlite'}", f"sqlite:///{tmp_path / 'b.sqlite'}"
    from editorial.sources import add_source, list_sources, set_enabled, source_config

    system = System.from_env(database_url=a)
    add_source(system.engine, {"name": "tw-site", "kind": "news", "start_urls": ["https://news.example.com.tw/"],
                               "follow": [r"/list/\d+"], "articles": [r"/a/\d+\.html$"], "delay": 3.5,
                               "concurrency": 2, "autothrottle": False, "charset": "big5", "region": "tw",
                               "selector": "div.content"}, "t", check_hosts=False)
    add_source(system.engine, {"name": "cards", "kind": "listings", "start_urls": ["https://cards.example.com/"],
                               "articles": [r"/item/\d+"], "removed_after": 4}, "t", check_hosts=False)
    set_enabled(system.engine, "cards", False, "t")
    env_a, env_b = _env(a, tmp_path / "ha"), _env(b, tmp_path / "hb")
    out = daihuo(env_a, "sources", "export", "--out", str(tmp_path / "sources.toml"))
    assert out.returncode == 0, out.stderr
    imp = daihuo(env_b, "sources", "import", str(tmp_path / "sources.toml"))
    assert imp.returncode == 0, imp.stderr
    other = System.from_env(database_url=b)
    for name in ("tw-site", "cards"):
        assert source_config(other.engine, name) == source_config(system.engine, name)
    assert [s.enabled for s in list_sources(other.engine)] == [s.enabled for s in list_sources(system.engine)]
    # and once more: a second export is byte-identical
    again = daihuo(env_b, "sources", "export")
    assert again.stdout == (tmp_path / "sources.toml").read_text(encoding="utf-8")
    system.close()
    other.close()


def test_cli_and_scheduled_runs_tag_alike_with_an_editors_entity(tmp_path):
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    home = tmp_path / "home"
    lex = home / "lexicon"
    lex.mkdir(parents=True)
    # The editor confirmed a name the packaged lexicon does not know.
    (lex / "entities.toml").write_text('[[entity]]\nname = "品牌自播"\nkind = "brand"\n', encoding="utf-8")
    with DemoServer() as server:
        sources = demo_sources(server.base_url)[:1]
        system = System.from_env(database_url=url)
        from editorial.sources import import_registry

        (tmp_path / "s.toml").write_text(__import__("daihuo.demo.demo_server", fromlist=["x"])
                                         .registry_toml(sources), encoding="utf-8")
        import_registry(system.engine, tmp_path / "s.toml")
        env = _env(url, home)
        cli = daihuo(env, "crawl", "demo-news")
        assert cli.returncode == 0, cli.stderr[-3000:]
        tags_cli = _tags(system.engine)
        with system.engine.begin() as conn:
            for table in ("tags", "lsh_keys", "lsh_recent"):
                conn.execute(text(f"DELETE FROM {table}"))
            conn.execute(text("UPDATE listings SET article_id = NULL"))
            conn.execute(text("DELETE FROM articles"))
            conn.execute(text("DELETE FROM clusters"))
            conn.execute(text("DELETE FROM raw_pages"))
        os.environ_backup = dict(os.environ)  # launch_run reads the environment like a scheduler
        try:
            os.environ.update({"DAIHUO_HOME": str(home)})
            os.environ.pop("DAIHUO_LEXICON_DIR", None)
            run_id = runs.launch_run(system.engine, "demo-news", "schedule", db_url=url)
            deadline = time.monotonic() + 120
            while runs.get_run(system.engine, run_id)["status"] == "running":
                assert time.monotonic() < deadline, runs.read_log(system.engine, run_id)[-3000:]
                time.sleep(0.3)
        finally:
            os.environ.clear()
            os.environ.update(os.environ_backup)
        tags_sched = _tags(system.engine)
        assert tags_sched == tags_cli
        assert ("entity", "品牌自播") in {(k, v) for _, k, v in tags_cli}
        system.close()


def _tags(engine) -> set[tuple]:  # noqa: ANN001
    with engine.connect() as conn:
        return set(conn.execute(text("SELECT a.url, t.kind, t.value FROM tags t "
                                     "JOIN articles a ON a.id = t.article_id")).all())


def test_a_second_start_of_a_source_is_refused_by_the_cli_as_by_the_console(tmp_path):
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    system = System.from_env(database_url=url)
    from editorial.sources import add_source

    add_source(system.engine, {"name": "busy", "kind": "news", "start_urls": ["https://busy.example.com/"]},
               "t", check_hosts=False)
    run_id = runs.create_run(system.engine, "busy", "manual")
    runs.record_process(system.engine, run_id, os.getpid())  # alive: this test process
    cli = daihuo(_env(url, tmp_path / "home"), "crawl", "busy")
    assert cli.returncode != 0
    assert f"run #{run_id}" in cli.stderr and "Traceback" not in cli.stderr
    with pytest.raises(runs.RunConflict):
        runs.launch_run(system.engine, "busy", "manual", db_url=url)
    system.close()


def test_a_source_on_a_dead_port_fails_and_is_listed_as_failed(tmp_path):
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    system = System.from_env(database_url=url)
    from editorial.sources import add_source

    port = _free_port()
    add_source(system.engine, {"name": "dead", "kind": "news", "start_urls": [f"http://127.0.0.1:{port}/"],
                               "delay": 0.0, "autothrottle": False}, "t", check_hosts=False)
    cli = daihuo(_env(url, tmp_path / "home"), "crawl", "dead")
    assert cli.returncode == 1, cli.stdout + cli.stderr
    assert "failed" in cli.stdout and "Traceback" not in cli.stderr
    with system.engine.connect() as conn:
        run = conn.execute(select(CrawlRun.status)).scalar()
        rows = conn.execute(select(RawPage.url, RawPage.error, RawPage.error_stage)).all()
    assert run == "failed"
    assert rows and all(r.error_stage == "fetch" and "connection" in r.error for r in rows)
    add_users(system.engine)
    with TestClient(create_app(system=system)) as ed:
        login(ed, "ed")
        page = ed.get("/console/runs?status=failed")
        assert page.status_code == 200 and "dead" in page.text and "失败" in page.text
        assert ed.get("/console/runs?status=finished").text.count('data-run="') == 0
        detail = ed.get("/console/runs/1").text  # the failed URL, its stage and reason
        assert "失败的网址（" in detail and f"127.0.0.1:{port}/" in detail and "连接失败" in detail
    system.close()


# -- pages that never become articles still leave a row ---------------------------------------
class _Trouble(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802
        path = self.path
        if path == "/robots.txt":
            return self._send(404, b"")
        if path == "/":
            links = "".join(f'<a href="/a/{n}.html">{n}</a>' for n in
                            ("ok", "jsrefresh", "selfrefresh", "slow", "badgzip", "broken"))
            return self._send(200, f"<html><body>{links}</body></html>".encode())
        if path == "/a/jsrefresh.html":
            return self._send(200, b'<html><head><meta http-equiv="refresh" content="0;url=javascript:alert(1)">'
                                   b"</head><body><p>" + "跳转页面正文内容".encode() * 20 + b"</p></body></html>")
        if path == "/a/selfrefresh.html":
            return self._send(200, b'<html><head><meta http-equiv="refresh" content="0;url=/a/selfrefresh.html">'
                                   b"</head><body><p>" + "自我刷新页面正文".encode() * 20 + b"</p></body></html>")
        if path == "/a/slow.html":
            time.sleep(4)
            return self._send(200, b"<html><body>late</body></html>")
        if path == "/a/badgzip.html":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Encoding", "gzip")
            body = gzip.compress(b"x" * 100)[:20] + b"garbage"
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return None
        if path == "/a/broken.html":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", "5000")
            self.end_headers()
            self.wfile.write(b"<html><body>cut")
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            return None
        body = ("<html><head><title>直播带货观察</title></head><body><article><h1>直播带货观察</h1>"
                + "<p>主播在直播间介绍产业带的新品，观众踊跃下单。</p>" * 12 + "</article></body></html>")
        return self._send(200, body.encode())

    def _send(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:  # noqa: ANN002
        pass


def test_failed_downloads_and_bad_refreshes_each_leave_a_row(tmp_path):
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Trouble)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    system = System.from_env(database_url=url)
    from editorial.sources import add_source

    add_source(system.engine, {"name": "trouble", "kind": "news", "start_urls": [f"{base}/"],
                               "articles": [r"/a/\w+\.html$"], "delay": 0.0, "concurrency": 8,
                               "autothrottle": False}, "t", check_hosts=False)
    code = ("import sys; from daihuo.system import System; from daihuo.runs.crawling import run_crawl, stored_sources;"
            "s = System.from_env(); r = run_crawl(s, stored_sources(s, ['trouble']), DOWNLOAD_TIMEOUT=2, RETRY_TIMES=0);"
            "print(r.status)")
    proc = subprocess.run([sys.executable, "-c", code], env=_env(url, tmp_path / "home"),
                          capture_output=True, text=True, timeout=120)
    httpd.shutdown()
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip() == "finished_with_errors"
    with system.engine.connect() as conn:
        rows = {r.url.rsplit("/", 1)[1]: r for r in conn.execute(
            select(RawPage.url, RawPage.status, RawPage.error, RawPage.error_stage))}
        stored = set(conn.execute(select(Article.url)).scalars())
    # every requested URL ended as a row: the list, the articles, the failures
    assert set(rows) >= {"ok.html", "jsrefresh.html", "selfrefresh.html", "slow.html",
                         "badgzip.html", "broken.html"}
    assert {u.rsplit("/", 1)[1] for u in stored} >= {"ok.html", "jsrefresh.html", "selfrefresh.html"}
    assert "timeout" in rows["slow.html"].error and rows["slow.html"].error_stage == "fetch"
    assert rows["broken.html"].error and rows["broken.html"].error_stage == "fetch"
    # a body that does not gunzip: Scrapy keeps it as received, so it is a row either way
    with system.engine.connect() as conn:
        stats = conn.execute(select(CrawlRun.stats)).scalar()
    assert stats["daihuo/fetch_failed"] == 2  # timeout and broken framing
    assert stats["daihuo/meta_refresh_kept/not_http"] == 1 and stats["daihuo/meta_refresh_kept/to_itself"] == 1
    system.close()


# -- a bad record is quarantined; it never blocks the others --------------------------------
def _records(n: int, run_id: int | None = None):  # noqa: ANN202
    from nlp.document import Page, process_page
    from pipelines.convert import document_to_record

    out = []
    for i in range(n):
        body = (f"<html><head><title>直播电商观察第{i}篇</title></head><body><article><h1>直播电商观察第{i}篇</h1>"
                + f"<p>第{i}位主播在直播间讲解产业带的第{i}款新品，销量第{i * 7}万件。</p>" * 8
                + "</article></body></html>").encode()
        page = Page(url=f"https://q.example.com/a/{i}.html", body=body, source=None, run_id=run_id)
        out.append(document_to_record(process_page(page)))
    return out


def test_one_bad_record_is_quarantined_and_the_rest_stored(db_url, tmp_path):
    from pipelines.storing import StorePipeline
    from storage.spool import Spool

    system = System.from_env(database_url=db_url)
    recs = _records(6)
    bad = recs[3]
    if db_url.startswith("postgresql"):  # longer than canonical_url's 2000 characters
        bad.article.canonical_url = "https://q.example.com/" + "x" * 2100
    else:  # SQLite does not enforce lengths: a NOT NULL violation is as lasting
        bad.raw.url = None
    pipe = StorePipeline(system.store(), Spool(tmp_path / "spool"), batch_size=100)
    outcomes = pipe.write(recs)
    assert [o.status for o in outcomes].count("stored") == 5
    assert [o.status for o in outcomes].count("quarantined") == 1
    assert Spool(tmp_path / "spool").pending() == 0  # nothing left to poison later batches
    with system.engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Article)) == 5
        q = conn.execute(select(Quarantine.error, Quarantine.record)).all()
    assert len(q) == 1 and q[0].error
    later = pipe.write(_records(8)[6:])  # the next batch (and run) is unaffected
    assert [o.status for o in later] == ["stored", "stored"]
    add_users(system.engine)  # and editors see it where they look
    with TestClient(create_app(system=system)) as ed:
        login(ed, "ed")
        assert "隔离的记录（1）" in ed.get("/console/").text
    info = daihuo(_env(db_url, tmp_path / "home"), "info")
    assert "quarantined 1" in " ".join(info.stdout.split()), info.stdout
    system.close()


def test_an_old_format_spool_file_is_still_replayed(tmp_path):
    import json

    from storage.spool import Spool

    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    system = System.from_env(database_url=url)
    spool = tmp_path / "spool"
    spool.mkdir()
    (spool / "batch-20260101T000000000000.jsonl").write_text(
        "".join(json.dumps(r.to_json(), ensure_ascii=False) + "\n" for r in _records(2)), encoding="utf-8")
    assert [o.status for o in Spool(spool).replay(system.store())] == ["stored", "stored"]
    system.close()


# -- the store goes away before the end -----------------------------------------------------
def test_a_crawl_whose_store_goes_away_exits_0_and_the_next_command_writes_everything(tmp_path):
    from schedsupport import ConditionalDemoServer
    from test_distributed_crawl import OwnPostgres

    pg = OwnPostgres()
    pg.start()
    try:
        url = pg.url
        system = System.from_env(database_url=url)
        home = tmp_path / "home"
        with ConditionalDemoServer(delay=0.3) as server:
            from daihuo.demo.demo_server import registry_toml
            from editorial.sources import import_registry

            (tmp_path / "s.toml").write_text(registry_toml(demo_sources(server.base_url)[:1]), encoding="utf-8")
            import_registry(system.engine, tmp_path / "s.toml")
            system.close()
            env = _env(url, home)
            proc = subprocess.Popen([sys.executable, "-m", "daihuo", "crawl", "demo-news"], env=env,
                                    cwd=str(REPO), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            deadline = time.monotonic() + 60
            while len(server.site.fetched("/news/")) < 3:
                assert time.monotonic() < deadline and proc.poll() is None, proc.stderr.read()
                time.sleep(0.1)
            pg.stop()  # the store goes away mid-crawl
            out, err = proc.communicate(timeout=180)
            assert proc.returncode == 0, err[-3000:]
            assert "Traceback" not in err
            fetched = {p.rsplit("/", 1)[1] for p in server.site.fetched("/news/")}
        assert list((home / "spool").glob("batch-*.jsonl")) and list((home / "spool" / "runs").glob("run-*.json"))
        pg.start()
        info = daihuo(_env(url, home), "info")
        assert info.returncode == 0, info.stderr
        system = System.from_env(database_url=url)
        with system.engine.connect() as conn:
            status = conn.execute(select(CrawlRun.status, CrawlRun.stats)).one()
            stored = {u.rsplit("/", 1)[1] for u in conn.execute(select(RawPage.url)).scalars()}
        assert status.status in runs.COMPLETED and status.stats.get("response_received_count")
        assert fetched <= stored
        assert not list((home / "spool").glob("batch-*.jsonl"))
        system.close()
    finally:
        pg.remove()


# -- clean shutdown -----------------------------------------------------------------------------
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("command", ["serve", "demo"])
def test_servers_stop_within_5_seconds_of_a_signal(command, sig, tmp_path):
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    args = ["serve", "--port", str(_free_port()), "--no-scheduler"] if command == "serve" else ["demo", "--serve"]
    proc = subprocess.Popen([sys.executable, "-m", "daihuo", *args], env=_env(url, tmp_path / "home"),
                            cwd=str(REPO), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    ready = "Uvicorn running" if command == "serve" else "Ctrl-C"
    seen = ""
    deadline = time.monotonic() + 120
    while ready not in seen:
        line = proc.stdout.readline()
        assert line or proc.poll() is None, seen[-3000:]
        seen += line
        assert time.monotonic() < deadline, seen[-3000:]
    t0 = time.monotonic()
    proc.send_signal(sig)
    proc.wait(timeout=15)
    assert time.monotonic() - t0 < 5.0


def test_reprocess_changes_content_never_provenance(tmp_path):
    """An article linked from two sources keeps the source it was first stored from, its
    first-seen time and its editorial state through `daihuo reprocess`."""
    from daihuo.demo.demo_server import registry_toml
    from editorial.sources import import_registry

    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    home = tmp_path / "home"
    system = System.from_env(database_url=url)
    with DemoServer() as server:
        (tmp_path / "s.toml").write_text(registry_toml(demo_sources(server.base_url)[:2]), encoding="utf-8")
        import_registry(system.engine, tmp_path / "s.toml")
        env = _env(url, home)
        for name in ("demo-news", "demo-feed"):  # the feed links articles the list pages have
            assert daihuo(env, "crawl", name).returncode == 0
    cols = (Article.url, Article.source_id, Article.created_at, Article.status, Article.facet_terms)
    with system.engine.begin() as conn:
        first = conn.execute(select(Article.id).order_by(Article.id)).scalars().first()
        conn.execute(text("UPDATE articles SET status = 'approved' WHERE id = :i"), {"i": first})
        before = {r.url: r for r in conn.execute(select(*cols))}
    assert len({r.source_id for r in before.values()}) == 2  # both sources own some articles
    out = daihuo(env, "reprocess")
    assert out.returncode == 0, out.stderr[-2000:]
    assert "updated" in out.stdout
    with system.engine.connect() as conn:
        after = {r.url: r for r in conn.execute(select(*cols))}
    assert {u: (r.source_id, r.created_at, r.status) for u, r in after.items()} == \
        {u: (r.source_id, r.created_at, r.status) for u, r in before.items()}
    assert {u: r.facet_terms for u, r in after.items()} == {u: r.facet_terms for u, r in before.items()}
    system.close()


def test_a_killed_cli_run_is_marked_by_the_next_command(tmp_path):
    from schedsupport import ConditionalDemoServer

    from daihuo.demo.demo_server import registry_toml
    from editorial.sources import import_registry

    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    system = System.from_env(database_url=url)
    with ConditionalDemoServer(delay=0.5) as server:
        (tmp_path / "s.toml").write_text(registry_toml(demo_sources(server.base_url)[:1]), encoding="utf-8")
        import_registry(system.engine, tmp_path / "s.toml")
        env = _env(url, tmp_path / "home")
        proc = subprocess.Popen([sys.executable, "-m", "daihuo", "crawl", "demo-news"], env=env, cwd=str(REPO),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while not server.site.fetched("/news/"):
            assert time.monotonic() < deadline and proc.poll() is None
            time.sleep(0.1)
        proc.kill()
        proc.wait()
    with system.engine.connect() as conn:
        assert conn.execute(select(CrawlRun.status)).scalar() == "running"
    out = daihuo(env, "runs", "list")
    assert out.returncode == 0, out.stderr
    with system.engine.connect() as conn:
        assert conn.execute(select(CrawlRun.status)).scalar() == "failed"
    assert "orphaned" in (runs.get_run(system.engine, 1)["error"] or "")
    system.close()


def test_dropped_items_are_logged_with_url_and_reason_only():
    from scrapy.exceptions import DropItem

    from crawlers.logformat import QuietLogFormatter
    from nlp.document import Document, Page

    body = "正文" * 50_000
    doc = Document(page=Page(url="https://x.example.com/a/1.html", body=body.encode()))
    entry = QuietLogFormatter().dropped(doc, DropItem("duplicate_url: https://x.example.com/a/1.html"), None, None)
    line = entry["msg"] % entry["args"]
    assert "duplicate_url: https://x.example.com/a/1.html" in line and len(line) < 200
    assert entry["level"] < 30  # INFO, not WARNING


def test_a_store_behind_the_code_asks_for_db_upgrade(tmp_path):
    from alembic import command

    from storage.db import alembic_config, head_revision, make_engine

    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    System.from_env(database_url=url).engine.dispose()  # a new store is created at the head
    engine = make_engine(url)
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0015")
    engine.dispose()
    env = _env(url, tmp_path / "home")
    behind = daihuo(env, "info")
    assert behind.returncode == 1 and "Traceback" not in behind.stderr
    assert "daihuo db upgrade" in behind.stderr and "0015" in behind.stderr
    up = daihuo(env, "db", "upgrade")
    assert up.returncode == 0 and head_revision() in up.stdout, up.stderr
    assert daihuo(env, "info").returncode == 0
    assert "schema is current" in daihuo(env, "db", "upgrade").stdout
