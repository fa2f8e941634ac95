"""Discovery's fetch and preview for the console and the CLI (crawlers.discovery takes them
as arguments): the console's fenced fetch and the crawl's own pipeline."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from crawlers.discovery import Fetched
from daihuo.web.console.extraction import Fetched as ConsoleFetched
from daihuo.web.console.extraction import fetch, run_pipeline


def guarded_fetcher(allowed):  # noqa: ANN001, ANN201
    """The console's fenced fetch (http/https, private addresses refused unless allowed,
    redirects re-checked, size and time caps) in discovery's shape."""
    def get(url: str) -> Fetched:
        got = fetch(url, allowed)
        return Fetched(got.url, got.status, got.body, dict(got.headers))

    return get


def process_page(fetched) -> dict:  # noqa: ANN001
    """The crawl's own stages over a fetched page (``daihuo parse``'s JSON)."""
    return run_pipeline(ConsoleFetched(fetched.url, fetched.status, fetched.headers, fetched.body, 0.0))


def default_name(url: str) -> str:
    host = (urlsplit(url).hostname or "site").removeprefix("www.")
    return re.sub(r"[^a-z0-9_-]+", "-", host.lower()).strip("-")[:100] or "site"
