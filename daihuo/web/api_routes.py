"""The JSON API under /api/: search with facets, articles, clusters, listings, trends.

Read-only analyst access: every route needs a logged-in user with the analyst role or above
(log in with POST /api/auth/login)."""

from __future__ import annotations

from datetime import date, datetime, time, timezone
from typing import Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request

from daihuo.analysis.query_terms import query_terms
from daihuo.web.app_state import engine_of as _engine
from daihuo.web.auth import require
from daihuo.web.bounds import MAX_DB_INT, IdPath, IsoDate, invalid
from daihuo.web.strict_params import reject_unknown_query_params
from editorial.filter_values import UnknownFilterValue, resolve_filters
from storage import listing_queries as listing_q
from storage import queries
from storage.search import QueryError, SearchRequest, search

router = APIRouter(prefix="/api", dependencies=[Depends(require("analyst")),
                                                Depends(reject_unknown_query_params)])


def _start(d: date | None) -> datetime | None:
    return datetime.combine(d, time.min, timezone.utc) if d else None


@router.get("/search", summary="Full-text search with filters and facet counts")
def api_search(
    request: Request,
    q: str = Query("", max_length=2000,
                   description="words, \"phrases\", OR, NOT/-word; empty: browse by the filters"),
    platform: str | None = None, topic: str | None = None, entity: str | None = None,
    source: str | None = None, since: IsoDate | None = None, until: IsoDate | None = None,
    cluster: int | None = None, status: str | None = None,
    sort: Literal["relevance", "date"] = "relevance", recency: bool = False,
    page: int = Query(1, ge=1), per_page: int = Query(20, ge=1, le=100),
    expand: bool = Query(False, description="show every repost instead of one hit per story"),
) -> dict:
    try:
        named = resolve_filters(_engine(request), platform=platform, topic=topic, entity=entity, source=source)
    except UnknownFilterValue as exc:  # the declared 422 shape (HTTPValidationError)
        raise invalid(("query", exc.kind), str(exc), exc.value) from None
    req = SearchRequest(query=q, **named,
                        since=_start(since), until=_start(until), cluster=cluster, status=status,
                        sort=sort, recency=recency, page=page, per_page=per_page, collapse=not expand)
    try:
        result = search(_engine(request), req, query_terms)
    except QueryError as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from None
    return {"total": result.total, "total_exact": result.total_exact, "page": page, "per_page": per_page,
            "filters": {k: v for k, v in named.items() if v},  # as searched: aliases made canonical
            "hits": [h.__dict__ for h in result.hits],
            "facets": {k: [{"value": v, "count": c} for v, c in vals] for k, vals in result.facets.items()}}


@router.get("/articles/{article_id}", summary="One article with its tags and other reports of it")
def api_article(request: Request, article_id: IdPath) -> dict:
    detail = queries.article_detail(_engine(request), article_id)
    if detail is None:
        raise HTTPException(status_code=404, detail="no such article")
    return detail


@router.get("/articles/{article_id}/tags", summary="An article's tags")
def api_article_tags(request: Request, article_id: IdPath) -> list[dict]:
    if queries.article_detail(_engine(request), article_id) is None:
        raise HTTPException(status_code=404, detail="no such article")
    return queries.article_tags(_engine(request), article_id)


@router.get("/clusters/{cluster_id}", summary="The members of a story cluster, canonical first")
def api_cluster(request: Request, cluster_id: IdPath) -> dict:
    members = queries.cluster_members(_engine(request), cluster_id)
    if not members:
        raise HTTPException(status_code=404, detail="no such cluster")
    return {"id": cluster_id, "size": len(members), "members": members}


@router.get("/trends", summary="Articles mentioning each platform or topic per day or week")
def api_trends(request: Request, kind: Literal["platform", "topic", "entity", "keyword"] = "platform",
               interval: Literal["day", "week"] = "day", since: IsoDate | None = None,
               until: IsoDate | None = None, value: list[str] | None = Query(None)) -> list[dict]:
    if value and kind != "keyword":  # named values resolve like search filters (aliases; 422 with help)
        try:
            value = [resolve_filters(_engine(request), **{kind: v})[kind] for v in value]
        except UnknownFilterValue as exc:
            raise invalid(("query", "value"), str(exc), exc.value) from None
    return queries.trends(_engine(request), kind=kind, interval=interval, since=_start(since),
                          until=_start(until), values=value)


@router.get("/listings", summary="Account listings, as tracked over time")
def api_listings(request: Request, platform: str | None = None, category: str | None = None,
                 min_followers: int | None = Query(None, ge=0, le=MAX_DB_INT), verified: bool | None = None,
                 since: IsoDate | None = None, status: Literal["active", "removed"] | None = None,
                 limit: int = Query(100, ge=1, le=10000)) -> list[dict]:
    return listing_q.query_listings(_engine(request), platform=platform, category=category,
                                    min_followers=min_followers, verified=verified,
                                    since=_start(since), status=status, limit=limit)


@router.get("/listings/stats", summary="Count and median prices by platform and category")
def api_listing_stats(request: Request, since: IsoDate | None = None, until: IsoDate | None = None,
                      platform: str | None = None) -> list[dict]:
    return [g.__dict__ for g in listing_q.listing_stats(_engine(request), since=_start(since),
                                                       until=_start(until), platform=platform)]


@router.get("/listings/{listing_id}/history", summary="A listing's snapshots (price history)")
def api_listing_history(request: Request, listing_id: IdPath) -> list[dict]:
    hist = listing_q.price_history(_engine(request), listing_id)
    if not hist:
        raise HTTPException(status_code=404, detail="no such listing")
    return hist
