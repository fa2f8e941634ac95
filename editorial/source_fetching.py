"""Validation of a source's fetching options (pure, so the store and the crawler share it):

    render = "auto"                  # never (default) | auto | always: fetch through Chromium
    max_pages = 20                   # pages of one multi-page article at most (1-200)

    [source.list_api]                # a JSON list endpoint, instead of or beside list pages
    url = "https://example.com/api/news?page={page}&size=20"   # {page}: the page number
    items = "data.list"              # dotted path to the array of items ("" : the top level)
    link = "url"                     # path, inside an item, of the article URL
    title = "title"                  # optional: the item's title (used when the page has none)
    date = "pub_time"                # optional: the item's date (likewise)
    first_page = 1                   # optional (default 1)
    max_pages = 50                   # optional: list pages at most (default 50, up to 1000)

The list is read page after page until a page brings no new article URL or ``max_pages``.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

RENDER_MODES = ("never", "auto", "always")
_PATH = re.compile(r"^[A-Za-z0-9_\-]+(\.[A-Za-z0-9_\-]+)*$")
_API_KEYS = {"url", "items", "link", "title", "date", "first_page", "max_pages"}


def check_render(value: object) -> str:
    if value not in RENDER_MODES:
        raise ValueError(f"one of {', '.join(RENDER_MODES)}, not {value!r}")
    return str(value)


def check_max_pages(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 200:
        raise ValueError("a whole number of pages from 1 to 200")
    return value


def check_list_api(value: object) -> dict:
    """The validated ``list_api`` table; ValueError says which key is wrong and how to fix it."""
    if not isinstance(value, dict):
        raise ValueError("a table with url, items and link (see the registry docs)")
    unknown = set(value) - _API_KEYS
    if unknown:
        raise ValueError(f"unknown key {sorted(unknown)[0]!r} (known: {', '.join(sorted(_API_KEYS))})")
    url = value.get("url")
    if not isinstance(url, str) or "{page}" not in url:
        raise ValueError("'url' is required and must contain {page}, e.g. "
                         "'https://example.com/api/list?page={page}'")
    parts = urlsplit(url.replace("{page}", "1"))
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"'url' is not an http(s) URL: {url!r}")
    out: dict = {"url": url}
    items = value.get("items", "")
    if not isinstance(items, str) or (items and not _PATH.match(items)):
        raise ValueError("'items' is a dotted path such as 'data.list' ('' when the answer is the array)")
    out["items"] = items
    for key, required in (("link", True), ("title", False), ("date", False)):
        path = value.get(key)
        if path is None and not required:
            continue
        if not isinstance(path, str) or not _PATH.match(path):
            raise ValueError(f"'{key}' is {'required: ' if required else ''}a dotted path inside "
                             f"an item, such as 'url' or 'meta.link'")
        out[key] = path
    first = value.get("first_page", 1)
    if not isinstance(first, int) or isinstance(first, bool) or not 0 <= first <= 1_000_000:
        raise ValueError("'first_page' is a whole number (usually 0 or 1)")
    out["first_page"] = first
    pages = value.get("max_pages", 50)
    if not isinstance(pages, int) or isinstance(pages, bool) or not 1 <= pages <= 1000:
        raise ValueError("'max_pages' is a whole number from 1 to 1000")
    out["max_pages"] = pages
    return out


def dig(data: object, path: str) -> object:
    """``data`` at the dotted ``path`` (list indexes allowed: 'items.0.url'); None if absent."""
    if not path:
        return data
    for step in path.split("."):
        if isinstance(data, dict):
            data = data.get(step)
        elif isinstance(data, list) and step.isdigit() and int(step) < len(data):
            data = data[int(step)]
        else:
            return None
    return data
