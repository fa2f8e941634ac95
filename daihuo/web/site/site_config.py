"""Site settings: where it lives, what it is called, how feeds and the sitemap are built."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from typing import Literal
from urllib.parse import urlsplit


@dataclass(frozen=True)
class SiteConfig:
    #: absolute URL of the site root, no trailing slash ("https://example.org/news");
    #: None when serving: the request's own origin is used
    base_url: str | None = None
    title: str = "带货观察"
    description: str = "直播电商新闻精选:平台动态、主播与MCN、产业带、监管与合规。"
    language: str = "zh-CN"
    per_page: int = 20
    feed_size: int = 50
    #: "full": feeds carry the whole article; "summary": the summary and a link
    feed_content: Literal["full", "summary"] = "summary"
    #: URLs per sitemap file before an index is written (the protocol allows 50,000)
    sitemap_limit: int = 50_000
    #: the date in tag: URIs (RFC 4151): a year the site's host was held; never change it,
    #: or every feed reader sees every entry as new
    tag_date: str = "2026"
    #: the search page needs a server; a static export leaves it out
    search: bool = True

    def __post_init__(self) -> None:
        if self.base_url is not None:
            parts = urlsplit(self.base_url)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise ValueError(f"base_url must be an absolute http(s) URL, not {self.base_url!r}")
            object.__setattr__(self, "base_url", self.base_url.rstrip("/"))
        if self.feed_content not in ("full", "summary"):
            raise ValueError("feed_content must be 'full' or 'summary'")
        if self.per_page < 1 or self.feed_size < 1 or self.sitemap_limit < 1:
            raise ValueError("per_page, feed_size and sitemap_limit must be positive")

    @classmethod
    def from_env(cls, **overrides: object) -> SiteConfig:
        """DAIHUO_SITE_URL, DAIHUO_SITE_TITLE and DAIHUO_FEED_CONTENT (full|summary)."""
        env: dict = {}
        if os.environ.get("DAIHUO_SITE_URL"):
            env["base_url"] = os.environ["DAIHUO_SITE_URL"]
        if os.environ.get("DAIHUO_SITE_TITLE"):
            env["title"] = os.environ["DAIHUO_SITE_TITLE"]
        if os.environ.get("DAIHUO_FEED_CONTENT"):
            env["feed_content"] = os.environ["DAIHUO_FEED_CONTENT"]
        env.update(overrides)
        return cls(**env)

    def with_base(self, base_url: str) -> SiteConfig:
        return replace(self, base_url=base_url)

    @property
    def origin(self) -> str:
        """scheme://host[:port] of base_url."""
        parts = urlsplit(self.base_url or "http://localhost")
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def prefix(self) -> str:
        """The path the site lives under ("" at a host's root, "/news" below it)."""
        return urlsplit(self.base_url or "http://localhost").path.rstrip("/")

    @property
    def host(self) -> str:
        return (urlsplit(self.base_url or "http://localhost").hostname or "localhost").lower()
