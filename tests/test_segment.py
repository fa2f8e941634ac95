import pytest

from nlp.segment import engine, is_wordlike, pos_tag, search_terms, segment


def test_engine_loads_once():
    assert engine() is engine()
    assert engine().name in ("rjieba", "jieba")


@pytest.mark.parametrize(
    "word",
    ["拼多多", "微信视频号", "蘑菇街", "快手电商", "直播带货", "私域流量", "老铁经济",
     "自播", "达人", "团长", "GMV", "双十一", "快手小店", "跨境电商"],
)
def test_user_dictionary_keeps_live_commerce_words_whole(word):
    assert word in segment(f"今年{word}的表现很好")


def test_segment_drops_whitespace():
    tokens = segment("直播 带货\n 主播")
    assert tokens == ["直播", "带货", "主播"]


def test_search_terms_add_inner_words_and_skip_punctuation():
    terms = search_terms(segment("直播电商，快手电商！"))
    assert "直播电商" in terms and "电商" in terms and "快手" in terms
    assert "，" not in terms and "！" not in terms


def test_is_wordlike():
    assert is_wordlike("GMV") and is_wordlike("2023") and is_wordlike("主播")
    assert not is_wordlike("，") and not is_wordlike("**") and not is_wordlike("XX")


def test_pos_tag_pairs():
    tags = dict(pos_tag("拼多多的主播在直播间带货"))
    assert tags["拼多多"] == "nz" and "直播间" in tags
