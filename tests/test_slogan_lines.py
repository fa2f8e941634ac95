"""Leading and trailing site chrome written as text lines (one <p> per line): a site's name,
slogan and tagline above the article go, and a platform named only there is not tagged."""

from __future__ import annotations

from datetime import datetime, timezone

from nlp.document import Page, process_page
from nlp.extract import extract

TITLE = "县域直播基地开播首月带货破千万"
STORY = [
    "县里的直播基地开播一个月，带货金额超过一千万元，合作商家从十几家增加到六十多家。",
    "基地负责人说，接下来会把仓储和物流放在一起，让订单在当天发出，减少消费者的等待时间。",
    "不少返乡青年在这里做起了主播，每天晚上在淘宝直播间开播三个小时，卖本地的农产品。",
    "一位主播说，她最想做的是把家乡的茶叶卖到全国。",
]
SLOGANS = ["号易通", "专业、安全、快捷的抖音快手账号交易平台！", "诚信经营 十年品质"]
FOOTER = ["客服热线 在线咨询 投诉建议"]


def text_lines_page(lines: list[str]) -> str:
    return ("<html><head><meta charset='utf-8'><title>" + TITLE + "</title></head><body>"
            + "".join(f"<p>{x}</p>" for x in lines) + "</body></html>")


def test_slogan_lines_above_the_article_are_dropped():
    res = extract(text_lines_page([*SLOGANS, TITLE, *STORY, *FOOTER]))
    assert res.title == TITLE
    for s in SLOGANS + FOOTER:
        assert s not in res.body
    assert all(x in res.body for x in STORY)  # a short closing line of the story stays
    assert res.flags.get("slogan_lines", 0) > 0


def test_platform_named_only_in_chrome_is_not_tagged():
    page = Page(url="http://site.local/a.html", body=text_lines_page([*SLOGANS, TITLE, *STORY]).encode(),
                fetched_at=datetime(2026, 3, 1, tzinfo=timezone.utc))
    doc = process_page(page)
    assert doc.ok
    names = doc.tags.platform_names()
    assert "淘宝" in names
    assert "抖音" not in names and "快手" not in names


def test_a_related_short_first_line_is_kept():
    lead = "直播带货进县城！"  # short and exclaimed, but it is what the story is about
    res = extract(text_lines_page([TITLE, lead, *STORY]))
    assert lead in res.body
