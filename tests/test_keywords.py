from nlp.segment import pos_tag
from nlp.tagging import IdfTable, Tags, tag_document


def tag(body: str, title: str = "", **kw) -> Tags:
    """Tag a passage the way the pipeline does: one segmentation of title + body."""
    return tag_document(title, body, pos_tag(title + "\n" + body), **kw)



def test_idf_table_build_save_load(tmp_path) -> None:
    docs = [["直播", "电商", "主播"], ["直播", "选品"], ["直播", "选品", "产业带"], ["天气"]]
    table = IdfTable.build(docs, min_df=1)
    assert table.n_docs == 4
    assert table.idf("直播") < table.idf("选品") < table.idf("产业带")
    assert table.idf("没见过的词") == table.idf("产业带")  # unseen = as rare as a hapax
    path = tmp_path / "idf.tsv"
    table.save(path)
    again = IdfTable.load(path)
    assert again.n_docs == 4 and again.idf("选品") == table.idf("选品")


def test_build_skips_masks_and_punctuation() -> None:
    table = IdfTable.build([["**", "，", "直播"], ["直播"]], min_df=1)
    assert set(table.df) == {"直播"}


def test_keywords_exclude_stopwords_masks_numbers() -> None:
    body = ("我们认为**直播的私域流量很重要。私域流量让**直播的复购率提高了30%。"
            "私域流量的运营需要社群。")
    kws = [w for w, _ in tag(body).keywords]
    assert kws[0] == "私域流量"
    assert not any("*" in w or w in ("我们", "认为") or w[0].isdigit() for w in kws)


def test_corpus_idf_changes_ranking() -> None:
    body = "选品决定直播间的转化，选品团队和供应链团队每天开会。供应链很关键。"
    # a corpus where 选品 is everywhere: it should drop below 供应链
    table = IdfTable.build([["选品"]] * 50 + [["供应链"]] * 2 + [["其他"]] * 48)
    kws = [w for w, _ in tag(body, idf=table).keywords]
    assert kws.index("供应链") < kws.index("选品")
