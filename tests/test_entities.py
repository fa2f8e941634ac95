import pytest

from nlp.segment import pos_tag
from nlp.tagging import (
    EntityTag,
    Tags,
    confirm_entities,
    entity_candidates_report,
    lexicon,
    lexicon_version,
    reject_candidates,
    tag_document,
)


def tag(body: str, title: str = "", **kw) -> Tags:
    """Tag a passage the way the pipeline does: one segmentation of title + body."""
    return tag_document(title, body, pos_tag(title + "\n" + body), **kw)



def confirmed(body: str) -> dict[str, str]:
    return {e.name: e.kind for e in tag(body).entities if e.confirmed}


def test_lexicon_entities_and_kinds() -> None:
    got = confirmed("李佳琦背后的美ONE和薇娅背后的谦寻都是MCN，完美日记是他们的合作品牌。")
    assert got == {"李佳琦": "person", "美ONE": "mcn", "薇娅": "person", "谦寻": "mcn",
                   "完美日记": "brand"}


def test_alias_maps_to_canonical_name() -> None:
    assert confirmed("小杨哥的三只羊网络扩张很快。") == {"疯狂小杨哥": "person", "三只羊网络": "mcn"}


@pytest.mark.parametrize("body", ["冰糖雪梨是润肺的饮品。", "熬一锅小米粥当早餐。",
                                  "站在山顶遥望远方。", "这套家具的风格力求简洁。",
                                  "创新浪潮之下，年轻人选择灵活就业。"])
def test_traps(body: str) -> None:
    assert confirmed(body) == {}


def test_weak_alias_with_cue() -> None:
    assert "雪梨" in confirmed("主播雪梨因偷逃税被追缴税款。")


def test_owner_inside_platform_alias() -> None:
    assert confirmed("当年的新浪微博仍是热搜主战场，网易考拉已改名。") == {"新浪": "company", "网易": "company"}


def test_candidates_are_unconfirmed_and_not_fragments() -> None:
    ents = tag("刘强东表示，京东将继续投入直播。张小花是一位新主播，张小花每天直播八小时。").entities
    names = {e.name: e for e in ents}
    assert names["刘强东"].confirmed
    assert "刘强" not in names  # a fragment of a confirmed name is not a candidate
    for e in ents:
        if not e.confirmed:
            assert e.confidence <= 0.6


def test_report_confirm_and_reject(tmp_path) -> None:
    cand = EntityTag("王小二", "person", 0.4, 2, False)
    other = EntityTag("李四", "person", 0.3, 1, False)
    docs = [[cand, other], [cand], [cand], [other], [EntityTag("薇娅", "person", 0.95, 1, True)]]
    report = entity_candidates_report(docs, min_docs=3)
    assert [c.name for c in report] == ["王小二"]
    assert report[0].docs == 3 and report[0].mentions == 6

    before = lexicon_version()
    try:
        lexicon.set_user_dir(tmp_path)
        confirm_entities([("王小二", "person", ["小二哥"])])
        assert lexicon_version() != before
        assert confirmed("主播小二哥今晚开播。") == {"王小二": "person"}
        assert entity_candidates_report(docs, min_docs=3) == []
        reject_candidates(["李四"])
        assert entity_candidates_report(docs, min_docs=2) == []
    finally:
        lexicon.set_user_dir(None)
    assert lexicon_version() == before
