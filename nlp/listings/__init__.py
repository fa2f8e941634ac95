"""Account listings: pure parsing of account-trading pages into Listing records.

Field parsers (``fields``), card lines to listings (``cards``) and whole list/detail pages
(``page``). Nothing here fetches, stores or imports scrapy.
"""

from .cards import pair_lines, parse_cards
from .fields import (
    canonical_platform,
    listing_id_from_url,
    parse_flag,
    parse_followers,
    parse_price,
    scrub_contacts,
)
from .model import Listing, build_listing
from .page import ListingPage, parse_listing_page

__all__ = [
    "Listing", "ListingPage", "build_listing", "canonical_platform", "listing_id_from_url",
    "pair_lines", "parse_cards", "parse_flag", "parse_followers", "parse_listing_page",
    "parse_price", "scrub_contacts",
]
