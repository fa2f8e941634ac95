"""Pure parts of multi-page articles, JSON list settings, Crawl-delay flooring and render
decisions (no crawl, no browser)."""

from __future__ import annotations

import pytest

from crawlers.crawldelay import floored
from crawlers.rendering import Measure, measure, rendering_helps
from editorial.source_config import RegistryError, parse_source
from nlp.document import Page, process_page
from nlp.extract.pagination import (
    PARTS_HEADER,
    find_pager,
    join_parts,
    merge_block_texts,
    page_key,
    split_parts,
)


@pytest.mark.parametrize("url,base,n", [
    ("http://h/a/123.html", "http://h/a/123.html", 1),
    ("http://h/a/123_3.html", "http://h/a/123.html", 3),
    ("http://h/a/123-2.shtml", "http://h/a/123.shtml", 2),
    ("http://h/a/123.html?page=4", "http://h/a/123.html", 4),
    ("http://h/show.php?id=9&p=2", "http://h/show.php?id=9", 2),
    ("http://h/2024/05-12", "http://h/2024/05-12", 1),  # a date, not page 12
])
def test_page_key_forms(url, base, n):
    assert page_key(url) == (page_key(url).__class__(base, n))


def test_pager_from_numbered_and_next_links_only():
    links = [("http://h/a/1.html", "1", ""), ("http://h/a/1_2.html", "2", ""),
             ("http://h/a/1_3.html", "下一页", ""), ("http://h/a/2.html", "下一篇", ""),
             ("http://h/a/1_9.html", "相关阅读：第九期直播复盘", "")]  # not pager text
    pager = find_pager("http://h/a/1.html", links)
    assert pager.current == 1 and pager.pages == {1: "http://h/a/1.html", 2: "http://h/a/1_2.html",
                                                   3: "http://h/a/1_3.html"}
    cont = find_pager("http://h/a/1_2.html", [("http://h/a/1.html", "上一页", ""),
                                               ("http://h/a/1_3.html", "3", "")])
    assert cont.current == 2 and cont.first_url == "http://h/a/1.html"
    assert find_pager("http://h/a/1.html", [("http://h/a/2.html", "下一篇", "")]) is None


def test_joined_body_survives_a_page_quoting_a_boundary():
    pages = [b"<p>one</p>", b"<p>two <!-- daihuo-part-" + b"0" * 24 + b" --></p>", b"<p>three</p>"]
    body, header = join_parts(pages, missing=1)
    parts, info = split_parts(body, {PARTS_HEADER: header})
    assert parts == pages and info == {"missing": 1, "truncated": 0}
    assert split_parts(b"plain", {}) == ([b"plain"], {})


def test_repeated_header_kept_once_repeats_within_a_page_kept():
    pages = [["来源：某网", "甲", "甲"], ["来源：某网", "乙"], ["来源： 某网", "丙"]]
    keep = merge_block_texts(pages)
    flat = [t for p in pages for t in p]
    assert [flat[i] for i in keep] == ["来源：某网", "甲", "甲", "乙", "丙"]


def test_joined_page_extracts_in_order_and_flags_missing():
    def html(marker: str) -> bytes:
        para = f"{marker}：主播介绍了选品策略，效果比上月明显提升。商家调整了退货流程，引起了同行的关注。"
        return (f"<html><head><title>标题</title></head><body><h1>多页标题</h1><div class='info'>来源：测试网"
                f"</div><div class='c'><p>{para}</p><p>{para}再补一句话，让段落更长一些。</p></div></body></html>").encode()
    body, header = join_parts([html("P1"), html("P2"), html("P3")], missing=1)
    doc = process_page(Page(url="http://h/a/1.html", body=body, headers={PARTS_HEADER: header}))
    assert doc.ok, doc.error
    assert [doc.body.find(m) >= 0 for m in ("P1", "P2", "P3")] == [True] * 3
    assert doc.body.find("P1") < doc.body.find("P2") < doc.body.find("P3")
    assert doc.flags["pages"] == 3 and doc.flags["pages_missing"] == 1


def test_list_api_validation_says_how_to_fix():
    base = {"name": "x", "list_api": {"url": "https://h/api?page={page}", "items": "data.list",
                                      "link": "url"}}
    src = parse_source(base)
    assert src.start_urls == [] and src.allowed_domains == ["h"] and src.list_api["max_pages"] == 50
    for bad, why in [({"url": "https://h/api"}, "must contain {page}"),
                     ({"items": "data[0]"}, "dotted path"),
                     ({"link": None}, "'link' is required"),
                     ({"max_pages": 0}, "from 1 to 1000"),
                     ({"pages": 3}, "unknown key 'pages'")]:
        api = {**base["list_api"], **bad}
        api = {k: v for k, v in api.items() if v is not None}
        with pytest.raises(RegistryError, match="field 'list_api'") as exc:
            parse_source({**base, "list_api": api})
        assert why in str(exc.value)
    with pytest.raises(RegistryError, match="unless list_api"):
        parse_source({"name": "x"})
    with pytest.raises(RegistryError, match="field 'render'"):
        parse_source({"name": "x", "start_urls": ["https://h/"], "render": "sometimes"})


def test_crawl_delay_floor_keeps_every_jittered_gap_above_it():
    delay, jitter = floored(0.0, 0.5, 2.0)
    assert delay * (1 - jitter) == pytest.approx(2.0) and jitter > 0
    assert floored(5.0, 0.5, 2.0) == (5.0, 0.5)  # slower already
    assert floored(1.0, 0.5, 0.0) == (1.0, 0.5)


def test_render_decision_from_measured_signals():
    shell = b"<html><body><div class='nav'><a href='/'>home</a></div><div id='app'></div><script>x</script></body></html>"
    full = shell.replace(b"<div id='app'></div>", ("<p>" + "正文" * 200 + "</p>").encode())
    plain, rendered = measure(shell, "http://h/a/1.html"), measure(full, "http://h/a/1.html")
    assert plain.text < 20 and rendering_helps(plain, rendered)
    # a widget added to a full page is not a reason to render
    assert not rendering_helps(Measure(3000, 40), Measure(3200, 42))
    # a list whose article links only the script writes
    assert rendering_helps(Measure(100, 0), Measure(160, 4))


def test_a_list_api_on_a_private_address_is_refused(tmp_path):
    from editorial.sources import SourceError, add_source, update_source
    from storage.db import make_engine, migrate

    engine = make_engine(f"sqlite:///{tmp_path / 's.sqlite'}")
    migrate(engine)
    dns = {"news.example.com": ["93.184.216.34"], "intranet.example.com": ["10.1.2.3"]}.__getitem__
    api = {"url": "http://intranet.example.com/api?page={page}", "link": "url"}
    with pytest.raises(SourceError, match="private"):
        add_source(engine, {"name": "a", "list_api": api}, "ed", resolver=dns)
    add_source(engine, {"name": "a", "start_urls": ["https://news.example.com/"]}, "ed", resolver=dns)
    with pytest.raises(SourceError, match="private"):
        update_source(engine, "a", {"list_api": api}, "ed", resolver=dns)
    view = update_source(engine, "a", {"render": "auto", "max_pages": 5}, "ed", resolver=dns)
    assert view.config["render"] == "auto" and view.config["max_pages"] == 5
    engine.dispose()


def test_discovery_fetches_one_at_a_time_spaced_and_within_robots():
    import time

    from protego import Protego

    from crawlers.discovery import Fetched, Fetcher

    seen = []

    def fake(url: str) -> Fetched:
        seen.append(time.monotonic())
        return Fetched(url, 200, b"")

    f = Fetcher(fake, delay=0.2)
    f.robots = Protego.parse("User-agent: *\nDisallow: /private/\n")
    assert f.get("http://h/private/x") is None and not seen
    for path in ("/a", "/b", "/c"):
        assert f.get("http://h" + path).status == 200
    assert min(b - a for a, b in zip(seen, seen[1:], strict=False)) >= 0.2


def test_fetching_fields_survive_export_and_import(tmp_path):
    from editorial.source_config import dump_registry, load_registry

    src = parse_source({"name": "api", "render": "auto", "max_pages": 5, "list_api": {
        "url": "https://h/api?page={page}&size=20", "items": "data.list", "link": "url", "date": "ts"}})
    path = tmp_path / "out.toml"
    path.write_text(dump_registry([src]), encoding="utf-8")
    (back,) = load_registry(path)
    assert back == src


def test_browser_sub_requests_stay_on_the_source_and_skip_media():
    from types import SimpleNamespace as R

    from crawlers.rendering import abort_request_for

    abort = abort_request_for(["news.example.com"])
    assert not abort(R(url="https://news.example.com/api/list.json", resource_type="xhr"))
    assert not abort(R(url="https://cdn.news.example.com/app.js", resource_type="script"))
    assert abort(R(url="https://tracker.example.net/t.js", resource_type="script"))
    assert abort(R(url="https://news.example.com/a.jpg", resource_type="image"))
    assert abort(R(url="http://169.254.169.254/latest/", resource_type="fetch"))
