"""The curation queue: articles awaiting a decision, one row per story (clusters collapsed),
with their provenance (source and tier, crawl run, extraction flags, tags, cluster size).

Decisions themselves are editorial.curation's; this module only reads.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine, String, cast, exists, func, literal, or_, select

from editorial.curation import STATUSES, article_history
from storage.console_models import SourceMeta
from storage.models import Article, Cluster, RawPage, Source, Tag
from storage.timestamps import from_db, to_utc


@dataclass
class QueueFilter:
    status: str | None = "new"  # None: every status
    source: str | None = None
    tier: str | None = None
    platform: str | None = None
    topic: str | None = None
    flag: str | None = None
    q: str | None = None  # words in the title
    since: datetime | None = None  # stored since
    featured: bool | None = None
    order: str = "newest"  # by arrival: "newest" (latest arrival first) or "oldest"
    page: int = 1
    per_page: int = 50


@dataclass
class QueuePage:
    items: list[dict]
    total: int  # stories (collapsed rows) matching
    page: int
    per_page: int
    pages: int = field(init=False)

    def __post_init__(self) -> None:
        self.pages = max(1, math.ceil(self.total / self.per_page))


def _story_key():  # noqa: ANN202
    # one key per story: the cluster, or the article itself when it has none
    return func.coalesce(Article.cluster_id, -Article.id)


def _conditions(f: QueueFilter) -> list:
    conds = []
    if f.status:
        if f.status not in STATUSES:
            raise ValueError(f"status must be one of {', '.join(STATUSES)}")
        conds.append(Article.status == f.status)
    if f.source:
        conds.append(Article.source_id.in_(select(Source.id).where(Source.name == f.source)))
    if f.tier:
        in_tier = select(SourceMeta.source_id).where(SourceMeta.tier == f.tier)
        if f.tier == "B":  # sources without a meta row are tier B
            conds.append(or_(Article.source_id.in_(in_tier),
                             Article.source_id.not_in(select(SourceMeta.source_id))))
        else:
            conds.append(Article.source_id.in_(in_tier))
    for kind, value in (("platform", f.platform), ("topic", f.topic)):
        if value:
            conds.append(exists().where(Tag.article_id == Article.id, Tag.kind == kind, Tag.value == value))
    if f.flag:
        # flags are a JSON object; its text holds the key in quotes on SQLite and PostgreSQL
        conds.append(cast(Article.flags, String).contains(f'"{f.flag}"'))
    if f.q:
        for word in f.q.split()[:5]:
            conds.append(or_(Article.title.contains(word), Article.edited_title.contains(word)))
    if f.since:
        conds.append(Article.created_at >= to_utc(f.since))
    if f.featured is not None:
        conds.append(Article.featured == f.featured)
    return conds


def _rows(conn, ids: list[int]) -> dict[int, dict]:  # noqa: ANN001
    if not ids:
        return {}
    stmt = (select(Article.id, Article.title, Article.edited_title, Article.summary, Article.lead,
                   Article.url, Article.status, Article.featured, Article.flags, Article.cluster_id,
                   Article.published_at, Article.created_at, Article.publish_at,
                   func.length(Article.body).label("body_chars"), Source.name.label("source"),
                   func.substr(Article.body, 1, 300).label("body_start"),  # the lead, when none was extracted
                   func.coalesce(SourceMeta.tier, literal("B")).label("tier"),
                   RawPage.run_id, func.coalesce(Cluster.size, 1).label("cluster_size"))
            .outerjoin(Source, Source.id == Article.source_id)
            .outerjoin(SourceMeta, SourceMeta.source_id == Article.source_id)
            .outerjoin(RawPage, RawPage.id == Article.raw_page_id)
            .outerjoin(Cluster, Cluster.id == Article.cluster_id)
            .where(Article.id.in_(ids)))
    out = {}
    for r in conn.execute(stmt).mappings():
        item = dict(r)
        for key in ("published_at", "created_at", "publish_at"):
            item[key] = from_db(item[key])
        item["flags"] = {k: v for k, v in (item["flags"] or {}).items() if v}
        item["platforms"], item["topics"] = [], []
        out[item["id"]] = item
    for t in conn.execute(select(Tag.article_id, Tag.kind, Tag.value)
                          .where(Tag.article_id.in_(ids), Tag.kind.in_(("platform", "topic")))
                          .order_by(Tag.score.desc())):
        out[t.article_id]["platforms" if t.kind == "platform" else "topics"].append(t.value)
    return out


def queue(engine: Engine, f: QueueFilter | None = None) -> QueuePage:
    """A page of the queue, by arrival (newest stories first, or oldest with ``order``). Each item is the story's representative
    (its cluster's canonical article when that one matches, else the earliest that does)
    with ``members``: the story's other articles, matching or not, with their status."""
    f = f or QueueFilter()
    page, per_page = max(1, f.page), max(1, min(f.per_page, 500))
    key = _story_key().label("story")
    matching = select(Article.id, key, Article.created_at).where(*_conditions(f)).subquery()
    groups = (select(matching.c.story, func.min(matching.c.id).label("first"),
                     func.max(matching.c.created_at).label("latest"))
              .group_by(matching.c.story))
    if f.order not in ("newest", "oldest"):
        raise ValueError("order must be newest or oldest")
    # arrival order: ids grow as articles are stored, so they break ties within one batch
    if f.order == "newest":
        by_arrival = (func.max(matching.c.created_at).desc(), func.max(matching.c.id).desc())
    else:
        by_arrival = (func.min(matching.c.created_at).asc(), func.min(matching.c.id).asc())
    with engine.connect() as conn:
        total = conn.scalar(select(func.count()).select_from(groups.subquery())) or 0
        page_groups = conn.execute(groups.order_by(*by_arrival)
                                   .limit(per_page).offset((page - 1) * per_page)).all()
        stories = [g.story for g in page_groups]
        cluster_ids = [s for s in stories if s > 0]
        in_queue: dict[int, set[int]] = defaultdict(set)
        for r in conn.execute(select(matching.c.id, matching.c.story)
                              .where(matching.c.story.in_(stories))):
            in_queue[r.story].add(r.id)
        member_ids: dict[int, list[int]] = defaultdict(list)
        canon: dict[int, int | None] = {}
        if cluster_ids:
            for r in conn.execute(select(Article.id, Article.cluster_id)
                                  .where(Article.cluster_id.in_(cluster_ids)).order_by(Article.id)):
                member_ids[r.cluster_id].append(r.id)
            canon = dict(conn.execute(select(Cluster.id, Cluster.canonical_id)
                                      .where(Cluster.id.in_(cluster_ids))).all())
        rep_of = {}
        for g in page_groups:
            c = canon.get(g.story)
            rep_of[g.story] = c if c in in_queue[g.story] else g.first
        every = set(rep_of.values()) | {i for ids in member_ids.values() for i in ids}
        rows = _rows(conn, sorted(every))
    items = []
    for g in page_groups:
        item = dict(rows[rep_of[g.story]])
        item["in_queue"] = sorted(in_queue[g.story])
        item["members"] = [{k: rows[m][k] for k in ("id", "title", "edited_title", "source", "url",
                                                    "status", "tier")}
                           for m in member_ids.get(g.story, []) if m != item["id"]]
        items.append(item)
    return QueuePage(items, total, page, per_page)


def queue_article(engine: Engine, article_id: int) -> dict | None:
    """One article as the queue shows it in full: provenance, blocks (for a safe preview),
    the story's other members and the decisions taken on it."""
    with engine.connect() as conn:
        rows = _rows(conn, [article_id])
        if not rows:
            return None
        item = rows[article_id]
        extra = conn.execute(select(Article.blocks, Article.body, Article.canonical_url, Article.authors)
                             .where(Article.id == article_id)).first()
        item.update(blocks=extra.blocks or [], canonical_url=extra.canonical_url,
                    authors=extra.authors or [])
        item["members"] = []
        if item["cluster_id"] is not None:
            ids = [r.id for r in conn.execute(select(Article.id).where(
                Article.cluster_id == item["cluster_id"], Article.id != article_id))]
            item["members"] = list(_rows(conn, ids).values())
    item["history"] = article_history(engine, article_id)
    return item


def story_members(engine: Engine, article_ids: list[int], status: str | None = "new") -> list[int]:
    """The given articles plus the other articles of their stories (with ``status``): what a
    decision "for the whole story" applies to."""
    if not article_ids:
        return []
    with engine.connect() as conn:
        clusters = {c for (c,) in conn.execute(select(Article.cluster_id).where(
            Article.id.in_(article_ids), Article.cluster_id.is_not(None)))}
        more: set[int] = set()
        if clusters:
            stmt = select(Article.id).where(Article.cluster_id.in_(clusters))
            if status:
                stmt = stmt.where(Article.status == status)
            more = {i for (i,) in conn.execute(stmt)}
    return sorted(set(article_ids) | more)


def queue_counts(engine: Engine) -> dict[str, int]:
    """Articles per status (the dashboard)."""
    with engine.connect() as conn:
        rows = conn.execute(select(Article.status, func.count()).group_by(Article.status)).all()
    counts = {s: 0 for s in STATUSES}
    counts.update({s: n for s, n in rows})
    return counts


def new_article_ids(engine: Engine, limit: int = 5000) -> list[int]:
    """Ids of the articles waiting for a decision, newest first (rules are re-run on them)."""
    with engine.connect() as conn:
        return [i for (i,) in conn.execute(select(Article.id).where(Article.status == "new")
                                           .order_by(Article.id.desc()).limit(limit))]
