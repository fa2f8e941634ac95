"""Editorial actions on articles: approve, reject, feature, edit, take down.

Every action changes the article and records a ``curation_events`` row (who, what, why) in
the same transaction. The crawler never touches ``status`` (Store.write updates a re-crawled
article in place), so a takedown holds until an editor approves the article again.

What the public sees is read in ``editorial.published`` (re-exported here for the console).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, Engine, insert, select, update

from editorial.published import (  # noqa: F401  (re-exported: the console reads through here)
    PUBLIC_STATUSES,
    article_history,
    published_article,
    published_articles,
)
from storage.models import Article, CurationEvent, Source
from storage.timestamps import from_db, now_utc, to_utc

#: statuses an article can have; "published" is "approved" once it has gone live in an export
STATUSES = ("new", "approved", "rejected", "published", "unpublished")

_KEEP = object()  # edit(): "leave this field as it is"


class CurationError(ValueError):
    """An action that cannot be done (no such article or source, bad arguments)."""


def _record(conn: Connection, *, article_id: int | None, source_id: int | None, action: str,
            actor: str, reason: str | None, at: datetime) -> None:
    conn.execute(insert(CurationEvent).values(article_id=article_id, source_id=source_id,
                                              action=action, actor=actor, reason=reason, at=at))


def _article(conn: Connection, article_id: int):  # noqa: ANN202
    row = conn.execute(select(Article.id, Article.source_id, Article.status, Article.publish_at)
                       .where(Article.id == article_id)).first()
    if row is None:
        raise CurationError(f"no article {article_id}")
    return row


def _check_actor(actor: str) -> None:
    if not actor or not actor.strip():
        raise CurationError("an action needs an actor (who did it)")


def approve(engine: Engine, article_id: int, actor: str, reason: str | None = None,
            publish_at: datetime | None = None, *, now: datetime | None = None) -> datetime:
    """Approve an article for the site, live from ``publish_at`` (embargo) or now.

    Also how a taken-down or rejected article comes back. Returns the go-live time (UTC)."""
    _check_actor(actor)
    now = to_utc(now) or now_utc()
    with engine.begin() as conn:
        art = _article(conn, article_id)
        live = to_utc(publish_at)
        if live is None:
            # approving a live article again keeps its place; anything else goes live now
            kept = art.status in PUBLIC_STATUSES and art.publish_at is not None
            live = from_db(art.publish_at) if kept else now
        conn.execute(update(Article).where(Article.id == article_id)
                     .values(status="approved", publish_at=live))
        action = "schedule" if live > now else "approve"
        _record(conn, article_id=article_id, source_id=art.source_id, action=action, actor=actor,
                reason=reason, at=now)
    return live


def approve_many(engine: Engine, article_ids: list[int], actor: str, reason: str | None = None,
                 publish_at: datetime | None = None, *, now: datetime | None = None) -> int:
    """Approve many articles in one transaction (a bulk decision in the queue); articles
    already live keep their place. Returns how many changed."""
    _check_actor(actor)
    now = to_utc(now) or now_utc()
    live = to_utc(publish_at) or now
    changed = 0
    with engine.begin() as conn:
        for chunk in (article_ids[i : i + 900] for i in range(0, len(article_ids), 900)):
            rows = conn.execute(select(Article.id, Article.source_id).where(
                Article.id.in_(chunk), Article.status.not_in(PUBLIC_STATUSES))).all()
            if not rows:
                continue
            conn.execute(update(Article).where(Article.id.in_([r.id for r in rows]))
                         .values(status="approved", publish_at=live))
            conn.execute(insert(CurationEvent), [
                dict(article_id=r.id, source_id=r.source_id, action="schedule" if live > now else "approve",
                     actor=actor, reason=reason, at=now) for r in rows])
            changed += len(rows)
    return changed


def reject(engine: Engine, article_id: int, actor: str, reason: str | None = None, *,
           now: datetime | None = None) -> None:
    """Keep an article off the site (it stays in the store and in search for analysts)."""
    _set_status(engine, article_id, "rejected", "reject", actor, reason, now)


def _set_status(engine: Engine, article_id: int, status: str, action: str, actor: str,
                reason: str | None, now: datetime | None) -> None:
    _check_actor(actor)
    now = to_utc(now) or now_utc()
    with engine.begin() as conn:
        art = _article(conn, article_id)
        conn.execute(update(Article).where(Article.id == article_id).values(status=status))
        _record(conn, article_id=article_id, source_id=art.source_id, action=action, actor=actor,
                reason=reason, at=now)


def feature(engine: Engine, article_id: int, actor: str, reason: str | None = None, *,
            now: datetime | None = None) -> None:
    """Pin an article to the top of the home page (it still needs to be approved)."""
    _set_featured(engine, article_id, True, actor, reason, now)


def unfeature(engine: Engine, article_id: int, actor: str, reason: str | None = None, *,
              now: datetime | None = None) -> None:
    _set_featured(engine, article_id, False, actor, reason, now)


def _set_featured(engine: Engine, article_id: int, on: bool, actor: str, reason: str | None,
                  now: datetime | None) -> None:
    _check_actor(actor)
    now = to_utc(now) or now_utc()
    with engine.begin() as conn:
        art = _article(conn, article_id)
        conn.execute(update(Article).where(Article.id == article_id).values(featured=on))
        _record(conn, article_id=article_id, source_id=art.source_id,
                action="feature" if on else "unfeature", actor=actor, reason=reason, at=now)


def edit(engine: Engine, article_id: int, actor: str, *, title: str | None = _KEEP,  # type: ignore[assignment]
         summary: str | None = _KEEP, reason: str | None = None,  # type: ignore[assignment]
         now: datetime | None = None) -> None:
    """Set the editors' title and/or summary; ``None`` clears one (back to the crawled title,
    or the lead). The crawled title and body are never changed, so a re-crawl keeps edits."""
    _check_actor(actor)
    values: dict = {}
    for field, value in (("edited_title", title), ("summary", summary)):
        if value is _KEEP:
            continue
        value = value.strip() if isinstance(value, str) else None
        values[field] = value or None
    if not values:
        raise CurationError("edit needs a title or a summary")
    now = to_utc(now) or now_utc()
    with engine.begin() as conn:
        art = _article(conn, article_id)
        # updated_at moves so feeds and the sitemap announce the change
        conn.execute(update(Article).where(Article.id == article_id).values(updated_at=now, **values))
        what = ", ".join(sorted(k.replace("edited_", "") for k in values))
        _record(conn, article_id=article_id, source_id=art.source_id, action="edit", actor=actor,
                reason=reason or f"edited {what}", at=now)


def unpublish(engine: Engine, article_id: int | None = None, source: str | None = None, *,
              actor: str, reason: str, now: datetime | None = None) -> list[int]:
    """Take down one article, or every article of a source (by registry name), with why.

    Taken-down articles leave the pages, feeds, sitemap and the next static export; a
    re-crawl does not bring them back, only ``approve`` does. Articles not yet approved
    ("new") of a source being taken down are taken down too, so a later bulk approval does
    not publish them by accident. Returns the ids taken down."""
    _check_actor(actor)
    if (article_id is None) == (source is None):
        raise CurationError("unpublish needs exactly one of article_id or source")
    if not reason or not reason.strip():
        raise CurationError("a takedown needs a reason")
    now = to_utc(now) or now_utc()
    with engine.begin() as conn:
        if article_id is not None:
            art = _article(conn, article_id)
            rows = [art]
            source_id = art.source_id
        else:
            source_id = conn.execute(select(Source.id).where(Source.name == source)).scalar()
            if source_id is None:
                raise CurationError(f"no source {source!r}")
            rows = conn.execute(select(Article.id, Article.source_id).where(
                Article.source_id == source_id,
                Article.status.in_(("new", "approved", "published")))).all()
            # the source-wide decision itself, so the console can show and explain it
            _record(conn, article_id=None, source_id=source_id, action="unpublish_source",
                    actor=actor, reason=reason, at=now)
        ids = [r.id for r in rows]
        if ids:
            conn.execute(update(Article).where(Article.id.in_(ids))
                         .values(status="unpublished", featured=False))
            conn.execute(insert(CurationEvent), [
                dict(article_id=i, source_id=source_id, action="unpublish", actor=actor,
                     reason=reason, at=now) for i in ids])
    return ids


def mark_published(engine: Engine, now: datetime | None = None, actor: str = "publisher") -> list[int]:
    """Approved articles whose time has come become "published" (one event each): called by
    the static export, so the record says when each article first went out."""
    now = to_utc(now) or now_utc()
    with engine.begin() as conn:
        rows = conn.execute(select(Article.id, Article.source_id).where(
            Article.status == "approved",
            Article.publish_at.is_(None) | (Article.publish_at <= now))).all()
        if rows:
            conn.execute(update(Article).where(Article.id.in_([r.id for r in rows]))
                         .values(status="published"))
            conn.execute(insert(CurationEvent), [
                dict(article_id=r.id, source_id=r.source_id, action="publish", actor=actor,
                     reason=None, at=now) for r in rows])
    return [r.id for r in rows]
