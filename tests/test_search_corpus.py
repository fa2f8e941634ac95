"""A small hand-written corpus for the search tests (no tests here: imported by test_search*),
invented sentences about live commerce, stored through Store.write with the real segmentation,
plus clusters and editorial status."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone

from sqlalchemy import text

from nlp import segment as seg
from storage.records import ArticleRecord, PageRecord, RawRecord, TagRecord
from storage.store import Store

CST = timezone(timedelta(hours=8))
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=CST)

# key, title, body, days after T0, source, platforms, topics, entities
ARTICLES = [
    ("a1", "快手电商发布商家扶持计划",
     "快手电商宣布推出新一季商家扶持计划,面向中小商家提供流量券和佣金减免。\n"
     "平台负责人表示,扶持计划将持续到年底,首批名单下月公布。",
     0, "观察网", ["快手"], ["平台政策"], []),
    ("a2", "品牌自播成为抖音电商新常态",
     "越来越多的品牌在抖音搭建自己的直播间,由员工担任主播。品牌自播胜在稳定,复购率更高。\n"
     "分析人士指出,品牌自播与达人带货互为补充。",
     -3, "观察网", ["抖音"], ["直播带货模式"], []),
    ("a3", "头部主播税务合规再受关注",
     "监管部门近期通报多起主播偷逃税案件,要求补缴税款并处罚款。\n"
     "抖音和快手均表示将配合税务部门,加强对主播收入的合规管理。",
     -10, "日报", ["抖音", "快手"], ["监管与合规"], ["薇娅"]),
    ("a4", "临沂产业带商家的直播转型",
     "临沂的服装和食品工厂纷纷开播,源头工厂直连消费者,省去中间环节。\n"
     "不少商家在快手开设店铺,依靠产业带的供应链优势压低价格。",
     -20, "日报", ["快手"], ["产业带与供应链"], []),
    ("a5", "私域流量的下一站",
     "商家把直播间的粉丝沉淀到微信群和小程序,通过社群运营提升复购。\n"
     "视频号直播与私域社群打通后,成交转化明显改善。",
     -30, "研究院", ["微信视频号", "微信"], ["私域流量"], []),
    ("a6", "转载|快手电商发布商家扶持计划",
     "快手电商宣布推出新一季商家扶持计划,面向中小商家提供流量券和佣金减免。\n"
     "扶持计划将持续到年底。",
     1, "农场站", ["快手"], ["平台政策"], []),
    ("a7", "快手新政:中小商家可领流量券",
     "快手电商宣布推出新一季商家扶持计划,中小商家可以领取流量券。扶持计划持续到年底。",
     2, "农场站", ["快手"], ["平台政策"], []),
    ("a8", "达人带货与自播之争",
     "品牌方认为达人专场的爆发力更强,但自己的直播间更稳定。品牌与达人的合作方式正在变化,"
     "自播团队的建设成本也在上升。",
     -40, "研究院", ["抖音"], ["直播带货模式"], []),
    ("a9", "快手打击假货专项行动",
     "快手电商开展打击假货专项行动,下架售假商品,处罚违规商家。\n"
     "平台同时上线消费者维权通道,投诉处理时间缩短一半。",
     -50, "日报", ["快手"], ["监管与合规"], []),
    ("a10", "主播培训机构调查",
     "一些主播培训机构收取高额学费,承诺包教包会,但学员开播后难以获得流量。"
     "业内人士提醒新主播谨慎选择培训机构。",
     -60, "观察网", [], ["主播与MCN"], []),
    ("a11", "跨境直播:TikTok Shop的新机会",
     "东南亚市场的TikTok Shop增长迅速,国内工厂通过跨境直播把商品卖到海外。"
     "AND NEAR 这类英文单词也会出现在正文里。",
     -70, "研究院", ["TikTok"], ["跨境电商"], []),
    ("a12", "直播间的退货难题",
     "直播带货的冲动消费导致退货率偏高,商家需要在商品描述和售后服务上下功夫。快手和抖音都在治理高退货率。",
     -400, "观察网", ["快手", "抖音"], ["直播带货模式"], []),
]
#: a1, a6 and a7 tell one story (a1 canonical)
CLUSTER = ("a1", "a6", "a7")
STATUS = {"a2": "approved", "a4": "published", "a10": "rejected"}
SOURCES = ("观察网", "日报", "研究院", "农场站")


def terms(text_: str) -> str:
    return " ".join(seg.search_terms(seg.segment(text_)))


def records() -> list[PageRecord]:
    out = []
    for key, title, body, days, source, plats, topics, ents in ARTICLES:
        url = f"http://news.test/{key}"
        published = T0 + timedelta(days=days)
        tags = ([TagRecord("platform", p, 1.0, 1) for p in plats]
                + [TagRecord("topic", t, 0.5, 1) for t in topics]
                + [TagRecord("entity", e, 0.9, 1, detail="person/confirmed") for e in ents])
        out.append(PageRecord(
            raw=RawRecord(url=url, status=200, fetched_at=published, html=b"<html></html>", source=source),
            article=ArticleRecord(
                url=url, canonical_url=url, title=title, published_at=published, body=body,
                script="simplified", content_hash=hashlib.sha1(body.encode()).hexdigest(),
                title_terms=terms(title), body_terms=terms(body), tags=tags)))
    return out


def load(store: Store) -> dict[str, int]:
    """Store the corpus; returns key -> article id."""
    store.sync_sources([{"name": s, "kind": "news", "config": {}} for s in SOURCES])
    outcomes = store.write(records())
    assert [o.status for o in outcomes] == ["stored"] * len(ARTICLES)
    ids = {a[0]: o.article_id for a, o in zip(ARTICLES, outcomes, strict=True)}
    with store.engine.begin() as conn:
        cid = conn.execute(text(
            "INSERT INTO clusters (canonical_id, size, created_at, updated_at)"
            " VALUES (:c, :n, :t, :t) RETURNING id"), {"c": ids[CLUSTER[0]], "n": len(CLUSTER), "t": T0}).scalar()
        for key in CLUSTER:
            conn.execute(text("UPDATE articles SET cluster_id = :c WHERE id = :i"), {"c": cid, "i": ids[key]})
        for key, status in STATUS.items():
            conn.execute(text("UPDATE articles SET status = :s WHERE id = :i"), {"s": status, "i": ids[key]})
    return ids

