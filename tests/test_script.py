from __future__ import annotations

import json
from pathlib import Path

import pytest

from nlp import script
from nlp.script import converter, detect, region_for, region_from_text, to_simplified

CASES = Path(__file__).resolve().parents[1].parent / "shared" / "bench" / "opencc" / "testcases.json"


def test_opencc_is_the_upstream_binding():
    # opencc-python-reimplemented's stale dictionary gives 干安县 here.
    assert converter("t2s").convert("乾安縣") == "乾安县"


def test_converter_is_built_once():
    assert converter("t2s") is converter("t2s")


@pytest.mark.parametrize(
    ("url", "hint", "region"),
    [
        ("https://news.ltn.com.tw/news/life", None, "tw"),
        ("https://tw.news.yahoo.com/abc", None, "tw"),
        ("https://udn.com/news/story/1", None, "tw"),
        ("https://www.hk01.com/article/1", None, "hk"),
        ("https://news.rthk.hk/rthk/ch/", None, "hk"),
        ("https://hk.on.cc/hk/news/", None, "hk"),
        ("https://www.macaodaily.com.mo/", None, "hk"),
        ("https://www.sina.com.cn/", None, None),
        ("https://example.com/zh-tw/post", None, "tw"),
        (None, None, None),
        ("https://www.sina.com.cn/", "tw", "tw"),  # the registry knows best
        ("https://news.ltn.com.tw/", "cn", None),
        ("https://example.com/", "zh-HK", "hk"),
    ],
)
def test_region_for(url, hint, region):
    assert region_for(url, hint) == region


def test_region_picks_the_config():
    assert script.config_for("tw") == "tw2s"
    assert script.config_for("hk") == "hk2s"
    assert script.config_for(None) == "t2s"


def test_region_config_matters():
    # Taiwan writes the particle 著; only tw2s turns it into 着 while keeping 著名.
    assert to_simplified("接著,著名主播", "tw") == "接着,著名主播"
    assert to_simplified("接著,著名主播") == "接著,著名主播"


def test_region_from_text():
    assert region_from_text("主播們接著上架新品") == "tw"
    assert region_from_text("主播們接着上架新品") is None
    assert region_from_text("直播電商很火") is None


def test_corner_quotes_are_kept():
    for region in (None, "tw", "hk"):
        assert to_simplified("他說「這款軟體」『很好』", region) == "他说「这款软体」『很好』"


def test_detect():
    assert detect("淘寶直播的主播們紛紛帶貨") == "traditional"
    assert detect("淘宝直播的主播们纷纷带货") == "simplified"
    assert detect("著名品牌的直播间里,我们看到了新品") == "simplified"  # 著 alone is not enough
    assert detect("GMV 2023") == "simplified"


@pytest.mark.skipif(not CASES.is_file(), reason="../shared/bench/opencc/testcases.json not available")
@pytest.mark.parametrize("config", ["t2s", "tw2s", "hk2s"])
def test_opencc_testcases_exact(config):
    cases = [c for c in json.loads(CASES.read_text("utf-8"))["cases"] if config in c["expected"]]
    assert cases
    wrong = [c["id"] for c in cases if converter(config).convert(c["input"]) != c["expected"][config]]
    assert wrong == []
