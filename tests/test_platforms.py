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


# --- failure classes on independently written text (issue 20, third pass) -------------------

@pytest.mark.parametrize("body", [
    "据京东内部人士透露，新的物流中心年底启用。",  # a company's insiders
    "京东的采销团队今年扩招了一倍。",  # 的 + a department + team
    "拼多多的商家运营负责人在会上发言。",
    "淘宝的小二审核了这家店铺。",  # 小二: Taobao's staff
    "微信的工作人员说，这个功能还在测试。",
    "看点直播的研发团队来自另一个部门。",
    "红孩子卖身苏宁之后，母婴品类并入了大平台。",  # a company in a deal
    "优酷收购土豆网以后，两家的团队合并了。",
])
def test_company_staff_team_or_deal_is_not_the_platform(body: str) -> None:
    assert not ({"京东", "拼多多", "淘宝", "微信", "腾讯直播", "苏宁", "土豆网"} & platforms(body))


def test_staff_rule_keeps_the_platform_when_a_verb_stands_between() -> None:
    assert platforms("拼多多的主播在直播间卖水果。") == {"拼多多"}
    assert platforms("快手的老铁们在直播间刷礼物。") == {"快手"}


@pytest.mark.parametrize("body", [
    "周末不知道去哪儿，就在家里看书。",  # 'where to'
    "午饭吃土豆炖牛肉，晚上去斗鱼看比赛直播。",  # the potato next to a commerce cue
    "他拍拍我的肩膀说没事。",  # a pat
    "分享到搜狐微博",  # another provider's microblog
    "推荐至人民微博：",
])
def test_everyday_words_and_other_services(body: str) -> None:
    assert not ({"去哪儿", "土豆网", "拍拍", "微博"} & platforms(body))


@pytest.mark.parametrize("body, expected", [
    ("暑假在携程订酒店的人多了三成。", {"携程"}),
    ("去哪儿网上的机票订单翻倍。", {"去哪儿"}),
    ("在当当网买书比实体书店便宜。", {"当当"}),
    ("小商家可以在淘宝、拍拍、京东开店。", {"淘宝", "拍拍", "京东"}),
    ("凡客诚品的衬衫卖到了三十九元。", {"凡客"}),
    ("这家奶茶店在饿了么和美团外卖都上架了。", {"饿了么", "美团"}),
    ("越南卖家在Shopee和Lazada上都开了店。", {"Shopee", "Lazada"}),
    ("工厂通过速卖通和敦煌网把小家电卖到巴西。", {"速卖通", "敦煌网"}),
    ("她把做饭视频同时发在美拍和优酷上。", {"美拍", "优酷"}),
    ("旧相机挂在闲鱼上两天就卖掉了。", {"闲鱼"}),
])
def test_wider_coverage(body: str, expected: set[str]) -> None:
    assert platforms(body) == expected
