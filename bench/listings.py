"""Listing-page parsing: throughput and field coverage on generated account-trading pages.

Renders the listings demo site with N generated listings in-process (no HTTP): every list
page (6 cards each; page 2 GBK-encoded) and one detail page per listing, up to --details.
Then times ``parse_listing_page`` on the page bytes (charset decoding included; rendering
excluded) and prints pages/s, listings/s, the share of listings with each field parsed
(coverage) and the share whose value equals the site's truth (accuracy). Fields a site does
not show on a layout (a blue-V badge on a card without one, a negotiable price) count as
covered when the parser rightly leaves them empty and says why.

A second layout that is not the demo's (bench/listing_layout_market.py: label/value ``<dl>``
cards, prices such as ``¥1.2万`` and 议价, ids in ``data-sn``) is parsed the same way and its
per-field accuracy printed beside it (``--market N`` cards, 20 a page).

    python bench/listings.py [--listings 6000] [--details 1000] [--market 2000]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from daihuo.demo.demo_listings import ListingsSite  # noqa: E402
from nlp.listings import parse_listing_page  # noqa: E402

BASE = "http://bench.local"
FIELDS = ("listing_id", "url", "platform", "category", "title", "followers", "price",
          "has_violation", "live_enabled", "verified", "sell_enabled", "blue_v")


def truth(d, field: str, detail: bool):
    return {
        "listing_id": str(d.id), "url": f"{BASE}/zh/{d.id}.html", "platform": d.platform,
        "category": d.category, "title": d.title, "followers": d.followers_n,
        "price": (d.price_low, d.price_high), "has_violation": d.has_violation,
        "live_enabled": d.live_enabled, "verified": d.verified, "sell_enabled": d.sell_enabled,
        # a card shows a badge only when there is one; a detail page says 有 or 无
        "blue_v": d.blue_v if detail else (True if d.blue_v else None),
    }[field]


def got(li, field: str):
    if field == "price":
        return (li.price_low, li.price_high)
    return getattr(li, field)


def covered(li, field: str, expected) -> bool:
    value = got(li, field)
    if field == "price":
        return value != (None, None) or "price_negotiable" in li.flags
    if field == "blue_v" and expected is None:
        return value is None
    return value is not None


def run(pages: list[tuple[str, bytes]], site: ListingsSite, detail: bool) -> dict:
    t0 = time.perf_counter()
    results = [parse_listing_page(body, url) for url, body in pages]
    elapsed = time.perf_counter() - t0
    by_id = {str(d.id): d for d in site.listings}
    cov = dict.fromkeys(FIELDS, 0)
    acc = dict.fromkeys(FIELDS, 0)
    n = 0
    contacts = 0
    for page in results:
        for li in page.listings:
            n += 1
            d = by_id.get(li.listing_id or "")
            if d is None:
                continue
            blob = repr(li)
            contacts += d.contact.split("：")[1].split(" ")[0] in blob
            for f in FIELDS:
                want = truth(d, f, detail)
                if covered(li, f, want):
                    cov[f] += 1
                value = got(li, f)
                if f == "title":
                    ok = value is not None and value.split(" ")[0] == want.split(" ")[0]
                else:
                    ok = value == want
                acc[f] += ok
    return {"pages": len(pages), "seconds": elapsed, "listings": n, "cov": cov, "acc": acc,
            "contacts": contacts}


def report(name: str, r: dict) -> None:
    n = max(r["listings"], 1)
    print(f"{name}: {r['pages']} pages in {r['seconds']:.2f} s = {r['pages'] / r['seconds']:.0f} pages/s, "
          f"{r['listings']} listings ({r['listings'] / r['seconds']:.0f}/s), "
          f"contact details kept: {r['contacts']}")
    print(f"  {'field':<14}{'coverage':>10}{'accuracy':>10}")
    for f in FIELDS:
        print(f"  {f:<14}{r['cov'][f] / n:>10.1%}{r['acc'][f] / n:>10.1%}")


def run_market(n: int) -> None:
    """Per-field accuracy on the market layout (truth from the generator)."""
    from listing_layout_market import generate, render_page

    from nlp.listings import canonical_platform

    cards = generate(n)
    pages = [cards[k:k + 20] for k in range(0, len(cards), 20)]
    bodies = [render_page(p, i + 1, len(pages)).encode("utf-8") for i, p in enumerate(pages)]
    t0 = time.perf_counter()
    parsed = [parse_listing_page(b, f"http://market.local/market?p={i + 1}") for i, b in enumerate(bodies)]
    elapsed = time.perf_counter() - t0
    truth_of = {f"http://market.local/item/{c.sn}": c for c in cards}
    fields = ("url", "platform", "category", "title", "followers", "price", "has_violation",
              "live_enabled", "verified", "sell_enabled", "blue_v")
    acc = dict.fromkeys(fields, 0)
    found = 0
    for page in parsed:
        for li in page.listings:
            c = truth_of.get(li.url or "")
            if c is None:
                continue
            found += 1
            want = {"url": li.url, "platform": canonical_platform(c.platform), "category": c.category,
                    "title": c.title, "followers": c.followers, "price": (c.price_low, c.price_low),
                    "has_violation": c.has_violation, "live_enabled": c.live_enabled,
                    "verified": c.verified, "sell_enabled": c.sell_enabled, "blue_v": c.blue_v}
            for f in fields:
                acc[f] += got(li, f) == want[f]
    total = sum(len(p.listings) for p in parsed)
    print(f"market layout (not the demo's): {len(bodies)} pages in {elapsed:.2f} s, {total} listings parsed "
          f"of {len(cards)} cards, {found} matched to their card by URL")
    print(f"  {'field':<14}{'accuracy':>10}   (of all {len(cards)} cards)")
    for f in fields:
        print(f"  {f:<14}{acc[f] / len(cards):>10.1%}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--listings", type=int, default=6000)
    ap.add_argument("--details", type=int, default=1000)
    ap.add_argument("--market", type=int, default=2000, help="cards of the market layout (0: skip)")
    args = ap.parse_args()
    sys.path.insert(0, str(REPO / "bench"))
    if args.market:
        run_market(args.market)
    site = ListingsSite(n_listings=args.listings)
    lists = []
    for p in range(1, site.pages + 1):
        path = site.list_path(p)
        status, _, body = site.respond(path, BASE)
        assert status == 200
        lists.append((BASE + path, body))
    details = []
    for d in site.listings[: args.details]:
        path = site.detail_path(d.id)
        details.append((BASE + path, site.respond(path, BASE)[2]))
    print(f"generated {len(lists)} list pages ({site.per_page} cards each) and "
          f"{len(details)} detail pages from {len(site.listings)} listings")
    report("list pages", run(lists, site, detail=False))
    report("detail pages", run(details, site, detail=True))


if __name__ == "__main__":
    main()
