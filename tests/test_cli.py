"""The CLI as a user runs it: parse (the interface benchmarks use), search errors, help."""

import json

import pytest
from click.testing import CliRunner

from daihuo.cli.main import main
from daihuo.demo.demo_server import DemoSite


@pytest.fixture
def runner(tmp_home):
    yield CliRunner()
    from nlp.tagging import lexicon

    lexicon.set_user_dir(None)  # the CLI points the lexicon at $DAIHUO_HOME; undo it


ARTICLE = """<html><head><meta charset="utf-8"><title>{title}</title></head><body>
<div class="nav"><a href="/">首页</a><a href="/">资讯</a></div><div class="content"><h1>{title}</h1>
<p>{name}在直播间里介绍了新一季的农产品,{name}表示,这次选品花了两个月时间,希望把家乡的特产卖到全国。</p>
<p>据了解,{name}的团队今年在快手和抖音都开设了账号,粉丝数量增长很快,主播团队也在不断扩大。</p>
<p>业内人士认为,{topic}已经成为直播电商的重要方向,更多商家开始尝试这种模式。</p></div></body></html>"""


def seed_store(n=4):
    """A store with n articles about a recurring (unknown) streamer, written without a crawl."""
    from datetime import datetime, timezone

    from nlp.document import Page, process_page
    from pipelines.convert import document_to_record
    from storage.config import database_url
    from storage.store import Store

    store = Store.open(database_url())
    store.sync_sources([{"name": "t", "kind": "news", "config": {}}])
    topics = ["产业带直播", "品牌自播", "农产品直播", "私域流量", "跨境直播", "助农直播"]
    records = []
    for i in range(n):
        html = ARTICLE.format(title=f"主播刘晓峰的第{i}场直播", name="刘晓峰", topic=topics[i % len(topics)])
        page = Page(url=f"http://t.example.com/{i}.html", body=html.encode(), source="t",
                    fetched_at=datetime(2026, 3, 1, tzinfo=timezone.utc))
        records.append(document_to_record(process_page(page)))
    out = store.write(records)
    assert [o.status for o in out] == ["stored"] * n
    return store


def parse_json(runner, *args):
    result = runner.invoke(main, ["parse", *args])
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]


def test_every_command_has_help(runner):
    def walk(cmd, path):
        yield path, cmd
        for name, sub in getattr(cmd, "commands", {}).items():
            yield from walk(sub, [*path, name])

    for path, cmd in walk(main, []):
        result = runner.invoke(main, [*path, "--help"])
        assert result.exit_code == 0 and "Usage:" in result.output, path
        assert cmd.help or cmd.short_help, f"{path} has no help text"


def test_parse_html_file_writes_json_and_text(runner, tmp_path):
    status, ctype, body = DemoSite().respond("/news/1004.html", "http://127.0.0.1:1")
    page = tmp_path / "gbk_page.html"
    page.write_bytes(body)  # GBK bytes, charset only in <meta>
    (rec,) = parse_json(runner, str(page), "--url", "http://news.example.com/1004.html")
    assert rec["charset"] == "gb18030" and "脐橙" in rec["body"]
    assert rec["platforms"] == ["拼多多"] and rec["published"].startswith("2026-03-10T08:00:00+08:00")
    for key in ("url", "title", "published", "authors", "body", "script", "platforms", "keywords",
                "flags", "lead", "editor", "original_source", "canonical_url", "blocks"):
        assert key in rec
    out = tmp_path / "out"
    result = runner.invoke(main, ["parse", str(page), "--out", str(out)])
    assert result.exit_code == 0
    assert (out / "gbk_page.txt").read_text(encoding="utf-8").startswith(rec["title"] + "\n")
    assert json.loads((out / "gbk_page.json").read_text(encoding="utf-8"))["body"] == rec["body"]


def test_parse_bad_input_reports_and_goes_on(runner, tmp_path):
    (tmp_path / "a_empty.html").write_bytes(b"")
    (tmp_path / "b_binary.html").write_bytes(bytes(range(256)) * 40)
    (tmp_path / "c_ok.html").write_bytes(DemoSite().respond("/news/1002.html", "http://x")[2])
    recs = parse_json(runner, str(tmp_path))
    assert [bool(r["error"]) for r in recs] == [True, True, False]
    assert recs[0]["error_stage"] == "fetch" and recs[2]["platforms"] == ["抖音"]


def test_search_needs_words(runner):
    result = runner.invoke(main, ["search", '"*"'])
    assert result.exit_code == 1 and "no searchable words" in result.output


# -- the seeds through `daihuo parse` (skipped without ../shared) -----------------------------
def seed_records(shared, runner):
    gold_dir = shared("seeds", "gold")
    seeds = shared("seeds")
    out = {}
    for gold_file in sorted(gold_dir.glob("*.json")):
        gold = json.loads(gold_file.read_text(encoding="utf-8"))
        (rec,) = parse_json(runner, str(seeds / gold["seed"]))
        out[gold_file.stem] = (gold, rec)
    return out


def test_seed_platforms_hold_through_parse(shared, runner):
    for seed, (gold, rec) in seed_records(shared, runner).items():
        assert set(gold.get("platforms_required", [])) <= set(rec["platforms"]), seed
        assert not set(gold.get("platforms_forbidden", [])) & set(rec["platforms"]), seed


def test_seed_001_converted_and_readings_gone(shared, runner):
    gold, rec = seed_records(shared, runner)["001"]
    assert rec["body"].replace(" ", "").startswith("2016年淘宝率先尝试用直播卖商品")
    assert "(chǎn)" not in rec["body"] and rec["script"] == "traditional"
    assert rec["flags"]["pinyin_annotated"] >= 3


def test_seed_002_listings_come_out_as_gold(shared, runner):
    gold, rec = seed_records(shared, runner)["002"]
    keys = ("platform", "category", "followers", "has_violation", "live_enabled", "verified")
    got = [{k: li[k] for k in keys} for li in rec["listings"]]
    assert got == gold["listings"]
    for word in ("粉丝数量", "有无违规", "13.2W"):
        assert word not in rec["body"]


def test_seed_003_masks_flagged_never_keywords(shared, runner):
    gold, rec = seed_records(shared, runner)["003"]
    assert rec["flags"].get("masked_tokens", 0) > 0
    assert not any("*" in k for k in rec["keywords"])
    assert rec["original_source"] == gold["original_source"] and rec["authors"] == gold["authors"]


def test_reprocess_rebuilds_idf_and_retags(runner, tmp_home):
    store = seed_store(4)
    result = runner.invoke(main, ["reprocess", "--min-docs", "3"])
    assert result.exit_code == 0, result.output
    assert "rebuilt keyword IDF from 4 articles" in result.output
    assert "reprocessed 4 pages: updated 4" in result.output
    assert (tmp_home / "idf.tsv").exists()
    assert store.counts()["articles"] == 4


def test_lexicon_review_confirm_then_reprocess(runner, tmp_home):
    from sqlalchemy import text

    store = seed_store(4)
    review = runner.invoke(main, ["lexicon", "review", "--min-docs", "3"])
    assert review.exit_code == 0 and "刘晓峰" in review.output, review.output
    bad = runner.invoke(main, ["lexicon", "review", "--confirm", "刘晓峰:wizard"])
    assert bad.exit_code == 2 and "NAME:KIND" in bad.output
    ok = runner.invoke(main, ["lexicon", "review", "--confirm", "刘晓峰:person"])
    assert ok.exit_code == 0 and (tmp_home / "lexicon").exists()
    assert runner.invoke(main, ["reprocess"]).exit_code == 0
    with store.engine.connect() as conn:
        details = conn.execute(text("SELECT DISTINCT detail FROM tags WHERE kind='entity' AND value='刘晓峰'")).scalars().all()
    assert details == ["person/confirmed"]
    again = runner.invoke(main, ["lexicon", "review", "--min-docs", "3"])
    assert "刘晓峰" not in again.output  # confirmed names leave the review list


def test_listings_cli_formats(runner, tmp_home):
    from datetime import datetime, timezone

    from storage.config import database_url
    from storage.records import ListingRecord
    from storage.store import Store

    store = Store.open(database_url())
    store.sync_sources([{"name": "acc", "kind": "listings", "config": {}}])
    run = store.start_run(["acc"])
    store.write_listings("acc", run, datetime(2026, 3, 1, tzinfo=timezone.utc), [
        ListingRecord(key="1", platform="快手", category="美食", followers=120000, price_low=3000.0,
                      price_high=3000.0, verified=True),
        ListingRecord(key="2", platform="抖音", category="游戏", followers=5000),
    ])
    csv_out = runner.invoke(main, ["listings", "--platform", "快手", "--csv"])
    assert csv_out.exit_code == 0
    lines = csv_out.output.strip().splitlines()
    assert lines[0].startswith("id,source,key") and len(lines) == 2 and ",快手,美食,"in lines[1]
    js = [json.loads(x) for x in runner.invoke(main, ["listings", "--min-followers", "10000", "--json"]).output.splitlines()]
    assert [r["key"] for r in js] == ["1"]
    stats = runner.invoke(main, ["listings", "stats"])
    assert stats.exit_code == 0 and "3,000" in stats.output


def test_export_any_search(runner, tmp_home, tmp_path):
    seed_store(4)
    result = runner.invoke(main, ["export", "刘晓峰", "--format", "jsonl"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(x) for x in result.stdout.splitlines() if x.startswith("{")]
    assert len(rows) == 4 and all("刘晓峰" in r["title"] for r in rows)
    out = tmp_path / "x.csv"
    result = runner.invoke(main, ["export", "刘晓峰 -品牌自播", "--format", "csv", "--out", str(out), "--with-body"])
    assert result.exit_code == 0, result.output
    import csv

    assert out.read_bytes().startswith(b"\xef\xbb\xbf")  # Excel reads UTF-8 by its BOM
    with out.open(encoding="utf-8-sig", newline="") as fh:
        table = list(csv.DictReader(fh))
    assert list(table[0])[:3] == ["id", "title", "url"] and "body" in table[0]
    assert len(table) == 3 and all("品牌自播" not in r["body"] for r in table)  # one excluded
    bad = runner.invoke(main, ["export", '"', "--format", "csv"])
    assert bad.exit_code == 1 and "Error" in bad.output


@pytest.mark.parametrize("value", ["小红薯", "xiaohongsu"])
def test_an_unknown_platform_names_the_closest_known_one(runner, tmp_home, value):
    seed_store(2)
    for cmd in (["search", "直播", "--platform", value], ["export", "直播", "--platform", value]):
        result = runner.invoke(main, cmd)
        assert result.exit_code == 2 and "小红书" in result.output and value in result.output, result.output


def test_aliases_resolve_to_the_canonical_platform(runner, tmp_home):
    seed_store(2)
    result = runner.invoke(main, ["export", "直播", "--platform", "xiaohongshu", "--format", "jsonl"])
    assert result.exit_code == 0, result.output
    assert "exported 0 rows" in result.stderr  # a known platform the seed articles don't name
    assert "'xiaohongshu' → 小红书" in result.stderr  # the alias is named with what it was taken for


def test_export_browses_without_a_query_and_reports_the_total(runner, tmp_home):
    seed_store(3)
    result = runner.invoke(main, ["export", "--source", "t", "--expand", "--format", "jsonl"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(x) for x in result.stdout.splitlines() if x.startswith("{")]
    assert len(rows) == 3 and "exported 3 rows" in result.stderr and "search total 3" in result.stderr
    bad = runner.invoke(main, ["export", "--format", "jsonl"])
    assert bad.exit_code == 1 and "filter" in bad.output
