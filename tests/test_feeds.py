"""Atom, RSS 2.0 and JSON Feed 1.1: parse cleanly (feedparser, no bozo), the right entries in
the right order, required elements, RFC 3339 / RFC 822 dates, unique stable ids, full or
summary content by setting. (feedparser 6.0 reads no JSON Feed: its rules are checked here.)"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import quote

import feedparser
import pytest
from fastapi.testclient import TestClient
from sitedata import T0, make_store, record

from daihuo.web.app import create_app
from daihuo.web.site import SiteConfig
from daihuo.web.site.feeds import FeedBuilder
from daihuo.web.site.markup import rfc822, rfc3339
from editorial import curation

NOW = T0 + timedelta(days=10)
BASE = "https://news.example.cn"
ATOM = "{http://www.w3.org/2005/Atom}"
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
RFC822 = re.compile(r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
                    r" \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}$")


def _app(url, **cfg):
    app = create_app(url)
    app.state.site_config = SiteConfig(base_url=BASE, **cfg)
    app.state.site_clock = lambda: NOW + timedelta(days=1)
    return app


@pytest.fixture
def store(tmp_path):
    url = f"sqlite:///{tmp_path / 'feeds.sqlite'}"
    store, ids = make_store(url)
    ids = list(ids.values())
    # approve in an order unlike the ids: feeds follow go-live time, newest first
    order = [ids[2], ids[0], ids[4], ids[1]]
    for n, i in enumerate(order):
        curation.approve(store.engine, i, "lin", now=NOW + timedelta(hours=n))
    # ids[1] reposts ids[0]: one story, one entry in the feeds (the original, at its go-live time)
    yield url, store, ids, [i for i in order[::-1] if i != ids[1]]
    store.close()


@pytest.fixture
def client(store):
    url, st, ids, newest_first = store
    with TestClient(_app(url)) as c:
        yield c, st, ids, newest_first


def _parse(resp):
    parsed = feedparser.parse(resp.content, response_headers={"content-type": resp.headers["content-type"]})
    assert not parsed.bozo, parsed.get("bozo_exception")
    return parsed


def _ids_of(entries):
    return [int(e.id.rsplit(":", 1)[1]) for e in entries]


def test_atom_feed(client):
    c, st, ids, newest = client
    r = c.get("/atom.xml")
    assert r.headers["content-type"].startswith("application/atom+xml")
    d = _parse(r)
    assert d.version == "atom10" and _ids_of(d.entries) == newest
    root = ET.fromstring(r.content)
    for tag in ("id", "title", "updated"):  # required by RFC 4287
        assert root.find(ATOM + tag) is not None and root.find(ATOM + tag).text
    assert root.find(ATOM + "author/" + ATOM + "name").text
    assert root.find(f"{ATOM}link[@rel='self']").get("href") == f"{BASE}/atom.xml"
    entry_ids = []
    for e in root.findall(ATOM + "entry"):
        for tag in ("id", "title", "updated", "published"):
            assert e.find(ATOM + tag) is not None, tag
        for tag in ("updated", "published"):
            assert RFC3339.match(e.find(ATOM + tag).text), e.find(ATOM + tag).text
        assert e.find(f"{ATOM}link[@rel='alternate']").get("href").startswith(f"{BASE}/articles/")
        entry_ids.append(e.find(ATOM + "id").text)
    assert len(set(entry_ids)) == len(entry_ids)
    assert all(i.startswith("tag:news.example.cn,2026:article:") for i in entry_ids)
    first = d.entries[0]
    assert first.link == f"{BASE}/articles/{newest[0]}/"
    assert {t.term for t in first.tags} == {"抖音", "快手", "监管与合规"}
    # published is when it went live here, in China time
    assert first.published == "2026-03-12T12:00:00+08:00"
    assert any(link.get("rel") == "via" and link.href == "https://c.example.net/p/7"
               for link in first.links)


def test_rss_feed(client):
    c, st, ids, newest = client
    r = c.get("/rss.xml")
    d = _parse(r)
    assert d.version == "rss20" and _ids_of(d.entries) == newest
    channel = ET.fromstring(r.content).find("channel")
    for tag in ("title", "link", "description"):  # required by RSS 2.0
        assert channel.find(tag).text
    assert RFC822.match(channel.find("lastBuildDate").text)
    for item in channel.findall("item"):
        assert RFC822.match(item.find("pubDate").text), item.find("pubDate").text
        assert item.find("guid").get("isPermaLink") == "false"
    pub = parsedate_to_datetime(channel.find("item/pubDate").text)
    assert pub.utcoffset() == timedelta(hours=8) and pub == NOW + timedelta(hours=2)
    assert "来源:" in d.entries[0].description and "c.example.net" in d.entries[0].description


def test_json_feed(client):
    c, st, ids, newest = client
    r = c.get("/feed.json")
    assert r.headers["content-type"].startswith("application/feed+json")
    feed = json.loads(r.content)
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert feed["title"] and feed["feed_url"] == f"{BASE}/feed.json" and feed["home_page_url"] == f"{BASE}/"
    items = feed["items"]
    assert [int(i["id"].rsplit(":", 1)[1]) for i in items] == newest
    assert len({i["id"] for i in items}) == len(items)
    for item in items:
        assert isinstance(item["id"], str) and ("content_html" in item or "content_text" in item)
        assert RFC3339.match(item["date_published"]) and RFC3339.match(item["date_modified"])
        datetime.fromisoformat(item["date_published"])
        assert item["url"].startswith(f"{BASE}/articles/")
    assert items[0]["external_url"] == "https://c.example.net/p/7"


def test_same_ids_in_every_format(client):
    c, *_ = client
    atom = [e.id for e in _parse(c.get("/atom.xml")).entries]
    rss = [e.id for e in _parse(c.get("/rss.xml")).entries]
    jf = [i["id"] for i in json.loads(c.get("/feed.json").content)["items"]]
    assert atom == rss == jf


def test_ids_are_stable_when_the_site_moves(store):
    url, st, ids, newest = store
    items = []
    for base in ("https://news.example.cn", "https://news.example.cn/sub/dir"):
        app = create_app(url)
        app.state.site_config = SiteConfig(base_url=base)
        app.state.site_clock = lambda: NOW + timedelta(days=1)
        with TestClient(app) as c:
            items.append([e.id for e in _parse(c.get("/atom.xml")).entries])
    assert items[0] == items[1]


def test_platform_and_topic_feeds(client):
    c, st, ids, newest = client
    for fmt in ("atom.xml", "rss.xml"):
        d = _parse(c.get(f"/platforms/{quote('快手')}/{fmt}"))
        assert _ids_of(d.entries) == [i for i in newest if i in (ids[0], ids[1], ids[4])]
        assert "快手" in d.feed.title
    jf = json.loads(c.get(f"/topics/{quote('品牌自播')}/feed.json").content)
    assert [int(i["id"].rsplit(":", 1)[1]) for i in jf["items"]] == [ids[2]]
    assert jf["feed_url"] == f"{BASE}/topics/{quote('品牌自播')}/feed.json"
    assert c.get(f"/platforms/{quote('淘宝')}/atom.xml").status_code == 404


def test_full_or_summary_content(store):
    url, st, ids, newest = store
    with TestClient(_app(url, feed_content="summary")) as c:
        summary = {e.id: e.content[0].value for e in _parse(c.get("/atom.xml")).entries}
        rss_summary = _parse(c.get("/rss.xml")).entries
    with TestClient(_app(url, feed_content="full")) as c:
        full = {e.id: e.content[0].value for e in _parse(c.get("/atom.xml")).entries}
        rss_full = _parse(c.get("/rss.xml")).entries
        jf = json.loads(c.get("/feed.json").content)
    kid = f"tag:news.example.cn,2026:article:{ids[0]}"
    assert "<h2>重点扶持产业带商家</h2>" in full[kid] and "<li>流量券</li>" in full[kid]
    assert "<h2>" not in summary[kid] and "流量券和佣金减免" in summary[kid]
    for text in (full[kid], summary[kid]):
        assert 'href="https://a.example.com/live/1.html"' in text  # credit in both
    assert "content_encoded" not in rss_summary[0] and "<p>" in rss_full[0].content[0].value
    assert any("<h2>重点扶持产业带商家</h2>" in i["content_html"] for i in jf["items"])


def test_feed_size_and_empty_feed(store):
    url, st, ids, newest = store
    with TestClient(_app(url, feed_size=2)) as c:
        assert _ids_of(_parse(c.get("/atom.xml")).entries) == newest[:2]
        assert len(json.loads(c.get("/feed.json").content)["items"]) == 2
    empty = FeedBuilder(SiteConfig(base_url=BASE))
    for fmt in ("atom", "rss"):
        d = feedparser.parse(empty.build(fmt, []))
        assert not d.bozo and d.entries == []
    assert json.loads(empty.build("json", []))["items"] == []


def test_control_characters_never_break_a_feed(tmp_path):
    url = f"sqlite:///{tmp_path / 'ctl.sqlite'}"
    st, _ = make_store(url)
    (out,) = st.write([record("news-a", "https://a.example.com/live/9.html", "标题\x0b带\x1b控制符 & <符号>",
                              T0, ["快手"], [], [{"kind": "p", "text": "正文\x00有\x08怪字符"}])])
    curation.approve(st.engine, out.article_id, "lin", now=NOW)
    with TestClient(_app(url, feed_content="full")) as c:
        d = _parse(c.get("/atom.xml"))
        assert d.entries[0].title == "标题带控制符 & <符号>"
        assert _parse(c.get("/rss.xml")).entries[0].title == "标题带控制符 & <符号>"
        json.loads(c.get("/feed.json").content)
    st.close()


def test_date_formats():
    dt = datetime(2026, 3, 1, 20, 5, 9, 123456, tzinfo=T0.tzinfo).astimezone(tz=None)
    assert rfc3339(dt) == "2026-03-01T20:05:09+08:00"
    assert rfc822(dt) == "Sun, 01 Mar 2026 20:05:09 +0800"
