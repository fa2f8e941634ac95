"""The site's one door into ``storage.search`` (its interface may still change: adjust here).

storage.search covers the whole store, whatever the status; the site shows only public
articles, so it asks for the best ``CANDIDATES`` matches, keeps the public ones (embargo
included), shows one per story (cluster) and pages through them itself.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine

from daihuo.analysis.query_terms import query_terms
from editorial.published import cluster_canonicals, public_ids, published_summaries
from storage.search import QueryError, SearchRequest, search

#: matches considered per query (best first); a public site search needs no deeper pages
CANDIDATES = 300


@dataclass
class SiteSearch:
    query: str
    hits: list[dict] = field(default_factory=list)  # list items + "snippet"
    total: int = 0
    page: int = 1
    pages: int = 1
    error: str | None = None


def site_search(engine: Engine, query: str, now: datetime, page: int = 1, per_page: int = 20) -> SiteSearch:
    """Public articles matching ``query``, best first, one per story."""
    query = (query or "").strip()[:200]
    out = SiteSearch(query=query, page=page)
    if not query:
        return out
    try:
        result = search(engine, SearchRequest(query=query, per_page=CANDIDATES, collapse=False,
                                              facets=False, snippets=True, now=now), query_terms)
    except QueryError as exc:
        out.error = str(exc)
        return out
    hits = [h for h in result.hits if h.id in public_ids(engine, [h.id for h in result.hits], now)]
    # one hit per story, at its best rank, showing the story's canonical report when public
    canonical = cluster_canonicals(engine, {h.cluster_id for h in hits if h.cluster_id is not None})
    by_id = {h.id: h for h in hits}
    ranked, seen_clusters, snippets = [], set(), {}
    for h in hits:
        if h.cluster_id is not None:
            if h.cluster_id in seen_clusters:
                continue
            seen_clusters.add(h.cluster_id)
            h = by_id.get(canonical.get(h.cluster_id), h)
        ranked.append(h.id)
        snippets[h.id] = h.snippet
    out.total = len(ranked)
    out.pages = max(1, math.ceil(out.total / per_page))
    window = ranked[(page - 1) * per_page : page * per_page]
    out.hits = [{**item, "snippet": snippets[item["id"]] or item["summary"]}
                for item in published_summaries(engine, window, now)]
    return out
