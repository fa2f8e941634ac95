"""Analyst queries over account listings (used by the CLI and, later, the web API)."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, select

from storage.models import Listing, ListingSnapshot, Source
from storage.timestamps import from_db, to_utc

COLUMNS = ("id", "source", "key", "url", "platform", "category", "title", "followers",
           "price_low", "price_high", "has_violation", "live_enabled", "verified",
           "sell_enabled", "blue_v", "status", "first_seen", "last_seen")


def query_listings(engine: Engine, *, platform: str | None = None, category: str | None = None,
                   min_followers: int | None = None, verified: bool | None = None,
                   since: datetime | None = None, status: str | None = None,
                   limit: int | None = None) -> list[dict]:
    """Listings matching every given filter, most recently seen first."""
    q = (select(Listing, Source.name.label("source")).outerjoin(Source, Source.id == Listing.source_id)
         .order_by(Listing.last_seen.desc(), Listing.id))
    if platform:
        q = q.where(Listing.platform == platform)
    if category:
        q = q.where(Listing.category == category)
    if min_followers is not None:
        q = q.where(Listing.followers >= min_followers)
    if verified is not None:
        q = q.where(Listing.verified.is_(verified))
    if since is not None:
        q = q.where(Listing.last_seen >= to_utc(since))
    if status:
        q = q.where(Listing.status == status)
    if limit:
        q = q.limit(limit)
    with engine.connect() as conn:
        rows = conn.execute(q).mappings().all()
    out = []
    for r in rows:
        d = {c: r.get(c) for c in COLUMNS}
        d["first_seen"], d["last_seen"] = from_db(d["first_seen"]), from_db(d["last_seen"])
        out.append(d)
    return out


def price_history(engine: Engine, listing_id: int) -> list[dict]:
    with engine.connect() as conn:
        rows = conn.execute(select(ListingSnapshot).where(ListingSnapshot.listing_id == listing_id)
                            .order_by(ListingSnapshot.seen_at, ListingSnapshot.id)).mappings().all()
    return [{**dict(r), "seen_at": from_db(r["seen_at"])} for r in rows]


@dataclass
class GroupStats:
    platform: str | None
    category: str | None
    count: int
    priced: int
    median_price: float | None
    median_price_per_10k: float | None


def listing_stats(engine: Engine, *, since: datetime | None = None, until: datetime | None = None,
                  platform: str | None = None) -> list[GroupStats]:
    """Count, median price and median price per 10,000 followers by platform and category.
    A price range counts at its midpoint; unpriced (面议) listings count but have no price."""
    rows = query_listings(engine, platform=platform, since=since)
    if until is not None:
        rows = [r for r in rows if r["last_seen"] and r["last_seen"] <= to_utc(until)]
    groups: dict[tuple, list[dict]] = {}
    for r in rows:
        groups.setdefault((r["platform"], r["category"]), []).append(r)
    out = []
    for (plat, cat), items in sorted(groups.items(), key=lambda kv: (-len(kv[1]), str(kv[0]))):
        prices = [_mid(r) for r in items if _mid(r) is not None]
        per10k = [_mid(r) / r["followers"] * 10000 for r in items
                  if _mid(r) is not None and r["followers"]]
        out.append(GroupStats(plat, cat, len(items), len(prices),
                              statistics.median(prices) if prices else None,
                              round(statistics.median(per10k), 2) if per10k else None))
    return out


def _mid(r: dict) -> float | None:
    lo, hi = r["price_low"], r["price_high"]
    if lo is None and hi is None:
        return None
    if lo is None or hi is None:
        return lo if hi is None else hi
    return (lo + hi) / 2
