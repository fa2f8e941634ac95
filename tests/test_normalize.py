from nlp.normalize import normalize


def test_full_width_letters_and_digits_fold_to_ascii():
    assert normalize("ＧＭＶ突破２０００亿，ｋｏｌ带货") == "GMV突破2000亿，kol带货"


def test_chinese_punctuation_is_kept():
    text = "主播说：「家人们，上链接！」（限时）《直播》？"
    assert normalize(text) == text


def test_zero_width_and_control_characters_are_removed():
    assert normalize("直\u200b播\u200d带\ufeff货\x07\u00ad") == "直播带货"


def test_whitespace_collapses_but_newlines_survive():
    assert normalize("\u3000\u3000直播  电商\xa0\t火了\r\n\r\n\n 第二段 ") == "直播 电商 火了\n第二段"


def test_entities_are_decoded_exactly_once():
    assert normalize("A&amp;B &lt;直播&gt; &amp;lt;") == "A&B <直播> &lt;"
    assert normalize("&#x76F4;&#25773;") == "直播"
