"""decode_html on real byte sequences: wrong, missing and lying declarations."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from nlp.charset import MIXED, decode_html, normalize_charset

BENCH = Path(__file__).resolve().parents[1].parent / "shared" / "bench" / "extraction"

SIMP = "2023年，直播电商迎来爆发，淘宝、抖音和快手的主播们纷纷加入带货行列。"
TRAD = "2023年，直播電商迎來爆發，淘寶、抖音和快手的主播們紛紛加入帶貨行列。"


def page(body: str, meta: str | None = None) -> str:
    head = f'<meta charset="{meta}">' if meta else ""
    return f"<html><head>{head}<title>直播</title></head><body><p>{body}</p></body></html>"


def test_gbk_page_declaring_utf8_is_decoded_as_gb18030():
    raw = page(SIMP, "utf-8").encode("gbk")
    d = decode_html(raw)
    assert SIMP in d.text
    assert (d.charset, d.declared, d.declared_wrong, d.error) == ("gb18030", "utf-8", True, None)


def test_gbk_page_with_wrong_http_header():
    d = decode_html(page(SIMP).encode("gbk"), header_charset="UTF-8")
    assert SIMP in d.text and d.charset == "gb18030" and d.declared_wrong


def test_big5_page_without_declaration_is_sniffed():
    d = decode_html(page(TRAD).encode("big5"))
    assert TRAD in d.text
    assert (d.charset, d.declared, d.declared_wrong) == ("big5hkscs", None, False)


def test_big5_page_declared_gbk_is_recognised():
    # Big5 byte pairs are valid GB18030, so only the content score can catch this one.
    d = decode_html(page(TRAD, "gbk").encode("big5"))
    assert TRAD in d.text and d.charset == "big5hkscs" and d.declared_wrong


def test_hong_kong_characters_decode_as_big5_hkscs():
    text = "呢個主播嘅貨品真係好抵㗎，大家快啲買！" * 3
    d = decode_html(page(text, "big5").encode("big5hkscs"))
    assert text in d.text and d.charset == "big5hkscs" and not d.declared_wrong


def test_utf8_page_declaring_gb2312_is_decoded_as_utf8():
    d = decode_html(page(SIMP, "gb2312").encode("utf-8"))
    assert SIMP in d.text
    assert (d.charset, d.declared, d.declared_wrong) == ("utf-8", "gb18030", True)


def test_gb2312_declaration_reads_gbk_only_characters():
    text = "陶喆和朱镕基都不在GB2312里：" + SIMP
    with pytest.raises(UnicodeEncodeError):
        text.encode("gb2312")
    d = decode_html(page(text, "gb2312").encode("gbk"))
    assert text in d.text and d.charset == "gb18030" and not d.declared_wrong


def test_http_header_beats_meta():
    d = decode_html(page(SIMP, "utf-8").encode("gbk"), header_charset="gbk")
    assert SIMP in d.text and d.declared == "gb18030" and not d.declared_wrong


def test_bom_beats_a_wrong_header():
    d = decode_html(b"\xef\xbb\xbf" + page(SIMP).encode("utf-8"), header_charset="gbk")
    assert d.text.startswith("<html>") and SIMP in d.text and d.charset == "utf-8"


def test_registry_hint_used_when_page_is_silent():
    d = decode_html(page(TRAD).encode("big5"), hint="big5")
    assert TRAD in d.text and d.charset == "big5hkscs" and d.declared is None


def test_latin1_declaration_on_a_chinese_page_is_not_believed():
    d = decode_html(page(SIMP, "iso-8859-1").encode("gbk"))
    assert SIMP in d.text and d.charset == "gb18030" and d.declared_wrong


def test_latin1_page_stays_latin1():
    text = "Café crème brûlée à la carte, déjà vu."
    raw = f'<meta charset="iso-8859-1"><p>{text}</p>'.encode("latin-1")
    d = decode_html(raw)
    assert text in d.text and not d.declared_wrong and d.error is None


def test_utf8_page_with_pasted_gbk_paragraph():
    raw = page(SIMP).encode("utf-8") + "<p>拼多多通过百亿补贴促进直播卖货。</p>".encode("gbk")
    d = decode_html(raw)
    assert SIMP in d.text and "拼多多通过百亿补贴促进直播卖货。" in d.text
    assert d.charset == MIXED and d.error is None


def test_garbage_is_kept_with_an_error_never_raised():
    rng = random.Random(4)
    raw = b"<html><body>" + bytes(rng.randrange(256) for _ in range(4000))
    d = decode_html(raw, header_charset="utf-8")
    assert d.error and d.error.startswith("undecodable")
    assert d.text.startswith("<html><body>") and len(d.text) > 1000


def test_a_stray_bad_byte_does_not_make_an_error():
    raw = page(SIMP * 20, "gbk").encode("gbk")
    d = decode_html(raw[:200] + b"\xff" + raw[200:])
    assert d.charset == "gb18030" and 1 <= d.replaced <= 3 and d.error is None


def test_empty_and_ascii_bodies():
    assert decode_html(b"").text == ""
    d = decode_html(b"<p>GMV 100</p>", header_charset="gb2312")
    assert d.text == "<p>GMV 100</p>" and d.error is None and not d.declared_wrong


def test_normalize_charset_labels():
    assert normalize_charset("GB2312") == "gb18030"
    assert normalize_charset("x-gbk") == "gb18030"
    assert normalize_charset("Big5") == "big5hkscs"
    assert normalize_charset("utf8") == "utf-8"
    assert normalize_charset("no-such-charset") is None


@pytest.mark.skipif(not BENCH.is_dir(), reason="../shared/bench/extraction not available")
def test_every_benchmark_page_decodes_without_error():
    pages = sorted(BENCH.glob("*/*.html"))
    assert pages
    failed = [p.name for p in pages if decode_html(p.read_bytes()).error]
    assert failed == []
