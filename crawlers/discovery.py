"""A source from a homepage URL (`daihuo sources discover URL`): no per-site code.

1. robots.txt first (its rules and Crawl-delay govern every fetch here; its ``Sitemap:`` lines
   name sitemaps), then the homepage.
2. Feeds: the homepage's ``<link rel=alternate>`` RSS/Atom links and feed-looking ``<a>``
   links, else the common paths (/feed, /rss.xml, ...); a candidate counts only when its
   content is a feed.
3. Sitemaps: robots.txt's, else /sitemap.xml and /sitemap_index.xml; indexes are expanded
   (a bounded number of child sitemaps).
4. A few of the homepage's non-article links are fetched as sample list pages, so the
   patterns see which pages link articles and how lists paginate.
5. nlp.urlpatterns.infer proposes article and list regexes from all those links.
6. The first N article URLs are fetched and run through the crawl's own pipeline: the
   preview shows each extraction with a quality flag, whether articles are split over pages
   and whether the server's HTML looks script-built (then ``render = "auto"`` is proposed).

Fetching goes through a caller-given function (the CLI's is the console's guarded fetch:
http/https only, private addresses refused unless allowed, size and time caps), one request
at a time with the larger of ``delay`` and the site's Crawl-delay between them. trafilatura's
feeds/sitemaps modules were not used: they fetch by themselves, outside the network guard.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from lxml import html as lhtml
from protego import Protego
from scrapy.utils.sitemap import Sitemap

from nlp.extract.pagination import find_pager
from nlp.urlpatterns import Link, Proposal, infer, shape_of

FEED_PATHS = ("/feed", "/rss.xml", "/atom.xml", "/feed.xml", "/index.xml", "/rss", "/feed/")
SITEMAP_PATHS = ("/sitemap.xml", "/sitemap_index.xml")
MAX_CHILD_SITEMAPS = 10
MAX_LIST_SAMPLES = 8
USER_AGENT = "daihuo"
_FEED = re.compile(rb"<(rss|feed|rdf:RDF)[\s>]", re.I)
_SITEMAP = re.compile(rb"<(urlset|sitemapindex)[\s>]", re.I)
_SCRIPT = re.compile(rb"<script[\s>]", re.I)


@dataclass
class Fetched:
    url: str
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


Fetch = Callable[[str], Fetched]


@dataclass
class Preview:
    url: str
    title: str | None
    chars: int
    quality: str  # "ok" or "poor: why"
    pages: int = 1
    error: str | None = None


@dataclass
class Discovery:
    url: str
    feeds: list[str] = field(default_factory=list)
    sitemaps: list[str] = field(default_factory=list)
    proposal: Proposal | None = None
    crawl_delay: float = 0.0
    render: str = "never"
    render_why: str | None = None
    multipage: int = 0  # previewed articles split over pages
    scripted: int = 0  # previewed articles with scripts and (almost) no text in their HTML
    home_status: int | None = None  # the homepage's HTTP status (None: refused or failed)
    previews: list[Preview] = field(default_factory=list)
    fetched: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def source(self, name: str, delay: float = 2.0) -> dict:
        """The proposal as a registry-shaped source (the editor edits and saves it)."""
        host = urlsplit(self.url).hostname or ""
        p = self.proposal
        return {"name": name, "kind": "news",
                "start_urls": [self.url, *self.feeds, *self.sitemaps],
                "allowed_domains": [host], "follow": list(p.follow) if p else [],
                "articles": list(p.articles) if p else [],
                "delay": max(delay, self.crawl_delay), "render": self.render}


class Fetcher:
    """One fetch at a time, robots.txt obeyed, spaced by the delay (and Crawl-delay)."""

    def __init__(self, fetch: Fetch, delay: float) -> None:
        self.fetch_raw = fetch
        self.delay = delay
        self.robots: Protego | None = None
        self._last = 0.0
        self.log: list[str] = []

    def get(self, url: str) -> Fetched | None:
        if self.robots is not None and not self.robots.can_fetch(url, USER_AGENT):
            return None
        wait = self._last + self.delay - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        self.log.append(url)
        try:
            return self.fetch_raw(url)
        except ValueError:  # the guarded fetch's refusals and failures
            return None
        finally:
            self._last = time.monotonic()


def _doc(fetched: Fetched) -> lhtml.HtmlElement | None:
    try:
        return lhtml.document_fromstring(fetched.body)
    except (ValueError, lhtml.etree.ParserError):
        return None


def page_links(fetched: Fetched, where: str) -> list[Link]:
    doc = _doc(fetched)
    if doc is None:
        return []
    out = []
    for a in doc.xpath("//a[@href]"):
        href = a.get("href", "").strip()
        if href and not href.startswith(("javascript:", "mailto:", "#")):
            out.append(Link(urljoin(fetched.url, href).split("#")[0], a.text_content().strip(), where))
    return out


def feed_candidates(fetched: Fetched) -> list[str]:
    doc = _doc(fetched)
    if doc is None:
        return []
    found = [urljoin(fetched.url, h) for h in doc.xpath(
        "//link[contains(@rel, 'alternate')][contains(@type, 'rss') or contains(@type, 'atom')]/@href")]
    found += [urljoin(fetched.url, h) for h in doc.xpath("//a/@href")
              if re.search(r"(rss|atom|feed)(\.xml)?/?$", h.strip(), re.I)]
    return list(dict.fromkeys(found))


def feed_links(fetched: Fetched) -> list[Link]:
    from scrapy import Selector

    sel = Selector(text=fetched.body.decode("utf-8", "replace"), type="xml")
    sel.remove_namespaces()
    links = sel.xpath("//item/link/text() | //entry/link/@href").getall()
    titles = sel.xpath("//item/title/text() | //entry/title/text()").getall()
    return [Link(urljoin(fetched.url, u.strip()), t.strip(), "feed")
            for u, t in zip(links, titles + [""] * len(links), strict=False) if u.strip()]


def discover(url: str, fetch: Fetch, *, delay: float = 2.0, preview: int = 5,
             process: Callable[[Fetched], dict] | None = None) -> Discovery:
    """Discover feeds, sitemaps and URL patterns of the site at ``url`` (see module doc)."""
    out = Discovery(url)
    origin = f"{urlsplit(url).scheme}://{urlsplit(url).netloc}"
    netloc = urlsplit(url).netloc
    f = Fetcher(fetch, delay)
    robots = f.get(origin + "/robots.txt")
    sitemap_urls: list[str] = []
    if robots is not None and robots.status == 200:
        f.robots = Protego.parse(robots.body.decode("utf-8", "replace"))
        out.crawl_delay = float(f.robots.crawl_delay(USER_AGENT) or 0.0)
        f.delay = max(delay, out.crawl_delay)
        sitemap_urls = list(f.robots.sitemaps)
    home = f.get(url)
    out.home_status = home.status if home is not None else None
    if home is None or home.status >= 400:
        out.notes.append(f"the homepage could not be fetched ({home.status if home else 'refused'})")
        out.fetched = f.log
        return out
    links = page_links(home, "home")

    # feeds
    for cand in feed_candidates(home) or [origin + p for p in FEED_PATHS]:
        got = f.get(cand)
        if got is not None and got.status == 200 and _FEED.search(got.body[:2048]):
            out.feeds.append(got.url)
            links += feed_links(got)
            break
    # sitemaps (an index expanded to its children)
    for cand in sitemap_urls or [origin + p for p in SITEMAP_PATHS]:
        got = f.get(cand)
        if got is None or got.status != 200 or not _SITEMAP.search(got.body[:2048]):
            continue
        out.sitemaps.append(cand)
        sm = Sitemap(got.body)
        if sm.type == "sitemapindex":
            for child in [e["loc"] for e in sm if e.get("loc")][:MAX_CHILD_SITEMAPS]:
                sub = f.get(child)
                if sub is not None and sub.status == 200 and _SITEMAP.search(sub.body[:2048]):
                    links += [Link(e["loc"], "", "sitemap") for e in Sitemap(sub.body) if e.get("loc")]
        else:
            links += [Link(e["loc"], "", "sitemap") for e in sm if e.get("loc")]
        if not sitemap_urls:
            break  # the first common path that answers is the site's sitemap

    # sample list pages: the homepage's non-article shapes, one page each
    first = infer(links, netloc)
    article_shapes = {g.shape for g in first.article_groups}
    listed: dict[str, set[str]] = {}
    seen_shapes = set()
    for link in links:
        if link.where != "home" or urlsplit(link.url).netloc != netloc:
            continue
        shape = shape_of(link.url)
        if shape in article_shapes or shape in seen_shapes or len(listed) >= MAX_LIST_SAMPLES:
            continue
        seen_shapes.add(shape)
        got = f.get(link.url)
        if got is None or got.status != 200:
            continue
        found = page_links(got, "list")
        listed[link.url] = {lk.url for lk in found}
        links += found
    out.proposal = infer(links, netloc, listed)

    # preview the first articles the crawl would fetch
    art_shapes = {g.shape for g in out.proposal.article_groups}
    order = {"feed": 0, "home": 1, "list": 2, "sitemap": 3}
    candidates = sorted((lk for lk in links if shape_of(lk.url) in art_shapes),
                        key=lambda lk: order.get(lk.where, 9))
    scripted = 0
    for art_url in list(dict.fromkeys(lk.url for lk in candidates))[:preview]:
        got = f.get(art_url)
        if got is None:
            out.previews.append(Preview(art_url, None, 0, "poor: not fetched", error="refused or failed"))
            continue
        pager = find_pager(got.url, [(lk.url, lk.text, "") for lk in page_links(got, "article")])
        if pager is not None:
            out.multipage += 1
        result = process(got) if process else {}
        body = result.get("body") or ""
        title = result.get("title")
        quality = "ok"
        if got.status < 400 and len(body) < 200 and _SCRIPT.search(got.body):
            scripted += 1  # little or no text, and scripts that may write it
        if result.get("error") or got.status >= 400:
            quality = f"poor: {result.get('error') or f'HTTP {got.status}'}"
        elif len(body) < 200:
            quality = f"poor: only {len(body)} characters of text"
        elif not title:
            quality = "poor: no title"
        out.previews.append(Preview(art_url, title, len(body), quality,
                                    len(pager.pages) if pager else 1, result.get("error")))
    out.scripted = scripted
    if scripted and scripted * 2 >= max(1, len(out.previews)):
        out.render = "auto"
        out.render_why = (f"{scripted} of {len(out.previews)} previewed articles have scripts and "
                          "almost no text in the server's HTML")
    if not out.proposal.articles:
        out.notes.append("no article pattern found: add 'articles' regexes by hand")
    out.fetched = f.log
    return out
