"""Static export (daihuo.web.site.publish): the same pages as the server, incremental rewrites,
deletions, scheduled publishing, the sitemap index."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sitedata import T0, make_store

from daihuo.web.app import create_app
from daihuo.web.site import SiteConfig
from daihuo.web.site.publish import MANIFEST, publish
from editorial import curation

BASE = "https://news.example.cn"
NOW = T0 + timedelta(days=10)
SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


@pytest.fixture
def store(tmp_path):
    url = f"sqlite:///{tmp_path / 'ex.sqlite'}"
    store, ids = make_store(url)
    ids = list(ids.values())
    for n, i in enumerate(ids[:4]):
        curation.approve(store.engine, i, "lin", now=NOW + timedelta(minutes=n))
    yield url, store, ids, tmp_path / "site"
    store.close()


def _files(out):
    return {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()} - {MANIFEST}


def test_export_writes_the_whole_site(store):
    url, st, ids, out = store
    report = publish(st.engine, out, base_url=BASE, now=NOW + timedelta(hours=1))
    files = _files(out)
    assert report.articles == 4 and report.files == len(files) == len(report.written)
    assert {f"articles/{i}/index.html" for i in ids[:4]} <= files
    assert f"articles/{ids[4]}/index.html" not in files  # not approved
    for name in ("index.html", "atom.xml", "rss.xml", "feed.json", "sitemap.xml", "robots.txt",
                 "static/site.css", "404.html", "platforms/index.html", "platforms/快手/index.html",
                 "platforms/快手/atom.xml", "topics/品牌自播/feed.json"):
        assert name in files, name
    assert sorted(report.went_live) == sorted(ids[:4])  # marked published, one event each
    assert curation.article_history(st.engine, ids[0])[-1]["action"] == "publish"


def test_exported_pages_equal_served_pages(store):
    url, st, ids, out = store
    when = NOW + timedelta(hours=1)
    publish(st.engine, out, base_url=BASE, now=when)
    app = create_app(url)
    app.state.site_config = SiteConfig(base_url=BASE, search=False)
    app.state.site_clock = lambda: when
    with TestClient(app) as c:
        for path, name in ((f"/articles/{ids[0]}/", f"articles/{ids[0]}/index.html"), ("/", "index.html"),
                           ("/platforms/%E5%BF%AB%E6%89%8B/", "platforms/快手/index.html"),
                           ("/atom.xml", "atom.xml"), ("/feed.json", "feed.json"), ("/sitemap.xml", "sitemap.xml")):
            assert c.get(path).content == (out / name).read_bytes(), path
    assert 'role="search"' not in (out / "index.html").read_text(encoding="utf-8")  # no server: no search box


def test_incremental_export_rewrites_only_what_changed(store):
    url, st, ids, out = store
    when = NOW + timedelta(hours=1)
    publish(st.engine, out, base_url=BASE, now=when)
    (out / "CNAME").write_text("news.example.cn")  # not ours: never touched
    mtimes = {f: (out / f).stat().st_mtime_ns for f in _files(out)}
    again = publish(st.engine, out, base_url=BASE, now=when)
    assert again.written == [] and again.deleted == [] and again.unchanged == again.files

    curation.edit(st.engine, ids[2], "lin", title="抖音品牌自播观察", now=when)
    edited = publish(st.engine, out, base_url=BASE, now=when)
    assert f"articles/{ids[2]}/index.html" in edited.written
    assert not any(f"articles/{i}/index.html" in edited.written for i in (ids[0], ids[1], ids[3]))
    assert "atom.xml" in edited.written and "platforms/抖音/index.html" in edited.written
    assert "platforms/小红书/index.html" not in edited.written  # ids[2] is not on it
    assert "抖音品牌自播观察" in (out / f"articles/{ids[2]}/index.html").read_text(encoding="utf-8")
    for f in set(mtimes) - set(edited.written):
        assert (out / f).stat().st_mtime_ns == mtimes[f], f

    full = publish(st.engine, out, base_url=BASE, now=when, full=True)
    assert len(full.written) == full.files
    assert (out / "CNAME").read_text() == "news.example.cn"

    # a rewritten file on disk that someone deleted is written again
    (out / f"articles/{ids[0]}/index.html").unlink()
    assert publish(st.engine, out, base_url=BASE, now=when).written == [f"articles/{ids[0]}/index.html"]


def test_scheduled_article_enters_the_export_at_its_time(store):
    url, st, ids, out = store
    at = NOW + timedelta(days=1)
    curation.approve(st.engine, ids[4], "lin", publish_at=at, now=NOW)
    before = publish(st.engine, out, base_url=BASE, now=at - timedelta(minutes=1))
    assert ids[4] not in before.went_live and not (out / f"articles/{ids[4]}").exists()
    after = publish(st.engine, out, base_url=BASE, now=at)
    assert after.went_live == [ids[4]] and f"articles/{ids[4]}/index.html" in after.written
    assert f"/articles/{ids[4]}/" in (out / "atom.xml").read_text(encoding="utf-8")


def test_sitemap_index_past_the_limit(store):
    url, st, ids, out = store
    publish(st.engine, out, base_url=BASE, now=NOW + timedelta(hours=1),
            config=SiteConfig(sitemap_limit=3))
    index = ET.parse(out / "sitemap.xml").getroot()
    assert index.tag == SM + "sitemapindex"
    parts = [s.find(SM + "loc").text for s in index.findall(SM + "sitemap")]
    locs = []
    for n, loc in enumerate(parts, 1):
        assert loc == f"{BASE}/sitemap-{n}.xml"
        urlset = ET.parse(out / f"sitemap-{n}.xml").getroot()
        assert urlset.tag == SM + "urlset" and len(urlset) <= 3
        locs += [u.find(SM + "loc").text for u in urlset]
    assert len(locs) == len(set(locs)) and f"{BASE}/articles/{ids[0]}/" in locs
    # shrinking back under the limit drops the numbered parts
    report = publish(st.engine, out, base_url=BASE, now=NOW + timedelta(hours=1))
    assert "sitemap-1.xml" in report.deleted and not (out / "sitemap-1.xml").exists()
    assert ET.parse(out / "sitemap.xml").getroot().tag == SM + "urlset"


def test_site_under_a_sub_path(store):
    url, st, ids, out = store
    publish(st.engine, out, base_url="https://example.org/news/", now=NOW + timedelta(hours=1))
    page = (out / f"articles/{ids[0]}/index.html").read_text(encoding="utf-8")
    assert f'<link rel="canonical" href="https://example.org/news/articles/{ids[0]}/">' in page
    assert 'href="/news/static/site.css"' in page and 'href="/news/platforms/' in page
    assert "Sitemap: https://example.org/news/sitemap.xml" in (out / "robots.txt").read_text()
    with pytest.raises(ValueError):
        publish(st.engine, out, base_url="example.org")


def test_export_and_pages_on_both_databases(db_url, tmp_path):
    st, ids = make_store(db_url)
    ids = list(ids.values())
    curation.approve(st.engine, ids[0], "lin", now=NOW)
    curation.approve(st.engine, ids[1], "lin", publish_at=NOW + timedelta(days=1), now=NOW)
    report = publish(st.engine, tmp_path / "out", base_url=BASE, now=NOW + timedelta(hours=1))
    assert report.articles == 1 and report.went_live == [ids[0]]
    page = (tmp_path / "out" / f"articles/{ids[0]}/index.html").read_text(encoding="utf-8")
    also = page.split('<section class="also">')[1]
    # the repost is reported elsewhere (linked there), but its page here is still embargoed
    assert "https://b.example.org/n/88.html" in also and f"/articles/{ids[1]}/" not in also
    app = create_app(db_url)
    app.state.site_config = SiteConfig(base_url=BASE, search=False)
    app.state.site_clock = lambda: NOW + timedelta(days=2)
    with TestClient(app) as c:
        assert c.get(f"/articles/{ids[1]}/").status_code == 200
        # the original and its repost are one story: one entry on the home page and in the feed
        assert _links(c.get("/").text) == [ids[0]]
        feed = json.loads(c.get("/feed.json").text)
        assert [i["url"].rstrip("/").rsplit("/", 1)[1] for i in feed["items"]] == [str(ids[0])]
    st.close()


def _links(html):
    return [int(m) for m in re.findall(r'<h2><a href="/articles/(\d+)/">', html)]
