"""Plain records handed to the store: what a processed page becomes. JSON-serialisable, so
a batch that cannot be written can be spooled to disk and replayed (nothing is lost)."""

from __future__ import annotations

import base64
import zlib
from dataclasses import asdict, dataclass, field
from datetime import datetime


@dataclass
class RawRecord:
    url: str
    status: int
    fetched_at: datetime
    html: bytes
    headers: dict = field(default_factory=dict)
    charset: str | None = None
    error: str | None = None
    error_stage: str | None = None
    source: str | None = None
    run_id: int | None = None
    raw_page_id: int | None = None  # set when reprocessing an already stored page
    # the page as raw_pages stores it, once compressed(): never serialised (to_json)
    html_z: bytes | None = field(default=None, repr=False, compare=False)

    def compressed(self) -> bytes:
        """The page zlib-compressed (level 1) for raw_pages, computed once: a pipeline calls it
        where it builds the record, so a crawl's worker processes compress their pages rather
        than the store's single writer."""
        if self.html_z is None:
            self.html_z = zlib.compress(self.html, 1)
        return self.html_z


@dataclass
class TagRecord:
    kind: str
    value: str
    score: float = 0.0
    count: int = 0
    first_pos: int | None = None
    in_title: bool = False
    detail: str | None = None


@dataclass
class ArticleRecord:
    url: str
    canonical_url: str
    title: str | None
    published_at: datetime | None
    body: str
    script: str
    content_hash: str
    authors: list = field(default_factory=list)
    editor: str | None = None
    original_source: str | None = None
    lead: str | None = None
    blocks: list = field(default_factory=list)
    flags: dict = field(default_factory=dict)
    title_terms: str = ""
    body_terms: str = ""
    lexicon_version: str | None = None
    fingerprint: bytes | None = None  # near-duplicate signature (nlp.neardup)
    band_keys: list = field(default_factory=list)  # its LSH (band, key) pairs
    tags: list[TagRecord] = field(default_factory=list)


#: the listing fields whose change makes a new snapshot
LISTING_STATE = ("followers", "price_low", "price_high", "has_violation", "live_enabled",
                 "verified", "sell_enabled", "blue_v")


@dataclass
class ListingRecord:
    key: str
    url: str | None = None
    platform: str | None = None
    category: str | None = None
    title: str | None = None
    followers: int | None = None
    price_low: float | None = None
    price_high: float | None = None
    has_violation: bool | None = None
    live_enabled: bool | None = None
    verified: bool | None = None
    sell_enabled: bool | None = None
    blue_v: bool | None = None
    fields: dict = field(default_factory=dict)
    flags: list = field(default_factory=list)

    def state(self) -> tuple:
        return tuple(getattr(self, k) for k in LISTING_STATE)


@dataclass
class PageRecord:
    raw: RawRecord
    article: ArticleRecord | None = None
    listings: list[ListingRecord] = field(default_factory=list)

    def to_json(self) -> dict:
        data = asdict(self)
        data["raw"]["html"] = base64.b64encode(self.raw.html).decode("ascii")
        del data["raw"]["html_z"]  # derived from html, again where it is needed
        if self.article is not None and self.article.fingerprint is not None:
            data["article"]["fingerprint"] = base64.b64encode(self.article.fingerprint).decode("ascii")
        for obj in (data["raw"], data["article"] or {}):
            for key, value in obj.items():
                if isinstance(value, datetime):
                    obj[key] = value.isoformat()
        return data

    @classmethod
    def from_json(cls, data: dict) -> PageRecord:
        raw = dict(data["raw"])
        raw["html"] = base64.b64decode(raw["html"])
        raw["fetched_at"] = datetime.fromisoformat(raw["fetched_at"])
        art = data.get("article")
        article = None
        if art:
            art = dict(art)
            if art.get("published_at"):
                art["published_at"] = datetime.fromisoformat(art["published_at"])
            art["tags"] = [TagRecord(**t) for t in art.get("tags", [])]
            if art.get("fingerprint"):
                art["fingerprint"] = base64.b64decode(art["fingerprint"])
            art["band_keys"] = [tuple(k) for k in art.get("band_keys", [])]
            article = ArticleRecord(**art)
        listings = [ListingRecord(**li) for li in data.get("listings", [])]
        return cls(raw=RawRecord(**raw), article=article, listings=listings)
