from __future__ import annotations

from pathlib import Path

import pytest

from nlp import script
from nlp.textlayer import prepare_text

SEEDS = Path(__file__).resolve().parents[1].parent / "shared" / "seeds"

SIMPLIFIED = ["淘宝直播的主播们纷纷带货,ＧＭＶ突破１００亿。", "拼多多的百亿补贴也在加码。"]
TRADITIONAL = ["淘寶直播的主播們紛紛帶貨,全年成交額突破一百億。", "拼多多通過百億補貼促進直播賣貨。"]


def test_simplified_page_is_never_converted(monkeypatch):
    def boom(config):
        raise AssertionError("a Simplified page must not reach OpenCC")

    script.has_traditional("")  # builds the detection tables (OpenCC, once per process)
    monkeypatch.setattr(script, "converter", boom)
    p = prepare_text(SIMPLIFIED)
    assert p.texts == ["淘宝直播的主播们纷纷带货,GMV突破100亿。", SIMPLIFIED[1]]
    assert p.script == "simplified" and p.region_config is None
    assert p.flags["converted_paragraphs"] == 0


def test_traditional_page_is_converted_per_region():
    p = prepare_text(TRADITIONAL)
    assert p.texts == ["淘宝直播的主播们纷纷带货,全年成交额突破一百亿。", "拼多多通过百亿补贴促进直播卖货。"]
    assert p.script == "traditional" and p.region_config == "t2s"
    assert p.flags["converted_paragraphs"] == 2
    assert prepare_text(TRADITIONAL, region="tw").region_config == "tw2s"
    assert prepare_text(TRADITIONAL, region="hk").region_config == "hk2s"


def test_taiwan_style_text_of_unknown_origin_uses_tw2s():
    p = prepare_text(["主播們接著上架新品,著名品牌也來了。"])
    assert p.region_config == "tw2s" and p.texts == ["主播们接着上架新品,著名品牌也来了。"]


def test_mixed_page_converts_only_traditional_paragraphs():
    p = prepare_text([SIMPLIFIED[1], TRADITIONAL[1], "GMV 2023"])
    assert p.texts == [SIMPLIFIED[1], "拼多多通过百亿补贴促进直播卖货。", "GMV 2023"]
    assert p.script == "mixed" and p.flags["converted_paragraphs"] == 1


def test_blocks_keep_length_and_order():
    blocks = ["", "第一段", "  ", "第二段"]
    assert prepare_text(blocks).texts == ["", "第一段", "", "第二段"]


def test_readings_removed_before_conversion():
    p = prepare_text(["直播電商的產(chǎn)業(yè)規(guī)模", "網(wǎng)絡(luò)主播是新職業(yè)。"])
    assert p.texts == ["直播电商的产业规模", "网络主播是新职业。"]
    assert p.flags["pinyin_annotated"] == 6


def test_masks_are_counted_and_kept():
    p = prepare_text(["腾讯的**直播抓住了机**", "XX公司"])
    assert p.texts == ["腾讯的**直播抓住了机**", "XX公司"]
    assert p.flags["masked_tokens"] == 3


def test_corner_quotes_survive_the_layer():
    assert prepare_text(["他說「直播帶貨」很火"]).texts == ["他说「直播带货」很火"]


@pytest.mark.skipif(not list(SEEDS.glob("001_*.txt")), reason="../shared/seeds not available")
def test_seed_001_comes_out_simplified_without_readings():
    lines = next(SEEDS.glob("001_*.txt")).read_text("utf-8").splitlines()
    p = prepare_text(lines)
    body = "".join("".join(p.texts).split())
    assert body.startswith("2016年淘宝率先尝试用直播卖商品")
    assert "(chǎn)" not in body and "產" not in body
    assert p.script == "traditional" and p.flags["pinyin_annotated"] >= 100
