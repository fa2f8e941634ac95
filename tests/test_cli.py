"""The CLI as a user runs it: parse (the interface benchmarks use), search errors, help."""

import json

import pytest
from click.testing import CliRunner

from daihuo.cli import main
from daihuo.demosite import DemoSite


@pytest.fixture
def runner(tmp_home):
    return CliRunner()


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
