"""Editorial actions (editorial.curation) and what they make public (editorial.published)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sitedata import T0, make_store
from sqlalchemy import select

from editorial import curation
from editorial.published import published_article, published_articles, published_tags
from storage.models import Article, CurationEvent

NOW = T0 + timedelta(days=10)


@pytest.fixture
def store(db_url):
    """On SQLite and PostgreSQL: the embargo compares stored datetimes in both."""
    store, ids = make_store(db_url)
    yield store, list(ids.values())
    store.close()


def _events(engine, article_id=None):
    with engine.connect() as conn:
        q = select(CurationEvent.article_id, CurationEvent.source_id, CurationEvent.action,
                   CurationEvent.actor, CurationEvent.reason).order_by(CurationEvent.id)
        if article_id is not None:
            q = q.where(CurationEvent.article_id == article_id)
        return [tuple(r) for r in conn.execute(q)]


def _visible(engine, now=NOW, **kw):
    return [a["id"] for a in published_articles(engine, now, per_page=50, **kw).items]


def test_nothing_is_public_until_approved(store):
    st, ids = store
    assert _visible(st.engine) == []
    curation.approve(st.engine, ids[0], "lin", "good story", now=NOW)
    assert _visible(st.engine) == [ids[0]]
    assert _events(st.engine) == [(ids[0], st.source_id("news-a"), "approve", "lin", "good story")]
    assert published_article(st.engine, ids[1], NOW) is None


def test_embargo_publishes_at_the_scheduled_time(store):
    st, ids = store
    at = NOW + timedelta(hours=2)
    assert curation.approve(st.engine, ids[2], "lin", publish_at=at, now=NOW) == at
    assert _events(st.engine, ids[2])[0][2] == "schedule"
    assert _visible(st.engine, NOW) == []
    assert _visible(st.engine, at - timedelta(seconds=1)) == []
    assert _visible(st.engine, at) == [ids[2]]
    assert published_article(st.engine, ids[2], at)["live_at"] == at


def test_newest_first_and_featured_first_on_home(store):
    st, ids = store
    for n, i in enumerate(ids):  # approved one hour apart: the last approved is the newest
        curation.approve(st.engine, i, "lin", now=NOW + timedelta(hours=n))
    later = NOW + timedelta(days=1)
    assert _visible(st.engine, later) == ids[::-1]
    curation.feature(st.engine, ids[1], "lin", "lead story", now=later)
    assert _visible(st.engine, later, featured_first=True) == [ids[1]] + [i for i in ids[::-1] if i != ids[1]]
    assert _visible(st.engine, later) == ids[::-1]  # only the home page pins it
    curation.unfeature(st.engine, ids[1], "lin", now=later)
    assert _visible(st.engine, later, featured_first=True) == ids[::-1]
    assert [e[2] for e in _events(st.engine, ids[1])] == ["approve", "feature", "unfeature"]


def test_filters_and_pages(store):
    st, ids = store
    for i in ids:
        curation.approve(st.engine, i, "lin", now=NOW)
    kuaishou = published_articles(st.engine, NOW, platform="快手", per_page=2)
    assert kuaishou.total == 3 and kuaishou.pages == 2 and len(kuaishou.items) == 2
    assert all("快手" in a["platforms"] for a in kuaishou.items)
    second = published_articles(st.engine, NOW, platform="快手", page=2, per_page=2)
    assert {a["id"] for a in kuaishou.items + second.items} == {ids[0], ids[1], ids[4]}
    assert _visible(st.engine, topic="品牌自播") == [ids[2]]
    assert _visible(st.engine, source="news-c") == [ids[4]]
    assert dict(published_tags(st.engine, NOW, "platform")) == {"快手": 3, "抖音": 2, "小红书": 1}
    with pytest.raises(ValueError):
        published_tags(st.engine, NOW, "keyword")  # keywords are not site sections


def test_reject_keeps_it_off_the_site(store):
    st, ids = store
    curation.approve(st.engine, ids[3], "lin", now=NOW)
    curation.reject(st.engine, ids[3], "wang", "off topic", now=NOW)
    assert _visible(st.engine) == []
    assert _events(st.engine, ids[3])[-1][2:] == ("reject", "wang", "off topic")


def test_edit_title_and_summary_without_touching_the_crawl(store):
    st, ids = store
    curation.approve(st.engine, ids[0], "lin", now=NOW)
    curation.edit(st.engine, ids[0], "lin", title="  扶持计划:流量券与佣金减免 ", summary="一句话摘要。", now=NOW)
    art = published_article(st.engine, ids[0], NOW)
    assert art["title"] == "扶持计划:流量券与佣金减免" and art["crawled_title"] == "快手电商发布新一季商家扶持计划"
    assert art["summary"] == "一句话摘要。" and art["summary_edited"]
    curation.edit(st.engine, ids[0], "lin", title=None, now=NOW)  # back to the crawled title
    art = published_article(st.engine, ids[0], NOW)
    assert art["title"] == "快手电商发布新一季商家扶持计划" and art["summary"] == "一句话摘要。"
    assert [e[2:] for e in _events(st.engine, ids[0])][1:] == [
        ("edit", "lin", "edited summary, title"), ("edit", "lin", "edited title")]
    with pytest.raises(curation.CurationError):
        curation.edit(st.engine, ids[0], "lin")


def test_unpublish_one_article_records_why(store):
    st, ids = store
    curation.approve(st.engine, ids[0], "lin", now=NOW)
    assert curation.unpublish(st.engine, ids[0], actor="lin", reason="copyright claim", now=NOW) == [ids[0]]
    assert _visible(st.engine) == []
    assert _events(st.engine, ids[0])[-1] == (ids[0], st.source_id("news-a"), "unpublish", "lin", "copyright claim")
    hist = curation.article_history(st.engine, ids[0])
    assert [h["action"] for h in hist] == ["approve", "unpublish"] and hist[-1]["reason"] == "copyright claim"


def test_unpublish_a_whole_source(store):
    st, ids = store
    for i in ids[:3]:
        curation.approve(st.engine, i, "lin", now=NOW)
    # news-a: ids[0], ids[2] approved; ids[3] still new (taken down too: never published by accident)
    gone = curation.unpublish(st.engine, source="news-a", actor="lin", reason="site asked", now=NOW)
    assert sorted(gone) == sorted([ids[0], ids[2], ids[3]])
    assert _visible(st.engine) == [ids[1]]
    with st.engine.connect() as conn:
        statuses = dict(conn.execute(select(Article.id, Article.status)).all())
    assert statuses[ids[3]] == "unpublished" and statuses[ids[4]] == "new"
    source_rows = [e for e in _events(st.engine) if e[0] is None]
    assert source_rows == [(None, st.source_id("news-a"), "unpublish_source", "lin", "site asked")]
    assert [h["action"] for h in curation.article_history(st.engine, ids[3])] == ["unpublish_source", "unpublish"]


def test_unpublish_needs_one_target_and_a_reason(store):
    st, ids = store
    with pytest.raises(curation.CurationError):
        curation.unpublish(st.engine, actor="lin", reason="x")
    with pytest.raises(curation.CurationError):
        curation.unpublish(st.engine, ids[0], source="news-a", actor="lin", reason="x")
    with pytest.raises(curation.CurationError):
        curation.unpublish(st.engine, ids[0], actor="lin", reason=" ")
    with pytest.raises(curation.CurationError):
        curation.unpublish(st.engine, source="nope", actor="lin", reason="x")
    with pytest.raises(curation.CurationError):
        curation.approve(st.engine, 999, "lin")
    with pytest.raises(curation.CurationError):
        curation.approve(st.engine, ids[0], "")


def test_reapproval_brings_it_back_and_keeps_a_live_article_in_place(store):
    st, ids = store
    first = curation.approve(st.engine, ids[0], "lin", now=NOW)
    assert curation.approve(st.engine, ids[0], "lin", now=NOW + timedelta(days=1)) == first
    curation.unpublish(st.engine, ids[0], actor="lin", reason="checking a claim", now=NOW)
    back = NOW + timedelta(days=2)
    assert curation.approve(st.engine, ids[0], "lin", "claim rejected", now=back) == back
    assert _visible(st.engine, back) == [ids[0]]


def test_mark_published_records_when_each_went_out(store):
    st, ids = store
    curation.approve(st.engine, ids[0], "lin", now=NOW)
    curation.approve(st.engine, ids[1], "lin", publish_at=NOW + timedelta(days=1), now=NOW)
    assert curation.mark_published(st.engine, NOW) == [ids[0]]
    assert curation.mark_published(st.engine, NOW) == []
    assert curation.mark_published(st.engine, NOW + timedelta(days=1)) == [ids[1]]
    assert _events(st.engine, ids[0])[-1][2:4] == ("publish", "publisher")
    assert _visible(st.engine, NOW + timedelta(days=1)) == [ids[1], ids[0]]  # still public


def test_approve_many(store):
    st, ids = store
    curation.approve(st.engine, ids[0], "lin", now=NOW - timedelta(days=1))
    assert curation.approve_many(st.engine, ids, "lin", "batch", now=NOW) == len(ids) - 1
    assert _visible(st.engine) == [i for i in ids[::-1] if i != ids[0]] + [ids[0]]  # ids[0] kept its place
    assert [e[2:] for e in _events(st.engine, ids[1])] == [("approve", "lin", "batch")]
    assert curation.approve_many(st.engine, ids, "lin", now=NOW) == 0
