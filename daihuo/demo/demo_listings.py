"""The bundled listings demo site: a small account-trading site in the style of the ones
that sell 快手/抖音 accounts, with state that tests mutate between crawls.

Paginated list pages ``/zh/list_N.html`` hold cards (title link to ``/zh/<id>.html``, tags,
values first and labels after as such sites print them, a price, and a contact line on every
card that must never be stored); detail pages carry a field table or a ``<dl>``; list page 2
is GBK-encoded and declares its charset only in ``<meta>``; robots.txt allows everything.
``set_price`` and ``remove`` change the site between two crawls; a removed listing leaves the
list pages and its detail page answers 404. All text here is written for this project.
"""

from __future__ import annotations

import html
import random
import threading
import time
from dataclasses import dataclass, field

PER_PAGE = 6
GBK_PAGE = 2

PLATFORMS = [("快手", "快手"), ("抖音", "抖音"), ("小红书", "小红书"), ("微信视频号", "视频号"),
             ("哔哩哔哩", "B站"), ("微博", "微博")]
CATEGORIES = ["自媒体", "美食", "游戏", "美妆", "母婴", "宠物", "搞笑", "三农"]
PITCHES = [
    "粉丝活跃，适合直播带货", "老号权重高，作品播放稳定", "女粉为主，适合美妆护肤带货",
    "本地粉丝多，适合探店引流", "账号干净，可过户换绑", "橱窗已开，佣金记录完整",
    "近期涨粉快，互动率高", "垂直度好，适合知识付费", "长期更新，粉丝黏性强",
]
NAV = ["首页", "抖音号交易", "快手号交易", "小红书号交易", "卖号流程", "交易保障"]
FOOT = "本站仅提供账号信息展示服务，交易请走平台担保流程。© 2026 带货号交易演示站"
ROBOTS = "User-agent: *\nAllow: /\n"
LABELS = ["粉丝数量", "有无违规", "直播权限", "认证状态", "带货权限"]


@dataclass
class DemoListing:
    id: int
    platform: str                 # canonical name (what a parser should give)
    shown_platform: str           # how the site writes it
    category: str
    title: str
    followers: str                # as displayed
    followers_n: int              # true count
    price: str                    # as displayed
    price_low: float | None       # true price (None: negotiable)
    price_high: float | None
    has_violation: bool
    live_enabled: bool
    verified: bool
    sell_enabled: bool
    blue_v: bool
    works: int
    contact: str                  # must never reach the store


def _followers(rnd: random.Random, k: int) -> tuple[str, int]:
    form = k % 6
    if form == 4:  # '10万+': the site rounds down to a whole 万 and says so
        n = rnd.randint(1, 60) * 10_000
        return f"{n // 10_000}万+", n
    n = rnd.randint(50, 3000) * 100
    wan = f"{n / 10_000:.2f}".rstrip("0").rstrip(".")
    if form == 0:
        return f"{wan}W", n   # rendered with a separate unit: '13.2W' + 'W'
    if form == 1:
        return f"{wan}万", n
    if form == 2:
        return f"{wan}w", n
    if form == 3:
        return f"{n:,}", n
    return f"{wan}万粉丝", n


def _price(rnd: random.Random, k: int) -> tuple[str, float | None, float | None]:
    form = k % 7
    p = rnd.randint(3, 300) * 100
    if form == 0:
        return f"¥{p:,}", p, p
    if form == 1:
        return f"{p}元", p, p
    if form == 2:
        return f"{p / 10_000:g}万", p, p
    if form == 3:
        return "面议", None, None
    if form == 4:
        return f"{p}-{p + 2000}元", p, p + 2000
    if form == 5:
        return f"￥{p}", p, p
    return "议价", None, None


def generate_listings(n: int, seed: int = 3, start_id: int = 1001) -> list[DemoListing]:
    """N deterministic listings covering every display form the parsers handle."""
    rnd = random.Random(seed)
    out = []
    for k in range(n):
        canon, shown = PLATFORMS[k % len(PLATFORMS)]
        cat = CATEGORIES[(k * 5 + k // len(PLATFORMS)) % len(CATEGORIES)]
        fol, fol_n = _followers(rnd, k)
        price, lo, hi = _price(rnd, k)
        title = f"{shown}{cat}号出售 {PITCHES[k % len(PITCHES)]}"
        phone = f"1{rnd.choice('3589')}{rnd.randint(0, 999_999_999):09d}"
        out.append(DemoListing(
            id=start_id + k, platform=canon, shown_platform=shown, category=cat, title=title,
            followers=fol, followers_n=fol_n, price=price, price_low=lo, price_high=hi,
            has_violation=rnd.random() < 0.3, live_enabled=rnd.random() < 0.6,
            verified=rnd.random() < 0.4, sell_enabled=rnd.random() < 0.5,
            blue_v=rnd.random() < 0.15, works=rnd.randint(10, 900),
            contact=f"联系电话：{phone} 微信：dhdemo{rnd.randint(100, 999)}",
        ))
    # one seller writes his WeChat into the title, as real sellers do
    if out:
        out[min(3, len(out) - 1)].title += " 加微信 dhseller2026 详聊"
    return out


def _yn(v: bool, yes: str, no: str) -> str:
    return yes if v else no


def _values(li: DemoListing) -> list[str]:
    return [_yn(li.has_violation, "有违规", "无违规"), _yn(li.live_enabled, "已开通", "未开通"),
            _yn(li.verified, "已认证", "未认证"), _yn(li.sell_enabled, "已开通", "未开通")]


def render_card(li: DemoListing) -> str:
    esc = html.escape
    fans = f'<span class="fans">{esc(li.followers)}</span>'
    if li.followers.endswith("W"):
        fans += "<em>W</em>"  # the unit printed again, as seed 002's site does
    vals = "".join(f"<span>{v}</span>" for v in _values(li))
    labels = "".join(f"<i>{lab}</i>" for lab in LABELS)
    badge = '<b class="badge">蓝V</b>' if li.blue_v else ""
    return f"""<li class="acc-item" data-id="{li.id}">
<a class="acc-title" href="/zh/{li.id}.html">{esc(li.title)}</a>{badge}
<div class="acc-tags"><span>{esc(li.shown_platform)}</span><span>{esc(li.category)}</span></div>
<div class="acc-vals">{fans}{vals}</div>
<div class="acc-labels">{labels}</div>
<p class="acc-price">售价：<strong>{esc(li.price)}</strong></p>
<p class="acc-contact">{esc(li.contact)}</p>
</li>"""


def _head(title: str, charset: str) -> str:
    meta = (f'<meta http-equiv="Content-Type" content="text/html; charset={charset}">'
            if charset != "utf-8" else '<meta charset="utf-8">')
    nav = "".join(f'<a href="/zh/list_1.html">{n}</a>' for n in NAV)
    return (f"<!DOCTYPE html><html lang=\"zh-CN\"><head>{meta}<title>{html.escape(title)}"
            f"</title></head><body><div class=\"top\"><div class=\"logo\">带货号交易演示站</div>"
            f"<div class=\"nav\">{nav}</div></div>")


def render_list(items: list[DemoListing], page: int, pages: int, charset: str = "utf-8") -> str:
    # a window of page numbers around the current one, as such sites show
    window = range(max(1, page - 3), min(pages, page + 3) + 1)
    nums = " ".join(f'<a href="/zh/list_{p}.html">{p}</a>' if p != page else f"<span>{p}</span>"
                    for p in window)
    prev = f'<a href="/zh/list_{page - 1}.html">上一页</a>' if page > 1 else ""
    nxt = (f'<a href="/zh/list_{page + 1}.html">下一页</a> <a href="/zh/list_{pages}.html">尾页</a>'
           if page < pages else "")
    cards = "\n".join(render_card(li) for li in items)
    return (_head(f"在售账号 第{page}页 - 带货号交易演示站", charset)
            + f"""<div class="main"><h2>在售账号</h2>
<p class="tip">账号数据以卖家提供为准，具体价格请以成交为准。</p>
<ul class="acc-list">
{cards}
</ul>
<div class="pager">{prev} {nums} {nxt}</div></div>
<div class="foot">{FOOT}</div></body></html>""")


def render_detail(li: DemoListing, related: list[DemoListing]) -> str:
    esc = html.escape
    rows = [("编号", str(li.id)), ("平台", li.shown_platform), ("类型", li.category),
            ("粉丝数量", li.followers), ("价格", li.price)]
    rows += list(zip(LABELS[1:], _values(li), strict=True))
    rows += [("蓝V认证", _yn(li.blue_v, "有", "无")), ("作品数量", f"{li.works}个"),
             ("联系方式", li.contact)]
    if li.id % 2 == 0:
        body = "<table class=\"acc-info\">" + "".join(
            f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in rows) + "</table>"
    else:
        body = "<dl class=\"acc-info\">" + "".join(
            f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in rows) + "</dl>"
    rel = "".join(f'<li><a href="/zh/{r.id}.html">{esc(r.title)}</a></li>' for r in related)
    return (_head(f"{li.title} - 带货号交易演示站", "utf-8")
            + f"""<div class="main"><div class="crumb"><a href="/zh/list_1.html">在售账号</a> &gt; 详情</div>
<h1>{esc(li.title)}</h1>
{body}
<div class="desc"><p>卖家说明：账号由本人运营，资料齐全，交易完成后协助换绑。</p></div>
<div class="related"><h3>相关账号</h3><ul>{rel}</ul></div></div>
<div class="foot">{FOOT}</div></body></html>""")


@dataclass
class ListingsSite:
    """The listings demo site's mutable state and the log of what was requested."""

    n_listings: int = 14
    per_page: int = PER_PAGE
    seed: int = 3
    gbk_page: int | None = GBK_PAGE
    requests: list[tuple[float, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.listings: list[DemoListing] = generate_listings(self.n_listings, self.seed)
        self._lock = threading.Lock()

    # --- state ---------------------------------------------------------------------------------

    def get(self, listing_id: int | str) -> DemoListing | None:
        lid = int(listing_id)
        return next((li for li in self.listings if li.id == lid), None)

    def set_price(self, listing_id: int | str, price_str: str) -> None:
        """Change a listing's displayed price (its true price is then what the text says)."""
        from nlp.listings import parse_price

        with self._lock:
            li = self.get(listing_id)
            if li is None:
                raise KeyError(listing_id)
            li.price = price_str
            li.price_low, li.price_high, _ = parse_price(price_str)

    def remove(self, listing_id: int | str) -> None:
        """The listing is sold: it leaves the list pages and its detail page answers 404."""
        with self._lock:
            li = self.get(listing_id)
            if li is None:
                raise KeyError(listing_id)
            self.listings.remove(li)

    @property
    def pages(self) -> int:
        return max(1, -(-len(self.listings) // self.per_page))

    def start_url(self, base: str) -> str:
        return f"{base.rstrip('/')}/zh/list_1.html"

    def list_path(self, page: int) -> str:
        return f"/zh/list_{page}.html"

    def detail_path(self, listing_id: int | str) -> str:
        return f"/zh/{int(listing_id)}.html"

    # --- HTTP ----------------------------------------------------------------------------------

    def respond(self, path: str, base: str) -> tuple[int, str, bytes]:
        with self._lock:
            self.requests.append((time.monotonic(), path))
            return self._respond(path.split("?", 1)[0])

    def _respond(self, path: str) -> tuple[int, str, bytes]:
        if path == "/robots.txt":
            return 200, "text/plain", ROBOTS.encode()
        if path in ("/", "/zh/", "/zh/index.html"):
            path = "/zh/list_1.html"
        if path.startswith("/zh/list_") and path.endswith(".html"):
            num = path[len("/zh/list_"):-5]
            if num.isdigit() and 1 <= int(num) <= self.pages:
                page = int(num)
                items = self.listings[(page - 1) * self.per_page: page * self.per_page]
                if page == self.gbk_page:
                    # GBK, declared only in <meta>, as such sites do
                    body = render_list(items, page, self.pages, "gbk").encode("gbk", "xmlcharrefreplace")
                    return 200, "text/html", body
                body = render_list(items, page, self.pages).encode()
                return 200, "text/html; charset=utf-8", body
        if path.startswith("/zh/") and path.endswith(".html") and path[4:-5].isdigit():
            li = self.get(path[4:-5])
            if li is not None:
                k = self.listings.index(li)
                related = [r for r in self.listings[max(0, k - 2):k + 3] if r is not li][:3]
                return 200, "text/html; charset=utf-8", render_detail(li, related).encode()
        return 404, "text/html; charset=utf-8", "<html><body><h1>404 该账号已售出或不存在</h1></body></html>".encode()

    def fetched(self, prefix: str) -> list[str]:
        with self._lock:
            return [p for _, p in self.requests if p.startswith(prefix)]


def listing_source(base_url: str) -> dict:
    """Registry entry for the listings demo site."""
    base = base_url.rstrip("/")
    return {"name": "demo-listings", "kind": "listings", "start_urls": [base + "/zh/list_1.html"],
            "follow": [r"/zh/list_\d+\.html$"], "articles": [r"/zh/\d+\.html$"], "delay": 0.0,
            "concurrency": 8, "autothrottle": False}
