"""The network guard (storage/netpolicy.py, crawlers/netguard.py): the audit's five crawl-time
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

from storage import netpolicy
from storage.db import make_engine, migrate
from storage.registry import RegistryError, parse_source
from storage.sources import SourceError, add_source, set_allowed_networks, validate

REPO = Path(__file__).resolve().parents[1]


def crawl(db_url: str, *args: str) -> dict:
    env = {**os.environ, "PYTHONPATH": f"{REPO}:{REPO / 'tests'}"}
    proc = subprocess.run([sys.executable, str(REPO / "tests" / "netguard_crawl.py"), db_url, *args],
                          env=env, capture_output=True, text=True, timeout=180, cwd=REPO)
    assert proc.returncode == 0, proc.stderr[-3000:]
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
