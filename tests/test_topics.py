
from nlp.segment import pos_tag
from nlp.tagging import Tags, tag_document


def tag(body: str, title: str = "", **kw) -> Tags:
    """Tag a passage the way the pipeline does: one segmentation of title + body."""
    return tag_document(title, body, pos_tag(title + "\n" + body), **kw)


def test_regulation_passage() -> None:
    body = ("税务部门通报多起网络主播偷逃税案件，相关主播被追缴税款并处罚款。"
            "监管部门表示将继续规范直播行业的税收秩序。")
    topics = tag(body).topics
    assert topics and topics[0].name == "监管与合规"
    assert 0 < topics[0].score < 1


def test_account_trading_passage() -> None:
    body = "买号前要确认账号是否实名、有无违规记录、是否开通直播权限，最好通过有担保的交易平台过户。"
    assert "账号交易" in tag(body).topic_names()


def test_cross_border_from_platform_evidence() -> None:
    body = "TikTok Shop在印尼和泰国开通直播购物，卖家通过海外仓发货。"
    assert "跨境直播" in tag(body).topic_names()


def test_weak_evidence_gives_no_topic() -> None:
    assert tag("明天全市多云转晴，最高气温二十六度。").topics == []
    # one generic word is not enough
    assert tag("他昨天看了一场直播。").topics == []


def test_at_most_three_topics() -> None:
    body = ("双十一大促期间，产业带工厂的品牌自播、MCN机构的头部主播、私域社群的复购，"
            "以及跨境电商的出海，都在财报里体现为营收增长；监管部门也加强了处罚。")
    assert len(tag(body).topics) <= 3
