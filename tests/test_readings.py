from __future__ import annotations

import lxml.etree
import lxml.html

from nlp.readings import (
    count_readings,
    drop_ruby,
    is_annotated,
    strip_readings,
    strip_readings_blocks,
)

# Invented mirror-style text: a reading after many characters, as SEO mirrors paste them.
MIRROR = (
    "直播電商的產(chǎn)業(yè)規(guī)模持續(xù)擴大,網(wǎng)絡(luò)主播成為新職業(yè)。"
    "各地推出扶持政策,促進直播與農(nóng)產(chǎn)品銷售結(jié)合。"
)


def test_mirror_page_loses_its_readings():
    text, n = strip_readings(MIRROR)
    assert n == 10
    assert text == "直播電商的產業規模持續擴大,網絡主播成為新職業。各地推出扶持政策,促進直播與農產品銷售結合。"


def test_stray_reading_in_real_news_is_kept():
    text = "他在采访中特意说明,金正(zhèng)恩的名字应当这样读。" + "直播电商的发展离不开平台的扶持。" * 5
    assert strip_readings(text) == (text, 0)


def test_threshold_needs_three_hits_and_two_percent():
    assert not is_annotated(2, 10)
    assert not is_annotated(3, 200)  # 1.5 %
    assert is_annotated(4, 200)


def test_full_width_parentheses_and_multi_syllable_readings():
    text = "產（chǎn）業（yè）發（fā）展(fā zhǎn)"
    assert strip_readings(text) == ("產業發展", 4)


def test_ordinary_parentheses_are_not_readings():
    text = "淘宝直播全年GMV(成交总额)突破(2000亿)元(a)(de)(GMV)" * 3
    assert count_readings(text)[0] == 0


def test_rule_counts_the_whole_document_across_blocks():
    blocks = ["產(chǎn)業(yè)發(fā)展", "网络(wǎng)", "没有注音的一段长长的文字" * 3]
    out, n = strip_readings_blocks(blocks)
    assert n == 4 and out[:2] == ["產業發展", "网络"] and out[2] == blocks[2]


def test_drop_ruby_keeps_base_text_and_tails():
    doc = lxml.html.fromstring(
        "<div><p>主播<ruby>直<rp>(</rp><rt>zhí</rt><rp>)</rp>播</ruby>带货</p></div>"
    )
    assert drop_ruby(doc) == 3
    assert doc.text_content() == "主播直播带货"


def test_drop_ruby_on_an_element_tree():
    tree = lxml.etree.ElementTree(lxml.etree.fromstring("<p><ruby>货<rt>huò</rt></ruby>品</p>"))
    assert drop_ruby(tree) == 1
    assert "".join(tree.getroot().itertext()) == "货品"
