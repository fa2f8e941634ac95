""""Test extraction": fetch one page and show what the pipeline makes of it.

The fetch is the console's only outbound request made on a person's behalf, so it is
fenced: http/https only, every hop of a redirect re-checked against the private-address
rule of editorial.sources, a timeout, and a size cap. The page goes through the same stages as
a crawl (nlp.document.process_page) and is shown from its extracted blocks, never as HTML.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from urllib.parse import urljoin

import httpx

from editorial.sources import IPNetwork, Resolver, SourceError, check_url

TIMEOUT = 10.0  # seconds, connect and each read
MAX_BYTES = 3_000_000  # bigger than any article page we have seen; a cap, not a target
MAX_REDIRECTS = 5
USER_AGENT = "daihuo-console/0.1 (test extraction)"


class FetchError(ValueError):
    """The page could not be fetched (refused address, timeout, too big, HTTP error...)."""


@dataclass
class Fetched:
    url: str  # after redirects
    status: int
    headers: dict[str, str]
    body: bytes
    elapsed_ms: float
    redirects: list[str] = field(default_factory=list)


def fetch(url: str, allowed: list[IPNetwork], *, resolver: Resolver | None = None,
          timeout: float = TIMEOUT, max_bytes: int = MAX_BYTES,
          transport: httpx.BaseTransport | None = None) -> Fetched:
    """GET ``url`` under the console's fetch rules (see the module docstring)."""
    t0 = time.perf_counter()
    hops: list[str] = []
    with httpx.Client(follow_redirects=False, timeout=timeout, transport=transport,
                      headers={"User-Agent": USER_AGENT, "Accept": "text/html,*/*;q=0.5"}) as client:
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            try:
                check_url(current, allowed, resolver)
            except SourceError as exc:
                raise FetchError(str(exc)) from None
            try:
                with client.stream("GET", current) as resp:
                    if resp.is_redirect and "location" in resp.headers:
                        hops.append(current)
                        current = urljoin(current, resp.headers["location"])
                        continue
                    declared = resp.headers.get("content-length", "")
                    if declared.isdigit() and int(declared) > max_bytes:
                        raise FetchError(f"the page is {int(declared):,} bytes; the cap is {max_bytes:,}")
                    chunks, size = [], 0
                    for chunk in resp.iter_bytes():
                        size += len(chunk)
                        if size > max_bytes:
                            raise FetchError(f"the page is over the {max_bytes:,}-byte cap")
                        chunks.append(chunk)
                    return Fetched(str(resp.url), resp.status_code, dict(resp.headers), b"".join(chunks),
                                   (time.perf_counter() - t0) * 1000, hops)
            except httpx.TimeoutException:
                raise FetchError(f"no answer within {timeout:g} s") from None
            except httpx.HTTPError as exc:
                raise FetchError(f"fetch failed: {type(exc).__name__}: {exc}") from None
    raise FetchError(f"more than {MAX_REDIRECTS} redirects")


def run_pipeline(fetched: Fetched, source: str | None = None, config: dict | None = None) -> dict:
    """The page through the crawl's stages; returns ``daihuo parse``'s JSON for it."""
    from nlp.document import Page, process_page
    from pipelines.convert import document_to_json

    cfg = config or {}
    page = Page(url=fetched.url, body=fetched.body, status=fetched.status, headers=fetched.headers,
                source=source, region=cfg.get("region"), charset_hint=cfg.get("charset"),
                selector=cfg.get("selector"))
    t0 = time.perf_counter()
    doc = process_page(page)
    result = document_to_json(doc)
    result["process_ms"] = round((time.perf_counter() - t0) * 1000, 1)
    return result


def test_extraction(url: str, allowed: list[IPNetwork], *, source: str | None = None,
                    config: dict | None = None, resolver: Resolver | None = None,
                    transport: httpx.BaseTransport | None = None) -> dict:
    """Fetch and process one page: {fetch: {...}, result: {...}} or {error: "..."}."""
    try:
        fetched = fetch(url, allowed, resolver=resolver, transport=transport)
    except FetchError as exc:
        return {"url": url, "error": str(exc)}
    info = {"url": fetched.url, "status": fetched.status, "bytes": len(fetched.body),
            "content_type": fetched.headers.get("content-type"), "redirects": fetched.redirects,
            "fetch_ms": round(fetched.elapsed_ms, 1)}
    if fetched.status >= 400:
        return {"url": url, "fetch": info, "error": f"HTTP {fetched.status}"}
    return {"url": url, "fetch": info, "result": run_pipeline(fetched, source, config)}


test_extraction.__test__ = False  # not a pytest test, despite the name
