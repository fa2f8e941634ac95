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


# --- forms found missing on unseen sites (issue 20, second pass) -----------------------------

def test_author_line_with_a_bracketed_biography():
    found, pure = line("作者：Lumen(微博)(业余观星者，某某网频道主编，曾在天文台工作)")
    assert found.authors == ["Lumen"] and not pure  # the biography stays with the article


def test_editor_line_followed_by_a_tag_list():
    found, _ = line("责任编辑:冯晓宁 标签：直播,带货,县域经济,农产品")
    assert found.editors == ["冯晓宁"]


def test_a_character_the_encoding_lost_stays_in_the_name():
    assert line("作者：毛\ufffd磊")[0].authors == ["毛\ufffd磊"]


def test_space_separated_source_on_an_info_line_with_a_date():
    found, _ = line("时间 2024-3-12 17:58:00 来源 某某财经网 林思远")
    assert found.source == "某某财经网"
    # without a date it is an ordinary phrase, not a credit
    assert line("来源 广泛的农产品")[0].source is None


def test_bracketed_outlet_on_its_own_line():
    found, pure = line("（某某晨报）")
    assert found.source == "某某晨报" and pure
    assert not line("（经济通）")[0]  # not an outlet's name by its ending: left alone


def test_print_edition_line_names_the_paper_and_stays():
    found, pure = line("《某某日报》（ 2024年02月13日 02版）")
    assert found.source == "某某日报" and not pure


def test_editor_after_an_outlet_in_brackets():
    found, _ = line("（某某江网编辑 洪晓丽）")
    assert found.editors == ["洪晓丽"]


def test_outlet_glued_to_the_translators_name():
    found = parse_trailing_credit("……跌幅超过四成。」（譯者：中央社林雅琪）1", make_view("……跌幅超过四成。」（譯者：中央社林雅琪）1"))
    assert found.authors == ["林雅琪"] and found.source == "中央社"


def test_date_before_a_reported_by_line():
    found, pure = line("2024/1/17 蔡明哲 報導")
    assert found.authors == ["蔡明哲"] and pure


def test_two_names_written_together_after_the_role():
    assert line("本报记者罗晓苏凯发自北京")[0].authors == ["罗晓", "苏凯"]
    assert line("本报记者欧阳明月")[0].authors == ["欧阳明月"]  # a compound family name is one name


def test_padded_name_and_affiliation_after_a_colon():
    found, _ = line("作者: 赵  培：某某物资学院，北京")
    assert found.authors == ["赵培"]


@pytest.mark.parametrize("text, source", [
    ("[某华财讯]近日，多家公司发布公告称", "某华"),
    ("【看天下2024年07月03日报道】今年四月，县里的直播基地", "看天下"),
])
def test_bracketed_outlet_openings(text, source):
    found = parse_dateline(text, make_view(text))
    assert found.source == source and not found.authors


@pytest.mark.parametrize("text", ["【新春走基层】记者走进县城", "【本报讯】昨天，县里召开会议"])
def test_bracketed_openings_that_name_no_outlet(text):
    found = parse_dateline(text, make_view(text))
    assert found is None or found.source is None


def test_content_provided_by_notice():
    t = "(內容由某某北京提供。未經授權，不得轉載。)"
    assert parse_credit_sentence(t, make_view(t)).source == "某某北京"
    t2 = "图片由受访者提供。"
    assert parse_credit_sentence(t2, make_view(t2)) is None


def test_visible_byline_beats_the_cms_user_in_meta_author():
    html = ("<html><head><meta charset='utf-8'><meta name='author' content='田小伟'><title>标题</title></head>"
            "<body><div class='info'><span>作者：王小攀</span></div><div class='content'>"
            + "".join(f"<p>{x}</p>" for x in BODY) + "</div></body></html>")
    assert extract(html).authors == ["王小攀"]


def test_reporter_in_the_dateline_stays_an_author_when_also_the_editor():
    html = ("<html><head><meta charset='utf-8'><meta name='author' content='傅小伟'><title>标题</title></head><body>"
            "<p>某某新闻网3月14日讯（记者 傅小伟 通讯员 刘小韬）" + BODY[0] + "</p>"
            + "".join(f"<p>{x}</p>" for x in BODY[1:]) + "<p>编辑： 傅小伟</p></body></html>")
    res = extract(html)
    assert res.authors == ["傅小伟", "刘小韬"] and res.editors == ["傅小伟"]


def test_photographer_in_a_closing_bracket_is_not_an_author():
    res = extract(page(*BODY, "直播基地的分拣车间。本报记者 王小波 摄", "（王小波）"))
    assert "王小波" not in res.authors
