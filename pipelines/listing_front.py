"""Listing pages through the article front door (``daihuo parse``, the article pipeline).

A source says whether its pages are articles or listings, but a page does not always agree:
an account-trading list page (a grid of cards with field lists and prices, no article) fetched
as an "article" used to end as a failed article. Here such a page is recognised — the article
extraction found no article and the listing parser finds listings — and its listings are
emitted instead, with no error.

Field names are the store's (``storage.records.ListingRecord``): ``key`` (the site's own id,
else the detail URL, else a hash of page URL and position), ``platform``, ``category``,
``title``, ``followers``, ``price_low``/``price_high`` (yuan; both None for 面议, flagged
``price_negotiable``), and the yes/no fields ``has_violation``, ``live_enabled``,
``sell_enabled`` (带货/橱窗), ``verified`` (a person's verification: 认证, 实名, 加V, 黄V) and
``blue_v`` (an organisation's verification: 蓝V, 企业/官方/机构认证) — a 蓝V account is
``blue_v`` only, not also ``verified``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import asdict

from nlp.document import Document
from nlp.listings import parse_listing_page
from pipelines.listing_items import ListingBatch, listing_record

#: extraction errors that mean "no article here" (not a broken page)
_NO_ARTICLE = ("no article text found", "no main text found", "no text left after normalisation")


def listing_batch_of(doc: Document) -> ListingBatch | None:
    """The page's listings when ``doc`` failed as an article because it is a listing page."""
    if doc.error_stage not in ("extract", "text") or not doc.html:
        return None
    if not any(doc.error and doc.error.startswith(e) for e in _NO_ARTICLE):
        return None
    return parse_as_listings(doc)


def parse_as_listings(doc: Document) -> ListingBatch | None:
    """Parse the decoded page as a listing page; None when it holds no listing."""
    if not doc.html:
        return None
    try:
        parsed = parse_listing_page(doc.html, doc.page.url)
    except Exception:  # the parser never raises by contract; a bug must not stop a crawl
        return None
    rows = [li for li in parsed.listings if li.has_identity()]
    if not rows:
        return None
    batch = ListingBatch(page=doc.page, charset=doc.charset)
    for i, li in enumerate(rows):
        fallback = hashlib.sha1(f"{doc.page.url}#{i}".encode()).hexdigest()
        batch.listings.append(listing_record(li, fallback))
    return batch


def listing_page_json(doc: Document, batch: ListingBatch) -> dict:
    """``daihuo parse`` output for a listing page: the article keys, empty, plus its listings."""
    return {
        "kind": "listings", "url": doc.page.url, "canonical_url": None, "title": None,
        "published": None, "authors": [], "editor": None, "editors": [], "original_source": None,
        "republisher": None, "lead": None, "body": "", "blocks": [], "script": doc.script,
        "charset": doc.charset, "platforms": sorted({r.platform for r in batch.listings if r.platform}),
        "topics": [], "keywords": [], "entities": [],
        "listings": [asdict(r) for r in batch.listings],
        "flags": {"listings": len(batch.listings)}, "error": None, "error_stage": None,
    }


def page_result(doc: Document, kind: str, article_json: Callable[[Document], dict]) -> dict:
    """``daihuo parse`` JSON of a processed page: ``kind`` is auto, article or listings."""
    if kind == "listings" or (kind == "auto" and not doc.ok):
        batch = parse_as_listings(doc) if kind == "listings" else listing_batch_of(doc)
        if batch is not None:
            return listing_page_json(doc, batch)
        if kind == "listings":
            result = article_json(doc)
            result.update(kind="listings", listings=[], error="no listings found on this page",
                          error_stage="listings")
            return result
    return article_json(doc)
