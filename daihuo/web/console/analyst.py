"""The analysts' console pages: search with facet counts, date range, sort, browsing without
a keyword and export of the current view; trends charts; listing statistics and a listing's
price history. Charts are server-side SVG (daihuo.web.svg_charts) with a table beside each.

Filter values are resolved like everywhere else (editorial.filter_values): an alias is shown as
its canonical name, an unknown value is a message naming the closest known values.
"""

from __future__ import annotations

import statistics
from datetime import date, datetime, time, timedelta
from typing import Literal
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi.responses import StreamingResponse

from daihuo.web.accounts import UserInfo
from daihuo.web.bounds import IdPath
from daihuo.web.console import messages_zh
from daihuo.web.console.pages import SECURITY_HEADERS, ConsoleRoute, analyst, render
from daihuo.web.svg_charts import bar_chart, line_chart
from editorial.filter_values import UnknownFilterValue, resolve_filters

# ConsoleRoute: an anonymous visitor is sent to the login page, like every console page
router = APIRouter(prefix="/console", route_class=ConsoleRoute, include_in_schema=False)

PER_PAGE = 20
CN = ZoneInfo("Asia/Shanghai")  # the dates people type are China dates
FACET_LABELS = {"platform": "平台", "topic": "话题", "entity": "实体", "source": "来源",
                "status": "状态", "month": "月份"}
STATUSES = ("new", "approved", "rejected", "published", "unpublished")
FILTER_KEYS = ("q", "platform", "topic", "entity", "source", "status", "since", "until", "sort", "expand")
TREND_SERIES = 8
PARQUET_MISSING = "Parquet export needs pyarrow on the server: pip install 'daihuo[parquet]'"


def _cn_tz() -> ZoneInfo:
    return CN


class BadDate(ValueError):
    pass


def _day(text: str | None, label: str) -> date | None:
    """A date typed in a form (empty: none); BadDate with a message saying how to write it."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BadDate(f"{label}“{text}”不是有效日期，请写成 2026-03-01 的形式") from None


def _dates(since: str | None, until: str | None) -> tuple[date | None, date | None]:
    """The form's date range; a range that ends before it starts is a message, not an empty
    result that looks like "nothing was published"."""
    first, last = _day(since, "起始日期"), _day(until, "截止日期")
    if first and last and first > last:
        raise BadDate(f"起始日期 {first} 晚于截止日期 {last},请对调两个日期或修改其中一个")
    return first, last


def _day_start(d: date | None, days: int = 0) -> datetime | None:
    if d is None:
        return None
    return datetime.combine(d + timedelta(days=days), time.min, _cn_tz())


class _View:
    """The search page's state as typed (for the form and links) and as a request."""

    def __init__(self, q: str, platform: str, topic: str, entity: str, source: str, status: str,
                 since: date | None, until: date | None, sort: str, expand: bool, page: int) -> None:
        self.args = {"q": q, "platform": platform, "topic": topic, "entity": entity, "source": source,
                     "status": status, "since": since.isoformat() if since else "",
                     "until": until.isoformat() if until else "", "sort": sort,
                     "expand": "1" if expand else ""}
        self.since, self.until, self.page = since, until, page

    def request(self, engine, *, per_page: int = PER_PAGE):  # noqa: ANN001, ANN201
        from storage.search import SearchRequest

        named = resolve_filters(engine, **{k: self.args[k] for k in ("platform", "topic", "entity", "source")})
        for k, v in named.items():  # show what was searched: the canonical name
            self.args[k] = v or ""
        return SearchRequest(query=self.args["q"], **named, status=self.args["status"] or None,
                             since=_day_start(self.since), until=_day_start(self.until, 1),
                             sort=self.args["sort"], collapse=not self.args["expand"],
                             page=self.page, per_page=per_page)

    def link(self, **changes: str) -> str:
        args = {**self.args, **changes}
        return urlencode({k: v for k, v in args.items() if v})


def _view(q: str = "", platform: str = "", topic: str = "", entity: str = "", source: str = "",
          status: str = "", since: date | None = None, until: date | None = None,
          sort: Literal["relevance", "date"] = "relevance", expand: bool = False, page: int = 1) -> _View:
    return _View(q.strip(), platform.strip(), topic.strip(), entity.strip(), source.strip(), status,
                 since, until, sort, expand, page)


@router.get("/search")
def search_page(request: Request, q: str = Query("", max_length=500), platform: str = "", topic: str = "",
                entity: str = "", source: str = "", status: str = "", since: str = "", until: str = "",
                sort: Literal["relevance", "date"] = "relevance",
                expand: bool = False, page: int = Query(1, ge=1, le=100000),
                user: UserInfo = analyst) -> Response:
    from daihuo.analysis.export import parquet_available
    from daihuo.analysis.query_terms import query_terms
    from storage.search import QueryError, has_filters, search

    result, error = None, None
    engine = request.app.state.engine
    try:
        view = _view(q, platform, topic, entity, source, status, *_dates(since, until),
                     sort, expand, page)
    except BadDate as exc:
        view, error = _view(q, platform, topic, entity, source, status, None, None, sort, expand, page), str(exc)
    try:
        if error:
            raise BadDate(error)
        req = view.request(engine)
        if view.args["q"] or has_filters(req):
            result = search(engine, req, query_terms)
    except UnknownFilterValue as exc:
        error = exc.message_zh()
    except (QueryError, BadDate) as exc:
        error = messages_zh.error(exc)
    facets = []
    if result:
        for name, values in result.facets.items():
            if not values:
                continue
            key = "month" if name == "month" else name
            items = []
            for value, n in values:
                if key == "month":  # a month is a date range
                    y, m = (int(x) for x in value.split("-"))
                    end = date(y + (m == 12), m % 12 + 1, 1) - timedelta(days=1)
                    href = view.link(since=f"{value}-01", until=end.isoformat(), page="")
                    active = view.args["since"] == f"{value}-01" and view.args["until"] == end.isoformat()
                else:
                    active = view.args.get(key) == value
                    href = view.link(**{key: "" if active else value, "page": ""})
                label = messages_zh.name(value, "status") if key == "status" else value
                items.append({"label": label, "count": n, "href": "/console/search?" + href, "active": active})
            facets.append({"name": name, "label": FACET_LABELS[name], "items": items})
    pages = (result.total + PER_PAGE - 1) // PER_PAGE if result else 0
    return render(request, "search.html", result=result, error=error, args=view.args,
                  facets=facets, page=page, pages=pages, statuses=STATUSES,
                  prev_link=view.link(page=str(page - 1)) if page > 1 else None,
                  next_link=view.link(page=str(page + 1)) if result and page < pages else None,
                  export_csv=view.link(fmt="csv"), export_jsonl=view.link(fmt="jsonl"),
                  export_parquet=view.link(fmt="parquet") if parquet_available() else None,
                  filtered=any(view.args[k] for k in FILTER_KEYS if k not in ("sort",)))


@router.get("/search/export")
def search_export(request: Request, fmt: Literal["csv", "jsonl", "parquet"] = "csv", q: str = Query("", max_length=500),
                  platform: str = "", topic: str = "", entity: str = "", source: str = "", status: str = "",
                  since: str = "", until: str = "",
                  sort: Literal["relevance", "date"] = "relevance", expand: bool = False,
                  bom: bool = True, user: UserInfo = analyst) -> Response:
    """Every hit of the current view (not one page), streamed as it is read; Parquet one
    row group at a time, with ``published_at`` a UTC timestamp."""
    import json

    from daihuo.analysis.export import (
        csv_chunks,
        parquet_available,
        parquet_chunks,
        plan_export,
        search_rows,
    )
    from daihuo.analysis.query_terms import query_terms
    from storage.search import QueryError

    engine = request.app.state.engine
    try:
        view = _view(q, platform, topic, entity, source, status, *_dates(since, until),
                     sort, expand)
        req = view.request(engine)
        plan = plan_export(engine, req, query_terms)  # validates before the response starts
    except UnknownFilterValue as exc:
        raise HTTPException(status_code=400, detail=exc.message_zh()) from None
    except (QueryError, BadDate) as exc:
        raise HTTPException(status_code=400, detail=messages_zh.error(exc)) from None
    if fmt == "parquet" and not parquet_available():  # an optional extra: say so before streaming
        raise HTTPException(status_code=501, detail=messages_zh.error(PARQUET_MISSING))
    rows = search_rows(engine, req, query_terms)
    headers = {**SECURITY_HEADERS, "X-Total-Count": str(plan.total),
               "Content-Disposition": f'attachment; filename="search.{fmt}"'}
    if fmt == "csv":
        return StreamingResponse(csv_chunks(rows, bom=bom), media_type="text/csv; charset=utf-8",
                                 headers=headers)
    if fmt == "parquet":
        return StreamingResponse(parquet_chunks(rows), media_type="application/vnd.apache.parquet",
                                 headers=headers)

    def lines():  # noqa: ANN202
        for r in rows:
            yield json.dumps(r, ensure_ascii=False, default=lambda v: v.isoformat()) + "\n"

    return StreamingResponse(lines(), media_type="application/x-ndjson; charset=utf-8", headers=headers)


@router.get("/trends")
def trends_page(request: Request, kind: Literal["platform", "topic"] = "platform",
                interval: Literal["day", "week"] = "week", since: str = "", until: str = "",
                user: UserInfo = analyst) -> Response:
    from storage import queries

    try:
        since_d, until_d = _dates(since, until)
    except BadDate as exc:
        return render(request, "analyst_trends.html", status_code=400, chart=None, error=str(exc), kind=kind,
                      interval=interval, since=since, until=until)
    since, until = since_d, until_d
    rows = queries.trends(request.app.state.engine, kind=kind, interval=interval,
                          since=_day_start(since), until=_day_start(until, 1))
    totals: dict[str, int] = {}
    for r in rows:
        totals[r["value"]] = totals.get(r["value"], 0) + int(r["articles"])
    top = sorted(totals, key=lambda v: (-totals[v], v))[:TREND_SERIES]
    periods = sorted({r["period"] for r in rows})
    grid = {(r["period"], r["value"]): int(r["articles"]) for r in rows}
    series = {v: [grid.get((p, v), 0) for p in periods] for v in top}
    kind_zh, interval_zh = {"platform": "平台", "topic": "话题"}[kind], {"day": "每日", "week": "每周"}[interval]
    title = f"{interval_zh}文章数（按{kind_zh}，前 {len(top)} 个）"
    chart = line_chart("trend-chart", title, periods, series) if periods else None
    return render(request, "analyst_trends.html", chart=chart, title=title, periods=periods, series=series,
                  kind=kind, interval=interval, since=since.isoformat() if since else "",
                  until=until.isoformat() if until else "", totals=totals, top=top, error=None)


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


@router.get("/listing-stats")
def listing_stats_page(request: Request, platform: str = "", user: UserInfo = analyst) -> Response:
    from daihuo.web.console.pages import listing_platform
    from storage.listing_queries import _mid, query_listings

    named, err = listing_platform(request.app.state.engine, platform)
    rows = [] if err else query_listings(request.app.state.engine, platform=named)
    groups: dict[tuple[str, str], list[dict]] = {}
    for r in rows:
        groups.setdefault((r["platform"] or "未知平台", r["category"] or "未分类"), []).append(r)
    stats = []
    for (plat, cat), items in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        prices = [m for m in (_mid(r) for r in items) if m is not None]
        followers = [r["followers"] for r in items if r["followers"]]
        per10k = [_mid(r) / r["followers"] * 10000 for r in items if _mid(r) is not None and r["followers"]]
        stats.append({"platform": plat, "category": cat, "count": len(items), "priced": len(prices),
                      "median_price": _median(prices), "min_price": min(prices) if prices else None,
                      "max_price": max(prices) if prices else None, "median_followers": _median(followers),
                      "median_per10k": round(_median(per10k), 2) if per10k else None})
    labels = [f"{s['platform']}/{s['category']}" for s in stats[:16]]
    price_chart = bar_chart("price-chart", "各平台/类目的价格中位数（元）", labels,
                            [s["median_price"] for s in stats[:16]], y_label="元") if stats else None
    follower_chart = bar_chart("follower-chart", "各平台/类目的粉丝数中位数", labels,
                               [s["median_followers"] for s in stats[:16]], y_label="粉丝") if stats else None
    listings = sorted(rows, key=lambda r: (r["platform"] or "", r["category"] or "", r["id"]))[:200]
    return render(request, "analyst_listing_stats.html", status_code=400 if err else 200, err=err, stats=stats, price_chart=price_chart,
                  follower_chart=follower_chart, platform=platform, listings=listings)


@router.get("/listings/{listing_id}")
def listing_page(request: Request, listing_id: IdPath, user: UserInfo = analyst) -> Response:
    from storage.listing_queries import price_history, query_listings

    engine = request.app.state.engine
    history = price_history(engine, listing_id)
    if not history:
        raise HTTPException(status_code=404, detail="没有这个账号")
    listing = next((r for r in query_listings(engine) if r["id"] == listing_id), None)
    points = []
    for h in history:
        lo, hi = h.get("price_low"), h.get("price_high")
        mid = (lo + hi) / 2 if lo is not None and hi is not None else (lo if lo is not None else hi)
        points.append({"seen_at": h["seen_at"], "price_low": lo, "price_high": hi, "price": mid,
                       "followers": h.get("followers"), "status": h.get("status")})
    priced = [p for p in points if p["price"] is not None]
    labels = [p["seen_at"].astimezone(_cn_tz()).strftime("%Y-%m-%d %H:%M") for p in priced]
    chart = line_chart("price-history", "价格走势（元，区间取中点）", labels,
                       {"价格": [p["price"] for p in priced]}, y_label="元") if priced else None
    return render(request, "analyst_listing.html", listing=listing, points=points, chart=chart,
                  listing_id=listing_id)
