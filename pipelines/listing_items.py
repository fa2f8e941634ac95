"""Listing pages (kind 'listings') become listing records here; article pages pass by."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from nlp.charset import decode_html
from nlp.document import Page
from nlp.listings import Listing, parse_listing_page
from storage.records import ListingRecord, PageRecord, RawRecord


@dataclass
class ListingBatch:
    """A fetched listing page and the listings parsed from it."""

    page: Page
    listings: list[ListingRecord] = field(default_factory=list)
    charset: str | None = None
    error: str | None = None
    error_stage: str | None = None


def listing_record(li: Listing, fallback_key: str) -> ListingRecord:
    """A parsed listing as a store record, keyed by the site's own id when it has one."""
    key = li.listing_id or li.url or fallback_key
    return ListingRecord(
        key=key, url=li.url, platform=li.platform, category=li.category, title=li.title,
        followers=li.followers, price_low=li.price_low, price_high=li.price_high,
        has_violation=li.has_violation, live_enabled=li.live_enabled, verified=li.verified,
        sell_enabled=li.sell_enabled, blue_v=li.blue_v, fields=dict(li.fields), flags=list(li.flags))


def parse_listing_batch(page: Page) -> ListingBatch:
    batch = ListingBatch(page=page)
    if page.fetch_error:
        batch.error, batch.error_stage = page.fetch_error, "fetch"
        return batch
    if page.status >= 400:
        batch.error, batch.error_stage = f"HTTP {page.status}", "fetch"
        return batch
    ctype = next((v for k, v in page.headers.items() if k.lower() == "content-type"), "")
    m = re.search(r"charset=([\w.:-]+)", ctype, re.I)
    decoded = decode_html(page.body, header_charset=m.group(1) if m else None, hint=page.charset_hint)
    batch.charset = decoded.charset
    if decoded.error:
        batch.error, batch.error_stage = decoded.error, "decode"
        return batch
    try:
        parsed = parse_listing_page(decoded.text, page.url)
    except Exception as exc:  # keep the page for reprocessing, never stop the crawl
        batch.error, batch.error_stage = f"{type(exc).__name__}: {exc}", "listings"
        return batch
    for i, li in enumerate(parsed.listings):
        if not li.has_identity():
            continue  # no platform, title or price: a stats box or a teaser, not a listing row
        fallback = hashlib.sha1(f"{page.url}#{i}".encode()).hexdigest()
        batch.listings.append(listing_record(li, fallback))
    return batch


def batch_to_record(batch: ListingBatch) -> PageRecord:
    page = batch.page
    return PageRecord(
        raw=RawRecord(url=page.url, status=page.status, fetched_at=page.fetched_at, html=page.body,
                      headers=page.headers, charset=batch.charset, error=batch.error,
                      error_stage=batch.error_stage, source=page.source, run_id=page.run_id,
                      raw_page_id=page.raw_page_id),
        listings=batch.listings)


class ListingPipeline:
    def __init__(self, crawler=None) -> None:  # noqa: ANN001
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):  # noqa: ANN001, ANN206
        return cls(crawler)

    def process_item(self, item):  # noqa: ANN001, ANN201
        if not (isinstance(item, Page) and item.kind == "listings"):
            return item
        batch = parse_listing_batch(item)
        if self.crawler is not None:
            stats = self.crawler.stats
            stats.inc_value("daihuo/listings/parsed", len(batch.listings))
            if batch.error:
                stats.inc_value("daihuo/failed")
                stats.inc_value(f"daihuo/failed/{batch.error_stage}")
        return batch
