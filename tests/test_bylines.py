"""Each byline and credit form the issue lists, on lines written for these tests."""

from __future__ import annotations

import pytest

from nlp.extract import extract
from nlp.extract.bylines import (
    looks_like_person,
    parse_credit_line,
    parse_credit_sentence,
    parse_dateline,
    parse_trailing_credit,
)
from nlp.extract.clean import make_view

BODY = [
    "县里的直播基地开播一个月，带货金额超过一千万元，合作商家从十几家增加到六十多家。",
    "基地负责人说，接下来会把仓储和物流放在一起，让订单在当天发出，减少消费者的等待时间。",
    "不少返乡青年在这里做起了主播，每天晚上开播三个小时，卖的多是本地的农产品和手工艺品。",
]


def page(*lines: str, title: str = "县域直播基地开播首月带货破千万") -> str:
    paras = "".join(f"<p>{x}</p>" for x in lines)
    return (f"<html><head><meta charset='utf-8'><title>{title}</title></head>"
            f"<body><h1>{title}</h1>{paras}</body></html>")


def line(text: str):
    return parse_credit_line(text, make_view(text))


@pytest.mark.parametrize("text, authors", [
    ("作者:陳嘉怡", ["陳嘉怡"]),
    ("作者：王晓东", ["王晓东"]),
    ("文/李青 周明", ["李青", "周明"]),
    ("文／李青、周明", ["李青", "周明"]),
    ("记者 何亮亮", ["何亮亮"]),
    ("本报记者 吴悦 通讯员 孙立平", ["吴悦", "孙立平"]),
    ("通讯员：韩雪", ["韩雪"]),
    ("記者林志豪／台中報導", ["林志豪"]),
    ("【張家豪、李美玲／綜合報導】", ["張家豪", "李美玲"]),
    ("□ 本报记者 葛小丹", ["葛小丹"]),
    ("撰文｜欧阳明月", ["欧阳明月"]),
])
def test_author_forms(text, authors):
    found, pure = line(text)
    assert found.authors == authors
    assert pure  # a line that is only a credit is chrome


@pytest.mark.parametrize("text, editors", [
    ("责任编辑：苏青", ["苏青"]),
    ("（责编：萧雨、张迪）", ["萧雨", "张迪"]),
    ("[責任編輯: 樂怡]", ["樂怡"]),
    ("编辑 | 方圆", ["方圆"]),
])
def test_editor_forms(text, editors):
    found, pure = line(text)
    assert found.editors == editors and not found.authors and pure


def test_several_credits_on_one_line():
    found, pure = line("[稿源：某某晨报][作者：范小宇][编辑：肖静]")
    assert (found.source, found.authors, found.editors) == ("某某晨报", ["范小宇"], ["肖静"]) and pure
    found, _ = line("2024-01-29 09:30 作者：记者 武晓霞 来源：某某经济网")
    assert found.authors == ["武晓霞"] and found.source == "某某经济网"


@pytest.mark.parametrize("text", [
    "记者从市商务局获悉，今年全市将新建五个直播基地。",  # prose starting with a role word
    "记者：那么，主播们怎么看待这个变化？",  # an interview question
    "编辑推荐",
    "来源：",
    "网易商业报道",
])
def test_prose_and_chrome_give_no_names(text):
    found, _ = line(text)
    assert not found.authors and not found.editors


def test_photographer_is_not_an_author():
    assert line("本报记者 王小五 摄")[0].authors == []


def test_republishing_notice():
    t = "本文来自微信公众号“晚点观察”（ID：wdgc），作者：王某某、李四，新榜经授权发布。"
    found = parse_credit_sentence(t, make_view(t))
    assert found.source == "微信公众号晚点观察"
    assert found.authors == ["王某某", "李四"]
    assert found.republisher == "新榜"


def test_notice_refusing_reprint_names_no_republisher():
    t = "未经授权不得转载，违者必究。"
    assert parse_credit_sentence(t, make_view(t)) is None


@pytest.mark.parametrize("text, authors, source", [
    ("新华网北京１月９日电（记者张建 周长庆）据有关部门消息", ["张建", "周长庆"], "新华网"),
    ("本报讯 （记者毛磊）体坛风云人物提名昨天揭晓", ["毛磊"], None),
    ("香港文匯報訊（記者 高鈺）香港浸會大學宣布", ["高鈺"], "香港文匯報"),
    ("【台灣醒報記者潘姿羽台北報導】春節期間民眾", ["潘姿羽"], "台灣醒報"),
    ("〔中央社〕天冷溫差大", [], "中央社"),
])
def test_datelines(text, authors, source):
    found = parse_dateline(text, make_view(text))
    assert found.authors == authors and found.source == source


@pytest.mark.parametrize("text, authors, editors", [
    ("……价格也可能形成一定支撑。（李学刚）", ["李学刚"], []),
    ("……疫苗常通过饮用水传播。(记者 詹媛)", ["詹媛"], []),
    ("……幅度不超过0.5个百分点。(立悟/编译)", ["立悟"], []),
    ("……所有的改革都是如此。（姚峰 上海报道）", ["姚峰"], []),
    ("……导致公司亏损。(嵇南涛 编辑)", [], ["嵇南涛"]),
    ("……这是十年来的最好成绩。（编辑 张颖）", [], ["张颖"]),
])
def test_closing_credits(text, authors, editors):
    found = parse_trailing_credit(text, make_view(text))
    assert found.authors == authors and found.editors == editors


@pytest.mark.parametrize("text", ["……会场里有他们的时刻。（完）", "他说（图）", "……这个说法。(经济通)"])
def test_closing_brackets_that_are_not_credits(text):
    assert parse_trailing_credit(text, make_view(text)) is None


def test_names_need_a_family_name_where_no_role_word_says_so():
    assert looks_like_person("李学刚") and looks_like_person("欧阳明月")
    assert not looks_like_person("完") and not looks_like_person("经济通") and not looks_like_person("记者")


def test_extract_reads_credits_and_drops_credit_lines():
    res = extract(page("作者:陳嘉怡", *BODY, "（责编：萧雨、张迪）"))
    assert res.authors == ["陳嘉怡"]
    assert res.editors == ["萧雨", "张迪"] and res.editor == "萧雨"
    assert "陳嘉怡" not in res.body and "萧雨" not in res.body
    assert all(x in res.body for x in BODY)


def test_extract_republisher_and_author_inside_the_notice():
    notice = "本文来自微信公众号“晚点观察”（ID：wdgc），作者：王某某，新榜经授权发布。"
    res = extract(page(*BODY, notice))
    assert res.original_source == "微信公众号晚点观察"
    assert res.authors == ["王某某"] and res.republisher == "新榜"
    assert "经授权发布" not in res.body


def test_credit_in_prose_is_kept():
    prose = "记者从市商务局获悉，今年全市将新建五个直播基地，重点扶持本地特色产品。"
    res = extract(page(prose, *BODY))
    assert prose in res.body and res.authors == []


def test_closing_credit_stays_in_the_story_and_names_the_author():
    last = BODY[-1][:-1] + "。（李学刚）"
    res = extract(page(*BODY[:-1], last))
    assert res.authors == ["李学刚"] and "（李学刚）" in res.body


def test_credit_line_above_the_article_container():
    html = ("<html><head><meta charset='utf-8'><title>标题</title></head><body>"
            "<div class='info'><span>2024-01-29</span> <span>作者：何小亮</span> <span>来源：某某日报</span></div>"
            "<div class='content'>" + "".join(f"<p>{x}</p>" for x in BODY) + "</div>"
            "<p class='editor'>[责任编辑：苏青]</p></body></html>")
    res = extract(html)
    assert res.authors == ["何小亮"] and res.original_source == "某某日报" and res.editors == ["苏青"]


def test_site_name_in_meta_author_is_not_an_author():
    html = page(*BODY).replace("<title>", "<meta name='author' content='某某新闻网'><title>")
    assert extract(html).authors == []


def test_demo_article_credits_its_author():
    # the example: the demo's info line '作者:陳嘉怡' used to give authors: []
    from daihuo.demo.demo_server import DemoSite
    from nlp.document import Page, process_page
    from pipelines.convert import document_to_json

    status, ctype, body = DemoSite().respond("/news/1003.html", "http://127.0.0.1:1")
    out = document_to_json(process_page(Page(url="http://127.0.0.1:1/news/1003.html", body=body,
                                             headers={"Content-Type": ctype})))
    assert out["authors"] == ["陈嘉怡"] and out["editors"] == ["李志強"]
    assert out["published"].startswith("2026-03-12")
