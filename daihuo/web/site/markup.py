"""Safe HTML from stored article data: crawled markup never reaches a page.

Articles are rebuilt from their extracted text blocks; every text is escaped, and every
link we print is checked to be plain http(s), so nothing crawled can run script.
"""

from __future__ import annotations

from datetime import datetime
from email.utils import format_datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from markupsafe import Markup, escape

#: dates are stored in UTC and shown in China time, where the sources publish
CHINA_TZ = ZoneInfo("Asia/Shanghai")

_BLOCK_TAGS = {"p": "p", "h": "h2", "quote": "blockquote", "caption": "p"}


def blocks_to_html(blocks: list[dict]) -> Markup:
    """Extracted blocks ({kind, text}; kind p|h|li|quote|caption) as escaped HTML.
    Consecutive list items become one list; an unknown kind is a paragraph."""
    out: list[str] = []
    in_list = False
    for block in blocks or []:
        text = str(block.get("text") or "").strip()
        if not text:
            continue
        kind = block.get("kind") or "p"
        if kind == "li":
            if not in_list:
                out.append("<ul>")
                in_list = True
            out.append(f"<li>{escape(text)}</li>")
            continue
        if in_list:
            out.append("</ul>")
            in_list = False
        if kind == "quote":
            out.append(f"<blockquote><p>{escape(text)}</p></blockquote>")
        elif kind == "caption":
            out.append(f'<p class="caption">{escape(text)}</p>')
        else:
            tag = _BLOCK_TAGS.get(kind, "p")
            out.append(f"<{tag}>{escape(text)}</{tag}>")
    if in_list:
        out.append("</ul>")
    return Markup("\n".join(out))


def safe_href(url: str | None) -> str | None:
    """``url`` if it is an absolute http(s) URL, else None (javascript:, data:, relative…)."""
    if not url:
        return None
    url = url.strip()
    if any(ch in url for ch in "\x00\r\n\t<>\"' "):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url


def site_label(url: str | None) -> str:
    """A readable name for a linked site: its host without www."""
    host = (urlsplit(url).hostname or "") if url else ""
    return host[4:] if host.startswith("www.") else host


def china_time(dt: datetime | None) -> datetime | None:
    return dt.astimezone(CHINA_TZ) if dt else None


def display_date(dt: datetime | None, with_time: bool = True) -> str:
    """2026年3月18日 09:30 (China time). A time of exactly 00:00:00 is how a date without a
    time is stored (a page that gave only 2026-03-12): it is shown as the date alone rather
    than with a made-up time."""
    local = china_time(dt)
    if local is None:
        return ""
    day = f"{local.year}年{local.month}月{local.day}日"
    date_only = (local.hour, local.minute, local.second, local.microsecond) == (0, 0, 0, 0)
    return f"{day} {local:%H:%M}" if with_time and not date_only else day


def rfc3339(dt: datetime) -> str:
    """RFC 3339 with the China offset: 2026-03-18T09:30:00+08:00."""
    return china_time(dt).replace(microsecond=0).isoformat()


def rfc822(dt: datetime) -> str:
    """RFC 822 (RSS): Wed, 18 Mar 2026 09:30:00 +0800."""
    return format_datetime(china_time(dt).replace(microsecond=0))
