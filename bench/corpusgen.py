"""A realistic live-commerce article corpus for benchmarks (search, near-duplicates).

Articles are written from sentence templates filled with the project's own lexicons
(nlp/data/platforms.toml, topics.toml, entities.toml): each article is about one or two
platforms and topics and names a few entities, so term frequencies look like the real corpus
(common words such as 直播 and 电商 in most articles, topic terms in some, entities in few).
Platforms, sources and entities follow Zipf-like popularity. Publication dates advance with
the article's index (a crawler ingests news roughly in date order) with a few days' jitter.
Deterministic for a given (n, seed).

    from bench.corpusgen import generate, repost
    for doc in generate(1000, seed=1): ...
"""

from __future__ import annotations

import random
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from itertools import accumulate
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DATA = Path(__file__).resolve().parents[1] / "nlp" / "data"
CST = timezone(timedelta(hours=8))
START = datetime(2023, 1, 1, 8, 0, tzinfo=CST)
SPAN_DAYS = 3 * 365 + 90

#: most discussed first (popularity falls off as 1/rank)
PLATFORM_ORDER = ["抖音", "快手", "淘宝", "京东", "微信视频号", "小红书", "拼多多", "天猫", "TikTok",
                  "微博", "B站", "美团", "得物", "唯品会", "苏宁易购"]
SOURCE_HEADS = ["直播", "电商", "零售", "品牌", "新消费", "带货", "网红", "主播", "数字商业", "产业"]
SOURCE_TAILS = ["观察", "日报", "研究院", "前沿", "头条", "周刊", "资讯网", "在线"]
CITIES = ["杭州", "广州", "深圳", "义乌", "临沂", "上海", "北京", "成都", "武汉", "长沙", "郑州", "西安",
          "福州", "泉州", "苏州", "南京", "青岛", "厦门", "重庆", "沈阳"]
CATEGORIES = ["服装", "美妆", "食品", "家居", "数码", "母婴", "珠宝", "生鲜", "图书", "鞋靴", "箱包",
              "家电", "酒水", "茶叶", "农产品", "宠物用品", "运动户外", "个护", "汽车用品", "玩具"]
GENERIC = ["市场", "消费者", "用户", "增长", "数据", "行业", "企业", "商品", "销售", "价格", "服务",
           "渠道", "运营", "团队", "策略", "规模", "需求", "趋势", "竞争", "成本", "效率", "体验",
           "内容", "订单", "库存", "营收", "利润", "投入", "转型", "创新", "合作", "政策", "标准"]
SENTENCES = [
    "{date},{p}在{city}举行发布会,宣布将在{t}方面加大投入,预计覆盖超过{n}万名商家。",
    "据{p}披露的数据,过去一个季度平台{cat}类目的{t}同比增长{pct}%,明显高于行业平均水平。",
    "{e}在接受采访时表示,{t}已经成为{p}商家必须面对的课题,单靠低价很难走得长远。",
    "业内人士分析,{p}此举意在强化{t},与其他平台在{g}上拉开差距。",
    "不少{cat}商家反映,今年在{p}开播的{g}明显上升,{t}带来的压力不小。",
    "{city}一家{cat}工厂的负责人告诉记者,工厂去年开始尝试在{p}自播,目前月销售额已突破{n}万元。",
    "与此同时,{p}也在调整{g}规则,对{t}表现好的直播间给予更多推荐。",
    "有分析认为,{t}与{t2}并非此消彼长,而是互为补充,商家需要根据自身{g}灵活选择。",
    "{e}团队透露,接下来将围绕{t}推出一系列新举措,重点扶持{cat}和{cat2}两个类目。",
    "数据显示,{p}上{t}相关的直播场次在{month}月环比增长{pct}%,{cat}类商品占比最高。",
    "面对{t}的变化,一些中小商家选择抱团,在{city}成立了联盟,共同对接{p}的资源。",
    "{p}相关负责人表示,平台将坚持长期主义,把{g}和{t}放在同等重要的位置。",
    "记者在{city}的直播基地看到,数十个直播间同时开播,主播们正在介绍{cat}新品。",
    "一位从业多年的运营人员认为,{t}的关键在于{g},而不是一味追求流量。",
    "从{p}公布的规则来看,违反{t}要求的商家将被限制流量,情节严重的将被清退。",
    "{e}此前曾多次公开谈及{t},认为这是直播电商下一阶段的核心竞争力。",
    "今年以来,{p}和{p2}都在{t}上动作频频,平台之间的竞争日趋激烈。",
    "消费者对{cat}商品的{g}越来越敏感,这倒逼商家在{t}上下更多功夫。",
    "根据第三方机构的统计,{p}{cat}类目的平均客单价约为{n}元,复购率在{pct}%左右。",
    "在{city}召开的行业论坛上,多位嘉宾围绕{t}和{t2}展开讨论,{e}也到场分享了经验。",
    "{p}方面回应称,平台一直重视{t},相关{g}会在近期公布。",
    "业内普遍认为,{t}将是未来一段时间内{p}电商生态的主线之一。",
    "对于新入局的品牌而言,如何借助{p}的{t}快速起量,是一个现实问题。",
    "值得注意的是,{cat}和{cat2}类目在{p}的增速已经连续{small}个月超过{pct}%。",
    "{e}旗下的直播间本月累计观看人次超过{n}万,{t}的效果初步显现。",
    "有商家算了一笔账:在{p}做{t},{g}大约要占到销售额的{pct}%。",
    "{p}电商的一位内部人士透露,{t}相关的新功能将于{month}月上线测试。",
    "多位主播表示,{t}让直播间的{g}发生了明显变化,粉丝的停留时长也有所提升。",
    "监管部门近期也关注到{t}带来的新问题,要求平台落实主体责任。",
    "在{p}之外,{p2}也推出了类似的{t}计划,双方在{cat}类目的争夺尤为激烈。",
]
TITLES = [
    "{p}发布{t}新规 {cat}商家迎来调整",
    "{e}谈{t}:{p}的下一个增长点在哪里",
    "{p}{t}观察:{cat}类目增速达{pct}%",
    "{city}{cat}产业带借{p}直播突围",
    "{t}成为{p}商家新课题",
    "{p}与{p2}加码{t} 直播电商竞争升级",
    "{e}:{t}不是短期红利",
    "{month}月{p}直播电商数据出炉 {t}表现亮眼",
    "直播带货进入深水区 {p}押注{t}",
    "从{t}看{p}的{cat}生意",
]
REPOST_PREFIXES = ["转载|", "【深度】", "重磅!", "【行业】", ""]
REPOST_SUFFIXES = ["(附全文)", "|观点", "", "——业内人士这样说", ""]


@lru_cache(maxsize=1)
def vocabulary() -> dict:
    """Platforms, topics (with weighted evidence terms) and entities from the project lexicons."""
    plats = tomllib.loads((DATA / "platforms.toml").read_text("utf-8"))["platform"]
    names = [p["name"] for p in plats]
    order = [p for p in PLATFORM_ORDER if p in names] + [p for p in names if p not in PLATFORM_ORDER]
    topics_raw = tomllib.loads((DATA / "topics.toml").read_text("utf-8"))["topic"]
    topics = {name: [(term, float(w)) for term, w in t.get("terms", {}).items() if float(w) >= 1.0]
              for name, t in topics_raw.items()}
    entities = [(e["name"], e["kind"]) for e in tomllib.loads(
        (DATA / "entities.toml").read_text("utf-8"))["entity"]]
    sources = [h + t for h in SOURCE_HEADS for t in SOURCE_TAILS]
    return {"platforms": order, "topics": topics, "entities": entities, "sources": sources}


def _zipf_weights(n: int, s: float = 1.0) -> list[float]:
    return [1.0 / (i + 1) ** s for i in range(n)]


class _Writer:
    def __init__(self, rnd: random.Random) -> None:
        v = vocabulary()
        self.rnd = rnd
        self.platforms = v["platforms"]
        self.p_weights = _zipf_weights(len(self.platforms))
        self.topic_names = list(v["topics"])
        self.topics = v["topics"]
        self.entities = v["entities"]
        self.e_weights = _zipf_weights(len(self.entities), 0.8)
        self.sources = v["sources"]
        self.s_weights = _zipf_weights(len(self.sources), 0.7)

    def article(self, i: int, n: int) -> dict:
        rnd = self.rnd
        all_platforms, n_platforms = self.platforms, len(self.platforms)
        n_cities, n_categories, n_generic = len(CITIES), len(CATEGORIES), len(GENERIC)
        plats = list(dict.fromkeys(rnd.choices(self.platforms, self.p_weights, k=rnd.choice((1, 1, 2, 2, 3)))))
        topics = rnd.sample(self.topic_names, k=rnd.choice((1, 1, 2)))
        ents = list(dict.fromkeys(rnd.choices(self.entities, self.e_weights, k=rnd.choice((0, 1, 1, 2, 3)))))
        terms = [tw for t in topics for tw in self.topics[t]]
        t_words, t_weights = [t for t, _ in terms], [w for _, w in terms]
        used_p: set[str] = set()
        used_e: set[str] = set()
        used_t: list[str] = []

        # random's own draws without its Python layers (choice and randint are one
        # _randbelow each, so the corpus is the same): generation runs beside the store's
        # writer in bench/search.py, on a machine with two cores
        below = rnd._randbelow
        t_cum = list(accumulate(t_weights))
        fallback = ("一位业内人士", "相关负责人", "某品牌创始人")

        def slots() -> dict:
            p = plats[0] if rnd.random() < 0.6 else plats[below(len(plats))]
            others = [x for x in plats if x != p] or [all_platforms[below(n_platforms)]]
            e = ents[below(len(ents))][0] if ents else fallback[below(3)]
            t, t2 = rnd.choices(t_words, cum_weights=t_cum, k=2)
            return {"p": p, "p2": others[below(len(others))], "e": e, "t": t, "t2": t2,
                    "city": CITIES[below(n_cities)], "cat": CATEGORIES[below(n_categories)],
                    "cat2": CATEGORIES[below(n_categories)], "g": GENERIC[below(n_generic)],
                    "n": 2 + below(899), "pct": 3 + below(178), "small": 2 + below(8),
                    "month": 1 + below(12), "date": f"{1 + below(12)}月{1 + below(28)}日"}

        def fill(template: str) -> str:
            s = slots()
            used_p.add(s["p"])
            if "{p2}" in template:
                used_p.add(s["p2"])
            if "{e}" in template and ents:
                used_e.add(s["e"])
            used_t.extend((s["t"], s["t2"]) if "{t2}" in template else (s["t"],))
            return template.format(**s)

        title = fill(rnd.choice(TITLES))
        paras = []
        for _ in range(rnd.randint(6, 12)):
            paras.append("".join(fill(rnd.choice(SENTENCES)) for _ in range(rnd.randint(2, 4))))
        published = START + timedelta(days=SPAN_DAYS * i / max(n, 1) + rnd.uniform(-3, 3),
                                      minutes=rnd.randint(0, 1439))
        keywords = [w for w, _ in sorted(((w, used_t.count(w)) for w in set(used_t)),
                                         key=lambda x: (-x[1], x[0]))[:5]]
        return {
            "url": f"https://news.example.com/{i:07d}.html",
            "title": title,
            "body": "\n".join(paras),
            "published": published,
            "source": rnd.choices(self.sources, self.s_weights)[0],
            "platforms": [p for p in self.platforms if p in used_p],
            "topics": topics,
            "entities": [e for e, _ in ents if e in used_e],
            "keywords": keywords,
        }


def generate(n: int, seed: int = 0) -> Iterator[dict]:
    """``n`` articles: dicts with url, title, body, published (aware), source, platforms,
    topics, entities (and keywords: the topic terms it uses most)."""
    writer = _Writer(random.Random(seed))
    for i in range(n):
        yield writer.article(i, n)


def repost(doc: dict, rnd: random.Random, index: int) -> dict:
    """A farm's repost of ``doc``: new title chrome, another source, a few sentences dropped,
    published up to three days later."""
    sentences = [s for p in doc["body"].split("\n") for s in p.split("。") if s]
    keep = [s for s in sentences if rnd.random() > 0.1] or sentences[:1]
    body = "\n".join("。".join(keep[i : i + 3]) + "。" for i in range(0, len(keep), 3))
    src = vocabulary()["sources"]
    return {
        **doc,
        "url": f"https://farm{rnd.randint(1, 40)}.example.net/{index:07d}.html",
        "title": rnd.choice(REPOST_PREFIXES) + doc["title"] + rnd.choice(REPOST_SUFFIXES),
        "body": body,
        "published": doc["published"] + timedelta(hours=rnd.uniform(1, 72)),
        "source": rnd.choice(src),
    }
