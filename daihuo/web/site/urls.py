"""The site's URL scheme, shared by the server and the static export (same paths in both).

Every page is a directory with an index.html, so it works on any static host:

    /                       home            /page/N/               home, page N
    /articles/ID/           an article
    /platforms/  /topics/   tag indexes     /platforms/VALUE/      a platform (page/N/ too)
    /atom.xml /rss.xml /feed.json           the same three under each platform and topic
    /sitemap.xml (/sitemap-N.xml)  /robots.txt  /search/?q=  /static/site.css
"""

from __future__ import annotations

import hashlib
import re
from urllib.parse import quote, unquote

from daihuo.web.site.site_config import SiteConfig

TAG_SECTIONS = {"platform": "platforms", "topic": "topics"}
SECTION_KINDS = {v: k for k, v in TAG_SECTIONS.items()}
FEED_FILES = {"atom": "atom.xml", "rss": "rss.xml", "json": "feed.json"}

# A tag value is its own path segment (readable URLs: /platforms/快手/) unless it holds a
# character that cannot be a file name or would change the path; those get a hashed name.
_UNSAFE = re.compile(r"[/\\%?#:*\"<>|\x00-\x1f\x7f]")


def tag_segment(value: str) -> str:
    if value and not _UNSAFE.search(value) and not value.startswith(".") and value.strip() == value:
        return value
    return "t-" + hashlib.sha1(value.encode("utf-8")).hexdigest()[:12]


class Urls:
    """Paths (with the site's prefix) and absolute URLs for one site config."""

    def __init__(self, config: SiteConfig) -> None:
        self.config = config
        self.prefix = config.prefix

    # paths (root-relative, for links inside pages)
    def home(self, page: int = 1) -> str:
        return f"{self.prefix}/" if page <= 1 else f"{self.prefix}/page/{page}/"

    def article(self, article_id: int) -> str:
        return f"{self.prefix}/articles/{int(article_id)}/"

    def tag_index(self, kind: str) -> str:
        return f"{self.prefix}/{TAG_SECTIONS[kind]}/"

    def tag(self, kind: str, value: str, page: int = 1) -> str:
        base = f"{self.prefix}/{TAG_SECTIONS[kind]}/{quote(tag_segment(value), safe='')}/"
        return base if page <= 1 else f"{base}page/{page}/"

    def feed(self, fmt: str, kind: str | None = None, value: str | None = None) -> str:
        if kind is None:
            return f"{self.prefix}/{FEED_FILES[fmt]}"
        return self.tag(kind, value or "") + FEED_FILES[fmt]

    def search(self) -> str:
        return f"{self.prefix}/search/"

    def css(self) -> str:
        return f"{self.prefix}/static/site.css"

    def sitemap(self, part: int | None = None) -> str:
        return f"{self.prefix}/sitemap.xml" if part is None else f"{self.prefix}/sitemap-{part}.xml"

    # absolute URLs (canonical links, Open Graph, feeds, sitemap)
    def abs(self, path: str) -> str:
        return self.config.origin + path

    def tag_uri(self, what: str) -> str:
        """A stable id (RFC 4151): never changes when the page layout or base path does."""
        return f"tag:{self.config.host},{self.config.tag_date}:{what}"


def file_for(path: str, prefix: str = "") -> str:
    """The static-export file for a site path: directories get index.html."""
    rel = path[len(prefix):] if prefix and path.startswith(prefix) else path
    rel = unquote(rel.lstrip("/"))
    return rel + "index.html" if rel == "" or rel.endswith("/") else rel
