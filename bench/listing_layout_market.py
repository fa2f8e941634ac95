"""A second account-trading list layout, unlike the demo site's, for bench/listings.py.

The demo prints values and labels in two separate rows (seed 002's style). This one is the
other common style: each card is a ``<div class="goods">`` with a ``<dl>`` of label/value
pairs in their own wording (所属平台, 粉丝量, 是否违规, 直播, 实名, 橱窗, 企业号), the price in a
badge that reads ``¥1.2万`` or ``议价``, the id in ``data-sn`` and a link to ``/item/<sn>``.
Written for this project; the values are generated, so the truth of every card is known.
"""

from __future__ import annotations

import html
import random
from dataclasses import dataclass

PLATFORMS = ["抖音", "快手", "小红书", "视频号", "B站", "微博"]
CATEGORIES = ["美食", "美妆", "母婴", "游戏", "剧情", "知识", "三农", "宠物"]
TOPICS = ["家常菜教程", "平价彩妆测评", "育儿日常", "手游攻略", "搞笑短剧", "职场干货", "乡村生活", "萌宠日常"]


@dataclass
class MarketCard:
    sn: str
    platform: str
    category: str
    title: str
    followers: int
    followers_text: str
    price_low: float | None
    price_text: str
    has_violation: bool
    live_enabled: bool
    verified: bool
    sell_enabled: bool
    blue_v: bool


def _followers(rnd: random.Random) -> tuple[int, str]:
    n = rnd.choice([rnd.randint(800, 9999), rnd.randint(10_000, 2_000_000)])
    if n >= 10_000:
        value = round(n / 10_000, 1)
        return int(value * 10_000), f"{value:g}万"
    return n, str(n)


def _price(rnd: random.Random) -> tuple[float | None, str]:
    if rnd.random() < 0.1:
        return None, "议价"
    n = rnd.randint(3, 400) * 100
    if n >= 10_000 and n % 1000 == 0:
        return float(n), f"¥{n / 10_000:g}万"
    return float(n), f"¥{n:,}"


def generate(n: int, seed: int = 11) -> list[MarketCard]:
    rnd = random.Random(seed)
    cards = []
    for k in range(n):
        fol, fol_text = _followers(rnd)
        low, price_text = _price(rnd)
        cat = rnd.randrange(len(CATEGORIES))
        cards.append(MarketCard(
            sn=f"M{20500 + k}", platform=rnd.choice(PLATFORMS), category=CATEGORIES[cat],
            title=f"{TOPICS[cat]}号 {rnd.randint(1, 99)}区", followers=fol, followers_text=fol_text,
            price_low=low, price_text=price_text, has_violation=rnd.random() < 0.2,
            live_enabled=rnd.random() < 0.6, verified=rnd.random() < 0.5,
            sell_enabled=rnd.random() < 0.5, blue_v=rnd.random() < 0.15))
    return cards


def _yn(v: bool, yes: str, no: str) -> str:
    return yes if v else no


def render_card(c: MarketCard) -> str:
    esc = html.escape
    rows = [("所属平台", c.platform), ("账号类型", c.category), ("粉丝量", c.followers_text),
            ("是否违规", _yn(c.has_violation, "有", "无")), ("直播", _yn(c.live_enabled, "已开通", "未开通")),
            ("实名", _yn(c.verified, "已认证", "未认证")), ("橱窗", _yn(c.sell_enabled, "已开通", "未开通")),
            ("企业号", _yn(c.blue_v, "是", "否"))]
    dl = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in rows)
    return (f'<div class="goods" data-sn="{c.sn}"><h3><a href="/item/{c.sn}">{esc(c.title)}</a></h3>'
            f'<dl class="props">{dl}</dl><span class="cost">{esc(c.price_text)}</span>'
            f'<a class="btn" href="/item/{c.sn}">立即咨询</a></div>')


def render_page(cards: list[MarketCard], page: int = 1, pages: int = 1) -> str:
    body = "\n".join(render_card(c) for c in cards)
    nxt = f'<a class="next" href="/market?p={page + 1}">下一页</a>' if page < pages else ""
    return ("<!DOCTYPE html><html><head><meta charset='utf-8'><title>账号集市 - 自媒体号转让</title></head>"
            "<body><header><b>账号集市</b><nav><a href='/'>首页</a><a href='/market'>买号</a>"
            "<a href='/sell'>卖号</a></nav></header><main><h1>精选在售</h1>"
            f"<section class='grid'>{body}</section><div class='pages'>{nxt}</div></main>"
            "<footer>交易有风险，请通过平台担保交易。</footer></body></html>")
