"""Table tests for the listing field parsers: every display form, and malformed values that
must give an empty field and a flag, never an exception."""

from __future__ import annotations

import pytest

from nlp.listings.fields import (
    canonical_platform,
    find_category,
    label_field,
    listing_id_from_url,
    parse_flag,
    parse_followers,
    parse_price,
    scrub_contacts,
    split_category,
)


@pytest.mark.parametrize("text, expected", [
    ("13.2W", 132000),
    ("13.2WW", 132000),          # seed 002: the unit printed twice
    ("13.2万", 132000),
    ("1.2w", 12000),
    ("3亿", 300000000),
    ("12,345", 12345),
    ("10万+", 100000),
    ("10万以上", 100000),
    ("８.６万", 86000),          # full-width digits
    ("粉丝：8.6万", 86000),
    ("16.3万粉丝", 163000),
    ("约 2.5 万", 25000),
    ("0.5k", 500),
    ("980", 980),
    ("10.12WW", 101200),
    ("7.19W", 71900),            # no float error: 7.19 * 10000 is 71900, not 71899
    ("13.2萬", 132000),          # Traditional
])
def test_parse_followers(text, expected):
    assert parse_followers(text) == (expected, None)


@pytest.mark.parametrize("text, flag", [
    ("abc万", "followers_unparsed"),
    ("", "followers_empty"),
    (None, "followers_empty"),
    ("   ", "followers_empty"),
    ("万", "followers_unparsed"),
    ("1.2.3万", "followers_unparsed"),
    ("12万-15万", "followers_unparsed"),
    ("1000000000000000", "followers_absurd"),  # 10^15
    ("99亿", "followers_absurd"),
    ("3万亿", "followers_absurd"),
    ("13.2X", "followers_unparsed"),
    ("很多", "followers_unparsed"),
])
def test_parse_followers_malformed(text, flag):
    assert parse_followers(text) == (None, flag)


@pytest.mark.parametrize("text, low, high", [
    ("¥3,800", 3800, 3800),
    ("3800元", 3800, 3800),
    ("0.38万", 3800, 3800),
    ("￥29600", 29600, 29600),
    ("售价：¥1,200", 1200, 1200),
    ("3000-5000元", 3000, 5000),
    ("3000元-5000元", 3000, 5000),
    ("0.3~0.5万", 3000, 5000),     # one unit covers both ends
    ("5000至3000", 3000, 5000),    # reversed range is still a range
    ("1.2万起", 12000, None),      # a floor, no ceiling
    ("２８００元", 2800, 2800),
])
def test_parse_price(text, low, high):
    assert parse_price(text) == (low, high, None)


@pytest.mark.parametrize("text, flag", [
    ("面议", "price_negotiable"),
    ("议价", "price_negotiable"),
    ("价格面议", "price_negotiable"),
    ("私聊", "price_negotiable"),
    ("¥", "price_unparsed"),
    ("", "price_empty"),
    (None, "price_empty"),
    ("abc", "price_unparsed"),
    ("abc万", "price_unparsed"),
    ("1e5", "price_unparsed"),
    ("0", "price_absurd"),
    ("1000000000000000", "price_absurd"),  # 10^15
    ("¥3,800,00", "price_unparsed"),
])
def test_parse_price_malformed(text, flag):
    assert parse_price(text) == (None, None, flag)


@pytest.mark.parametrize("value, label, expected", [
    ("已开通", "直播权限", ("live_enabled", True)),
    ("未开通", "直播权限", ("live_enabled", False)),
    ("已开通", "带货权限", ("sell_enabled", True)),
    ("未开通", "商品橱窗", ("sell_enabled", False)),
    ("有", "橱窗", ("sell_enabled", True)),
    ("无违规", "有无违规", ("has_violation", False)),
    ("有违规", "有无违规", ("has_violation", True)),
    ("违规1次", "违规记录", ("has_violation", True)),
    ("无", "违规记录", ("has_violation", False)),
    ("已认证", "认证状态", ("verified", True)),
    ("未认证", "认证状态", ("verified", False)),
    ("是", "是否实名", ("verified", True)),
    ("否", "是否认证", ("verified", False)),
    ("有", "蓝V认证", ("blue_v", True)),
    ("无", "蓝V", ("blue_v", False)),
    # no label: the value names its field
    ("无违规", None, ("has_violation", False)),
    ("有违规", None, ("has_violation", True)),
    ("已认证", None, ("verified", True)),
    ("未认证", None, ("verified", False)),
    ("蓝V", None, ("blue_v", True)),
    ("直播已开通", None, ("live_enabled", True)),
    ("未开通橱窗", None, ("sell_enabled", False)),
    ("已开通", None, (None, True)),          # yes to what? the caller needs the label
    ("已開通", "直播權限", ("live_enabled", True)),   # Traditional
    ("無違規", None, ("has_violation", False)),
])
def test_parse_flag(value, label, expected):
    assert parse_flag(value, label) == expected


@pytest.mark.parametrize("value, label, expected", [
    ("???", "直播权限", ("live_enabled", None)),
    ("", "认证状态", ("verified", None)),
    (None, None, (None, None)),
    ("待审核", "认证状态", ("verified", None)),
])
def test_parse_flag_unreadable(value, label, expected):
    assert parse_flag(value, label) == expected


def test_a_sentence_is_not_a_flag():
    # a title that mentions live commerce does not say the permission is enabled
    assert parse_flag("快手美食号出售 粉丝活跃，适合直播带货")[1] is None


@pytest.mark.parametrize("label, field", [
    ("粉丝数量", "followers"), ("粉丝数", "followers"), ("价格", "price"), ("售价", "price"),
    ("有无违规", "has_violation"), ("直播权限", "live_enabled"), ("认证状态", "verified"),
    ("带货权限", "sell_enabled"), ("橱窗", "sell_enabled"), ("蓝V认证", "blue_v"),
    ("平台", "platform"), ("类型", "category"), ("账号类型", "category"), ("编号", "listing_id"),
    ("商品编号", "listing_id"), ("联系电话", "contact"), ("微信", "contact"), ("QQ", "contact"),
    ("作品数量", None), ("地区", None), ("", None), ("粉絲數量", "followers"), ("價格", "price"),
])
def test_label_field(label, field):
    assert label_field(label) == field


@pytest.mark.parametrize("text, expected", [
    ("联系电话：13912345678", ""),
    ("快手美食号出售 加微信 dhseller2026 详聊", "快手美食号出售 详聊"),
    ("微信号：abc_12345", ""),
    ("QQ:12345678", ""),
    ("电话 0571-88886666", ""),
    ("客服邮箱 seller@example.com", ""),
    ("卖家诚信 联系方式：13912345678", "卖家诚信"),
    ("手机 139-1234-5678 随时联系", "随时联系"),
])
def test_scrub_contacts(text, expected):
    out, removed = scrub_contacts(text)
    assert removed and out == expected
    assert not any(ch.isdigit() for ch in out)


@pytest.mark.parametrize("text", ["粉丝13.2万 价格3800元", "快手号 2021年注册", "编号1001"])
def test_scrub_contacts_keeps_listing_numbers(text):
    assert scrub_contacts(text) == (text, False)


@pytest.mark.parametrize("text, expected", [
    ("快手", "快手"), ("快手号", "快手"), ("抖音号", "抖音"), ("Douyin", "抖音"), ("B站", "哔哩哔哩"),
    ("视频号", "微信视频号"), ("小红书", "小红书"), ("淘宝店", "淘宝"), ("新浪微博", "微博"),
    ("头条号", "今日头条"), ("abc", None), ("", None),
])
def test_canonical_platform(text, expected):
    assert canonical_platform(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("抖音美食号", ("抖音", "美食")), ("快手-游戏", ("快手", "游戏")), ("自媒体", (None, "自媒体")),
    ("萌宠", (None, "宠物")), ("小红书穿搭", ("小红书", "时尚")), ("", (None, None)),
    ("情感语录", (None, "情感")),
])
def test_split_category(text, expected):
    assert split_category(text) == expected


def test_find_category_in_title():
    assert find_category("快手美食号出售 粉丝活跃") == "美食"
    assert find_category("账号出售") is None


@pytest.mark.parametrize("url, expected", [
    ("https://example.com/zh/123.html", "123"),
    ("https://example.com/item?id=77&from=list", "77"),
    ("https://example.com/goods/detail-4521/", "4521"),
    ("https://example.com/show-14-363.html", "363"),
    ("https://example.com/about.html", None),
    ("", None),
    (None, None),
])
def test_listing_id_from_url(url, expected):
    assert listing_id_from_url(url) == expected


def test_parsers_never_raise_on_noise():
    import random

    rnd = random.Random(6)
    pool = "0123456789.,-~+¥￥元万wW亿kK千起面议有无已未开通认证违规粉丝:：abcXYZ \u3000\ufffd%$"
    for _ in range(3000):
        s = "".join(rnd.choice(pool) for _ in range(rnd.randint(0, 14)))
        value, flag = parse_followers(s)
        assert (value is None) is (flag is not None)
        assert value is None or 0 <= value <= 5_000_000_000
        low, high, pflag = parse_price(s)
        assert low is None or (low > 0 and (high is None or high >= low))
        parse_flag(s, s[:4])
        scrub_contacts(s)
        label_field(s)
