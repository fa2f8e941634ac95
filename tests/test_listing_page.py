"""Whole list and detail pages -> listings, detail links and pagination, on the listings demo
site (every page, GBK included, against the site's own truth) and on hand-written layouts."""

from __future__ import annotations

import pytest

from daihuo.demo.demo_listings import ListingsSite, listing_source
from nlp.listings import ListingPage, parse_listing_page

BASE = "http://127.0.0.1:8765"


def fetch(site: ListingsSite, path: str) -> tuple[int, bytes]:
    status, _, body = site.respond(path, BASE)
    return status, body


def crawl_lists(site: ListingsSite) -> dict[str, object]:
    found = {}
    for n in range(1, site.pages + 1):
        status, body = fetch(site, f"/zh/list_{n}.html")
        assert status == 200
        page = parse_listing_page(body, f"{BASE}/zh/list_{n}.html")
        for li in page.listings:
            assert li.listing_id not in found
            found[li.listing_id] = li
    return found


def test_demo_list_pages_give_every_listing_exactly():
    site = ListingsSite()
    found = crawl_lists(site)
    assert set(found) == {str(d.id) for d in site.listings}
    for d in site.listings:
        li = found[str(d.id)]
        assert li.url == f"{BASE}/zh/{d.id}.html"
        assert (li.platform, li.category, li.followers) == (d.platform, d.category, d.followers_n)
        assert (li.price_low, li.price_high) == (d.price_low, d.price_high)
        assert (li.has_violation, li.live_enabled, li.verified, li.sell_enabled) == (
            d.has_violation, d.live_enabled, d.verified, d.sell_enabled)
        assert li.blue_v is (True if d.blue_v else None)  # a badge shown, or nothing said
        assert li.title and li.title.startswith(d.title.split(" ")[0])
        assert "contact_removed" in li.flags
        assert ("price_negotiable" in li.flags) is (d.price_low is None)


def test_no_contact_detail_survives_anywhere():
    site = ListingsSite()
    secrets = [d.contact.split("：")[1].split(" ")[0] for d in site.listings]  # phone numbers
    secrets += [d.contact.rsplit("：", 1)[1] for d in site.listings]       # WeChat ids
    secrets.append("dhseller2026")
    dumped = repr(crawl_lists(site))
    for n in (1001, 1002, 1004):
        _, body = fetch(site, f"/zh/{n}.html")
        dumped += repr(parse_listing_page(body, f"{BASE}/zh/{n}.html").listings)
    assert not [s for s in secrets if s in dumped]
    assert "联系电话" not in dumped and "微信：" not in dumped


def test_gbk_page_decodes_from_bytes():
    site = ListingsSite()
    status, ctype, body = site.respond("/zh/list_2.html", BASE)
    assert ctype == "text/html" and b"charset=gbk" in body
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    page = parse_listing_page(body, f"{BASE}/zh/list_2.html")
    assert [li.listing_id for li in page.listings] == [str(d.id) for d in site.listings[6:12]]
    assert page.listings[0].title == site.listings[6].title


def test_demo_pagination_and_detail_links():
    site = ListingsSite()
    _, body = fetch(site, "/zh/list_2.html")
    page = parse_listing_page(body, f"{BASE}/zh/list_2.html")
    assert page.next_pages == [f"{BASE}/zh/list_1.html", f"{BASE}/zh/list_3.html"]
    assert page.detail_links == [f"{BASE}/zh/{d.id}.html" for d in site.listings[6:12]]


@pytest.mark.parametrize("listing_id", [1001, 1002, 1004, 1009])
def test_demo_detail_page_is_one_listing(listing_id):
    site = ListingsSite()
    d = site.get(listing_id)
    _, body = fetch(site, f"/zh/{listing_id}.html")
    page = parse_listing_page(body, f"{BASE}/zh/{listing_id}.html")
    assert len(page.listings) == 1
    li = page.listings[0]
    assert (li.listing_id, li.url) == (str(listing_id), f"{BASE}/zh/{listing_id}.html")
    assert (li.platform, li.category, li.followers) == (d.platform, d.category, d.followers_n)
    assert (li.price_low, li.price_high) == (d.price_low, d.price_high)
    assert (li.has_violation, li.live_enabled, li.verified, li.sell_enabled, li.blue_v) == (
        d.has_violation, d.live_enabled, d.verified, d.sell_enabled, d.blue_v)
    assert li.fields["作品数量"] == f"{d.works}个"
    assert not any("联系" in k or "微信" in v for k, v in li.fields.items())


def test_set_price_and_remove_between_crawls():
    site = ListingsSite()
    site.set_price(1002, "¥9,900")
    site.remove(1003)
    found = crawl_lists(site)
    assert "1003" not in found and len(found) == 13
    assert (found["1002"].price_low, found["1002"].price_high) == (9900, 9900)
    assert fetch(site, "/zh/1003.html")[0] == 404
    assert site.fetched("/zh/1003.html") == ["/zh/1003.html"]


def test_listing_source_entry():
    src = listing_source(BASE + "/")
    assert src["kind"] == "listings" and src["start_urls"] == [f"{BASE}/zh/list_1.html"]
    assert ListingsSite().start_url(BASE) == src["start_urls"][0]
    assert fetch(ListingsSite(), "/robots.txt") == (200, b"User-agent: *\nAllow: /\n")


TABLE_PAGE = """<html><head><meta charset="utf-8"><title>抖音号交易</title></head><body>
<table class="list"><tr><th>账号</th><th>粉丝数</th><th>类目</th><th>价格</th><th>橱窗</th></tr>
<tr><td><a href="/item?id=501">抖音美妆号 女粉九成</a></td><td>1.2w</td><td>美妆</td><td>¥2,600</td><td>有</td></tr>
<tr><td><a href="/item?id=502">抖音游戏号</a></td><td>3.5万</td><td>游戏</td><td>面议</td><td>无</td></tr>
</table>
<div class="pagination"><a href="?page=1">1</a><a href="?page=2">2</a><a rel="next" href="?page=2">›</a></div>
</body></html>"""


def test_header_table_rows_are_listings():
    page = parse_listing_page(TABLE_PAGE, "https://acc.example/list?page=1")
    assert [li.listing_id for li in page.listings] == ["501", "502"]
    a, b = page.listings
    assert (a.platform, a.category, a.followers, a.price_low, a.sell_enabled) == ("抖音", "美妆", 12000, 2600, True)
    assert (b.followers, b.price_low, b.sell_enabled) == (35000, None, False)
    assert a.title == "抖音美妆号 女粉九成"
    assert page.detail_links == ["https://acc.example/item?id=501", "https://acc.example/item?id=502"]
    assert page.next_pages == ["https://acc.example/list?page=2"]


ODD_PAGE = """<html><body><div class="wrap">
<div class="goods"><h3>快手美食号</h3><span class="n">8.2万</span><span class="p">2600</span>
<a class="go" href="/g/77">看看</a></div>
<div class="goods"><h3>快手三农号</h3><span class="n">5000</span><span class="p">900</span>
<a class="go" href="/g/78">看看</a></div>
<a class="more" href="/g/page/2">更多账号</a></div></body></html>"""


def test_hints_win_where_the_layout_says_nothing():
    plain = parse_listing_page(ODD_PAGE, "https://k.example/g/")
    assert plain.listings == []  # bare numbers: nothing says which is followers or price
    hints = {"card": "div.goods", "followers": "span.n", "price": "span.p", "title": "h3",
             "next": "a.more", "detail": "a.go"}
    page = parse_listing_page(ODD_PAGE, "https://k.example/g/", hints=hints)
    assert [(li.listing_id, li.title, li.followers, li.price_low, li.platform, li.category)
            for li in page.listings] == [("77", "快手美食号", 82000, 2600, "快手", "美食"),
                                         ("78", "快手三农号", 5000, 900, "快手", "三农")]
    assert page.next_pages == ["https://k.example/g/page/2"]
    assert page.detail_links == ["https://k.example/g/77", "https://k.example/g/78"]


DL_DETAIL = """<html><head><title>账号详情</title></head><body><div class="nav"><a href="/">首页</a></div>
<h1>小红书穿搭号转让 微信 xhs_seller01</h1>
<dl><dt>商品编号</dt><dd>XHS-0042</dd><dt>粉丝量</dt><dd>２.４万</dd><dt>报价</dt><dd>0.3-0.5万</dd>
<dt>实名认证</dt><dd>已实名</dd><dt>违规记录</dt><dd>无</dd><dt>联系QQ</dt><dd>88886666</dd></dl>
<p>所在地区：杭州</p></body></html>"""


def test_detail_page_with_definition_list():
    page = parse_listing_page(DL_DETAIL, "https://x.example/detail/view", category="时尚")
    [li] = page.listings
    assert li.listing_id == "XHS-0042" and li.url == "https://x.example/detail/view"
    assert (li.platform, li.category, li.followers) == ("小红书", "时尚", 24000)
    assert (li.price_low, li.price_high, li.verified, li.has_violation) == (3000, 5000, True, False)
    assert li.title == "小红书穿搭号转让" and "contact_removed" in li.flags
    assert li.fields == {"所在地区": "杭州"}


ARTICLE_WITH_CARDS = """<html><body><div class="content"><p>直播带货的信任从哪里来？平台说是主播，
主播说是粉丝。</p></div><div class="rec"><p>为您推荐相关在售账号</p><ul>
<li class="card"><a href="/zh/9001.html"><span>13.2W</span><em>W</em><span>无违规</span><span>已开通</span>
<span>未认证</span><i>粉丝数量</i><i>有无违规</i><i>直播权限</i><i>认证状态</i></a></li>
<li class="card"><a href="/zh/9002.html"><span>7.19W</span><em>W</em><span>有违规</span><span>未开通</span>
<span>已认证</span><i>粉丝数量</i><i>有无违规</i><i>直播权限</i><i>认证状态</i></a></li>
</ul></div></body></html>"""


def test_cards_under_an_article():
    page = parse_listing_page(ARTICLE_WITH_CARDS, "https://s.example/show-1-2.html",
                              platform="快手", category="自媒体")
    got = [(li.listing_id, li.platform, li.category, li.followers, li.has_violation,
            li.live_enabled, li.verified) for li in page.listings]
    assert got == [("9001", "快手", "自媒体", 132000, False, True, False),
                   ("9002", "快手", "自媒体", 71900, True, False, True)]


def test_a_lone_card_on_the_last_page():
    one = ARTICLE_WITH_CARDS.split('<li class="card"><a href="/zh/9002.html">')[0] + "</ul></div></body></html>"
    page = parse_listing_page(one, "https://s.example/list_9.html")
    assert [li.listing_id for li in page.listings] == ["9001"]


@pytest.mark.parametrize("html", [
    "", "   ", "<<<>>>", "<html></html>", b"", b"\xff\xfe\x00", "<p>" * 5000,
    "<html><body><p>直播电商进入下半场，主播与品牌的关系正在改变。</p></body></html>",
])
def test_junk_and_news_pages_give_nothing(html):
    page = parse_listing_page(html, "https://n.example/a.html")
    assert isinstance(page, ListingPage) and page.listings == [] and page.next_pages == []
