from nlp.masks import find_masks, is_mask_token
from nlp.segment import is_wordlike, search_terms, segment


def spans_text(text: str) -> list[str]:
    return [text[a:b] for a, b in find_masks(text)]


def test_mask_kinds():
    text = "**直播抓住了机**,王*明和XX公司、张某某在□□平台,李○○也来了"
    assert spans_text(text) == ["**", "**", "*", "XX", "某某", "□□", "○○"]


def test_things_that_are_not_masks():
    text = "尺码XXL和XS,5*8=40,某公司于二〇二〇年,Xbox,● 要点"
    assert find_masks(text) == []


def test_masks_never_become_tokens():
    text = "腾讯的**直播抓住了机**,XX公司的张某某和某某人在□□平台卖货"
    tokens = segment(text)
    kept = [t for t in tokens if is_wordlike(t)]
    assert not [t for t in kept if is_mask_token(t)]
    assert all("*" not in t for t in search_terms(tokens))
    assert "直播" in kept and "平台" in kept


def test_is_mask_token():
    for tok in ("*", "**", "机**", "XX", "某某", "某某人", "□"):
        assert is_mask_token(tok), tok
    for tok in ("XXL", "某", "直播", "GMV"):
        assert not is_mask_token(tok), tok
