"""DOM-level extraction: declared metadata, content selection, blocks, hints and bad input."""

from __future__ import annotations

import random
from datetime import datetime
from pathlib import Path

import pytest

from nlp.extract import MAX_CHARS, Block, Extraction, extract
from nlp.extract.dates import LOCAL_TZ

FIXTURES = Path(__file__).parent / "fixtures" / "extract"


@pytest.fixture(scope="module")
def portal() -> Extraction:
    return extract((FIXTURES / "portal_article.html").read_text("utf-8"))


@pytest.fixture(scope="module")
def traditional() -> Extraction:
    return extract((FIXTURES / "traditional_article.html").read_text("utf-8"))


def test_declared_metadata_comes_first(portal):
    assert portal.error is None
    assert portal.title == "县域直播基地开播首月带货破千万"
    assert portal.published == datetime(2024, 1, 29, 9, 30, tzinfo=LOCAL_TZ)
    assert portal.authors == ["林小满"]  # JSON-LD
    assert portal.canonical_url == "https://news.example.cn/a/2024/0129/1234.html"
    assert portal.original_source == "带货观察网"  # the info line above the article
    assert portal.editor == "苏青"


def test_body_is_the_article_only(portal):
    body = portal.body
    assert body.startswith("本报讯")
    assert body.endswith("仓储费用预计下降两成。")
    for chrome in ("首页", "要闻", "当前位置", "分享到", "打印", "相关新闻", "上一篇", "免责声明", "版权所有"):
        assert chrome not in body, chrome
    assert portal.title not in body  # the headline is metadata, not the first paragraph


def test_blocks_keep_their_kinds_and_order(portal):
    kinds = [b.kind for b in portal.blocks]
    assert kinds == ["p", "p", "h", "p", "p", "quote", "p"]
    assert portal.blocks[2] == Block("h", "农户变主播")
    assert portal.body == "\n".join(b.text for b in portal.blocks)


def test_ruby_annotations_are_dropped(portal):
    assert "cāng" not in portal.body
    assert "仓储费用" in portal.body


def test_flags_count_removed_characters(portal):
    assert portal.flags["editor_credit"] == len("（责任编辑：苏青）")
    assert all(v > 0 for v in portal.flags.values())


def test_traditional_page_cleaned_without_conversion(traditional):
    assert traditional.error is None
    assert traditional.title == "夜市攤商學直播 網購訂單翻倍"
    assert traditional.published == datetime(2023, 11, 5, 20, 15, tzinfo=LOCAL_TZ)
    assert traditional.editor == "何美玲"
    body = traditional.body
    assert body.startswith("臺中一處夜市")  # still Traditional: conversion is the text layer's job
    assert body.endswith("運送安全。")
    for chrome in ("首頁", "打印", "相關新聞", "轉載", "人氣"):
        assert chrome not in body


def test_selector_hint_wins_when_it_matches():
    html = """<html><body>
      <div id="a"><p>第一段文字，讲的是直播间的布置，包括灯光、背景和商品摆放，内容相当详细也很长。</p>
      <p>第二段文字，继续讲直播间布置的细节，例如麦克风的位置和镜头的角度，同样很长很详细。</p></div>
      <div id="b"><p>另一段较短的说明文字，介绍主播本人。</p></div></body></html>"""
    assert extract(html).body.startswith("第一段文字")
    assert extract(html, selector="#b").body == "另一段较短的说明文字，介绍主播本人。"
    assert extract(html, selector="//div[@id='b']").body == "另一段较短的说明文字，介绍主播本人。"
    assert "直播间的布置" in extract(html, selector="#missing").body  # no match: heuristics


def test_link_heavy_lists_are_not_content():
    links = "".join(f"<li><a href='/{i}'>县城直播带货的第{i}个故事，主播们怎么说</a></li>" for i in range(30))
    html = f"""<html><body><ul>{links}</ul><div>
      <p>这是文章的正文第一段，介绍了一家小店如何通过直播找到新的顾客，店主感慨变化很大。</p>
      <p>这是文章的正文第二段，店主说直播让她认识了很多外地的回头客，生意也越来越稳定。</p>
      </div></body></html>"""
    res = extract(html)
    assert "故事" not in res.body
    assert res.body.startswith("这是文章的正文第一段")


def test_relative_date_uses_now():
    html = """<html><body><div class="info">3小时前 来源：示例网</div><div>
      <p>正文第一段，讲述了一位主播从零开始积累粉丝的经历，她每天坚持直播四个小时。</p>
      <p>正文第二段，她说最难的是前三个月，几乎没有人进直播间，但她没有放弃。</p></div></body></html>"""
    now = datetime(2024, 3, 10, 15, 0, tzinfo=LOCAL_TZ)
    res = extract(html, now=now)
    assert res.published == datetime(2024, 3, 10, 12, 0, tzinfo=LOCAL_TZ)


@pytest.mark.parametrize(
    ("page", "reason"),
    [
        ("", "empty"),
        ("   \n\t ", "empty"),
        ("\x00\x01\x02\x03" * 2000, "binary"),
        ("<html><body><script>var a = 1;</script></body></html>", "no article text"),
        ("<html><body><img src='a.png'><br><hr></body></html>", "no article text"),
    ],
)
def test_bad_input_gives_empty_result_with_reason(page, reason):
    res = extract(page)
    assert res.blocks == [] and res.body == ""
    assert res.error and reason in res.error


def test_bytes_are_refused_not_crashed():
    res = extract(b"<html><body><p>\xe4\xbd\xa0\xe5\xa5\xbd</p></body></html>")  # type: ignore[arg-type]
    assert res.error and "decode" in res.error


def test_twenty_megabyte_page_is_refused_quickly():
    big = "<html><body>" + "<p>直播带货，讲信任。</p>" * (20_000_000 // 14) + "</body></html>"
    assert len(big) > MAX_CHARS
    res = extract(big)
    assert res.error and "too large" in res.error


def test_deep_nesting_and_unclosed_tags():
    deep = "<html><body>" + "<div>" * 50_000 + "<p>很深的一段文字，测试解析器在极深嵌套下的表现，不能抛出异常。</p>"
    res = extract(deep)
    assert "很深的一段文字" in res.body if res.blocks else res.error
    unclosed = "<html><body><div><p>没有闭合的段落，测试宽松解析，内容应该照样取出来。<p>第二段也没有闭合，但句子是完整的。"
    res = extract(unclosed)
    assert "没有闭合的段落" in res.body


def _mutate(rng: random.Random, page: str) -> str:
    choice = rng.randrange(7)
    if choice == 0:
        return page[: rng.randrange(len(page) + 1)]
    if choice == 1:
        data = bytearray(page.encode("utf-8"))
        for _ in range(rng.randrange(1, 60)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        return data.decode("utf-8", errors="replace")
    if choice == 2:
        depth = rng.randrange(100, 3000)
        return page.replace("<body>", "<body>" + "<div><span>" * depth, 1)
    if choice == 3:
        return "".join(ch for ch in page if ch != ">" or rng.random() > 0.3)
    if choice == 4:
        return "".join(chr(rng.randrange(0, 0x3000)) for _ in range(rng.randrange(0, 3000)))
    if choice == 5:
        return rng.choice(["", " ", "<", "<html>", "<?xml version='1.0' encoding='gbk'?><html/>", "\x00" * 50])
    cut = rng.randrange(len(page))
    return page[:cut] + page[cut:][::-1]


def test_fuzz_never_raises():
    rng = random.Random(20240129)
    seeds = [p.read_text("utf-8") for p in sorted(FIXTURES.glob("*.html"))]
    for _ in range(1000):
        res = extract(_mutate(rng, rng.choice(seeds)))
        assert isinstance(res, Extraction)
        if not res.blocks:
            assert res.error, "an empty result must say why"
