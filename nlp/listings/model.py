"""The Listing record and how label/value pairs become one."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .fields import (
    canonical_platform,
    find_category,
    find_platform,
    flag_field,
    followers_lower_bound,
    label_field,
    normalize,
    parse_flag,
    parse_followers,
    parse_price,
    scrub_contacts,
    split_category,
)

#: flags that say nothing about the listing's data (a card of chrome may carry them)
_QUIET_FLAGS = frozenset({"contact_removed", "followers_lower_bound"})
FLAG_FIELDS = ("has_violation", "live_enabled", "verified", "sell_enabled", "blue_v")


@dataclass
class Listing:
    listing_id: str | None = None   # the site's own id (detail URL, 编号 field, data-id)
    url: str | None = None          # absolute detail-page URL when known
    platform: str | None = None     # canonical platform name (快手, 抖音 ...)
    category: str | None = None     # 自媒体, 美食, 游戏 ...
    title: str | None = None
    followers: int | None = None
    price_low: float | None = None  # yuan; None for 面议/议价
    price_high: float | None = None
    has_violation: bool | None = None
    live_enabled: bool | None = None
    verified: bool | None = None
    sell_enabled: bool | None = None  # 带货权限 / 橱窗
    blue_v: bool | None = None
    flags: list[str] = field(default_factory=list)
    fields: dict[str, str] = field(default_factory=dict)  # other label -> value; never contacts

    def flag(self, name: str) -> None:
        if name not in self.flags:
            self.flags.append(name)

    def has_identity(self) -> bool:
        """Enough to be a row a reader can use: a platform, a title or a price (面议 counts).

        A card with followers or flags alone (a teaser, a stats box) is not a listing."""
        return bool(self.platform or self.title or self.price_low is not None
                    or "price_negotiable" in self.flags)

    def is_empty(self) -> bool:
        """No listing data at all: a card that was only chrome (a title alone is not a
        listing; a value that failed to parse is, since its flag says what was there)."""
        return (self.followers is None and self.price_low is None
                and all(getattr(self, f) is None for f in FLAG_FIELDS)
                and not any(f not in _QUIET_FLAGS for f in self.flags))


_UNIT_ONLY = re.compile(r"^[wW万亿kK千+]$")
_ID_VALUE = re.compile(r"[A-Za-z0-9_-]{1,40}")
_CJK = re.compile(r"[\u4e00-\u9fff]")


def _clean_value(value: str) -> str:
    return re.sub(r"\s+", " ", value).strip(" :：")


def build_listing(
    pairs: list[tuple[str, str]],
    loose: list[str] | None = None,
    *,
    listing_id: str | None = None,
    url: str | None = None,
    title: str | None = None,
    platform: str | None = None,
    category: str | None = None,
) -> Listing:
    """One Listing from labelled values (``pairs``) and unlabelled lines (``loose``), whose
    meaning is inferred from the value itself ('无违规', '¥3800', '12.6万粉丝').

    Precedence: a labelled field beats an inferred one; the platform comes from a 平台 field,
    then from the category ('抖音美食'), then the title, then the ``platform`` argument (the
    source's default); the category from a 类型 field, then the argument, then the title.
    """
    li = Listing(listing_id=listing_id, url=url)
    found_platform: str | None = None
    found_category: str | None = None
    found_title: str | None = None

    def set_once(name: str, value: object) -> None:
        if getattr(li, name) is None:
            setattr(li, name, value)

    def take(name: str | None, label: str | None, value: str) -> bool:
        nonlocal found_platform, found_category, found_title
        if name == "followers":
            if li.followers is not None:
                return True
            n, problem = parse_followers(value)
            if problem:
                li.flag(problem)
                li.fields.setdefault(label or "粉丝", value)
            else:
                li.followers = n
                if followers_lower_bound(value):
                    li.flag("followers_lower_bound")
            return True
        if name == "price":
            if li.price_low is not None or "price_negotiable" in li.flags:
                return True
            lo, hi, problem = parse_price(value)
            if problem:
                li.flag(problem)
                if problem != "price_negotiable":
                    li.fields.setdefault(label or "价格", value)
            else:
                li.price_low, li.price_high = lo, hi
            return True
        if name == "platform":
            found_platform = found_platform or canonical_platform(value) or value
            return True
        if name == "category":
            p, c = split_category(value)
            found_platform = found_platform or p
            found_category = found_category or c
            return True
        if name == "title":
            found_title = found_title or value
            return True
        if name == "listing_id":
            m = _ID_VALUE.search(normalize(value))
            if m and li.listing_id is None:
                li.listing_id = m.group(0)
            return True
        if name in FLAG_FIELDS:
            fname, truth = parse_flag(value, label)
            fname = fname or name
            if truth is None:
                li.flag(f"{fname}_unparsed")
                if label:
                    li.fields.setdefault(label, value)
            else:
                set_once(fname, truth)
            return True
        return False

    for label, raw in pairs:
        label = _clean_value(label)
        value, removed = scrub_contacts(_clean_value(raw))
        name = label_field(label)
        if name == "contact" or removed:
            li.flag("contact_removed")
            if name == "contact" or not value:
                continue
        if not value:
            continue
        if not take(name, label, value) and label:
            li.fields.setdefault(label, value)

    for raw in loose or []:
        value, removed = scrub_contacts(_clean_value(raw))
        if removed:
            li.flag("contact_removed")
        if not value or _UNIT_ONLY.match(value):
            continue
        _infer(li, value, take)
        if _CJK.search(value) and len(value) >= 4 and found_title is None and not _valueish(value):
            found_title = value

    if title:
        found_title = title
    if found_title:
        t, removed = scrub_contacts(_clean_value(found_title))
        if removed:
            li.flag("contact_removed")
        li.title = t or None
    arg_platform, arg_category = split_category(category) if category else (None, None)
    li.platform = (found_platform or arg_platform or find_platform(li.title)
                   or (canonical_platform(platform) or platform if platform else None))
    li.category = found_category or arg_category or find_category(li.title)
    return li


def _valueish(value: str) -> bool:
    """A line that reads as a field value rather than a title."""
    return ((len(value) <= 10 and parse_flag(value)[0] is not None)
            or parse_followers(value)[0] is not None
            or parse_price(value)[2] is None)


def _infer(li: Listing, value: str, take) -> None:
    """Give an unlabelled value to the field its wording names, if any and still empty."""
    fname, truth = parse_flag(value) if len(value) <= 10 else (None, None)
    if fname and truth is not None:
        take(fname, None, value)
        return
    s = normalize(value)
    if re.search(r"粉|[\d.]+\s*[wW万亿]", s) and li.followers is None:
        if parse_followers(value)[0] is not None:
            take("followers", None, value)
            return
    if re.search(r"[¥￥元]|面议|议价", s) and li.price_low is None:
        if parse_price(value)[2] in (None, "price_negotiable"):
            take("price", None, value)
            return
    if flag_field(value) is None and canonical_platform(value) and len(s) <= 6:
        take("platform", None, value)
        return
    if len(s) <= 4 and find_category(s) is not None and find_platform(s) is None:
        take("category", None, value)  # a bare tag such as '美食' under the title
