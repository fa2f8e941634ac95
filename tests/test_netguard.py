"""The network guard (editorial/network_policy.py, crawlers/netguard.py): the audit's five crawl-time
SSRF cases, each checked by a canary server on 127.0.0.2 (internal, never allowed) that
counts requests. The crawl tests' own sites on 127.0.0.1 pass through the operator's
allow-list (conftest sets DAIHUO_ALLOWED_NETWORKS=127.0.0.1/32)."""

from __future__ import annotations

import ipaddress
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from canary import Canary, Pages

from editorial import network_policy as netpolicy
from editorial.source_config import RegistryError, parse_source
from editorial.sources import SourceError, add_source, set_allowed_networks, validate
from storage.db import make_engine, migrate

REPO = Path(__file__).resolve().parents[1]


def crawl(db_url: str, *args: str, log: list[str] | None = None) -> dict:
    """The crawl's stats; its log (stderr) is appended to ``log`` when given."""
    env = {**os.environ, "PYTHONPATH": f"{REPO}:{REPO / 'tests'}"}
    proc = subprocess.run([sys.executable, str(REPO / "tests" / "netguard_crawl.py"), db_url, *args],
                          env=env, capture_output=True, text=True, timeout=180, cwd=REPO)
    assert proc.returncode == 0, proc.stderr[-3000:]
    if log is not None:
        log.append(proc.stderr)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def source(name: str, start: str, **extra) -> str:
    return json.dumps({"name": name, "kind": "news", "start_urls": [start], "follow": [r".*"],
                       "articles": [r"\.html$"], "delay": 0.0, "autothrottle": False, **extra})


def refused(stats: dict) -> dict:
    prefix = "daihuo/netguard/refused/"
    return {k[len(prefix):]: v for k, v in stats.items() if k.startswith(prefix)}


def page(*links: str) -> tuple[int, dict, bytes]:
    anchors = "".join(f'<a href="{u}">内部链接</a>' for u in links)
    return 200, {}, f"<html><body><h1>目录</h1>{anchors}</body></html>".encode()


@pytest.fixture
def store_url(tmp_path, monkeypatch):
    monkeypatch.setenv("DAIHUO_HOME", str(tmp_path / "home"))
    return f"sqlite:///{tmp_path / 'store.sqlite'}"


@pytest.fixture
def canary():
    with Canary() as c:
        yield c


def test_loopback_allowed_domains_fetch_nothing_internal(store_url, canary):
    internal = [canary.url("/secret.html"), f"http://localhost:{canary.port}/a.html",
                f"http://0.0.0.0:{canary.port}/b.html", f"http://[::ffff:127.0.0.2]:{canary.port}/c.html"]
    with Pages({"/": page(*internal)}) as site:
        stats = crawl(store_url, source("loop", site.url("/"), allowed_domains=[
            "127.0.0.1", "127.0.0.2", "localhost", "0.0.0.0", "::ffff:127.0.0.2"]))
        assert site.hits  # the crawl did run
    assert canary.hits == []
    why = refused(stats)
    assert why.get("loopback", 0) >= 1 and why.get("unspecified", 0) >= 1
    assert why.get("ipv4-mapped", 0) >= 1
    assert stats.get("daihuo/stored", 0) == 0
    # and an editor cannot save such a source in the first place
    with pytest.raises(SourceError, match="allowed_domains.*private/loopback"):
        validate({"name": "loop", "start_urls": ["https://news.example.com/"],
                  "allowed_domains": ["127.0.0.2"]}, check_hosts=False)


def test_suffix_domain_fetches_nothing_internal(store_url, canary):
    # Scrapy matches allowed_domains as suffixes: "2" lets any host ending in ".2" through
    with Pages({"/": page(canary.url("/secret.html"))}) as site:
        stats = crawl(store_url, source("suffix", site.url("/"), allowed_domains=["127.0.0.1", "2"]))
        assert site.hits
    assert canary.hits == []
    assert refused(stats).get("loopback", 0) >= 1
    for bare in ("1", "2", "com", " 1"):
        with pytest.raises(RegistryError, match="bare label|not a host name"):
            parse_source({"name": "s", "start_urls": ["https://a.example.com/"], "allowed_domains": [bare]})


def test_redirecting_start_url_is_refused_at_the_hop(store_url, canary):
    routes = {"/go": (302, {"Location": canary.url("/secret.html")}, b""),
              "/refresh.html": (200, {}, f'<html><head><meta http-equiv="refresh" content="0; url={canary.url("/r.html")}">'
                                         "</head><body></body></html>".encode())}
    with Pages(routes) as site:
        stats = crawl(store_url, source("redir", site.url("/go")))
        stats2 = crawl(store_url, source("refresh", site.url("/refresh.html")))
        assert "/go" in site.hits and "/refresh.html" in site.hits
    assert canary.hits == []
    assert refused(stats).get("loopback", 0) >= 1 and refused(stats2).get("loopback", 0) >= 1


def test_sitemap_listing_internal_urls_fetches_nothing_internal(store_url, canary):
    urls = "".join(f"<url><loc>{canary.url(f'/news/{i}.html')}</loc></url>" for i in range(3))
    body = f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
    with Pages({"/sitemap.xml": (200, {"Content-Type": "application/xml"}, body.encode())}) as site:
        stats = crawl(store_url, source("smap", site.url("/sitemap.xml"), allowed_domains=["127.0.0.1", "127.0.0.2"]))
        assert "/sitemap.xml" in site.hits
    assert canary.hits == []
    assert refused(stats).get("loopback", 0) >= 3
    # and each refusal is kept as a failed fetch with its reason (crawlers/fetch_failures.py)
    assert stats.get("daihuo/fetch_refused/netguardrefused", 0) >= 3


def test_revoked_network_applies_to_the_next_crawl(store_url, canary):
    engine = make_engine(store_url)
    migrate(engine)
    set_allowed_networks(engine, ["127.0.0.2/32"], "admin")
    add_source(engine, {"name": "lan", "start_urls": [canary.url("/")], "articles": [r"\.html$"],
                        "delay": 0.0, "autothrottle": False}, "editor")
    stats = crawl(store_url, "--stored", "lan")  # control: allowed, the canary is reached
    assert canary.hits and not refused(stats)
    before = len(canary.hits)
    set_allowed_networks(engine, [], "admin")
    engine.dispose()
    stats = crawl(store_url, "--stored", "lan")
    assert len(canary.hits) == before
    assert refused(stats).get("loopback", 0) >= 1


def test_address_policy_forms():
    ip = ipaddress.ip_address
    cases = {"8.8.8.8": None, "127.0.0.2": "loopback", "10.1.2.3": "private", "169.254.169.254": "link-local",
             "0.0.0.0": "unspecified", "224.0.0.1": "multicast", "100.64.0.1": "non-global",
             "::1": "loopback", "fe80::1": "link-local", "fc00::1": "private",
             "::ffff:10.0.0.1": "ipv4-mapped", "::ffff:8.8.8.8": None,
             "64:ff9b::a00:1": "nat64", "64:ff9b::808:808": None,
             "2002:7f00:1::": "6to4", "2001:0:4136:e378:8000:63bf:80ff:fffe": "teredo",
             "2606:4700::1111": None}
    assert {a: netpolicy.refusal_reason(ip(a)) for a in cases} == cases
    allowed = [ipaddress.ip_network("127.0.0.0/8")]
    assert netpolicy.in_networks(ip("::ffff:127.0.0.5"), allowed)
    assert not netpolicy.in_networks(ip("10.0.0.1"), allowed)


def test_pinned_resolver_answers_with_the_checked_address():
    pytest.importorskip("twisted")
    from twisted.internet import reactor

    from crawlers import netguard

    resolver = netguard.PinnedResolver(reactor, 0, 5.0)
    netguard.PINS["rebind.test"] = "93.184.216.34"
    try:
        got = []
        resolver.getHostByName("rebind.test").addCallback(got.append)
        assert got == ["93.184.216.34"]  # answered from the pin, no DNS query
    finally:
        netguard.PINS.pop("rebind.test", None)
    # a name nobody pinned: resolved, and an internal answer is refused
    from twisted.internet.error import DNSLookupError

    with pytest.raises(DNSLookupError, match="network guard"):
        netguard.PinnedResolver._check("127.0.0.2", "sneaky.test")
    assert netguard.PinnedResolver._check("93.184.216.34", "public.test") == "93.184.216.34"


# -- test extraction: one resolution, connect to the checked address ---------------------------
class FakeInternet(__import__("httpcore").NetworkBackend):
    """The socket layer of the test: a "public" address is served by the local site, every
    connect target is recorded."""

    def __init__(self, public: dict[str, str]) -> None:
        import httpcore

        self.public, self.inner, self.connects = public, httpcore.SyncBackend(), []

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):  # noqa: ANN001, ANN201
        self.connects.append(host)
        return self.inner.connect_tcp(self.public.get(host, host), port, timeout=timeout,
                                      local_address=local_address, socket_options=socket_options)

    def sleep(self, seconds):  # noqa: ANN001, ANN201
        self.inner.sleep(seconds)


def test_extraction_resolves_once_and_connects_to_the_checked_address():
    from daihuo.runs.pinned_http import PinnedTransport
    from daihuo.web.console.extraction import FetchError, fetch

    article = ("<html><head><title>公开页面</title></head><body><article><h1>公开页面</h1>"
               + "<p>直播带货的公开报道，任何人都可以读到。</p>" * 6 + "</article></body></html>").encode()
    with Pages({"/": (200, {}, article)}) as site:
        try:
            canary = Canary(port=site.port)  # same port: a second lookup would land here
        except OSError:
            pytest.skip("127.0.0.2 with the site's port is taken")
        with canary:
            answers = iter([["93.184.216.34"], ["127.0.0.2"], ["127.0.0.2"], ["127.0.0.2"]])
            asked = []

            def rebinding(host):  # public first, loopback after (DNS rebinding)
                asked.append(host)
                return next(answers)

            net = FakeInternet({"93.184.216.34": "127.0.0.1"})
            got = fetch(f"http://rebind.example:{site.port}/", [],
                        transport=PinnedTransport([], rebinding, backend=net))
            assert got.status == 200 and "公开页面".encode() in got.body
            assert asked == ["rebind.example"] and net.connects == ["93.184.216.34"]
            assert canary.hits == []
            # a name answering loopback at once is refused before any connection
            with pytest.raises(FetchError, match="private/loopback"):
                fetch(f"http://rebind.example:{site.port}/", [],
                      transport=PinnedTransport([], lambda h: ["127.0.0.2"], backend=net))
            assert net.connects == ["93.184.216.34"] and canary.hits == []


def test_webhooks_go_through_the_guard_and_never_show_their_tokens(canary, tmp_path):
    from daihuo.runs import webhooks
    from storage.store import Store

    result = webhooks.send("json", canary.url("/hook"), {"event": "test"})
    assert result.startswith("refused by the network guard") and "loopback" in result
    assert canary.hits == []
    store = Store.open(f"sqlite:///{tmp_path / 'hooks.sqlite'}")
    try:
        webhooks.add_webhook(store.engine, "robot", "https://oapi.dingtalk.com/robot/send?access_token=0123456789abcdef",
                             "dingtalk", "SECsupersecret")
        webhooks.add_webhook(store.engine, "fs", "https://open.feishu.cn/open-apis/bot/v2/hook/8f1c2d3e-4b5a-6978-a1b2-c3d4e5f60718")
        shown = [{**w.as_dict(), "url": webhooks.masked_url(w.url)} for w in webhooks.list_webhooks(store.engine)]
    finally:
        store.close()
    text = json.dumps(shown)
    assert "0123456789abcdef" not in text and "8f1c2d3e-4b5a-6978-a1b2-c3d4e5f60718" not in text
    assert "SECsupersecret" not in text and "oapi.dingtalk.com" in text


# -- the browser: every connection Chromium makes goes through the guard's proxy -------------
def ask(port: int, raw: bytes) -> bytes:
    """Send ``raw`` to the proxy on ``port`` and read its whole answer."""
    import socket

    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(raw)
        chunks = []
        while chunk := conn.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_browser_proxy_connects_only_to_checked_addresses(canary):
    from crawlers import guardproxy

    answers = {"site.test": ["127.0.0.3"], "twofaced.test": ["127.0.0.3", "127.0.0.2"]}
    asked = []

    def resolver(host):
        asked.append(host)
        return answers[host]

    with Pages({"/": (200, {}, "<p>允许的页面</p>".encode())}, host="127.0.0.3") as site:
        proxy = guardproxy.GuardProxy(resolver=resolver)
        proxy.allowed = [ipaddress.ip_network("127.0.0.3/32")]
        proxy.pins = {"pinned.test": "127.0.0.3"}.get  # what the downloader's guard checked
        refused = []
        proxy.on_refused = lambda url, reason, detail: refused.append((url, reason))
        proxy.start()
        try:
            for host in ("site.test", "site.test", "pinned.test"):
                got = ask(proxy.port, f"GET http://{host}:{site.port}/ HTTP/1.1\r\nHost: {host}:{site.port}\r\n"
                                      "Proxy-Connection: keep-alive\r\n\r\n".encode())
                head, _, body = got.partition(b"\r\n\r\n")
                assert b" 200 " in head.split(b"\r\n")[0] and body == "<p>允许的页面</p>".encode(), got
                # one request per connection: the browser must not send another host's here
                assert b"Connection: close" in head and guardproxy.HEADER.encode() not in head
            # a tunnel (https, wss) to an allowed name relays to the checked address
            got = ask(proxy.port, f"CONNECT site.test:{site.port} HTTP/1.1\r\nHost: site.test:{site.port}\r\n\r\n"
                                  f"GET /tunnelled HTTP/1.1\r\nHost: site.test\r\nConnection: close\r\n\r\n".encode())
            assert got.startswith(b"HTTP/1.1 200 Connection established") and b"not here" in got
            assert asked == ["site.test"]  # resolved once; the pinned name not at all
            internal = [f"GET {canary.url('/xhr')} HTTP/1.1\r\nHost: 127.0.0.2\r\n\r\n",
                        f"GET http://twofaced.test:{canary.port}/ HTTP/1.1\r\nHost: twofaced.test\r\n\r\n",
                        f"CONNECT 127.0.0.2:{canary.port} HTTP/1.1\r\nHost: 127.0.0.2:{canary.port}\r\n\r\n",
                        f"GET ftp://127.0.0.3:{site.port}/ HTTP/1.1\r\n\r\n"]
            for raw in internal:
                head = ask(proxy.port, raw.encode()).partition(b"\r\n\r\n")[0].decode()
                assert head.startswith("HTTP/1.1 403"), (raw, head)
                value = head.split(guardproxy.HEADER + ": ", 1)[1].split("\r\n")[0]
                assert guardproxy.refusal_reason(value, proxy) in ("loopback", "scheme")
            # a name that does not resolve: no refusal, but the proxy's answer is marked as its own
            head = ask(proxy.port, b"GET http://nowhere.test/ HTTP/1.1\r\n\r\n").partition(b"\r\n\r\n")[0]
            assert head.startswith(b"HTTP/1.1 502") and f"{proxy.token} {guardproxy.UNREACHABLE}".encode() in head
            # a site's own header with that name is not the guard's refusal
            assert guardproxy.refusal_reason("0123456789abcdef loopback", proxy) is None
        finally:
            proxy.stop()
    assert [reason for _, reason in refused] == ["loopback", "loopback", "loopback", "scheme"]
    assert canary.hits == [] and site.hits == ["/", "/", "/", "/tunnelled"]


@pytest.mark.slow
def test_rendered_pages_reach_nothing_internal(store_url, canary, monkeypatch):
    """A rendered page's redirect, its scripts' requests to an IP literal and to a name of a
    loopback address: all go through the guard's proxy and are refused; the site's own
    rendered article is stored."""
    from browser import require_browser

    require_browser()
    pytest.importorskip("scrapy_playwright", reason="pip install scrapy-playwright")
    # the site on 127.0.0.3 is the only allowed network here: 127.0.0.1 is internal too
    monkeypatch.setenv("DAIHUO_ALLOWED_NETWORKS", "127.0.0.3/32")
    paragraph = "<p>这篇文章的正文由页面脚本从同一站点取来，浏览器经网络守卫的代理拿到它。</p>"
    with Canary(host="127.0.0.1") as named:
        by_name = f"http://localhost:{named.port}/name"
        scripts = (f"<script>fetch('{canary.url('/xhr')}').catch(() => 0);"
                   f"fetch('{by_name}').catch(() => 0);</script>")
        writer = ("<script>fetch('/a/1.json').then(r => r.json()).then(d => "
                  "{document.querySelector('article').innerHTML = d.html;});</script>")
        routes = {
            "/": (200, {}, ("<html><body><h1>目录</h1><a href='/a/1.html'>脚本写出的文章标题</a>"
                            f"{scripts}</body></html>").encode()),
            "/go": (302, {"Location": canary.url("/redirected")}, b""),
            "/a/1.html": (200, {}, ("<html><head><title>脚本写出的文章</title></head><body>"
                                    f"<article></article>{writer}</body></html>").encode()),
            "/a/1.json": (200, {"Content-Type": "application/json"},
                          json.dumps({"html": "<h1>脚本写出的文章</h1>" + paragraph * 6}).encode()),
        }
        with Pages(routes, host="127.0.0.3") as site:
            log: list[str] = []
            stats = crawl(store_url, source(
                "browser", site.url("/"), render="always", start_urls=[site.url("/"), site.url("/go")],
                allowed_domains=["127.0.0.3", "127.0.0.2", "localhost"]), log=log)
            assert "/go" in site.hits and "/a/1.json" in site.hits  # the page's own data: allowed
    assert canary.hits == [] and named.hits == []
    for url in (canary.url("/redirected"), canary.url("/xhr"), by_name):
        assert f"refused the browser's request for {url}" in log[0], (url, log[0][-3000:])
    assert stats.get("daihuo/netguard/browser_refused", 0) >= 3
    assert refused(stats).get("loopback", 0) >= 3
    # the refused redirect is a failed fetch of the page that redirected, with the reason
    from sqlalchemy import text

    engine = make_engine(store_url)
    with engine.connect() as conn:
        failed = conn.execute(text("SELECT url, error FROM raw_pages WHERE error IS NOT NULL")).all()
        bodies = [r.body for r in conn.execute(text("SELECT body FROM articles"))]
    engine.dispose()
    assert [(u.rsplit("/", 1)[1], "network guard refused" in e and canary.url("/redirected") in e)
            for u, e in failed] == [("go", True)], failed
    assert any(paragraph[3:20] in b for b in bodies), bodies
