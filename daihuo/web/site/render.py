"""Pages as HTML strings (Jinja2, autoescaped): the server and the static export both call
these, so a page is byte-identical however it is delivered (the export hashes them)."""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from daihuo.web.site.markup import blocks_to_html, display_date, rfc3339, safe_href, site_label
from daihuo.web.site.site_config import SiteConfig
from daihuo.web.site.urls import Urls
from editorial.published import ArticlePage

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
CSS_PATH = HERE / "static" / "site.css"

KIND_NAMES = {"platform": "平台", "topic": "话题"}
FEED_TYPES = (("atom", "application/atom+xml", "Atom"), ("rss", "application/rss+xml", "RSS"),
              ("json", "application/feed+json", "JSON Feed"))


@lru_cache(maxsize=1)
def environment() -> Environment:
    """One template environment per process (templates compile once)."""
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html"]),
                      undefined=StrictUndefined, auto_reload=False, trim_blocks=False)
    env.filters["rfc3339"] = lambda dt: rfc3339(dt) if dt else ""
    env.filters["cndate"] = lambda dt, with_time=True: display_date(dt, with_time)
    return env


def template_digest() -> str:
    """Changes when any template or the stylesheet does (the export re-renders then)."""
    h = hashlib.sha256()
    for path in sorted(TEMPLATES.glob("*.html")) + [CSS_PATH]:
        h.update(path.name.encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:16]


def item_key(item: dict, salt: str = "") -> str:
    """A hash of everything an article page is made from: same key, same page."""
    data = json.dumps(item, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256((salt + data).encode("utf-8")).hexdigest()


def _list_item(a: dict) -> dict:
    return {**a, "date": a.get("published_at") or a["live_at"]}


def article_view(a: dict, urls: Urls) -> dict:
    """What the article template shows: escaped body, safe links, credits."""
    href = safe_href(a.get("canonical_url")) or safe_href(a.get("url"))
    also = []
    for m in a.get("also_at", []):
        m_href = safe_href(m.get("canonical_url"))
        also.append({"href": m_href, "label": m.get("original_source") or site_label(m_href)
                     or m.get("source") or "未知来源",
                     "title": m.get("title"), "local": urls.article(m["id"]) if m.get("public") else None})
    date = a.get("published_at") or a["live_at"]
    modified = max(d for d in (a["live_at"], a.get("updated_at"), date) if d is not None)
    return {
        "id": a["id"], "title": a["title"], "summary": a["summary"],
        "summary_edited": a.get("summary_edited", False), "date": date, "modified": modified,
        "authors": [str(x) for x in a.get("authors") or []], "platforms": a.get("platforms", []),
        "topics": a.get("topics", []), "body_html": blocks_to_html(a.get("blocks") or []),
        "source_href": href, "source_label": site_label(href) or a.get("source") or "未知来源",
        "original_source": a.get("original_source"), "also": also,
    }


class Renderer:
    """Renders every page of one site configuration (base_url must be set)."""

    def __init__(self, config: SiteConfig) -> None:
        if config.base_url is None:
            raise ValueError("the renderer needs the site's base_url")
        self.cfg = config
        self.urls = Urls(config)
        self.env = environment()
        # rendered article pages by item_key: the server re-reads the article on every
        # request (a takedown is immediate) but re-renders only when it changed
        self._pages: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()
        self.cache_size = 1024

    def _render(self, name: str, path: str, feeds: list | None = None, **ctx: object) -> str:
        if feeds is None:
            feeds = [(self.urls.feed(fmt), mime, f"{self.cfg.title} {label}")
                     for fmt, mime, label in FEED_TYPES]
        return self.env.get_template(name).render(
            cfg=self.cfg, urls=self.urls, canonical=self.urls.abs(path), feeds=feeds,
            query=ctx.pop("query", None), **ctx)

    def home(self, page: ArticlePage) -> str:
        return self._render("list.html", self.urls.home(page.page), heading=None, intro=None,
                            items=[_list_item(a) for a in page.items], featured_mark=True,
                            page=page.page, pages=page.pages, link=self.urls.home)

    def tag_page(self, kind: str, value: str, page: ArticlePage) -> str:
        feeds = [(self.urls.feed(fmt, kind, value), mime, f"{value} {label}")
                 for fmt, mime, label in FEED_TYPES]
        link: Callable[[int], str] = lambda n: self.urls.tag(kind, value, n)  # noqa: E731
        return self._render("list.html", self.urls.tag(kind, value, page.page), feeds=feeds,
                            heading=f"{KIND_NAMES[kind]}:{value}", intro=f"共 {page.total} 篇",
                            items=[_list_item(a) for a in page.items], featured_mark=False,
                            page=page.page, pages=page.pages, link=link)

    def tag_index(self, kind: str, tags: list[tuple[str, int]]) -> str:
        return self._render("tags.html", self.urls.tag_index(kind), heading=f"全部{KIND_NAMES[kind]}",
                            kind=kind, tags=tags)

    def article(self, item: dict) -> str:
        return self._render("article.html", self.urls.article(item["id"]), a=article_view(item, self.urls))

    def article_cached(self, item: dict) -> str:
        key = item_key(item)
        with self._lock:
            page = self._pages.get(key)
            if page is not None:
                self._pages.move_to_end(key)
                return page
        page = self.article(item)
        with self._lock:
            self._pages[key] = page
            if len(self._pages) > self.cache_size:
                self._pages.popitem(last=False)
        return page

    def search(self, query: str, hits: list[dict], total: int, page: int, pages: int,
               error: str | None = None) -> str:
        from urllib.parse import urlencode

        link: Callable[[int], str] = lambda n: f"{self.urls.search()}?{urlencode({'q': query, 'page': n})}"  # noqa: E731
        return self._render("search.html", self.urls.search(), query=query,
                            hits=[_list_item(h) for h in hits], total=total, page=page,
                            pages=pages, link=link, error=error)

    def not_found(self, path: str) -> str:
        return self._render("message.html", path, heading="页面不存在",
                            text="这篇文章不存在、尚未发布或已撤下。")

    def message(self, path: str, heading: str, text: str) -> str:
        """A page that only says something (an error a reader can fix)."""
        return self._render("message.html", path, heading=heading, text=text)
