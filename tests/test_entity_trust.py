"""No POS-only candidate reaches tags, facets or the API; editors still see them in review.

The passage mixes what jieba's POS flags call names on real pages (顾客 and 冷启动 are common
nouns, 高客 a made-up word) with names the text vouches for (a role word before a person,
a company suffix after a name) and names the lexicon knows (李佳琦, 杭州)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from fastapi.testclient import TestClient

from daihuo.web.app import create_app
from nlp.document import Page, process_page
from nlp.segment import pos_tag
from nlp.tagging import EntityTag, entity_candidates_report, tag_document
from pipelines.convert import document_to_json, document_to_record
from storage.store import Store

TITLE = "直播间的新面孔"
BODY = [
    "高客和顾客都说，冷启动是新主播最难的一关，高客的订单来得慢，顾客也在观望。",
    "杭州的带货主播王芳说，她和李佳琦走的不是一条路，冷启动靠的是老顾客的口碑和复购。",
    "她签约的锐意科技是一家刚成立两年的公司，高客的问题交给运营团队去想办法，顾客满意就好。",
]
GUESSES = {"高客", "顾客", "冷启动"}
T0 = datetime(2026, 3, 1, tzinfo=timezone.utc)


def html(extra: str = "") -> bytes:
    paras = "".join(f"<p>{p}</p>" for p in [*BODY, extra] if p)
    return (f"<html><head><meta charset='utf-8'><title>{TITLE}</title>"
            f"<meta property='article:published_time' content='2026-03-01T10:00:00+08:00'></head><body><h1>{TITLE}</h1>"
            f"{paras}</body></html>").encode()


def test_tags_hold_only_trusted_entities():
    body = "\n".join(BODY)
    tags = tag_document(TITLE, body, pos_tag(TITLE + "\n" + body))
    got = {e.name: (e.kind, e.evidence) for e in tags.entities}
    assert got["王芳"] == ("person", "role")
    assert got["锐意科技"] == ("company", "suffix")
    assert got["李佳琦"] == ("person", "lexicon") and got["杭州"] == ("place", "lexicon")
    assert not GUESSES & set(got)
    assert GUESSES & {e.name for e in tags.candidates}  # kept for the editors
    assert all(e.evidence == "pos" for e in tags.candidates)


def test_parse_output_has_no_candidates():
    doc = process_page(Page(url="http://site.local/a.html", body=html(), fetched_at=T0))
    names = {e["name"] for e in document_to_json(doc)["entities"]}
    assert "王芳" in names and not GUESSES & names


@pytest.fixture
def stored(tmp_path):
    url = f"sqlite:///{tmp_path / 'trust.sqlite'}"
    store = Store.open(url)
    store.sync_sources([{"name": "s", "kind": "news", "config": {}}])
    days = ["周一的直播从晚上八点开始，一直播到深夜。", "周二她休息了一天，去仓库看了新到的货。",
            "周三的直播间来了一位新的助播，两人配合得不错，观众留言说很热闹。"]
    docs = [process_page(Page(url=f"http://site.local/{i}.html", body=html(day), fetched_at=T0, source="s"))
            for i, day in enumerate(days)]
    store.write([document_to_record(d) for d in docs])
    yield store, url
    store.close()


def test_no_candidate_in_facets_api_or_trends_but_in_review(stored):
    from daihuo.web.accounts import create_user

    store, url = stored
    assert store.counts()["articles"] == 3
    report = entity_candidates_report(
        ([EntityTag(n, k, c, m, False) for n, k, c, m in group] for group in store.iter_entity_tags()),
        min_docs=3)
    assert GUESSES & {c.name for c in report}  # editors still see them
    with TestClient(create_app(url)) as c:
        create_user(c.app.state.engine, "ana", "analyst-password", "analyst")
        assert c.post("/api/auth/login", json={"name": "ana", "password": "analyst-password"}).status_code == 200
        res = c.get("/api/search", params={"q": "主播"}).json()
        facet_values = {f["value"] for f in res["facets"].get("entity", [])}
        assert "王芳" in facet_values and not GUESSES & facet_values
        article = c.get("/api/articles/1").json()
        # (冷启动 may well be a keyword: a keyword tag is not a claim that it is a name)
        entity_values = {t["value"] for t in article["tags"] if t["kind"].startswith("entity")}
        assert "王芳" in entity_values and not GUESSES & entity_values
        assert {t["kind"] for t in article["tags"]} <= {"platform", "topic", "keyword", "entity"}
        assert not GUESSES & {t["value"] for t in c.get("/api/articles/1/tags").json()
                              if t["kind"].startswith("entity")}
        trends = c.get("/api/trends", params={"kind": "entity", "since": "2026-01-01"}).json()
        trend_values = {row["value"] for row in trends}
        assert "王芳" in trend_values and not GUESSES & trend_values
        # a guess is no entity the search knows: the filter is refused with help (issue 19)
        r = c.get("/api/search", params={"q": "主播", "entity": "顾客"})
        assert r.status_code == 422 and "顾客" in r.json()["detail"][0]["msg"]
