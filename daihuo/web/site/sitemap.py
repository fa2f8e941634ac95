"""sitemap.xml (an index of numbered sitemaps past the size limit) and robots.txt."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime

from daihuo.web.site.markup import rfc3339
from daihuo.web.site.site_config import SiteConfig
from daihuo.web.site.urls import Urls

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"


def site_entries(config: SiteConfig, stamps: list[tuple[int, datetime, datetime | None]],
                 tags: dict[str, list[tuple[str, int]]]) -> list[tuple[str, datetime | None]]:
    """(path, lastmod) of every page worth indexing: home, tag indexes and pages, articles."""
    urls = Urls(config)
    mods = {i: max(d for d in (live, upd) if d is not None) for i, live, upd in stamps}
    latest = max(mods.values(), default=None)
    out: list[tuple[str, datetime | None]] = [(urls.home(), latest)]
    for kind, values in tags.items():
        out.append((urls.tag_index(kind), latest))
        out += [(urls.tag(kind, v), None) for v, _ in values]
    out += [(urls.article(i), mods[i]) for i, _, _ in stamps]
    return out


def _xml(root: ET.Element) -> bytes:
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _urlset(urls: Urls, entries: list[tuple[str, datetime | None]]) -> bytes:
    root = ET.Element("urlset", {"xmlns": SITEMAP_NS})
    for path, lastmod in entries:
        u = ET.SubElement(root, "url")
        ET.SubElement(u, "loc").text = urls.abs(path)
        if lastmod is not None:
            ET.SubElement(u, "lastmod").text = rfc3339(lastmod)
    return _xml(root)


def build_sitemaps(config: SiteConfig, entries: list[tuple[str, datetime | None]]) -> dict[str, bytes]:
    """{site path: file bytes}: /sitemap.xml alone, or an index at /sitemap.xml over
    /sitemap-1.xml … when there are more URLs than ``config.sitemap_limit``."""
    urls = Urls(config)
    limit = config.sitemap_limit
    if len(entries) <= limit:
        return {urls.sitemap(): _urlset(urls, entries)}
    out: dict[str, bytes] = {}
    index = ET.Element("sitemapindex", {"xmlns": SITEMAP_NS})
    for n, start in enumerate(range(0, len(entries), limit), 1):
        chunk = entries[start : start + limit]
        out[urls.sitemap(n)] = _urlset(urls, chunk)
        s = ET.SubElement(index, "sitemap")
        ET.SubElement(s, "loc").text = urls.abs(urls.sitemap(n))
        mods = [m for _, m in chunk if m is not None]
        if mods:
            ET.SubElement(s, "lastmod").text = rfc3339(max(mods))
    out[urls.sitemap()] = _xml(index)
    return out


def robots_txt(config: SiteConfig) -> bytes:
    urls = Urls(config)
    lines = ["User-agent: *", f"Disallow: {urls.search()}", f"Disallow: {config.prefix}/api/",
             "Allow: /", "", f"Sitemap: {urls.abs(urls.sitemap())}", ""]
    return "\n".join(lines).encode("utf-8")
