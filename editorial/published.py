"""What the public sees: approved articles whose go-live time has passed (embargo).

An article is public when its status is approved or published and its ``publish_at`` is not
in the future. Everything the site, the feeds, the sitemap and the static export show is
read here, so a takedown (status "unpublished") reaches all of them at once.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, Engine, and_, bindparam, exists, func, or_, select

from storage.models import Article, Cluster, CurationEvent, Source, Tag
from storage.timestamps import from_db, to_utc

PUBLIC_STATUSES = ("approved", "published")
#: tag kinds the site links to
SITE_TAG_KINDS = ("platform", "topic")
SUMMARY_CHARS = 120


def is_public(now: datetime | None = None) -> ColumnElement[bool]:
    """The SQL condition for "visible on the site at ``now``" (None: a ``:now`` parameter,
    for statements built once)."""
    when = bindparam("now", type_=Article.publish_at.type) if now is None else to_utc(now)
    return and_(Article.status.in_(PUBLIC_STATUSES),
                or_(Article.publish_at.is_(None), Article.publish_at <= when))


#: when an article went live (articles approved before scheduling existed have no publish_at)
LIVE_AT = func.coalesce(Article.publish_at, Article.created_at)

_LIST_COLS = (Article.id, Article.title, Article.edited_title, Article.summary, Article.lead,
              Article.body, Article.published_at, Article.publish_at, Article.created_at,
              Article.updated_at, Article.featured, Article.url, Article.canonical_url,
              Article.original_source, Article.cluster_id, Article.status,
              Source.name.label("source"))


@dataclass
class ArticlePage:
    """One page of a listing of public articles."""

    items: list[dict]
    total: int
    page: int
    per_page: int
    pages: int = field(init=False)

    def __post_init__(self) -> None:
        self.pages = max(1, math.ceil(self.total / self.per_page))


def excerpt(text: str, limit: int = SUMMARY_CHARS) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[:limit].rstrip() + "…"


def _item(row: dict, tags: dict[int, dict[str, list[str]]]) -> dict:
    out = dict(row)
    out["crawled_title"] = out["title"]
    out["title"] = out.pop("edited_title") or out["title"] or "(无标题)"
    out["summary_edited"] = bool(out["summary"])
    lead, body = out.pop("lead", None), out.pop("body", "")
    out["summary"] = out["summary"] or excerpt(lead or "") or excerpt(body)
    for key in ("published_at", "publish_at", "created_at", "updated_at"):
        out[key] = from_db(out[key])
    out["live_at"] = out["publish_at"] or out["created_at"]
    out["featured"] = bool(out["featured"])
    kinds = tags.get(out["id"], {})
    out["platforms"] = kinds.get("platform", [])
    out["topics"] = kinds.get("topic", [])
    return out


# Statements the site runs on every request are built once (building one costs more than
# running it on SQLite); parameters: :now, :aid, :ids / :cids (expanding lists).
_TAGS_Q = (select(Tag.article_id, Tag.kind, Tag.value)
           .where(Tag.article_id.in_(bindparam("ids", expanding=True)), Tag.kind.in_(SITE_TAG_KINDS))
           .order_by(Tag.article_id, Tag.kind, Tag.score.desc(), Tag.value))


def _tags_for(conn, ids: list[int]) -> dict[int, dict[str, list[str]]]:  # noqa: ANN001
    out: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for chunk in (ids[i : i + 900] for i in range(0, len(ids), 900)):  # SQLite's variable limit
        rows = conn.execute(_TAGS_Q, {"ids": chunk})
        for r in rows:
            if r.value not in out[r.article_id][r.kind]:
                out[r.article_id][r.kind].append(r.value)
    return out


def _filters(now: datetime, platform: str | None, topic: str | None, source: str | None) -> list:
    conds: list = [is_public(now)]
    for kind, value in (("platform", platform), ("topic", topic)):
        if value is not None:
            conds.append(exists().where(Tag.article_id == Article.id, Tag.kind == kind,
                                        Tag.value == value))
    if source is not None:
        conds.append(Source.name == source)
    return conds


def one_per_story(now: datetime) -> ColumnElement[bool]:
    """True for the public article that stands for its story: an article outside any cluster,
    its cluster's canonical article, or (when that one is not public) the public member with
    the lowest id. An original and its reposts approved together make one entry."""
    other = Article.__table__.alias("story_other")
    canonical = (select(Cluster.canonical_id).where(Cluster.id == Article.cluster_id)
                 .correlate(Article).scalar_subquery())
    when = to_utc(now)
    better = (select(other.c.id).where(
        other.c.cluster_id == Article.cluster_id, other.c.id != Article.id,
        other.c.status.in_(PUBLIC_STATUSES),
        or_(other.c.publish_at.is_(None), other.c.publish_at <= when),
        or_(other.c.id == canonical, and_(Article.id != canonical, other.c.id < Article.id)))
        .correlate(Article))
    return or_(Article.cluster_id.is_(None), ~exists(better))


def story_representative_ids(engine: Engine, now: datetime) -> set[int]:
    """Ids of the public articles that stand for their story (the static export's lists)."""
    with engine.connect() as conn:
        return set(conn.execute(select(Article.id).where(is_public(now), one_per_story(now))).scalars())


def published_articles(engine: Engine, now: datetime, platform: str | None = None,
                       topic: str | None = None, *, source: str | None = None,
                       featured_first: bool = False, page: int = 1, per_page: int = 20,
                       with_body: bool = False, per_story: bool = False) -> ArticlePage:
    """Public articles, newest go-live first (featured ones first when asked: the home page),
    filtered by platform, topic or source; one page of them and the total. ``per_story``:
    one entry per story (see one_per_story), as the home page, lists and feeds show them."""
    if page < 1 or per_page < 1:
        raise ValueError("page and per_page start at 1")
    conds = _filters(now, platform, topic, source)
    if per_story:
        conds.append(one_per_story(now))
    order = [LIVE_AT.desc(), Article.id.desc()]
    if featured_first:
        order.insert(0, Article.featured.desc())
    with engine.connect() as conn:
        total = conn.scalar(select(func.count()).select_from(Article)
                            .outerjoin(Source, Source.id == Article.source_id).where(*conds))
        cols = _LIST_COLS + ((Article.blocks,) if with_body else ())
        rows = [dict(r) for r in conn.execute(
            select(*cols).outerjoin(Source, Source.id == Article.source_id).where(*conds)
            .order_by(*order).limit(per_page).offset((page - 1) * per_page)).mappings()]
        tags = _tags_for(conn, [r["id"] for r in rows])
    return ArticlePage([_item(r, tags) for r in rows], total or 0, page, per_page)


def _chunks(ids: list[int], n: int = 900) -> list[list[int]]:
    return [ids[i : i + n] for i in range(0, len(ids), n)]


_MEMBERS_Q = (
    select(Article.id, Article.cluster_id, Article.title, Article.canonical_url,
           Article.published_at, Article.original_source, Article.status, Article.publish_at,
           Source.name.label("source"), (Cluster.canonical_id == Article.id).label("canonical"))
    .join(Cluster, Cluster.id == Article.cluster_id)
    .outerjoin(Source, Source.id == Article.source_id)
    .where(Article.cluster_id.in_(bindparam("cids", expanding=True)), Article.status != "unpublished"))


def _also_at(conn, members_of: dict[int, list[int]], now: datetime) -> dict[int, list[dict]]:  # noqa: ANN001
    """Other reports of each cluster: where else the story ran (not the taken-down ones)."""
    if not members_of:
        return {}
    rows = [r for chunk in _chunks(list(members_of))
            for r in conn.execute(_MEMBERS_Q, {"cids": chunk}).mappings()]
    by_cluster: dict[int, list[dict]] = defaultdict(list)
    utc_now = to_utc(now)
    for r in rows:
        m = dict(r)
        m["published_at"] = from_db(m["published_at"])
        live = from_db(m.pop("publish_at"))
        m["public"] = m.pop("status") in PUBLIC_STATUSES and (live is None or live <= utc_now)
        m["canonical"] = bool(m["canonical"])
        by_cluster[m.pop("cluster_id")].append(m)
    for members in by_cluster.values():
        members.sort(key=lambda m: (not m["canonical"], m["published_at"] is None,
                                    m["published_at"] or datetime.min.replace(tzinfo=utc_now.tzinfo),
                                    m["id"]))
    return {cid: by_cluster.get(cid, []) for cid in members_of}


_DETAIL_ALL_Q = (select(*_LIST_COLS, Article.blocks, Article.authors)
                 .outerjoin(Source, Source.id == Article.source_id).where(is_public())
                 .order_by(LIVE_AT.desc(), Article.id.desc()))
_DETAIL_ONE_Q = _DETAIL_ALL_Q.where(Article.id == bindparam("aid"))


def _details(conn, params: dict, now: datetime) -> list[dict]:  # noqa: ANN001
    stmt = _DETAIL_ONE_Q if "aid" in params else _DETAIL_ALL_Q
    rows = [dict(r) for r in conn.execute(stmt, {**params, "now": to_utc(now)}).mappings()]
    tags = _tags_for(conn, [r["id"] for r in rows])
    clusters: dict[int, list[int]] = defaultdict(list)
    for r in rows:
        if r["cluster_id"] is not None:
            clusters[r["cluster_id"]].append(r["id"])
    also = _also_at(conn, clusters, now)
    out = []
    for r in rows:
        item = _item(r, tags)
        item["blocks"] = item.get("blocks") or []
        item["authors"] = item.get("authors") or []
        item["also_at"] = [m for m in also.get(item["cluster_id"], []) if m["id"] != item["id"]]
        out.append(item)
    return out


def published_article(engine: Engine, article_id: int, now: datetime) -> dict | None:
    """One public article with blocks, tags and the other reports of its story; None when
    it is not public (never approved, embargoed, rejected or taken down)."""
    with engine.connect() as conn:
        found = _details(conn, {"aid": int(article_id)}, now)
    return found[0] if found else None


def published_corpus(engine: Engine, now: datetime) -> list[dict]:
    """Every public article in full, newest first (the static export reads them at once)."""
    with engine.connect() as conn:
        return _details(conn, {}, now)


def published_tags(engine: Engine, now: datetime, kind: str) -> list[tuple[str, int]]:
    """Platform (or topic) values of public articles with their counts, most used first."""
    if kind not in SITE_TAG_KINDS:
        raise ValueError(f"kind must be one of {SITE_TAG_KINDS}")
    q = (select(Tag.value, func.count(func.distinct(Tag.article_id)).label("n"))
         .join(Article, Article.id == Tag.article_id)
         .where(Tag.kind == kind, is_public(now)).group_by(Tag.value)
         .order_by(func.count(func.distinct(Tag.article_id)).desc(), Tag.value))
    with engine.connect() as conn:
        return [(r.value, r.n) for r in conn.execute(q)]


def public_ids(engine: Engine, ids: list[int], now: datetime) -> set[int]:
    """Which of ``ids`` are public (to filter search hits, which cover the whole store)."""
    out: set[int] = set()
    with engine.connect() as conn:
        for chunk in (ids[i : i + 900] for i in range(0, len(ids), 900)):
            out.update(conn.execute(select(Article.id).where(Article.id.in_(chunk), is_public(now)))
                       .scalars())
    return out


def published_summaries(engine: Engine, ids: list[int], now: datetime) -> list[dict]:
    """List items for the public ones of ``ids``, in the order given (search results)."""
    if not ids:
        return []
    with engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(
            select(*_LIST_COLS).outerjoin(Source, Source.id == Article.source_id)
            .where(Article.id.in_(ids), is_public(now))).mappings()]
        tags = _tags_for(conn, [r["id"] for r in rows])
    by_id = {r["id"]: _item(r, tags) for r in rows}
    return [by_id[i] for i in ids if i in by_id]


def article_history(engine: Engine, article_id: int) -> list[dict]:
    """The curation events of one article (and of its source's takedowns), oldest first."""
    with engine.connect() as conn:
        src = conn.scalar(select(Article.source_id).where(Article.id == article_id))
        cond = CurationEvent.article_id == article_id
        if src is not None:
            cond = or_(cond, and_(CurationEvent.article_id.is_(None), CurationEvent.source_id == src))
        rows = conn.execute(select(CurationEvent.id, CurationEvent.article_id, CurationEvent.action,
                                   CurationEvent.actor, CurationEvent.reason, CurationEvent.at)
                            .where(cond).order_by(CurationEvent.at, CurationEvent.id)).mappings()
        out = [dict(r) for r in rows]
    for r in out:
        r["at"] = from_db(r["at"])
    return out


def published_stamps(engine: Engine, now: datetime) -> list[tuple[int, datetime, datetime | None]]:
    """(id, live_at, updated_at) of every public article, newest first (for the sitemap)."""
    with engine.connect() as conn:
        rows = conn.execute(select(Article.id, LIVE_AT.label("live"), Article.updated_at)
                            .where(is_public(now)).order_by(LIVE_AT.desc(), Article.id.desc())).all()
    return [(r.id, from_db(r.live), from_db(r.updated_at)) for r in rows]


def cluster_canonicals(engine: Engine, cluster_ids: set[int]) -> dict[int, int]:
    """{cluster id: its canonical article id} (the report a story is shown as)."""
    if not cluster_ids:
        return {}
    with engine.connect() as conn:
        return dict(conn.execute(select(Cluster.id, Cluster.canonical_id)
                                 .where(Cluster.id.in_(sorted(cluster_ids)))).all())
