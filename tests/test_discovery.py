"""`daihuo sources discover`: three generated sites (dated paths, numeric ids, query-string
ids; tests/realsite.py on 127.0.0.1), each with a feed and a sitemap index. The proposed
source, crawled as proposed, must fetch >= 95% of the site's articles and <= 2% non-articles."""

from __future__ import annotations

import html
import ipaddress
import json
import re

import pytest
from realsite import build_generated_site, serve_generated
from sqlalchemy import text
from test_realsite_crawl import crawl

from crawlers.discovery import discover
from daihuo.web.console.discovery_fetch import guarded_fetcher, process_page
from nlp.urlpatterns import merge_shapes, shape_of

LOOPBACK = [ipaddress.ip_network("127.0.0.0/8")]


@pytest.mark.slow
@pytest.mark.parametrize("scheme", ["dated", "numeric", "query"])
def test_discover_then_crawl(scheme, tmp_path):
    gen = build_generated_site(scheme)
    with serve_generated(gen) as server:
        base = server.base_url
        found = discover(base + "/", guarded_fetcher(LOOPBACK), delay=0.0, preview=3, process=process_page)
        assert found.feeds == [base + gen.feed]
        assert found.sitemaps == [base + gen.sitemap_index]
        assert found.proposal.articles, found.proposal
        assert all(p.quality == "ok" for p in found.previews), found.previews
        assert len(found.previews) == 3 and found.render == "never"
        src = {**found.source(f"gen-{scheme}"), "delay": 0.0, "concurrency": 4, "autothrottle": False}
        engine, proc = crawl(tmp_path, [src])
    assert proc.returncode == 0, proc.stderr[-3000:]
    with engine.connect() as conn:
        fetched = {"/" + u.split("/", 3)[3] for (u,) in conn.execute(text("SELECT url FROM raw_pages"))}
    got = fetched & gen.articles
    wrong = fetched - gen.articles
    assert len(got) >= 0.95 * len(gen.articles), (len(got), found.proposal.articles)
    assert len(wrong) <= 0.02 * len(fetched), (sorted(wrong), found.proposal.articles)


def test_shapes_of_the_three_schemes():
    assert str(shape_of("http://h/2026/11/05/12345.html")) == "/{yyyy}/{mm}/{mm}/{id}.html"
    assert str(shape_of("http://h/a/12345")) == "/a/{id}"
    assert str(shape_of("http://h/show.php?id=12345")) == "/show.php?id={id}"
    pager = shape_of("http://h/list.php?cat=1&page=2")
    assert pager.is_pager and not pager.has_id
    assert shape_of("http://h/news/tech/index_2.html").is_pager
    # forms portals use: opaque keys, prefixed dates with ids, slugs with a year, bare dates
    assert str(shape_of("http://h/a/t20241105_123456.shtml")) == "/a/{key}_{id}.shtml"
    assert str(shape_of("http://h/doc-imxyzab1234567.shtml")) == "/doc-{key}.shtml"
    assert shape_of("http://h/tech/20241105/abc123def456/c.html").has_id
    assert str(shape_of("http://h/p/how-to-sell-2024-guide")) == "/p/{slug}"
    assert not shape_of("http://h/2024-05-12").has_id
    assert re.match(shape_of("http://h/a/t20241105_123456.shtml").regex(), "http://h/a/t20241201_9.shtml")


def test_category_variants_merge_into_one_pattern():
    shapes = [shape_of(f"http://h/news/{c}/index_2.html") for c in ("tech", "biz", "life")]
    (merged,) = merge_shapes(shapes + [shape_of("http://h/news/tech/index_3.html")])
    assert merged.regex() == r"^https?://h/news/(?:biz|life|tech)/index_\d+\.html$"
    assert len(merge_shapes([shape_of("http://h/a/123"), shape_of("http://h/b/x-y-z")])) == 2


@pytest.mark.slow
def test_discover_cli_prints_a_source_and_saves_it(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from daihuo.cli.main import main
    from editorial.sources import get_source, set_allowed_networks
    from storage.db import make_engine, migrate

    db = f"sqlite:///{tmp_path / 'store.sqlite'}"
    monkeypatch.setenv("DAIHUO_DATABASE_URL", db)
    monkeypatch.setenv("DAIHUO_HOME", str(tmp_path / "home"))
    engine = make_engine(db)
    migrate(engine)
    gen = build_generated_site("query")
    with serve_generated(gen) as server:
        refused = CliRunner().invoke(main, ["sources", "discover", server.base_url + "/"])
        assert refused.exit_code == 1 and "private/loopback" in refused.output
        set_allowed_networks(engine, ["127.0.0.0/8"], "test")
        out = CliRunner().invoke(main, ["sources", "discover", server.base_url + "/", "--delay", "0",
                                        "--preview", "2", "--name", "gen-q", "--save", "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data["source"]["articles"] and data["feeds"] and data["sitemaps"]
    saved = get_source(engine, "gen-q")
    assert not saved.enabled and saved.config["articles"] == data["source"]["articles"]
    engine.dispose()


@pytest.mark.slow
def test_console_discover_form_proposes_and_saves(tmp_path, monkeypatch):
    from consolesite import add_users, login
    from fastapi.testclient import TestClient
    from sitedata import make_store

    import daihuo.web.console.discover as console_discover
    from daihuo.web.app import create_app
    from editorial.sources import get_source, set_allowed_networks

    monkeypatch.setattr(console_discover, "DELAY", 0.0)
    url = f"sqlite:///{tmp_path / 'console.sqlite'}"
    store, _ = make_store(url)
    add_users(store.engine)
    client = TestClient(create_app(url), follow_redirects=False)
    gen = build_generated_site("numeric")
    with serve_generated(gen) as server:
        assert client.get("/console/sources-discover").status_code == 303  # login first
        csrf = login(client, "ed")
        assert "从网址发现来源" in client.get("/console/sources-discover").text
        no_csrf = client.post("/console/sources-discover", data={"url": server.base_url + "/"})
        assert no_csrf.status_code == 403
        refused = client.post("/console/sources-discover", data={"url": server.base_url + "/", "csrf_token": csrf})
        assert refused.status_code == 400 and "内网地址" in refused.text  # the console speaks zh-CN
        set_allowed_networks(store.engine, ["127.0.0.0/8"], "test")
        page = client.post("/console/sources-discover", data={"url": server.base_url + "/", "csrf_token": csrf})
    assert page.status_code == 200
    assert server.base_url + gen.feed in page.text and server.base_url + gen.sitemap_index in page.text
    assert page.text.count("<td>良好</td>") == 3  # the previews' quality, in Chinese
    articles = re.search(r'name="articles" rows="2">([^<]+)<', page.text).group(1)
    saved = client.post("/console/sources-discover/save", data={
        "csrf_token": csrf, "kind": "news", "name": "gen-num", "start_urls": server.base_url + "/",
        "articles": html.unescape(articles), "follow": "", "allowed_domains": "127.0.0.1", "delay": "2",
        "render": "auto", "note": "x"})
    assert saved.status_code == 303 and saved.headers["location"].startswith("/console/sources/gen-num")
    view = get_source(store.engine, "gen-num")
    assert not view.enabled and view.config["render"] == "auto"
    assert view.config["articles"] == [html.unescape(articles)]
    store.close()


def test_discover_proposes_rendering_for_script_written_articles():
    gen = build_generated_site("numeric", js_bodies=True)
    with serve_generated(gen) as server:
        found = discover(server.base_url + "/", guarded_fetcher(LOOPBACK), delay=0.0, preview=3,
                         process=process_page)
    assert found.proposal.articles  # the links are in the HTML: patterns as usual
    assert found.render == "auto" and "scripts" in found.render_why
    assert all(p.quality.startswith("poor") for p in found.previews)
