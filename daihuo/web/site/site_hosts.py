"""Which origin the live site writes into its links, and a bounded cache of renderers.

With ``DAIHUO_SITE_URL`` set, that is the only origin. Without it the request's own origin is
used only when its host is allowed: a loopback name (local use) or one listed in
``DAIHUO_SITE_HOSTS`` (comma-separated, e.g. ``news.example.org,www.news.example.org``). Any
other Host header gets the first listed host (or http://localhost), so a forged Host never
reaches canonical, og:url or feed links, and never adds a renderer to the cache, which
keeps at most ``MAX_RENDERERS`` (least recently used first out).
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

from fastapi import Request

LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})
MAX_RENDERERS = 16
T = TypeVar("T")


def allowed_hosts() -> list[str]:
    raw = os.environ.get("DAIHUO_SITE_HOSTS", "")
    return [h.strip().lower() for h in raw.split(",") if h.strip()]


def request_base(request: Request) -> str:
    """The base URL for links in answer to ``request`` (no trailing slash)."""
    url = request.base_url
    host = (url.hostname or "").lower().strip("[]")
    listed = allowed_hosts()
    netloc = (url.netloc or "").lower()
    if host in LOOPBACK or host in listed or netloc in listed:
        return str(url).rstrip("/")
    fallback = listed[0] if listed else "localhost"
    return f"{url.scheme}://{fallback}{url.path.rstrip('/')}"


class BoundedCache(Generic[T]):
    """A small thread-safe LRU: key -> value made by ``factory`` on a miss."""

    def __init__(self, size: int = MAX_RENDERERS) -> None:
        self.size = size
        self.items: OrderedDict[str, T] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: str, factory: Callable[[], T]) -> T:
        with self.lock:
            if key in self.items:
                self.items.move_to_end(key)
                return self.items[key]
        value = factory()
        with self.lock:
            self.items[key] = value
            while len(self.items) > self.size:
                self.items.popitem(last=False)
        return value

    def __len__(self) -> int:
        return len(self.items)
