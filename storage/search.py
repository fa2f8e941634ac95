"""Full-text search: one interface, two engines (SQLite FTS5; PostgreSQL tsvector + GIN).

Both index the document's jieba search-mode terms (title_terms, body_terms); the user's query
is parsed by ``storage.query`` (words, "phrases", OR, NOT/-word, brackets) and analysed by the
caller's ``analyze`` (the same segmentation as documents), so user text never becomes engine
syntax. Ranking: SQLite bm25 with the title weighted 10× the body; PostgreSQL ts_rank with
weights A (title) 1.0, B (body) 0.1 and length normalisation; optional recency boost.

Bounded cost at a million documents: a query as common as "直播 电商" matches most of the
corpus, and ranking or faceting every match would cost seconds. Both engines therefore rank,
collapse and facet the newest ``CANDIDATE_CAP`` matching documents (those passing the filters),
walked newest-first in the index's own rowid order, so a query's cost is bounded by the cap,
not by how common its words are. ``SearchResult.total_exact`` is False when the cap was hit:
``total`` is then a lower bound, and facets describe the newest matches (a sample).
Pagination is stable: every ordering ends in the article id.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timezone
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, text

from storage.query import Query, QueryError, fts5_literal, parse_query
from storage.store import db_param, from_db

__all__ = ["CANDIDATE_CAP", "Hit", "QueryError", "SearchRequest", "SearchResult", "fts5_literal",
           "make_snippet", "parse_query", "search"]

#: matches ranked / collapsed / faceted per query (newest first); see the module doc
CANDIDATE_CAP = 1000
FACET_TOP = 20
SORTS = ("relevance", "date")
STATUSES = ("new", "approved", "rejected", "published", "unpublished")
#: recency: score × (1 + 1 / (1 + age_days / RECENCY_DAYS)): a fresh article counts double
RECENCY_DAYS = 30.0
#: ts_rank weights {D, C, B (body), A (title)} and length normalisation (0: none; 1 ranked
#: short pages above the article naming the word in both title and body on the demo site)
PG_WEIGHTS = "{0, 0, 0.1, 1.0}"
PG_NORMALIZATION = 0
TAG_FILTERS = ("platform", "topic", "entity")
FACETS = ("platform", "topic", "entity", "source", "status", "month")


@dataclass
class SearchRequest:
    query: str
    platform: str | None = None
    topic: str | None = None
    entity: str | None = None
    source: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    cluster: int | None = None
    status: str | None = None
    sort: str = "relevance"  # relevance | date
    recency: bool = False
    page: int = 1
    per_page: int = 20
    collapse: bool = True  # one hit per story: its canonical member if matched, else its best; with its size
    facets: bool = True
    snippets: bool = True
    now: datetime | None = None  # the recency reference (default: the current time)


@dataclass
class Hit:
    id: int
    title: str | None
    url: str
    source: str | None
    published_at: datetime | None
    score: float
    snippet: str
    platforms: list[str] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)
    status: str = "new"
    cluster_id: int | None = None
    cluster_size: int = 1  # articles in the story's cluster (1: no reposts known)


@dataclass
class SearchResult:
    hits: list[Hit]
    total: int  # hits (clusters when collapsed) among the candidates
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    total_exact: bool = True  # False: more than CANDIDATE_CAP matches; total is a lower bound
    terms: list[str] = field(default_factory=list)  # the analysed terms a hit matches


def make_snippet(body: str, terms: list[str], width: int = 80, mark: tuple[str, str] = ("【", "】")) -> str:
    """A window of the original (unsegmented) body around its densest cluster of matches,
    every match in the window marked."""
    words = sorted({t for t in terms if t.strip()}, key=len, reverse=True)
    body = body or ""
    if not words:
        return body[:width].replace("\n", " ") + ("…" if len(body) > width else "")
    pattern = re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE)
    # the window that shows the most distinct query words wins (the first such on ties)
    found = [(m.start(), m.group(0).lower()) for m in pattern.finditer(body, 0, 20000)][:200]
    best, best_n = (found[0][0] if found else 0), 0
    span = width * 2 // 3
    counts: dict[str, int] = {}
    j = 0
    for i, (pos, _) in enumerate(found):  # two pointers: found[i:j] lie within the window
        while j < len(found) and found[j][0] < pos + span:
            counts[found[j][1]] = counts.get(found[j][1], 0) + 1
            j += 1
        if len(counts) > best_n:
            best, best_n = pos, len(counts)
        word = found[i][1]
        counts[word] -= 1
        if not counts[word]:
            del counts[word]
    start = max(0, best - width // 4)
    window = body[start : start + width].replace("\n", " ")
    marked = pattern.sub(lambda mm: mark[0] + mm.group(0) + mark[1], window)
    return ("…" if start > 0 else "") + marked + ("…" if start + width < len(body) else "")


# -- SQL building -----------------------------------------------------------------------------
def _filters(req: SearchRequest, dialect: str, params: dict, id_col: str) -> tuple[str, bool]:
    """SQL conditions for the request's filters; second value: whether they need ``articles a``."""
    conds: list[str] = []
    needs_article = False
    for kind in TAG_FILTERS:
        value = getattr(req, kind)
        if value:
            params[f"f_{kind}"] = value
            conds.append(f"EXISTS (SELECT 1 FROM tags t WHERE t.kind = '{kind}' AND t.value = :f_{kind}"
                         f" AND t.article_id = {id_col})")
    if req.source:
        params["f_source"] = req.source
        conds.append("a.source_id IN (SELECT s.id FROM sources s WHERE s.name = :f_source)")
    if req.since:
        params["f_since"] = db_param(req.since, dialect)
        conds.append("a.published_at >= :f_since")
    if req.until:
        params["f_until"] = db_param(req.until, dialect)
        conds.append("a.published_at < :f_until")
    if req.cluster is not None:
        params["f_cluster"] = int(req.cluster)
        conds.append("a.cluster_id = :f_cluster")
    if req.status:
        params["f_status"] = req.status
        conds.append("a.status = :f_status")
    needs_article = any(c.startswith("a.") for c in conds)
    return "".join(" AND " + c for c in conds), needs_article


def _candidates(q: Query, req: SearchRequest, dialect: str, params: dict, scored: bool) -> str:
    """SELECT of the newest CANDIDATE_CAP matches passing the filters: id [, rel]."""
    params["cap"] = CANDIDATE_CAP
    if dialect == "sqlite":
        params["q"] = q.fts5()
        where, needs_article = _filters(req, dialect, params, "articles_fts.rowid")
        join = f" JOIN {_narrow(dialect)} ON a.id = articles_fts.rowid" if needs_article else ""
        rel = ", -bm25(articles_fts, 10.0, 1.0) AS rel" if scored else ""
        # FTS5 walks its doclists in rowid order itself: newest-first costs no sort
        return (f"SELECT articles_fts.rowid AS id{rel} FROM articles_fts{join}"
                f" WHERE articles_fts MATCH :q{where} ORDER BY articles_fts.rowid DESC LIMIT :cap")
    tsq = q.tsquery(params)
    rank_q = q.positive().tsquery(params, prefix="rq") if scored else "NULL"
    where, _ = _filters(req, dialect, params, "a.id")
    rel = f", ts_rank('{PG_WEIGHTS}'::float4[], a.tsv, qq.rq, {PG_NORMALIZATION}) AS rel" if scored else ""
    return (f"SELECT a.id{rel} FROM articles a, (SELECT {tsq} AS q, {rank_q} AS rq) qq"
            f" WHERE a.tsv @@ qq.q{where} ORDER BY a.id DESC LIMIT :cap")


def _narrow(dialect: str) -> str:
    """``articles a``, read through the narrow covering index on SQLite (migration 0006): the
    table's rows are wide (body, terms) and the columns search needs sit past them."""
    return "articles a INDEXED BY ix_articles_search" if dialect == "sqlite" and _NARROW.get() else "articles a"


_NARROW: ContextVar[bool] = ContextVar("narrow_index", default=True)
_narrow_known: WeakKeyDictionary = WeakKeyDictionary()  # engine -> has ix_articles_search


def _has_narrow_index(engine: Engine, conn) -> bool:  # noqa: ANN001
    if engine not in _narrow_known:  # a store not yet migrated to 0006 still searches
        _narrow_known[engine] = conn.execute(text(
            "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'ix_articles_search'")).first() is not None
    return _narrow_known[engine]


def _age_days(dialect: str) -> str:
    if dialect == "sqlite":
        return "coalesce(max(0, julianday(:now) - julianday(a.published_at)), 3650)"
    return "coalesce(greatest(0, extract(epoch from (CAST(:now AS timestamptz) - a.published_at)) / 86400.0), 3650)"


def _ranked_sql(q: Query, req: SearchRequest, dialect: str, params: dict) -> str:
    cand = _candidates(q, req, dialect, params, scored=True)
    score = "c.rel"
    if req.recency:
        params["now"] = db_param(req.now or datetime.now(timezone.utc), dialect)
        score = f"(c.rel * (1 + 1 / (1 + {_age_days(dialect)} / {RECENCY_DAYS})))"
    if req.sort == "date":
        order = "pub DESC NULLS LAST, id DESC"
    else:
        order = "score DESC, id"
    params["limit"] = req.per_page
    params["offset"] = (req.page - 1) * req.per_page
    # collapse: a story ranks by its best-scoring member and is shown by its canonical member
    # (the credited original) when that one matches, else by the best-scoring one
    return (
        f"WITH cand AS ({cand}),"
        f" scored AS (SELECT a.id AS id, {score} AS score, a.published_at AS pub,"
        f" coalesce(a.cluster_id, -a.id) AS story,"
        f" CASE WHEN cl.canonical_id = a.id THEN 1 ELSE 0 END AS canon, count(*) OVER () AS n_cand"
        f" FROM cand c JOIN {_narrow(dialect)} ON a.id = c.id LEFT JOIN clusters cl ON cl.id = a.cluster_id),"
        f" ranked AS (SELECT s.id, s.pub, max(s.score) OVER (PARTITION BY s.story) AS score, s.n_cand,"
        f" ROW_NUMBER() OVER (PARTITION BY s.story ORDER BY s.canon DESC, s.score DESC, s.id) AS rn"
        f" FROM scored s)"
        f" SELECT id, score, n_cand, count(*) OVER () AS total FROM ranked WHERE rn = 1"
        f" ORDER BY {order} LIMIT :limit OFFSET :offset"
    ) if req.collapse else (
        f"WITH cand AS ({cand}),"
        f" scored AS (SELECT a.id AS id, {score} AS score, a.published_at AS pub"
        f" FROM cand c JOIN {_narrow(dialect)} ON a.id = c.id)"
        f" SELECT id, score, count(*) OVER () AS n_cand, count(*) OVER () AS total FROM scored"
        f" ORDER BY {order} LIMIT :limit OFFSET :offset"
    )


def _facet_sql(q: Query, req: SearchRequest, dialect: str, params: dict) -> str:
    cand = _candidates(q, req, dialect, params, scored=False)
    # counts are of stories when collapsing (what the hit list would show under that filter)
    unit = "count(DISTINCT coalesce(a.cluster_id, -a.id))" if req.collapse else "count(*)"
    month = ("substr(a.published_at, 1, 7)" if dialect == "sqlite"
             else "to_char(a.published_at AT TIME ZONE 'UTC', 'YYYY-MM')")
    narrow = _narrow(dialect)
    tag_join = f"JOIN {_narrow(dialect)} ON a.id = c.id " if req.collapse else ""
    tag_unit = unit if req.collapse else "count(*)"
    return (
        f"WITH cand AS ({cand})"
        f" SELECT t.kind AS facet, t.value AS value, {tag_unit} AS n FROM cand c {tag_join}"
        f"JOIN tags t ON t.article_id = c.id WHERE t.kind IN ('platform', 'topic', 'entity')"
        f" GROUP BY t.kind, t.value"
        f" UNION ALL SELECT 'source', s.name, {unit} FROM cand c JOIN {narrow} ON a.id = c.id"
        f" JOIN sources s ON s.id = a.source_id GROUP BY s.name"
        f" UNION ALL SELECT 'status', a.status, {unit} FROM cand c JOIN {narrow} ON a.id = c.id"
        f" GROUP BY a.status"
        f" UNION ALL SELECT 'month', {month}, {unit} FROM cand c JOIN {narrow} ON a.id = c.id"
        f" WHERE a.published_at IS NOT NULL GROUP BY {month}"
    )


def _validate(req: SearchRequest) -> None:
    if req.sort not in SORTS:
        raise QueryError(f"sort must be one of {', '.join(SORTS)}")
    if req.status is not None and req.status not in STATUSES:
        raise QueryError(f"status must be one of {', '.join(STATUSES)}")
    if not 1 <= req.per_page <= 1000:
        raise QueryError("per_page must be between 1 and 1000")
    if req.page < 1 or (req.page - 1) * req.per_page >= CANDIDATE_CAP:
        raise QueryError(f"page must be between 1 and {CANDIDATE_CAP // req.per_page}")


def search(engine: Engine, req: SearchRequest, analyze: Callable[[str], list[str]]) -> SearchResult:
    """Search stored articles (see the module doc); raises QueryError for a bad request."""
    _validate(req)
    query = parse_query(req.query, analyze)
    dialect = engine.dialect.name
    if dialect not in ("sqlite", "postgresql"):  # pragma: no cover
        raise QueryError(f"search is not supported on {dialect}")
    terms = query.terms()
    with engine.connect() as conn:
        if dialect == "sqlite":
            _NARROW.set(_has_narrow_index(engine, conn))
        params: dict = {}
        rows = conn.execute(text(_ranked_sql(query, req, dialect, params)), params).all()
        if rows:
            total, exact = int(rows[0].total), int(rows[0].n_cand) < CANDIDATE_CAP
        else:  # a page past the end: count without a page
            count_req = SearchRequest(**{**req.__dict__, "page": 1, "per_page": 1})
            params = {}
            first = conn.execute(text(_ranked_sql(query, count_req, dialect, params)), params).first()
            total = int(first.total) if first else 0
            exact = first is None or int(first.n_cand) < CANDIDATE_CAP
        hits = _hits(conn, rows, terms, req.snippets)
        facets: dict[str, list[tuple[str, int]]] = {}
        if req.facets:
            params = {}
            buckets: dict[str, list[tuple[str, int]]] = {f: [] for f in FACETS}
            for r in conn.execute(text(_facet_sql(query, req, dialect, params)), params):
                if r.value is not None:
                    buckets[r.facet].append((r.value, int(r.n)))
            for name, values in buckets.items():
                if name == "month":
                    facets[name] = sorted(values, reverse=True)[:FACET_TOP * 3]
                else:
                    facets[name] = sorted(values, key=lambda v: (-v[1], v[0]))[:FACET_TOP]
    return SearchResult(hits=hits, total=total, facets=facets, total_exact=exact, terms=terms)


def _hits(conn, rows, terms: list[str], snippets: bool) -> list[Hit]:  # noqa: ANN001
    ids = [int(r.id) for r in rows]
    if not ids:
        return []
    id_list = ",".join(str(i) for i in ids)  # ints from our own query: safe to inline
    body = "a.body" if snippets else "''"
    details = {r.id: r for r in conn.execute(text(
        f"SELECT a.id, a.title, a.url, {body} AS body, a.published_at, a.status, a.cluster_id,"
        " s.name AS source, c.size AS cluster_size FROM articles a"
        " LEFT JOIN sources s ON s.id = a.source_id LEFT JOIN clusters c ON c.id = a.cluster_id"
        f" WHERE a.id IN ({id_list})"))}
    tags: dict[int, dict[str, list[str]]] = {i: {"platform": [], "topic": []} for i in ids}
    for t in conn.execute(text(
            "SELECT article_id, kind, value FROM tags WHERE kind IN ('platform', 'topic')"
            f" AND article_id IN ({id_list}) ORDER BY score DESC, value")):
        tags[t.article_id][t.kind].append(t.value)
    hits = []
    for r in rows:
        d = details[r.id]
        hits.append(Hit(
            id=d.id, title=d.title, url=d.url, source=d.source, published_at=from_db(d.published_at),
            score=round(float(r.score), 4), snippet=make_snippet(d.body, terms) if snippets else "",
            platforms=tags[d.id]["platform"], topics=tags[d.id]["topic"], status=d.status,
            cluster_id=d.cluster_id, cluster_size=int(d.cluster_size or 1)))
    return hits
