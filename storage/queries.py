"""Read-side queries for analysts and the web layer: article detail, clusters, trends."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, func, select, text

from storage.models import Article, Cluster, RawPage, Source, Tag
from storage.timestamps import db_param, from_db

ARTICLE_FIELDS = ("id", "url", "canonical_url", "title", "published_at", "authors", "editor",
                  "original_source", "lead", "body", "blocks", "script", "flags", "status",
                  "cluster_id", "created_at", "updated_at")


def article_detail(engine: Engine, article_id: int) -> dict | None:
    """One article with its source, tags and (when it is a repost) the other members."""
    cols = [getattr(Article, f) for f in ARTICLE_FIELDS]
    with engine.connect() as conn:
        row = conn.execute(select(*cols, Source.name.label("source"))
                           .outerjoin(Source, Source.id == Article.source_id)
                           .where(Article.id == article_id)).mappings().first()
        if row is None:
            return None
        out = dict(row)
        for key in ("published_at", "created_at", "updated_at"):
            out[key] = from_db(out[key])
        out["tags"] = article_tags(engine, article_id, conn=conn)
        out["also_at"] = []
        if out["cluster_id"] is not None:
            out["also_at"] = [m for m in cluster_members(engine, out["cluster_id"], conn=conn)
                              if m["id"] != article_id]
    return out


def article_tags(engine: Engine, article_id: int, conn=None) -> list[dict]:  # noqa: ANN001
    # entity candidates (POS guesses) are for the lexicon review only, never shown as tags
    q = (select(Tag.kind, Tag.value, Tag.score, Tag.count, Tag.first_pos, Tag.in_title, Tag.detail)
         .where(Tag.article_id == article_id, Tag.kind != "entity_candidate")
         .order_by(Tag.kind, Tag.score.desc(), Tag.value))
    if conn is None:
        with engine.connect() as c:
            return [dict(r) for r in c.execute(q).mappings()]
    return [dict(r) for r in conn.execute(q).mappings()]


def cluster_members(engine: Engine, cluster_id: int, conn=None) -> list[dict]:  # noqa: ANN001
    """Members of a story cluster, canonical first, then by publication time."""
    q = (select(Article.id, Article.url, Article.title, Article.published_at, Source.name.label("source"),
                (Cluster.canonical_id == Article.id).label("canonical"))
         .join(Cluster, Cluster.id == Article.cluster_id)
         .outerjoin(Source, Source.id == Article.source_id)
         .where(Article.cluster_id == cluster_id))

    def fetch(c) -> list[dict]:  # noqa: ANN001
        rows = [dict(r) for r in c.execute(q).mappings()]
        for r in rows:
            r["published_at"] = from_db(r["published_at"])
            r["canonical"] = bool(r["canonical"])
        return sorted(rows, key=lambda r: (not r["canonical"], r["published_at"] is None,
                                           r["published_at"] or datetime.min, r["id"]))

    if conn is None:
        with engine.connect() as c:
            return fetch(c)
    return fetch(conn)


def trends(engine: Engine, *, kind: str = "platform", interval: str = "day",
           since: datetime | None = None, until: datetime | None = None,
           values: list[str] | None = None) -> list[dict]:
    """Articles mentioning each platform (or topic, entity) per day or week, in China time.

    Returns rows {period, value, articles}; weeks start on Monday.
    """
    if kind not in ("platform", "topic", "entity", "keyword"):
        raise ValueError("kind must be platform, topic, entity or keyword")
    if interval not in ("day", "week"):
        raise ValueError("interval must be day or week")
    dialect = engine.dialect.name
    if dialect == "sqlite":
        local = "datetime(a.published_at, '+8 hours')"
        period = (f"date({local})" if interval == "day"
                  else f"date({local}, '-' || ((CAST(strftime('%w', {local}) AS INTEGER) + 6) % 7) || ' days')")
    else:
        local = "(a.published_at AT TIME ZONE 'Asia/Shanghai')"
        period = f"to_char(date_trunc('{interval}', {local}), 'YYYY-MM-DD')"
    where = ["t.kind = :kind", "a.published_at IS NOT NULL"]
    params: dict = {"kind": kind}
    if since:
        where.append("a.published_at >= :since")
        params["since"] = db_param(since, dialect)
    if until:
        where.append("a.published_at < :until")
        params["until"] = db_param(until, dialect)
    if values:
        names = [f":v{i}" for i in range(len(values))]
        where.append(f"t.value IN ({', '.join(names)})")
        params.update({f"v{i}": v for i, v in enumerate(values)})
    sql = (f"SELECT {period} AS period, t.value AS value, count(DISTINCT a.id) AS articles "
           f"FROM tags t JOIN articles a ON a.id = t.article_id WHERE {' AND '.join(where)} "
           "GROUP BY 1, 2 ORDER BY 1, 3 DESC, 2")
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(text(sql), params).mappings()]


def status_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return dict(conn.execute(select(Article.status, func.count()).group_by(Article.status)).all())




def run_failures(engine: Engine, run_id: int, limit: int = 500) -> dict:
    """What a run could not turn into articles: failed pages (URL, stage, reason; fetch
    failures and refusals included) and quarantined records, with their totals."""
    from storage.models import Quarantine

    with engine.connect() as conn:
        pages_q = select(RawPage.url, RawPage.status, RawPage.error_stage, RawPage.error) \
            .where(RawPage.run_id == run_id, RawPage.error.is_not(None))
        pages = [dict(r._mapping) for r in conn.execute(pages_q.order_by(RawPage.id).limit(limit))]
        n_pages = conn.scalar(select(func.count()).select_from(pages_q.subquery()))
        quarantine_q = select(Quarantine.url, Quarantine.error, Quarantine.created_at) \
            .where(Quarantine.run_id == run_id)
        quarantined = [dict(r._mapping) for r in conn.execute(quarantine_q.order_by(Quarantine.id).limit(limit))]
        n_quarantined = conn.scalar(select(func.count()).select_from(quarantine_q.subquery()))
    return {"pages": pages, "pages_total": n_pages, "quarantined": quarantined,
            "quarantined_total": n_quarantined}
