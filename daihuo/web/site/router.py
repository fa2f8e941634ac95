"""The public site served live: the same pages, feeds and sitemap as the static export.

Settings come from ``app.state.site_config`` (a SiteConfig; default ``SiteConfig.from_env()``);
without a base URL the request's own origin is used if its host is allowed (site/site_hosts.py). ``app.state.site_clock`` (a callable
returning an aware datetime) may replace the clock, for tests of scheduled publishing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from daihuo.web.bounds import MAX_ID
from daihuo.web.site.feeds import MEDIA_TYPES, FeedBuilder
from daihuo.web.site.render import CSS_PATH, Renderer
from daihuo.web.site.searching import site_search
from daihuo.web.site.site_config import SiteConfig
from daihuo.web.site.site_hosts import BoundedCache, request_base
from daihuo.web.site.sitemap import build_sitemaps, robots_txt, site_entries
from daihuo.web.site.urls import FEED_FILES, SECTION_KINDS, tag_segment
from editorial import published as pub
from storage.models import Article
from storage.timestamps import now_utc

router = APIRouter(include_in_schema=False)

# Pages (home, article, tag pages) are a few indexed reads (about a millisecond), so their
# handlers are async and run on the event loop: a threadpool hop per request halved the
# serving rate. Search, feeds and the sitemap can take longer and stay in the threadpool.

PAGE_CACHE = "public, max-age=60"  # a takedown reaches caches within a minute
MAX_PAGE = 10_000


class _Site:
    """Per-app state: config, renderers per origin, the clock."""

    def __init__(self, request: Request) -> None:
        state = request.app.state
        self.engine = state.engine
        cfg: SiteConfig | None = getattr(state, "site_config", None)
        if cfg is None:
            cfg = state.site_config = SiteConfig.from_env()
        if cfg.base_url is None:  # only an allowed Host reaches links (site/site_hosts.py)
            cfg = cfg.with_base(request_base(request))
        self.cfg = cfg
        cache: BoundedCache = state.__dict__.setdefault("_site_renderers", BoundedCache())
        self.render, self.feeds = cache.get(cfg.base_url, lambda: (Renderer(cfg), FeedBuilder(cfg)))
        clock: Callable[[], datetime] = getattr(state, "site_clock", None) or now_utc
        self.now = clock()


def _html(body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(body, status_code=status, headers={"Cache-Control": PAGE_CACHE})


def _not_found(site: _Site, request: Request, status: int = 404) -> HTMLResponse:
    return HTMLResponse(site.render.not_found(request.url.path), status_code=status)


def _resolve_tag(site: _Site, kind: str, segment: str) -> str | None:
    """The tag value a URL segment names (hashed segments are looked up)."""
    if tag_segment(segment) == segment and not segment.startswith("t-"):
        return segment
    for value, _ in pub.published_tags(site.engine, site.now, kind):
        if tag_segment(value) == segment:
            return value
    return None


@router.get("/", response_class=HTMLResponse)
@router.get("/page/{page}/", response_class=HTMLResponse)
async def home(request: Request, page: int = 1) -> Response:
    site = _Site(request)
    if not 1 <= page <= MAX_PAGE:
        return _not_found(site, request)
    listing = pub.published_articles(site.engine, site.now, featured_first=True, page=page,
                                     per_page=site.cfg.per_page, per_story=True)
    if page > listing.pages:
        return _not_found(site, request)
    return _html(site.render.home(listing))


@router.get("/articles/{article_id}/", response_class=HTMLResponse)
async def article(request: Request, article_id: int) -> Response:
    site = _Site(request)
    if not 1 <= article_id <= MAX_ID:  # an id the database cannot hold: not a page
        return _not_found(site, request)
    item = pub.published_article(site.engine, article_id, site.now)
    if item is None:
        with site.engine.connect() as conn:
            status = conn.scalar(select(Article.status).where(Article.id == article_id))
        # 410: taken down on purpose, so crawlers and caches drop it
        return _not_found(site, request, 410 if status == "unpublished" else 404)
    return _html(site.render.article_cached(item))


def tag_index(request: Request, kind: str) -> Response:
    site = _Site(request)
    return _html(site.render.tag_index(kind, pub.published_tags(site.engine, site.now, kind)))


def tag_page(request: Request, kind: str, segment: str, page: int = 1) -> Response:
    site = _Site(request)
    value = _resolve_tag(site, kind, segment)
    if value is None or not 1 <= page <= MAX_PAGE:
        return _not_found(site, request)
    listing = pub.published_articles(site.engine, site.now, **{kind: value}, page=page,
                                     per_page=site.cfg.per_page)
    if listing.total == 0 or page > listing.pages:
        return _not_found(site, request)
    return _html(site.render.tag_page(kind, value, listing))


def _feed(site: _Site, fmt: str, kind: str | None = None, value: str | None = None,
          request: Request | None = None) -> Response:
    filters = {kind: value} if kind else {}
    items = pub.published_articles(site.engine, site.now, **filters, page=1,
                                   per_page=site.cfg.feed_size, with_body=True, per_story=True).items
    if kind and not items and request is not None:
        return _not_found(site, request)  # as in the static export: no articles, no feed
    return Response(site.feeds.build(fmt, items, kind, value), media_type=MEDIA_TYPES[fmt],
                    headers={"Cache-Control": PAGE_CACHE})


def tag_feed(request: Request, kind: str, segment: str, fmt: str) -> Response:
    site = _Site(request)
    value = _resolve_tag(site, kind, segment)
    if value is None:
        return _not_found(site, request)
    return _feed(site, fmt, kind, value, request)


def _site_feed_route(fmt: str) -> Callable[[Request], Response]:
    def route(request: Request) -> Response:
        return _feed(_Site(request), fmt)
    return route


def _tag_index_route(kind: str) -> Callable[..., Awaitable[Response]]:
    async def route(request: Request) -> Response:
        return tag_index(request, kind)
    return route


def _tag_page_route(kind: str) -> Callable[..., Awaitable[Response]]:
    async def route(request: Request, segment: str, page: int = 1) -> Response:
        return tag_page(request, kind, segment, page)
    return route


def _tag_feed_route(kind: str, fmt: str) -> Callable[..., Response]:
    def route(request: Request, segment: str) -> Response:
        return tag_feed(request, kind, segment, fmt)
    return route


def _add_routes() -> None:
    """Routes per tag section and feed format (explicit paths: no catch-all segments)."""
    for fmt, name in FEED_FILES.items():
        router.add_api_route(f"/{name}", _site_feed_route(fmt), methods=["GET"])
    for section, kind in SECTION_KINDS.items():
        router.add_api_route(f"/{section}/", _tag_index_route(kind), methods=["GET"],
                             response_class=HTMLResponse)
        for path in (f"/{section}/{{segment}}/", f"/{section}/{{segment}}/page/{{page}}/"):
            router.add_api_route(path, _tag_page_route(kind), methods=["GET"],
                                 response_class=HTMLResponse)
        for fmt, name in FEED_FILES.items():
            router.add_api_route(f"/{section}/{{segment}}/{name}", _tag_feed_route(kind, fmt),
                                 methods=["GET"])


def _sitemaps(site: _Site) -> dict[str, bytes]:
    tags = {k: pub.published_tags(site.engine, site.now, k) for k in ("platform", "topic")}
    entries = site_entries(site.cfg, pub.published_stamps(site.engine, site.now), tags)
    return build_sitemaps(site.cfg, entries)


@router.get("/sitemap.xml")
@router.get("/sitemap-{part}.xml")
def sitemap(request: Request, part: int | None = None) -> Response:
    site = _Site(request)
    files = _sitemaps(site)
    body = files.get(site.render.urls.sitemap(part))
    if body is None:
        return _not_found(site, request)
    return Response(body, media_type="application/xml", headers={"Cache-Control": PAGE_CACHE})


@router.get("/robots.txt")
def robots(request: Request) -> Response:
    return Response(robots_txt(_Site(request).cfg), media_type="text/plain; charset=utf-8")


_CSS: bytes | None = None


@router.get("/favicon.ico")
def favicon() -> Response:
    """No icon, said without an error: browsers ask for this on every first visit, and a 404
    there is a red line in every reader's developer console."""
    return Response(status_code=204, headers={"Cache-Control": "public, max-age=86400"})


@router.get("/static/site.css")
def stylesheet() -> Response:
    global _CSS
    if _CSS is None:
        _CSS = CSS_PATH.read_bytes()
    return Response(_CSS, media_type="text/css; charset=utf-8",
                    headers={"Cache-Control": "public, max-age=3600"})


@router.get("/search/", response_class=HTMLResponse)
def search_page(request: Request, q: str = Query("", max_length=2000),
                page: int = Query(1, ge=1, le=15)) -> Response:
    site = _Site(request)
    if not site.cfg.search:
        return _not_found(site, request)
    found = site_search(site.engine, q, site.now, page=page, per_page=site.cfg.per_page)
    return HTMLResponse(site.render.search(found.query, found.hits, found.total, found.page,
                                           found.pages, found.error),
                        headers={"Cache-Control": "no-store"})


_add_routes()


# what a reader can do about a bad parameter in a site address, by parameter
_BAD_PARAM = {"q": "检索词最多 2000 个字,请缩短后再搜索。",
              "page": "页码要写成 1 及以上的整数。",
              "article_id": "文章地址里的编号要是数字,例如 /articles/123/。",
              "part": "站点地图的编号要是数字,请从 /sitemap.xml 进入。"}


def error_page(request: Request, status: int, loc: str | None = None) -> Response:
    """The site's answer to an address it cannot serve, in Chinese and in HTML like every
    other page: 404 (no such page) or 422 (a malformed parameter, said which and how)."""
    site = _Site(request)
    if status == 404:
        return _not_found(site, request)
    text = _BAD_PARAM.get(loc or "", "地址里的参数有误,请检查地址,或从首页重新进入。")
    return HTMLResponse(site.render.message(request.url.path, "地址有误", text), status_code=status,
                        headers={"Cache-Control": "no-store"})
