"""The crawler's network guard: every request of every crawl is checked where it is made.

``NetGuardMiddleware`` is a downloader middleware, so it sees start URLs, each redirect hop
and meta refresh (both re-enter the downloader), sitemap and feed entries, robots.txt and
the requests of distributed workers alike. It resolves the request's host once, applies the
policy of editorial/network_policy.py (public, or inside an allowed network) and pins the checked
address; ``PinnedResolver`` (the reactor's resolver, TWISTED_DNS_RESOLVER) answers the
connection's lookup with that pinned address instead of asking DNS again, so a rebinding
name cannot swap in an internal address between the check and the connect.

Allowed networks are the admin's setting in the store (re-read every few seconds, so a
revocation applies to the next requests) plus ``DAIHUO_ALLOWED_NETWORKS`` (environment or
Scrapy setting: the operator's, e.g. the demo's own server). A refusal raises
``NetGuardRefused`` (an IgnoreRequest carrying the URL and the reason) and is counted in
the stats as ``daihuo/netguard/refused/<reason>``.

What the middleware cannot see is what a browser does with a page it renders (sources with
``render``): redirects Chromium follows, the page's scripts, XHR/fetch, iframes and
WebSockets, and Chromium's own DNS. Those connections go through the browser's proxy
(crawlers/guardproxy.py), which applies the same policy to each and connects to the checked
address (taking this middleware's pin for a host it already checked); this middleware
starts it for the crawl, hands it the allowed networks as they are re-read and counts its
refusals as above, plus ``daihuo/netguard/browser_refused``.

Not covered here: connections made outside the crawl (test extraction and webhooks use
daihuo/runs/pinned_http.py; source validation resolves names itself), and distributed
workers, which do not render.
"""

from __future__ import annotations

import ipaddress
import logging
import threading
import time
from urllib.parse import urlsplit

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.resolver import CachingThreadedResolver
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import defer, task, threads
from twisted.internet.error import DNSLookupError
from twisted.internet.interfaces import IResolverSimple
from zope.interface import implementer

from crawlers import guardproxy
from editorial import network_policy as netpolicy
from editorial.network_policy import AddressRefused, IPNetwork
from pipelines.wiring import NoSystem, system_of

log = logging.getLogger(__name__)
STATS_PREFIX = "daihuo/netguard/refused"
BROWSER_STATS = "daihuo/netguard/browser_refused"  # the refusals of the browser's proxy, also counted above
SCHEMES = ("http", "https")

#: host -> the address last checked for it; the resolver answers with it (module state: the
#: resolver is built per process, the middleware per crawler, and they share one reactor)
PINS: dict[str, str] = {}
#: the allowed networks last read, for the resolver's own check of a name nobody pinned
_LAST_ALLOWED: list[IPNetwork] = netpolicy.env_allowed_networks()
_PINS_LOCK = threading.Lock()


class NetGuardRefused(IgnoreRequest):
    """A request the network guard refused; ``url`` and ``reason`` (a short code such as
    loopback, private, scheme, unresolvable) say which and why."""

    def __init__(self, url: str, reason: str, detail: str = "") -> None:
        self.url, self.reason, self.detail = url, reason, detail
        super().__init__(f"network guard refused {url}: {reason}" + (f" ({detail})" if detail else ""))


class NetGuardMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        s = crawler.settings
        self.stats = crawler.stats
        try:  # the process's System (daihuo.system): its one engine, never one of our own
            self.system = system_of(crawler)
        except NoSystem:
            self.system = None
        self.operator = netpolicy.env_allowed_networks() + netpolicy.parse_networks(
            s.getlist("DAIHUO_ALLOWED_NETWORKS"))
        self.allowed_ttl = s.getfloat("DAIHUO_NETGUARD_SETTINGS_SECONDS", 2.0)
        self.dns_ttl = s.getfloat("DAIHUO_NETGUARD_DNS_SECONDS", 60.0)
        self._allowed: tuple[float, list[IPNetwork]] = (-1e9, [])
        self._dns: dict[str, tuple[float, list[str]]] = {}
        # the browser's proxy (crawlers/guardproxy.py), bound by render_settings for a
        # rendering source: this guard feeds it the policy and counts its refusals
        port = s.getint("DAIHUO_BROWSER_GUARD_PORT")
        self.browser_guard = guardproxy.PROXIES.get(port) if port else None
        self._refresh: task.LoopingCall | None = None
        if self.browser_guard is not None:
            crawler.signals.connect(self._start_browser_guard, signal=signals.spider_opened)
            crawler.signals.connect(self._stop_browser_guard, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> NetGuardMiddleware:
        return cls(crawler)

    # -- the allowed networks, read at crawl time ------------------------------------------
    def allowed_networks(self) -> list[IPNetwork]:
        global _LAST_ALLOWED
        at, nets = self._allowed
        if time.monotonic() - at < self.allowed_ttl:
            return nets
        nets = self.operator + self._store_networks()
        self._allowed = (time.monotonic(), nets)
        _LAST_ALLOWED = nets
        return nets

    def _store_networks(self) -> list[IPNetwork]:
        if self.system is None:
            return []
        try:
            from editorial.sources import allowed_networks

            return allowed_networks(self.system.engine)
        except Exception as exc:  # noqa: BLE001 - unreadable: allow nothing extra (fail closed)
            log.warning("network guard: cannot read the allowed networks (%s); "
                        "allowing only DAIHUO_ALLOWED_NETWORKS", type(exc).__name__)
            return []

    # -- the browser's proxy ---------------------------------------------------------------------
    def _start_browser_guard(self, spider: Spider | None = None) -> None:
        from twisted.internet import reactor

        guard = self.browser_guard
        guard.pins = _pinned
        guard.on_refused = lambda url, reason, detail: reactor.callFromThread(
            self._count_browser_refusal, reason)
        self._push_allowed()
        guard.start()
        # the admin's setting is read here, on the reactor, and handed over: the proxy's
        # thread never touches the store
        self._refresh = task.LoopingCall(self._push_allowed)
        self._refresh.start(max(self.allowed_ttl, 0.5), now=False)

    def _push_allowed(self) -> None:
        self.browser_guard.allowed = list(self.allowed_networks())

    def _stop_browser_guard(self, spider: Spider | None = None) -> None:
        if self._refresh is not None and self._refresh.running:
            self._refresh.stop()
        guardproxy.PROXIES.pop(self.browser_guard.port, None)
        self.browser_guard.stop()

    def _count_browser_refusal(self, reason: str) -> None:
        if self.stats is not None:
            for key in (STATS_PREFIX, f"{STATS_PREFIX}/{reason}", BROWSER_STATS):
                self.stats.inc_value(key)

    # -- one request -------------------------------------------------------------------------
    def _cached(self, host: str) -> list[str]:
        cached = self._dns.get(host)
        if cached and time.monotonic() - cached[0] < self.dns_ttl:
            return cached[1]
        return []

    async def process_request(self, request: Request, spider: Spider | None = None) -> None:
        parts = urlsplit(request.url)
        if parts.scheme not in SCHEMES:
            if parts.scheme == "data":  # no connection at all
                return None
            self._refuse(request, "scheme", f"only http(s) is fetched, not {parts.scheme}:")
        host = (parts.hostname or "").rstrip(".")
        if not host:
            self._refuse(request, "no-host", "the URL has no host")
        addrs = self._cached(host)
        if not addrs and netpolicy.ip_literal(host) is None:
            try:
                addrs = await maybe_deferred_to_future(
                    threads.deferToThread(netpolicy.system_resolver, host))
            except AddressRefused as exc:
                self._refuse(request, exc.reason, str(exc))
            if len(self._dns) > 10_000:  # a bound, not a tuning: a crawl sees a few hosts
                self._dns.clear()
            self._dns[host] = (time.monotonic(), addrs)
        try:
            addr = netpolicy.checked_address(host, self.allowed_networks(),
                                             resolver=lambda _h: addrs)
        except AddressRefused as exc:
            self._refuse(request, exc.reason, str(exc))
        if netpolicy.ip_literal(host) is None:
            with _PINS_LOCK:
                PINS[host] = str(addr)
        request.meta["daihuo_netguard_ip"] = str(addr)
        return None

    def _refuse(self, request: Request, reason: str, detail: str) -> None:
        if self.stats is not None:
            self.stats.inc_value(STATS_PREFIX)
            self.stats.inc_value(f"{STATS_PREFIX}/{reason}")
        log.warning("network guard refused %s: %s", request.url, detail)
        raise NetGuardRefused(request.url, reason, detail)


def _pinned(host: str) -> str | None:
    with _PINS_LOCK:
        return PINS.get(host)


@implementer(IResolverSimple)
class PinnedResolver(CachingThreadedResolver):
    """Answers a host's lookup with the address the guard checked and pinned. A name nobody
    pinned (a request that did not pass the middleware) is resolved and refused unless its
    address passes the same policy."""

    def getHostByName(self, name: str, timeout=()):  # noqa: ANN001, ANN201, N802 - Twisted's API
        with _PINS_LOCK:
            pinned = PINS.get(name.rstrip(".").lower())
        if pinned is not None:
            return defer.succeed(pinned)
        d = super().getHostByName(name, timeout)
        d.addCallback(self._check, name)
        return d

    @staticmethod
    def _check(address: str, name: str) -> str:
        addr = ipaddress.ip_address(address)
        reason = netpolicy.refusal_reason(addr)
        if reason and not netpolicy.in_networks(addr, _LAST_ALLOWED):
            raise DNSLookupError(f"network guard: {name} resolves to {address} ({reason})")
        return address
