"""One test per line-level cleaning rule: the junk goes (and is counted), the article stays.

Pages are built from lines, one ``<p>`` each, in the style of the seed dumps; every sentence
here is invented.
"""

from __future__ import annotations

import html

from nlp.extract import extract

ARTICLE = [
    "直播带货正在改变县城商家的经营方式，越来越多的店主开始在晚上开播，把货卖到全国各地。",
    "一位做服装生意的店主说，以前一天只能接待几十位顾客，现在一场直播就能卖出上百件衣服。",
    "业内人士认为，平台流量红利逐渐消退之后，商家更需要靠内容和服务留住回头客，这也是行业走向成熟的标志。",
]


def page(*lines: str, head: str = "") -> str:
    body = "\n".join(f"<p>{html.escape(line)}</p>" for line in lines)
    return f"<html><head><meta charset='utf-8'>{head}</head><body><div>{body}</div></body></html>"


def run(*lines: str, head: str = ""):
    res = extract(page(*lines, head=head))
    assert res.error is None
    return res


def assert_article_kept(res) -> None:
    for line in ARTICLE:
        assert line in res.body


def test_editor_credit_line_becomes_metadata():
    res = run(*ARTICLE, "责任编辑：王小明")
    assert res.editor == "王小明"
    assert "责任编辑" not in res.body
    assert res.flags["editor_credit"] == len("责任编辑：王小明")
    assert_article_kept(res)


def test_editor_credit_in_traditional_script():
    res = run(*ARTICLE, "編輯：陳大文")
    assert res.editor == "陳大文"
    assert "編輯" not in res.body


def test_editor_credit_glued_to_last_paragraph():
    res = run(*ARTICLE[:2], ARTICLE[2] + "（责任编辑：王小明）")
    assert res.editor == "王小明"
    assert res.body.endswith("标志。")


def test_editor_guide_is_not_an_editor_credit():
    lead = "编辑导语：直播带货越来越火，本文聊聊县城商家怎样借助直播走出去。"
    res = run(lead, *ARTICLE)
    assert res.editor is None
    assert lead in res.body
    assert res.lead and res.lead.startswith("直播带货越来越火")


def test_byline_line():
    res = run("作者：李四", *ARTICLE)
    assert res.authors == ["李四"]
    assert "作者" not in res.body


def test_byline_trailer_names_after_last_sentence():
    res = run(*ARTICLE[:2], ARTICLE[2] + "张三丰 耿 强", "编辑：赵六")
    assert res.authors == ["张三丰", "耿强"]
    assert res.body.endswith("标志。")
    assert "byline_trailer" in res.flags


def test_prev_next_navigation():
    res = run(*ARTICLE, "上一篇：直播间的灯光怎么打", "« 主播培训班开课了 | 产地仓建设提速 »")
    assert "上一篇" not in res.body and "主播培训班" not in res.body
    assert res.flags["prev_next"] > 0
    assert_article_kept(res)


def test_related_list_after_heading():
    res = run(*ARTICLE, "相关新闻", "县城直播基地又添新商户", "产地仓建设提速")
    assert "相关新闻" not in res.body and "产地仓" not in res.body
    assert res.flags["related_list"] > 0


def test_related_list_of_truncated_titles():
    res = run(
        *ARTICLE,
        "记者从市商务局获悉，今年全市将新建五个直播基地，重点扶持本地特色产品走出...",
        "随着年货节临近，多家快递企业宣布春节期间不打烊，部分网点将延长营业...",
    )
    assert "快递企业" not in res.body and "商务局" not in res.body
    assert_article_kept(res)


def test_single_ellipsis_sentence_is_kept():
    line = "主播停顿了一下，说：我们再想想……"
    res = run(*ARTICLE[:2], line, ARTICLE[2])
    assert line in res.body


def test_disclaimer_and_copyright():
    res = run(*ARTICLE, "免责声明：本站内容仅代表作者观点，如有侵权请联系删除。", "Copyright © 2024 示例网 版权所有")
    assert "免责声明" not in res.body and "版权所有" not in res.body
    assert res.flags["disclaimer"] > 0
    assert_article_kept(res)


def test_widgets_share_print_reward():
    res = run(*ARTICLE, "分享到：微信 微博", "[打印] [关闭窗口]", "给作者打赏，鼓励TA抓紧创作！", "3人打赏", "评论")
    for junk in ("分享到", "打印", "打赏", "评论"):
        assert junk not in res.body
    assert res.flags["widgets"] > 0
    assert_article_kept(res)


def test_widget_words_inside_sentences_survive():
    line = "不少观众会在直播间评论区分享自己的购物心得，主播也会及时回复。"
    res = run(*ARTICLE[:2], line, ARTICLE[2])
    assert line in res.body


def test_author_bio_block_after_article():
    res = run(*ARTICLE, "#专栏作家#", "王五，资深电商观察者，长期关注直播行业。", "本文原创发布于某某观察，未经许可，不得转载。")
    assert res.authors == ["王五"]
    assert res.original_source == "某某观察"
    assert "资深电商观察者" not in res.body
    assert res.flags["author_bio"] > 0


def test_original_source_line():
    res = run(*ARTICLE, "本文来自微信公众号示例观察，作者陈七。")
    assert res.original_source == "微信公众号示例观察"
    assert "本文来自" not in res.body


def test_image_credit():
    res = run(*ARTICLE, "题图来自网络，基于CC0协议")
    assert "题图" not in res.body
    assert res.flags["image_credit"] > 0


def test_ad_with_url_and_phone_after_article():
    ad = "专业定制直播设备，价格优惠，咨询电话13800001111，官网https://www.example-shop.com/"
    res = run(*ARTICLE, "免责声明：本文仅代表作者观点。", ad)
    assert "13800001111" not in res.body
    assert res.flags["ad_contact"] > 0


def test_news_citing_a_hotline_is_kept():
    line = "市场监管部门提醒，消费者遇到直播间虚假宣传，可拨打12315热线投诉，相关部门将及时处理。"
    res = run(*ARTICLE[:2], line, ARTICLE[2])
    assert line in res.body


def test_keyword_stuffed_caption():
    res = run(*ARTICLE[:2], "快手号买卖_快手号交易_快手账号出售", ARTICLE[2])
    assert "_" not in res.body
    assert res.flags["keyword_caption"] > 0
    assert_article_kept(res)


def test_seo_keyword_injected_mid_sentence():
    res = run(
        "很多商家发现，做直播的关键在于信任快手号买卖，而信任需要长期积累。",
        "一位主播说，他会亲自到产地看货快手号买卖，再把过程拍给粉丝看，这样粉丝才放心下单。",
        *ARTICLE,
    )
    assert "快手号买卖" not in res.body
    assert "在于信任，而信任需要长期积累" in res.body
    assert res.flags["seo_injection"] == 2 * len("快手号买卖")


def test_topic_phrase_used_normally_is_kept():
    line = "快手号买卖存在不少风险，业内人士提醒，快手号买卖一旦出现纠纷，维权十分困难。"
    res = run(*ARTICLE[:2], line, ARTICLE[2])
    assert line in res.body
    assert "seo_injection" not in res.flags


def test_meta_line_gives_date_and_title():
    res = run("示例资讯网", "县城商家的直播账本", "发布时间：2022-8-16 分类：电商动态", *ARTICLE)
    assert res.title == "县城商家的直播账本"
    assert res.published is not None and res.published.date().isoformat() == "2022-08-16"
    assert "发布时间" not in res.body and "示例资讯网" not in res.body
    assert_article_kept(res)


def test_canonical_line():
    res = run(*ARTICLE, "本文网址：https://www.example.cn/show-1-2.html")
    assert res.canonical_url == "https://www.example.cn/show-1-2.html"
    assert "本文网址" not in res.body


def test_leading_and_trailing_chrome():
    res = run("已服务500+客户", "账号经理 - 从事账号买卖8年", *ARTICLE, "3年", "评论")
    assert res.body.startswith(ARTICLE[0])
    assert res.body.endswith(ARTICLE[2])
    assert res.flags["leading_chrome"] > 0


def test_repeated_caption_lines():
    caption = "2024 直播电商年度大会 现场图集 第一场 主会场 嘉宾合影 摄影 示例图片社"
    res = run(ARTICLE[0], caption, ARTICLE[1], caption, ARTICLE[2])
    assert caption not in res.body
    assert res.flags["repeated_lines"] > 0


def test_account_cards_leave_the_body():
    cards = []
    for followers, violation in (("13.2W", "无违规"), ("7.19W", "有违规"), ("9.71W", "无违规")):
        cards += [followers, violation, "已开通", "未认证", "粉丝数量", "有无违规", "直播权限", "认证状态"]
    res = run(*ARTICLE, *cards)
    assert len(res.cards) == 3
    assert res.cards[1][:2] == ["7.19W", "有违规"]
    assert "粉丝数量" not in res.body
    assert res.flags["account_cards"] > 0
    assert_article_kept(res)


def test_clean_article_fires_no_rule():
    res = run(*ARTICLE)
    assert res.flags == {}
    assert res.body == "\n".join(ARTICLE)
