"""What a page declares about itself: JSON-LD, Open Graph, meta tags, ``<time>``, ``<title>``.

Declared metadata is read before any heuristic (it is cheaper and usually right); the
content heuristics in ``dom``/``clean`` only fill what is still missing.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lxml import html as lhtml

from .bylines import plausible_author
from .dates import parse_date

_TITLE_SPLIT = re.compile(r"\s*(?:[|_–—]|\s-\s|--|｜|－|──)\s*")
_WS = re.compile(r"\s+")


@dataclass
class PageMeta:
    title: str | None = None
    page_title: str | None = None  # the raw <title>, used to pick the on-page headline
    published: datetime | None = None
    authors: list[str] = field(default_factory=list)
    canonical_url: str | None = None
    description: str | None = None
    keywords: list[str] = field(default_factory=list)
    site_name: str | None = None


def _text(s: Any) -> str:
    return _WS.sub(" ", str(s)).strip() if s else ""


def _jsonld_items(doc: lhtml.HtmlElement) -> list[dict]:
    items: list[dict] = []
    for script in doc.xpath('//script[contains(@type, "ld+json")]'):
        try:
            data = json.loads(script.text or "")
        except (ValueError, TypeError):
            continue
        stack = [data]
        while stack and len(items) < 50:
            obj = stack.pop()
            if isinstance(obj, list):
                stack.extend(obj)
            elif isinstance(obj, dict):
                items.append(obj)
                if "@graph" in obj:
                    stack.append(obj["@graph"])
    return items


def _names(value: Any) -> list[str]:
    out: list[str] = []
    for v in value if isinstance(value, list) else [value]:
        if isinstance(v, dict):
            v = v.get("name")
        name = _text(v)
        if name and not name.startswith("http") and len(name) < 60:
            out.append(name)
    return out


def read_meta(doc: lhtml.HtmlElement, now: datetime | None = None) -> PageMeta:
    meta = PageMeta()
    props: dict[str, str] = {}
    for m in doc.iter("meta"):
        key = (m.get("property") or m.get("name") or m.get("itemprop") or "").strip().lower()
        content = m.get("content")
        if key and content and key not in props:
            props[key] = content.strip()

    for item in _jsonld_items(doc):
        kind = item.get("@type")
        kinds = kind if isinstance(kind, list) else [kind]
        if not any(isinstance(k, str) and ("Article" in k or k == "WebPage") for k in kinds):
            continue
        meta.title = meta.title or _text(item.get("headline")) or None
        if meta.published is None:
            meta.published = parse_date(_text(item.get("datePublished")), now)
        if not meta.authors and item.get("author"):
            meta.authors = _names(item["author"])

    meta.title = meta.title or props.get("og:title") or props.get("twitter:title") or None
    if meta.published is None:
        for key in (
            "article:published_time", "og:published_time", "datepublished", "pubdate",
            "publishdate", "publish-date", "publication_date", "dc.date.issued", "dc.date",
            "date", "sailthru.date", "parsely-pub-date",
        ):
            if key in props:
                meta.published = parse_date(props[key], now)
                if meta.published:
                    break
    if meta.published is None:
        for t in doc.iter("time"):
            meta.published = parse_date(t.get("datetime") or "", now)
            if meta.published:
                break
    if not meta.authors:
        author = props.get("author") or props.get("article:author")
        if author and plausible_author(author):
            meta.authors = [a.strip() for a in re.split(r"[,，、;；]| and ", author) if a.strip()]

    for link in doc.iter("link"):
        if (link.get("rel") or "").lower() == "canonical" and link.get("href"):
            meta.canonical_url = link.get("href").strip()
            break
    meta.canonical_url = meta.canonical_url or props.get("og:url")
    meta.description = props.get("description") or props.get("og:description")
    meta.site_name = props.get("og:site_name")
    kw = props.get("keywords")
    if kw:
        meta.keywords = [k.strip() for k in re.split(r"[,，、;；|\s]+", kw) if 1 < len(k.strip()) < 20]

    titles = doc.xpath("//title")
    if titles:
        meta.page_title = _text(titles[0].text_content()) or None
    if meta.title:
        meta.title = _text(meta.title)
    return meta


def title_parts(page_title: str) -> list[str]:
    """``<title>`` split on the separators sites put between headline and site name."""
    return [p for p in _TITLE_SPLIT.split(page_title) if p.strip()]
