"""Card lines -> Listings: seed 002's six cards against their gold, and every card layout."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nlp.listings import parse_cards
from nlp.listings.cards import is_label, pair_lines

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
GOLD_KEYS = ("platform", "category", "followers", "has_violation", "live_enabled", "verified")


def seed_cards(text: str) -> list[list[str]]:
    """The seed's account cards: the lines after the recommendation header, in groups that
    end at the last label ('认证状态')."""
    marker = next(ln for ln in text.splitlines() if ln.startswith("账号不同,具体价格以实际为准"))
    tail = text.split(marker, 1)[1].splitlines()
    cards, cur = [], []
    for line in tail:
        if not line.strip():
            continue
        cur.append(line)
        if line.strip() == "认证状态":
            cards.append(cur)
            cur = []
    return cards


def test_seed_002_cards_match_gold():
    seeds = SHARED / "seeds"
    if not (seeds / "gold" / "002.json").exists():
        pytest.skip(f"{seeds} is absent (../shared is only beside the project's own checkout)")
    text = next(seeds.glob("002_*.txt")).read_text(encoding="utf-8")
    gold = json.loads((seeds / "gold" / "002.json").read_text(encoding="utf-8"))["listings"]
    cards = seed_cards(text)
    assert len(cards) == 6
    got = parse_cards(cards, platform="快手", category="自媒体")
    assert [{k: getattr(li, k) for k in GOLD_KEYS} for li in got] == gold
    assert all(li.flags == [] and li.fields == {} for li in got)


def test_values_first_with_unit_on_its_own_line():
    # the demo site and seed 002's markup print the unit again after the number
    card = ["12.6W", "W", "有违规", "未开通", "已认证", "粉丝数量", "有无违规", "直播权限", "认证状态"]
    [li] = parse_cards([card])
    assert (li.followers, li.has_violation, li.live_enabled, li.verified) == (126000, True, False, True)
    assert li.platform is None and li.category is None


def test_values_first_after_a_title():
    card = ["抖音美食号出售 女粉多", "8.6万", "¥3,800", "已开通", "无违规", "粉丝", "价格", "带货权限", "违规记录"]
    [li] = parse_cards([card], platform="快手")
    assert li.title == "抖音美食号出售 女粉多"
    assert (li.followers, li.price_low, li.price_high) == (86000, 3800, 3800)
    assert (li.sell_enabled, li.has_violation) == (True, False)
    assert li.platform == "抖音"        # the card's own words beat the source default
    assert li.category == "美食"


def test_labels_first_then_values():
    card = ["平台", "类型", "粉丝数量", "价格", "B站", "游戏", "12,345", "3000-5000元"]
    [li] = parse_cards([card])
    assert (li.platform, li.category, li.followers) == ("哔哩哔哩", "游戏", 12345)
    assert (li.price_low, li.price_high) == (3000, 5000)


def test_alternating_and_colon_lines():
    card = ["编号：A1029", "粉丝数量", "10万+", "售价:", "面议", "直播权限", "已开通", "蓝V认证", "有",
            "作品数量", "320"]
    [li] = parse_cards([card], platform="小红书", category="美妆")
    assert li.listing_id == "A1029"
    assert li.followers == 100000 and "followers_lower_bound" in li.flags
    assert li.price_low is None and "price_negotiable" in li.flags
    assert (li.live_enabled, li.blue_v) == (True, True)
    assert li.fields == {"作品数量": "320"}
    assert (li.platform, li.category) == ("小红书", "美妆")


def test_contacts_never_kept():
    card = ["快手搞笑号转让 加微信 seller8888 详聊", "5.5w", "无违规", "粉丝", "违规",
            "联系电话：13912345678", "微信：abc_9999", "QQ", "123456789"]
    [li] = parse_cards([card])
    assert li.followers == 55000 and li.has_violation is False
    assert "contact_removed" in li.flags
    assert "seller8888" not in (li.title or "") and "微信" not in (li.title or "")
    kept = " ".join([li.title or "", *li.fields, *li.fields.values()])
    for secret in ("13912345678", "abc_9999", "123456789", "seller8888"):
        assert secret not in kept


def test_malformed_values_flag_and_keep_raw_text():
    card = ["abc万", "¥", "待定中", "粉丝数量", "价格", "认证状态"]
    [li] = parse_cards([card])
    assert li.followers is None and li.price_low is None and li.verified is None
    assert {"followers_unparsed", "price_unparsed", "verified_unparsed"} <= set(li.flags)
    assert li.fields["粉丝数量"] == "abc万"


def test_cards_without_listing_data_are_dropped():
    assert parse_cards([["首页", "关于我们"], [], ["", "  "]]) == []


def test_absurd_followers_do_not_raise():
    [li] = parse_cards([["1000000000000000", "已认证", "粉丝", "认证"]])
    assert li.followers is None and "followers_absurd" in li.flags and li.verified is True


@pytest.mark.parametrize("line, expected", [
    ("粉丝数量", True), ("有无违规", True), ("直播权限", True), ("认证状态", True), ("价格", True),
    ("无违规", False), ("已开通", False), ("13.2W", False), ("快手", False), ("美食", False),
    ("是否认证", True), ("未认证", False),
])
def test_is_label(line, expected):
    assert is_label(line) is expected


def test_pair_lines_keeps_unclaimed_lines():
    pairs, loose = pair_lines(["新号出售", "13.2W", "W", "粉丝数量"])
    assert pairs == [("粉丝数量", "13.2WW")]
    assert loose == ["新号出售"]
