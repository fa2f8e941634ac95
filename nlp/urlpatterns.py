"""URL shapes: what a site's article and list URLs look like, without the site's own code.

``url_class`` names a URL's shape (digits and ids abstracted) — rendering decisions are
cached per class. ``infer`` (crawlers/discovery.py feeds it) groups a site's links by shape
and proposes regexes for article pages and list pages.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

_DIGITS = re.compile(r"\d+")


def url_class(url: str) -> str:
    """``http://a.com/news/2024/05/123.html?id=9&x=y`` -> ``a.com/news/{n}/{n}/{n}.html?id&x``."""
    parts = urlsplit(url)
    path = _DIGITS.sub("{n}", parts.path or "/")
    keys = sorted({k for k, _ in parse_qsl(parts.query, keep_blank_values=True)})
    return f"{(parts.hostname or '').lower()}{path}" + (f"?{'&'.join(keys)}" if keys else "")
