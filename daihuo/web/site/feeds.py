"""Atom 1.0, RSS 2.0 and JSON Feed 1.1 for the site and for each platform and topic.

Built by hand (ElementTree / json: the formats are small and this keeps full control of
ids and dates). Ids are tag: URIs (RFC 4151) that never change when the layout does; dates
are RFC 3339 (Atom, JSON Feed) and RFC 822 (RSS) in China time. Entries are newest go-live
first. Content is the article rebuilt from its blocks (full) or its summary, both followed by
the credit line linking the original.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import datetime, timezone
from urllib.parse import quote

from markupsafe import escape

from daihuo.web.site.markup import blocks_to_html, rfc822, rfc3339, safe_href, site_label
from daihuo.web.site.render import KIND_NAMES
from daihuo.web.site.site_config import SiteConfig
from daihuo.web.site.urls import Urls

ATOM_NS = "http://www.w3.org/2005/Atom"
CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"

MEDIA_TYPES = {"atom": "application/atom+xml; charset=utf-8",
               "rss": "application/rss+xml; charset=utf-8",
               "json": "application/feed+json; charset=utf-8"}
#: an empty feed still needs an <updated>: a fixed instant keeps its bytes stable
EPOCH = datetime(2026, 1, 1, tzinfo=timezone.utc)
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def clean(text: str | None) -> str:
    """Text without the characters XML 1.0 forbids (a crawled control byte would break a feed)."""
    return _XML_INVALID.sub("", text or "")


def entry_id(urls: Urls, article_id: int) -> str:
    return urls.tag_uri(f"article:{int(article_id)}")


def modified(item: dict) -> datetime:
    return max(d for d in (item["live_at"], item.get("updated_at")) if d is not None)


def _credit_html(item: dict) -> str:
    href = safe_href(item.get("canonical_url")) or safe_href(item.get("url"))
    label = site_label(href) or item.get("source") or "未知来源"
    orig = f"(原载:{escape(item['original_source'])})" if item.get("original_source") else ""
    link = f'<a href="{escape(href)}">{escape(label)}</a>' if href else str(escape(label))
    return f"<p>来源:{link}{orig}</p>"


def content_html(item: dict, full: bool) -> str:
    body = str(blocks_to_html(item.get("blocks") or [])) if full else f"<p>{escape(item['summary'])}</p>"
    return clean(body + "\n" + _credit_html(item))


class FeedBuilder:
    def __init__(self, config: SiteConfig) -> None:
        if config.base_url is None:
            raise ValueError("feeds need the site's base_url")
        self.cfg = config
        self.urls = Urls(config)
        self.full = config.feed_content == "full"

    def _meta(self, kind: str | None, value: str | None) -> tuple[str, str, str]:
        """(title, page URL, feed id) of the site feed or of one platform's / topic's."""
        if kind is None:
            return self.cfg.title, self.urls.abs(self.urls.home()), self.urls.tag_uri("feed")
        title = f"{self.cfg.title} · {KIND_NAMES[kind]}:{value}"
        return (title, self.urls.abs(self.urls.tag(kind, value or "")),
                self.urls.tag_uri(f"feed/{kind}/{quote(value or '', safe='')}"))

    def build(self, fmt: str, items: list[dict], kind: str | None = None,
              value: str | None = None) -> bytes:
        items = items[: self.cfg.feed_size]
        if fmt == "atom":
            return self.atom(items, kind, value)
        if fmt == "rss":
            return self.rss(items, kind, value)
        if fmt == "json":
            return self.json_feed(items, kind, value)
        raise ValueError(f"unknown feed format {fmt!r}")

    def atom(self, items: list[dict], kind: str | None = None, value: str | None = None) -> bytes:
        title, page, fid = self._meta(kind, value)
        feed = ET.Element("feed", {"xmlns": ATOM_NS, "xml:lang": self.cfg.language})
        sub = ET.SubElement
        sub(feed, "id").text = fid
        sub(feed, "title").text = clean(title)
        sub(feed, "subtitle").text = clean(self.cfg.description)
        updated = max((modified(i) for i in items), default=EPOCH)
        sub(feed, "updated").text = rfc3339(updated)
        sub(feed, "link", rel="self", type="application/atom+xml",
            href=self.urls.abs(self.urls.feed("atom", kind, value)))
        sub(feed, "link", rel="alternate", type="text/html", href=page)
        author = sub(feed, "author")
        sub(author, "name").text = clean(self.cfg.title)
        sub(feed, "generator").text = "daihuo"
        for it in items:
            e = sub(feed, "entry")
            sub(e, "id").text = entry_id(self.urls, it["id"])
            sub(e, "title").text = clean(it["title"])
            sub(e, "link", rel="alternate", type="text/html",
                href=self.urls.abs(self.urls.article(it["id"])))
            original = safe_href(it.get("canonical_url"))
            if original:
                sub(e, "link", rel="via", href=original)
            sub(e, "published").text = rfc3339(it["live_at"])
            sub(e, "updated").text = rfc3339(modified(it))
            for tkind in ("platform", "topic"):
                for v in it.get(f"{tkind}s", []):
                    sub(e, "category", term=clean(v), label=clean(v),
                        scheme=self.urls.abs(self.urls.tag_index(tkind)))
            sub(e, "summary").text = clean(it["summary"])
            sub(e, "content", type="html").text = content_html(it, self.full)
        return ET.tostring(feed, encoding="utf-8", xml_declaration=True)

    def rss(self, items: list[dict], kind: str | None = None, value: str | None = None) -> bytes:
        title, page, _ = self._meta(kind, value)
        rss = ET.Element("rss", {"version": "2.0", "xmlns:atom": ATOM_NS, "xmlns:content": CONTENT_NS})
        ch = ET.SubElement(rss, "channel")
        sub = ET.SubElement
        sub(ch, "title").text = clean(title)
        sub(ch, "link").text = page
        sub(ch, "description").text = clean(self.cfg.description)
        sub(ch, "language").text = self.cfg.language.lower()
        sub(ch, "lastBuildDate").text = rfc822(max((modified(i) for i in items), default=EPOCH))
        sub(ch, "generator").text = "daihuo"
        sub(ch, "atom:link", rel="self", type="application/rss+xml",
            href=self.urls.abs(self.urls.feed("rss", kind, value)))
        for it in items:
            e = sub(ch, "item")
            sub(e, "title").text = clean(it["title"])
            sub(e, "link").text = self.urls.abs(self.urls.article(it["id"]))
            sub(e, "guid", isPermaLink="false").text = entry_id(self.urls, it["id"])
            sub(e, "pubDate").text = rfc822(it["live_at"])
            for v in it.get("platforms", []) + it.get("topics", []):
                sub(e, "category").text = clean(v)
            sub(e, "description").text = content_html(it, False)
            if self.full:
                sub(e, "content:encoded").text = content_html(it, True)
        return ET.tostring(rss, encoding="utf-8", xml_declaration=True)

    def json_feed(self, items: list[dict], kind: str | None = None, value: str | None = None) -> bytes:
        title, page, _ = self._meta(kind, value)
        feed = {
            "version": "https://jsonfeed.org/version/1.1",
            "title": clean(title),
            "home_page_url": page,
            "feed_url": self.urls.abs(self.urls.feed("json", kind, value)),
            "description": clean(self.cfg.description),
            "language": self.cfg.language,
            "authors": [{"name": clean(self.cfg.title)}],
            "items": [],
        }
        for it in items:
            entry = {
                "id": entry_id(self.urls, it["id"]),
                "url": self.urls.abs(self.urls.article(it["id"])),
                "title": clean(it["title"]),
                "content_html": content_html(it, self.full),
                "summary": clean(it["summary"]),
                "date_published": rfc3339(it["live_at"]),
                "date_modified": rfc3339(modified(it)),
                "tags": [clean(v) for v in it.get("platforms", []) + it.get("topics", [])],
            }
            original = safe_href(it.get("canonical_url"))
            if original:
                entry["external_url"] = original
            feed["items"].append(entry)
        return (json.dumps(feed, ensure_ascii=False, indent=1) + "\n").encode("utf-8")
