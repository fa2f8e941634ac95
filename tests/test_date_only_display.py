"""A page that gave only a date (stored as midnight China time, as nlp/extract/dates.py reads
"2026-03-12") is shown as that date on the public site and in the console: no made-up
"00:00". A real time, even 00:00:30 or 08:00, is still shown."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from fastapi.testclient import TestClient
from sitedata import CN, record

from daihuo.web.app import create_app
from daihuo.web.site import SiteConfig
from daihuo.web.site.markup import display_date
from editorial import curation
from nlp.extract.dates import parse_date
from storage.store import Store


def test_display_date_drops_a_midnight_time():
    assert display_date(datetime(2026, 3, 12, tzinfo=CN)) == "2026年3月12日"
    assert display_date(datetime(2026, 3, 12, 8, 0, tzinfo=CN)) == "2026年3月12日 08:00"
    assert display_date(datetime(2026, 3, 12, 0, 0, 30, tzinfo=CN)) == "2026年3月12日 00:00"
    # midnight UTC is 08:00 in China: a time, shown
    assert display_date(datetime(2026, 3, 12, tzinfo=timezone.utc)) == "2026年3月12日 08:00"
    # what the extractor makes of a date without a time is shown as the date alone
    assert display_date(parse_date("发布时间:2026-03-12")) == "2026年3月12日"


def test_article_page_shows_a_date_only_article_as_a_date(tmp_path):
    url = f"sqlite:///{tmp_path / 'dates.sqlite'}"
    store = Store.open(url)
    store.sync_sources([{"name": "news-a", "kind": "news", "config": {}}])
    day = datetime(2026, 3, 12, tzinfo=CN)
    out = store.write([record("news-a", "https://a.example.com/d.html", "只有日期的文章", day, ["快手"],
                              ["直播带货模式"], [{"kind": "p", "text": "这篇文章的页面只写了日期,没有时间。"}])])
    art = out[0].article_id
    curation.approve(store.engine, art, "lin", now=day + timedelta(days=1))
    app = create_app(url)
    app.state.site_config = SiteConfig(base_url="https://news.example.cn")
    app.state.site_clock = lambda: day + timedelta(days=2)
    with TestClient(app) as c:
        html = c.get(f"/articles/{art}/").text
    assert '<time datetime="2026-03-12T00:00:00+08:00">2026年3月12日</time>' in html
    assert "2026年3月12日 00:00" not in html
    store.close()
