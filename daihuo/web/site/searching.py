"""The site's one door into ``storage.search``: public articles only, filtered inside the
search (one query for the hits, whatever the store holds), one hit per story (its canonical
report when that matched), then one query for the list items."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine

from daihuo.analysis.query_terms import query_terms
from editorial.published import PUBLIC_STATUSES, published_summaries
from storage.search import QueryError, SearchRequest, search


@dataclass
class SiteSearch:
    query: str
    hits: list[dict] = field(default_factory=list)  # list items + "snippet"
    total: int = 0
    page: int = 1
    pages: int = 1
    error: str | None = None


def _reader_message(exc: QueryError) -> str:
    """What a reader is told (in Chinese, like every page) when the search refuses a query.
    Only a query of symbols or operators reaches here from the site's one search box; the
    other refusals are about parameters the site sets itself."""
    if str(exc).startswith("the query has no searchable words"):
        return "检索词里没有可检索的词(只有符号或运算符),请输入要找的词"
    return "这个检索词无法检索,请换一个词再试"


def site_search(engine: Engine, query: str, now: datetime, page: int = 1, per_page: int = 20) -> SiteSearch:
    """Public articles matching ``query``, best first, one per story."""
    query = (query or "").strip()[:200]
    out = SiteSearch(query=query, page=page)
    if not query:
        return out
    try:
        result = search(engine, SearchRequest(
            query=query, page=page, per_page=per_page, collapse=True, facets=False, snippets=True,
            now=now, live_at=now, live_statuses=PUBLIC_STATUSES), query_terms)
    except QueryError as exc:
        out.error = _reader_message(exc)
        return out
    # collapsed by the search: one hit per story, its canonical report when that matched
    items = {item["id"]: item for item in published_summaries(engine, [h.id for h in result.hits], now)}
    out.hits = [{**items[h.id], "snippet": h.snippet or items[h.id]["summary"]}
                for h in result.hits if h.id in items]
    out.total = result.total
    out.pages = max(1, math.ceil(out.total / per_page))
    return out
