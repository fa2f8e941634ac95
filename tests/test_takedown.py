"""A takedown reaches everywhere the article went: approve -> on the page, in the feeds, in the
sitemap and the static export; take down -> gone from all of them; re-crawl -> still gone;
re-approve -> back. Also for a whole source."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import feedparser
import pytest
from fastapi.testclient import TestClient
from sitedata import ARTICLES, T0, make_store, record
from sqlalchemy import select

from daihuo.web.app import create_app
from daihuo.web.site import SiteConfig
from daihuo.web.site.publish import publish
from editorial import curation
from storage.models import Article

BASE = "https://news.example.cn"
NOW = T0 + timedelta(days=10)


@pytest.fixture
def site(tmp_path):
    url = f"sqlite:///{tmp_path / 'td.sqlite'}"
    store, ids = make_store(url)
    ids = list(ids.values())
    for i in ids:
        curation.approve(store.engine, i, "lin", now=NOW)
    app = create_app(url)
    app.state.site_config = SiteConfig(base_url=BASE)
    app.state.site_clock = lambda: NOW + timedelta(hours=1)
    with TestClient(app) as client:
        yield client, store, ids, tmp_path / "out"
    store.close()


def _export(store, out):
    return publish(store.engine, out, base_url=BASE, now=NOW + timedelta(hours=1))


def _everywhere(client, out: Path, article_id: int) -> dict[str, bool]:
    """Where the article shows: live page, each live feed, live sitemap, exported files."""
    url = f"{BASE}/articles/{article_id}/"
    page = client.get(f"/articles/{article_id}/")
    found = {"page": page.status_code == 200,
             "home": f"/articles/{article_id}/" in client.get("/").text,
             "platform page": f"/articles/{article_id}/" in client.get("/platforms/%E5%BF%AB%E6%89%8B/").text,
             "sitemap": url in client.get("/sitemap.xml").text,
             "search": f"/articles/{article_id}/" in client.get("/search/", params={"q": "老铁经济"}).text}
    for feed in ("/atom.xml", "/rss.xml", "/platforms/%E5%BF%AB%E6%89%8B/atom.xml"):
        r = client.get(feed)
        found[feed] = r.status_code == 200 and any(
            e.link == url for e in feedparser.parse(r.content).entries)
    found["/feed.json"] = url in client.get("/feed.json").text
    found["export page"] = (out / "articles" / str(article_id) / "index.html").exists()
    for name in ("atom.xml", "rss.xml", "feed.json", "sitemap.xml", "index.html",
                 "platforms/快手/index.html"):
        path = out / name
        found[f"export {name}"] = path.exists() and url.replace(BASE, "") in path.read_text(encoding="utf-8")
    return found


def test_takedown_reaches_pages_feeds_sitemap_and_export_and_survives_recrawl(site):
    client, store, ids, out = site
    target = ids[0]
    _export(store, out)
    assert all(_everywhere(client, out, target).values()), _everywhere(client, out, target)

    curation.unpublish(store.engine, target, actor="lin", reason="rights holder asked (ticket 42)")
    report = _export(store, out)
    assert f"articles/{target}/index.html" in report.deleted
    where = _everywhere(client, out, target)
    assert not any(where.values()), where
    assert client.get(f"/articles/{target}/").status_code == 410  # gone on purpose
    assert curation.article_history(store.engine, target)[-1]["reason"] == "rights holder asked (ticket 42)"

    # the crawler comes back: same URL, the page changed a little, and then unchanged
    source, url, title, published, platforms, topics, blocks, fp = ARTICLES[0]
    changed = blocks + [{"kind": "p", "text": "(本文已更新)"}]
    (again,) = store.write([record(source, url, title + "(更新)", published, platforms, topics, changed)])
    assert again.status == "updated" and again.article_id == target
    (same,) = store.write([record(source, url, title + "(更新)", published, platforms, topics, changed)])
    assert same.status == "unchanged"
    with store.engine.connect() as conn:
        assert conn.scalar(select(Article.status).where(Article.id == target)) == "unpublished"
    _export(store, out)
    where = _everywhere(client, out, target)
    assert not any(where.values()), where

    # only an editor brings it back
    curation.approve(store.engine, target, "wang", "claim withdrawn", now=NOW)
    _export(store, out)
    where = _everywhere(client, out, target)
    assert all(where.values()), where
    assert "(更新)" in client.get(f"/articles/{target}/").text


def test_source_takedown(site):
    client, store, ids, out = site
    _export(store, out)
    a_ids = [ids[0], ids[2], ids[3]]  # news-a
    assert sorted(curation.unpublish(store.engine, source="news-a", actor="lin",
                                     reason="news-a withdrew permission")) == sorted(a_ids)
    report = _export(store, out)
    assert {f"articles/{i}/index.html" for i in a_ids} <= set(report.deleted)
    for i in a_ids:
        assert client.get(f"/articles/{i}/").status_code == 410
        assert not any(_everywhere(client, out, i).values())
    # the other sources are untouched, and the story's repost no longer lists the taken-down original
    assert client.get(f"/articles/{ids[1]}/").status_code == 200
    assert "a.example.com/live/1.html" not in client.get(f"/articles/{ids[1]}/").text
    # a topic emptied by the takedown loses its page and feeds, live and exported
    assert client.get("/topics/%E5%93%81%E7%89%8C%E8%87%AA%E6%92%AD/").status_code == 404
    assert client.get("/topics/%E5%93%81%E7%89%8C%E8%87%AA%E6%92%AD/atom.xml").status_code == 404
    assert not (out / "topics" / "品牌自播").exists()
