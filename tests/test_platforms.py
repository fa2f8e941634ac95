import pytest

from nlp.segment import pos_tag
from nlp.tagging import Tags, tag_document


def tag(body: str, title: str = "", **kw) -> Tags:
    """Tag a passage the way the pipeline does: one segmentation of title + body."""
    return tag_document(title, body, pos_tag(title + "\n" + body), **kw)




def platforms(body: str, title: str = "") -> set[str]:
    return set(tag(body, title).platform_names())


@pytest.mark.parametrize(
    "body, expected",
    [
        ("淘宝直播今年扶持新主播。", {"淘宝"}),  # 淘宝直播 is 淘宝's
        ("点淘和手淘都能进直播间。", {"淘宝"}),
        ("淘宝商城后来更名为天猫。", {"天猫"}),  # old name beats the shorter 淘宝
        ("对于Tik Tok和Aauto faster来说，直播带来利润。", {"抖音", "快手"}),  # MT forms
        ("Tik Tok和阿尤托快节奏主要是场。", {"抖音", "快手"}),
        ("视频号直播带货增长很快。", {"微信视频号"}),
        ("商家把链接发到微信群里。", {"微信"}),
        ("JD.com和Tmall都在做直播。", {"京东", "天猫"}),
        ("Douyin、Kuaishou和Pinduoduo都公布了财报。", {"抖音", "快手", "拼多多"}),
        ("不少UP主在B站带货。", {"哔哩哔哩"}),
        ("得物的前身是毒App。", {"得物"}),
        ("京东方面表示将加大投入。", {"京东"}),
    ],
)
def test_aliases(body: str, expected: set[str]) -> None:
    assert platforms(body) == expected


@pytest.mark.parametrize(
    "body",
    [
        "京东方发布了新一代柔性面板，京东方面板出货量第一。",  # BOE
        "她做事快手快脚，很快就打包完了。",  # idiom
        "新品一上架，很快手机就被抢光了。",  # 很快|手机
        "这家店开在北京东路。",  # 北京|东路
        "为了打造一个完美团队，公司招了很多人。",  # 完美|团队
        "灾区获得物资支持。",  # 获得|物资
        "动物园里的考拉宝宝第一次出镜。",  # the animal
        "早餐吃一碗虾皮紫菜汤。",  # dried shrimp
        "家里新买的天猫精灵可以点歌。",  # a device
        "这份JD要求三年运营经验。",  # job description
        "Channels that sell handmade goods are growing.",
        "TikToker是海外的说法。",  # a longer Latin word
    ],
)
def test_traps_are_not_platforms(body: str) -> None:
    assert platforms(body) == set()


def test_weak_alias_needs_a_cue() -> None:
    assert platforms("抖音打通与淘宝、考拉、唯品会等货物平台。") >= {"考拉海购"}
    assert platforms("越来越多的卖家入驻虾皮，在东南亚开店。") == {"Shopee"}


def test_tiktok_spellings() -> None:
    # one word: the international app; spaced: machine-translated 抖音, unless abroad
    assert platforms("TikTok在英国上线直播购物。") == {"TikTok"}
    assert platforms("Tik Tok的直播电商为平台带来利润。") == {"抖音"}
    assert platforms("Tik Tok在美国面临监管压力。") == {"TikTok"}
    assert platforms("抖音海外版在日本增长很快。") == {"TikTok"}
    # a Latin gloss in brackets names the same platform once
    assert platforms("抖音（TikTok）的母公司继续加码电商。") == {"抖音"}


def test_owner_company_alone_is_not_a_platform() -> None:
    assert platforms("阿里巴巴和腾讯的竞争延伸到直播电商。") == set()


def test_count_first_pos_and_title() -> None:
    tags = tag("快手的主播很多。后来快手又推出了快手小店。淘宝也在做。", title="快手电商观察")
    by_name = {p.name: p for p in tags.platforms}
    ks = by_name["快手"]
    assert ks.in_title and ks.count == 4 and ks.first_pos == 0
    tb = by_name["淘宝"]
    assert not tb.in_title and tb.count == 1 and tb.first_pos > ks.first_pos
    assert tags.platforms[0].name == "快手" and ks.score > tb.score
