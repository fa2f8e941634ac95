"""Fetching pages through a real browser where a source needs it (``render`` in its config).

* ``never`` (default): plain HTTP; nothing here is imported or launched.
* ``always``: every page of the source goes through Chromium (scrapy-playwright).
* ``auto``: a page is fetched plainly; the first page of each URL class (nlp.urlpatterns)
  whose HTML carries scripts is fetched once more through the browser and the two are
  measured (visible text, links). The class is rendered from then on only when the browser's
  page has clearly more of either — the decision is cached for the crawl, so a site that
  needs no rendering costs one browser fetch per URL class.

Rendered fetches go through Scrapy's downloader like any other: robots.txt, the slot's delay
(and Crawl-delay, counted from the page's arrival: the browser's start-up must not eat it),
the download timeout (the navigation timeout), and concurrency apply. The browser's own
sub-requests are limited by ``abort_request``: images, media and fonts never, and nothing
outside the source's allowed domains; the page's own scripts and data requests on the site
are part of fetching that page and are not spaced. One browser context, at most the source's
concurrency pages open at once, each closed after its response: that bounds memory. A failed
render is never a lost page: in ``auto`` the plain page is used; otherwise ``RenderFailed``
with the reason reaches the request's errback, which stores it as a failed fetch
(crawlers/fetch_failures.py).

The network guard applies to the browser too: Chromium is launched with every connection sent
through the guard's proxy (crawlers/guardproxy.py: loopback included, and a resolver that
finds no name, so nothing reaches the network around it). The main navigation, each redirect
hop the browser follows, sub-requests, iframes and WebSockets are each resolved once by the
proxy, checked against the allowed networks and connected to the checked address. A refused
sub-request simply fails inside the page; a refused navigation (a redirect to an internal
address) is a ``RenderFailed`` naming the refused URL over plain http, and Chromium's tunnel
error over https (the proxy answers a CONNECT, not a page); either way a failed fetch, and
counted in ``daihuo/netguard/refused/<reason>``. ``abort_request`` stays in front of it: it
is scope and politeness (what the page may ask for), the proxy is the guard (where any
connection may go). Not covered: UDP is not proxied, so QUIC and WebRTC's non-proxied UDP are
switched off rather than guarded; a page's service worker and Chromium's own background
requests are guarded like the rest (offline they merely fail, uncounted).

scrapy-playwright and Chromium are needed only by runs that have a rendering source:
``render_settings`` refuses such a run with what to install when either is missing.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from time import monotonic
from urllib.parse import urlsplit

from lxml import html as lhtml
from scrapy import Request, signals
from scrapy.exceptions import NotConfigured
from scrapy.http import HtmlResponse, Response

from crawlers import guardproxy
from nlp.urlpatterns import url_class

log = logging.getLogger(__name__)

CHROMIUM = "/usr/bin/chromium"
_PROBE = "daihuo_render_probe"  # meta: the plain response an auto probe compares against
_MODE_META = "daihuo_render"  # meta: "rendered" on browser fetches we asked for
_BLOCKED_TYPES = {"image", "media", "font"}
_SCRIPT = re.compile(rb"<script[\s>]", re.I)


class RenderFailed(Exception):
    """The browser could not render a page (the message says why)."""


class RenderUnavailable(RuntimeError):
    """A source needs a browser this machine does not have; the message says what to install."""


def chromium_path() -> str | None:
    """Debian's Chromium (or DAIHUO_CHROMIUM when set: then only that one)."""
    chosen = os.environ.get("DAIHUO_CHROMIUM")
    if chosen:
        return chosen if os.path.exists(chosen) else None
    if os.path.exists(CHROMIUM):
        return CHROMIUM
    return shutil.which("chromium") or shutil.which("chromium-browser")


def problem() -> str | None:
    """Why rendering cannot run here (None: it can)."""
    try:
        import scrapy_playwright  # noqa: F401
    except ImportError:
        return "the scrapy-playwright package is missing: pip install scrapy-playwright"
    if chromium_path() is None:
        return (f"no Chromium at {os.environ.get('DAIHUO_CHROMIUM') or CHROMIUM}: install Debian's chromium package "
                "(apt-get install chromium), or set DAIHUO_CHROMIUM; no browser is downloaded")
    return None


def check_sources(sources) -> None:  # noqa: ANN001
    """Raise RenderUnavailable naming the sources that render when this machine cannot."""
    needing = [s.name for s in sources if getattr(s, "render", "never") != "never"]
    if needing:
        why = problem()
        if why:
            raise RenderUnavailable(f"source(s) {', '.join(needing)} render pages with a browser, "
                                    f"but {why}")


def abort_request_for(domains: list[str]) -> Callable[[object], bool]:
    """The browser's sub-request filter for one source (PLAYWRIGHT_ABORT_REQUEST): no
    images/media/fonts, nothing off the source's domains. Scope, not the network guard:
    names are not addresses, and routes never see redirect hops; every connection the
    browser makes passes the guard's proxy as well (crawlers/guardproxy.py)."""
    allowed = [d.lower().lstrip(".") for d in domains]

    def abort(request) -> bool:  # noqa: ANN001
        if request.resource_type in _BLOCKED_TYPES:
            return True
        host = (urlsplit(request.url).hostname or "").lower()
        if urlsplit(request.url).scheme in ("data", "blob"):
            return False
        return not any(host == d or host.endswith("." + d) for d in allowed)

    return abort


def render_settings(settings, src):  # noqa: ANN001, ANN201
    """``settings`` for crawling ``src``: the browser's download handler and bounds when the
    source renders (unchanged otherwise). Raises RenderUnavailable when it cannot."""
    mode = getattr(src, "render", "never")
    if mode == "never" or settings.get("DAIHUO_REDIS_URL"):
        return settings  # (distributed workers keep their shared-politeness handler: see below)
    check_sources([src])
    handler = "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler"
    s = settings
    s.set("DOWNLOAD_HANDLERS", {**s.getdict("DOWNLOAD_HANDLERS"), "http": handler,
                                "https": handler}, priority="spider")
    s.set("DAIHUO_RENDER", mode, priority="spider")
    s.set("PLAYWRIGHT_BROWSER_TYPE", "chromium", priority="spider")
    # every connection of the browser goes through the network guard's proxy (started and fed
    # the policy by the crawl's NetGuardMiddleware; until then it refuses connections)
    # (the settings pass through here twice, as a copy and as the crawler's: one proxy)
    guard = guardproxy.PROXIES.get(s.getint("DAIHUO_BROWSER_GUARD_PORT")) or guardproxy.bind()
    s.set("DAIHUO_BROWSER_GUARD_PORT", guard.port, priority="spider")
    s.set("PLAYWRIGHT_LAUNCH_OPTIONS", {
        "executable_path": chromium_path(), "headless": True,
        "args": ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-extensions", *guardproxy.browser_args(guard)]}, priority="spider")
    s.set("PLAYWRIGHT_MAX_CONTEXTS", 1, priority="spider")
    s.set("PLAYWRIGHT_MAX_PAGES_PER_CONTEXT", max(1, src.concurrency), priority="spider")
    s.set("PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT", s.getfloat("DOWNLOAD_TIMEOUT", 30) * 1000,
          priority="spider")
    s.set("PLAYWRIGHT_RESTART_DISCONNECTED_BROWSER", True, priority="spider")
    s.set("PLAYWRIGHT_ABORT_REQUEST", abort_request_for(src.allowed_domains), priority="spider")
    return s


@dataclass(frozen=True)
class Measure:
    text: int  # visible characters
    links: int  # distinct links (to articles, when the source names them)


def measure(body: bytes, url: str, is_article: Callable[[str], bool] | None = None) -> Measure:
    """What a reader gets from a page: its visible text and links (scripts and styles aside)."""
    try:
        doc = lhtml.document_fromstring(body, base_url=url)
    except (ValueError, lhtml.etree.ParserError):
        return Measure(0, 0)
    for el in doc.xpath("//script | //style | //noscript | //template"):
        el.drop_tree()
    text = re.sub(r"\s+", "", doc.text_content() or "")
    doc.make_links_absolute(url, handle_failures="discard")
    links = {a.get("href") for a in doc.xpath("//a[@href]")}
    if is_article is not None:
        links = {h for h in links if is_article(h)}
    return Measure(len(text), len(links))


def rendering_helps(plain: Measure, rendered: Measure) -> bool:
    """Whether the browser's page has clearly more content than the server's HTML: a body
    (or a list) the scripts wrote, not a widget added to a full page."""
    return (rendered.text - plain.text >= max(150, 0.3 * plain.text)
            or rendered.links - plain.links >= max(3, 0.3 * plain.links))


class RenderMiddleware:
    """Downloader middleware: which requests the browser fetches (see the module doc)."""

    def __init__(self, crawler) -> None:  # noqa: ANN001
        self.crawler = crawler
        self.mode = crawler.settings.get("DAIHUO_RENDER") or "never"
        if self.mode == "never":
            raise NotConfigured
        if crawler.settings.get("DAIHUO_REDIS_URL"):
            # distributed workers fetch through the shared-politeness handler; requests are
            # serialised to Redis, so a probe carrying the plain page cannot travel either
            log.warning("render=%s is not supported by distributed workers yet: pages are "
                        "fetched plainly", self.mode)
            raise NotConfigured
        self.stats = crawler.stats
        self.guard = guardproxy.PROXIES.get(crawler.settings.getint("DAIHUO_BROWSER_GUARD_PORT"))
        self.decisions: dict[str, bool] = {}  # URL class -> render?
        crawler.signals.connect(self._spaced_from_now, signal=signals.response_downloaded)

    @classmethod
    def from_crawler(cls, crawler):  # noqa: ANN001, ANN206
        return cls(crawler)

    def _spaced_from_now(self, response, request, spider=None) -> None:  # noqa: ANN001
        """The site sees a rendered request only after the browser (and, the first time, its
        launch) got to it, so the slot's delay is counted from the page's arrival, not from
        when Scrapy handed the request over: the next request leaves a full delay later.
        (Sent before the slot picks its next request.)"""
        if request.meta.get(_MODE_META) == "rendered":
            downloader = self.crawler.engine.downloader
            slot = downloader.slots.get(downloader.get_slot_key(request))
            if slot is not None:
                slot.lastseen = max(slot.lastseen, monotonic())

    @staticmethod
    def _browser_meta(request: Request) -> None:
        request.meta["playwright"] = True
        request.meta[_MODE_META] = "rendered"
        # the page's scripts may fetch the content after "load": wait for the network to settle
        request.meta.setdefault("playwright_page_goto_kwargs", {"wait_until": "networkidle"})

    def process_request(self, request: Request, spider=None) -> None:  # noqa: ANN001
        if "playwright" in request.meta or request.url.endswith("/robots.txt"):
            return
        if self.mode == "always" or self.decisions.get(url_class(request.url)):
            self._browser_meta(request)
            self.stats.inc_value("daihuo/render/rendered")

    def process_response(self, request: Request, response: Response, spider=None):  # noqa: ANN001, ANN201
        if request.meta.get(_MODE_META) == "rendered":
            refused = guardproxy.refusal_reason(
                (response.headers.get(guardproxy.HEADER) or b"").decode("latin-1"), self.guard)
            if refused:  # the proxy's answer, not the site's page: the fetch failed
                why = (f"the browser could not reach {response.url}" if refused == guardproxy.UNREACHABLE
                       else f"the network guard refused {response.url} ({refused})")
                return self.process_exception(request, RenderFailed(why))
        probe = request.meta.get(_PROBE)
        if probe is not None:
            return self._decide(request, response, probe)
        if (self.mode != "auto" or request.meta.get("playwright") or response.status != 200
                or not isinstance(response, HtmlResponse) or request.url.endswith("/robots.txt")):
            return response
        klass = url_class(request.url)
        if klass in self.decisions:
            return response
        # (a page of a class whose probe is still in flight is probed too: a plain page
        # returned now could be one whose body only the browser shows)
        if not _SCRIPT.search(response.body):
            self.decisions[klass] = False  # no scripts: nothing a browser would add
            self.stats.inc_value("daihuo/render/auto_plain")
            return response
        self.stats.inc_value("daihuo/render/probes")
        probe_request = request.replace(dont_filter=True, meta={**request.meta, _PROBE: response})
        self._browser_meta(probe_request)
        return probe_request

    def _decide(self, request: Request, rendered: Response, plain: Response) -> Response:
        klass = url_class(request.url)
        spider = self.crawler.spider
        is_article = getattr(spider, "is_article", None) if getattr(spider, "_articles", None) else None
        helps = rendered.status == 200 and rendering_helps(
            measure(plain.body, plain.url, is_article), measure(rendered.body, rendered.url, is_article))
        if klass not in self.decisions:  # the first probe decides the class
            self.decisions[klass] = helps
            self.stats.inc_value("daihuo/render/auto_rendered" if helps else "daihuo/render/auto_plain")
            log.info("render=auto: %s pages %s rendered", klass, "are" if helps else "are not")
        return rendered if helps else plain

    def process_exception(self, request: Request, exception: Exception, spider=None):  # noqa: ANN001, ANN201
        if request.meta.get(_MODE_META) != "rendered":
            return None
        self._spaced_from_now(None, request)
        reason = f"render failed: {type(exception).__name__}: {exception}".splitlines()[0][:300]
        self.stats.inc_value("daihuo/render/failed")
        probe = request.meta.get(_PROBE)
        if probe is not None:  # auto: the plain page stands; the class is not rendered
            self.decisions.setdefault(url_class(request.url), False)
            log.warning("%s: %s; using the server's HTML", request.url, reason)
            return probe
        log.warning("%s: %s", request.url, reason)
        raise RenderFailed(reason) from exception  # the request's errback records it
