"""Full-text search: one interface, two engines (SQLite FTS5; PostgreSQL tsvector + GIN).

Both index the document's jieba search-mode terms (title_terms, body_terms); the user's query
is parsed by ``storage.query`` (words, "phrases", OR, NOT/-word, brackets) and analysed by the
caller's ``analyze`` (the same segmentation as documents), so user text never becomes engine
syntax. Ranking: SQLite bm25 with the title weighted 10× the body; PostgreSQL ts_rank with
weights A (title) 1.0, B (body) 0.1; optional recency boost; ties newest first.

Exact semantics: every match passing the filters is ranked, collapsed into stories and
counted, so ``total`` and the facet counts are exact and a deep page is the same page however
it is reached (every ordering ends in the article id). Platform, topic, entity and source
filters are words of the index (storage.facets), intersected with the query by the engine;
their column has weight 0, so a filter never changes a score. An empty query is allowed when a
filter is given: it browses the filtered articles, newest first.

Cost, measured (bench/search.py, 50,000 generated articles on a shared 2-core box): exact
totals, ranking and facets cost time in proportion to the matches (FTS5's bm25 scores every
match; collapsing and facets read every match's row); p95 was 1.4x (top 20) and 1.9x (facets)
the capped engine's at that size, 0.7x with a platform filter, and grows with the store. A
tantivy index derived from the store (bench/tantivy_candidate.py) answered the same queries,
counts exact, at 0.13-0.47x this engine's p95 there: storage.search_index is that index for the
app. ``search``, ``count`` and the export (daihuo.analysis.export) use the index attached to the
engine (daihuo.system attaches one to an SQLite file store) and this SQL engine otherwise: it
stays the PostgreSQL path and the reference the index is tested against.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from itertools import islice
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, text

from storage.facets import facet_token
from storage.query import Query, QueryError, fts5_literal, parse_query
from storage.timestamps import db_param, from_db

__all__ = ["Hit", "QueryError", "SearchRequest", "SearchResult", "attach_index", "attached_index",
           "fts5_literal", "has_filters", "make_snippet", "parse_query", "search"]

log = logging.getLogger(__name__)

FACET_TOP = 20
SORTS = ("relevance", "date")
STATUSES = ("new", "approved", "rejected", "published", "unpublished")
#: recency: score × (1 + 1 / (1 + age_days / RECENCY_DAYS)): a fresh article counts double
RECENCY_DAYS = 30.0
#: ts_rank weights {D, C, B (body), A (title)} and length normalisation (0: none; 1 ranked
#: short pages above the article naming the word in both title and body on the demo site)
PG_WEIGHTS = "{0, 0, 0.1, 1.0}"  # D holds the filter words: never ranked
#: FTS5 bm25 column weights: title, body, filter words (never ranked)
BM25_WEIGHTS = "10.0, 1.0, 0.0"
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
    #: only articles visible at ``live_at``: status in ``live_statuses`` and publish time
    #: reached (the public site's search; the policy of what is public is editorial's)
    live_at: datetime | None = None
    live_statuses: tuple[str, ...] = ()
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
    total: int  # hits (stories when collapsed): exact
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    total_exact: bool = True  # always: kept for the API's clients
    terms: list[str] = field(default_factory=list)  # the analysed terms a hit matches


@lru_cache(maxsize=256)
def _snippet_pattern(terms: tuple[str, ...]) -> tuple[re.Pattern[str], int] | None:
    """The matches' pattern, longest first, and how many distinct words it has (compiled once
    per query, not once per hit)."""
    words = sorted({t for t in terms if t.strip()}, key=len, reverse=True)
    if not words:
        return None
    return re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE), len({w.lower() for w in words})


def make_snippet(body: str, terms: list[str], width: int = 80, mark: tuple[str, str] = ("【", "】")) -> str:
    """A window of the original (unsegmented) body around its densest cluster of matches,
    every match in the window marked."""
    compiled = _snippet_pattern(tuple(terms))
    body = body or ""
    if compiled is None:
        return body[:width].replace("\n", " ") + ("…" if len(body) > width else "")
    pattern, n_words = compiled
    # the window that shows the most distinct query words wins (the first such on ties)
    # (one word: its first match is the answer, no need to find the others)
    if n_words == 1:
        first = pattern.search(body, 0, 20000)
        found = []
        best, best_n = (first.start() if first else 0), 1
    else:
        found = [(m.start(), m.group(0).lower()) for m in islice(pattern.finditer(body, 0, 20000), 200)]
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
            if best_n >= n_words:  # every word in view: no later window can do better
                break
        word = found[i][1]
        counts[word] -= 1
        if not counts[word]:
            del counts[word]
    start = max(0, best - width // 4)
    window = body[start : start + width].replace("\n", " ")
    # empty marks (data exports) would put every match back as it was: no pass needed
    marked = pattern.sub(lambda mm: mark[0] + mm.group(0) + mark[1], window) if mark[0] or mark[1] else window
    return ("…" if start > 0 else "") + marked + ("…" if start + width < len(body) else "")


# -- SQL building -----------------------------------------------------------------------------
def has_filters(req: SearchRequest) -> bool:
    """Whether the request narrows the store without a query (what browsing needs)."""
    return any(getattr(req, k) is not None and getattr(req, k) != "" for k in
               ("platform", "topic", "entity", "source", "since", "until", "cluster", "status"))


def _filters(req: SearchRequest, dialect: str, params: dict) -> str:
    """SQL conditions for the request's article-row filters (dates, cluster, status; tags and
    source are index words, see _filter_tokens)."""
    conds: list[str] = []
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
    if req.live_at is not None:
        names = []
        for i, status in enumerate(req.live_statuses or ("approved",)):
            params[f"f_live{i}"] = status
            names.append(f":f_live{i}")
        params["f_live_at"] = db_param(req.live_at, dialect)
        conds.append(f"a.status IN ({', '.join(names)})"
                     " AND (a.publish_at IS NULL OR a.publish_at <= :f_live_at)")
    return "".join(" AND " + c for c in conds)


def _filter_tokens(req: SearchRequest) -> list[str]:
    """The request's tag and source filters as ``facet_terms`` index words (storage.facets)."""
    tokens = [facet_token(kind, getattr(req, kind)) for kind in TAG_FILTERS if getattr(req, kind)]
    if req.source:
        tokens.append(facet_token("source", req.source))
    return tokens


def _candidates(q: Query | None, req: SearchRequest, dialect: str, params: dict, scored: bool) -> str:
    """A CTE ``cand`` (id[, rel]): every article matching the query (None: browsing) and the
    filters. Tag and source filters are index words the engine intersects with the query; the
    query needs no column filter (that costs FTS5 a position-list check per match), as no query
    term can be a filter word (storage.facets.MARK)."""
    where = _filters(req, dialect, params)
    tokens = _filter_tokens(req)
    if dialect == "sqlite":
        parts = ([q.fts5()] if q else []) + [fts5_literal(t) for t in tokens]
        if not parts:  # browsing by row filters only
            return f"cand AS (SELECT a.id AS id{', 0.0 AS rel' if scored else ''} FROM {_narrow(dialect)}" \
                   f" WHERE 1 = 1{where})"
        params["q"] = " AND ".join(parts)
        # bm25's filter-word column weighs 0: a filter never changes a score
        rel = (f", -bm25(articles_fts, {BM25_WEIGHTS}) AS rel" if q else ", 0.0 AS rel") if scored else ""
        if not where:
            return f"cand AS (SELECT articles_fts.rowid AS id{rel} FROM articles_fts WHERE articles_fts MATCH :q)"
        return (f"m AS MATERIALIZED (SELECT articles_fts.rowid AS id{rel} FROM articles_fts"
                f" WHERE articles_fts MATCH :q),"
                f" cand AS (SELECT m.id AS id{', m.rel AS rel' if scored else ''} FROM m"
                f" JOIN {_narrow(dialect)} ON a.id = m.id WHERE 1 = 1{where})")
    conds: list[str] = []
    for i, tok in enumerate(tokens):  # GIN intersects the filter words' posting lists
        params[f"ft{i}"] = tok
        conds.append(f"phraseto_tsquery('simple', :ft{i})")
    if q:
        conds.insert(0, q.tsquery(params))
    tsq = " && ".join(f"({c})" for c in conds)
    if scored and q:
        rank_q = q.positive().tsquery(params, prefix="rq")
        return (f"cand AS (SELECT a.id, ts_rank('{PG_WEIGHTS}'::float4[], a.tsv, qq.rq, {PG_NORMALIZATION})"
                f" AS rel FROM articles a, (SELECT {tsq} AS q, {rank_q} AS rq) qq"
                f" WHERE a.tsv @@ qq.q{where})")
    rel = ", 0.0::float8 AS rel" if scored else ""
    match = f" AND a.tsv @@ ({tsq})" if tsq else ""
    return f"cand AS (SELECT a.id{rel} FROM articles a WHERE 1 = 1{match}{where})"


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


def _order(q: Query | None, req: SearchRequest) -> str:
    """The stated order of hits: it always ends in the id, so every page is stable."""
    if req.sort == "date" or q is None:  # browsing has no relevance: newest first
        return "pub DESC NULLS LAST, id DESC"
    return "score DESC, id DESC"  # ties: newest first


def ranked_sql(q: Query | None, req: SearchRequest, dialect: str, params: dict, *,
               paged: bool = True) -> str:
    """SQL for the request's hits in their stated order, one row (id, score, total) each; one
    page of them when ``paged``, else all of them (what an export streams)."""
    ctes = _candidates(q, req, dialect, params, scored=True)
    score = "c.rel"
    if req.recency and q is not None:
        params["now"] = db_param(req.now or datetime.now(timezone.utc), dialect)
        score = f"(c.rel * (1 + 1 / (1 + {_age_days(dialect)} / {RECENCY_DAYS})))"
    order = _order(q, req)
    page = ""
    total = "0 AS total"
    if paged:
        params["limit"] = req.per_page
        params["offset"] = (req.page - 1) * req.per_page
        page = " LIMIT :limit OFFSET :offset"
        total = "count(*) OVER () AS total"
    # collapse: a story ranks by its best-scoring member and is shown by its canonical member
    # (the credited original) when that one matches, else by the best-scoring one
    return (
        f"WITH {ctes},"
        f" scored AS (SELECT a.id AS id, {score} AS score, a.published_at AS pub,"
        f" coalesce(a.cluster_id, -a.id) AS story,"
        f" CASE WHEN cl.canonical_id = a.id THEN 1 ELSE 0 END AS canon"
        f" FROM cand c JOIN {_narrow(dialect)} ON a.id = c.id LEFT JOIN clusters cl ON cl.id = a.cluster_id),"
        f" ranked AS (SELECT s.id, s.pub, max(s.score) OVER (PARTITION BY s.story) AS score,"
        f" ROW_NUMBER() OVER (PARTITION BY s.story ORDER BY s.canon DESC, s.score DESC, s.id) AS rn"
        f" FROM scored s)"
        f" SELECT id, score, {total} FROM ranked WHERE rn = 1 ORDER BY {order}{page}"
    ) if req.collapse else (
        f"WITH {ctes},"
        f" scored AS (SELECT a.id AS id, {score} AS score, a.published_at AS pub"
        f" FROM cand c JOIN {_narrow(dialect)} ON a.id = c.id)"
        f" SELECT id, score, {total} FROM scored ORDER BY {order}{page}"
    )


def _count_sql(q: Query | None, req: SearchRequest, dialect: str, params: dict) -> str:
    ctes = _candidates(q, req, dialect, params, scored=False)
    if req.collapse:
        return (f"WITH {ctes} SELECT count(DISTINCT coalesce(a.cluster_id, -a.id)) FROM cand c"
                f" JOIN {_narrow(dialect)} ON a.id = c.id")
    return f"WITH {ctes} SELECT count(*) FROM cand"


def _facet_sql(q: Query | None, req: SearchRequest, dialect: str, params: dict) -> str:
    ctes = _candidates(q, req, dialect, params, scored=False)
    # counts are of stories when collapsing (what the hit list would show under that filter)
    unit = "count(DISTINCT coalesce(a.cluster_id, -a.id))" if req.collapse else "count(*)"
    month = ("substr(a.published_at, 1, 7)" if dialect == "sqlite"
             else "to_char(a.published_at AT TIME ZONE 'UTC', 'YYYY-MM')")
    narrow = _narrow(dialect)
    tag_join = f"CROSS JOIN {narrow} " if req.collapse else ""
    tag_where = "a.id = c.id AND " if req.collapse else ""
    # CROSS JOIN fixes the order on SQLite: from the candidates to their tags (left alone,
    # the planner scanned every platform/topic/entity tag of the store for each query)
    return (
        f"WITH {ctes}"
        f" SELECT t.kind AS facet, t.value AS value, {unit} AS n FROM cand c {tag_join}"
        f"CROSS JOIN tags t WHERE {tag_where}t.article_id = c.id AND t.kind IN ('platform', 'topic', 'entity')"
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
    if req.page < 1:
        raise QueryError("page must be 1 or more")


def prepare(req: SearchRequest, analyze: Callable[[str], list[str]]) -> Query | None:
    """The request's parsed query, None when it browses (an empty query with a filter);
    raises QueryError for a bad request."""
    _validate(req)
    if not (req.query or "").strip():
        if has_filters(req):
            return None
        raise QueryError("the query has no searchable words: give words to search for, or a filter "
                         "(platform, topic, entity, source, dates, status) to browse")
    return parse_query(req.query, analyze)


# -- the derived index (storage.search_index) ------------------------------------------------
_indexes: WeakKeyDictionary = WeakKeyDictionary()  # engine -> its SearchIndex


class IndexUnavailable(RuntimeError):
    """The derived index cannot answer now (missing and too large to rebuild inside a search,
    busy with another process's rebuild, or an aggregation past its limits): SQL answers."""


def attach_index(engine: Engine, index: object | None) -> None:
    """Answer this engine's searches from ``index`` (a storage.search_index.SearchIndex; None:
    the SQL engine again). daihuo.system attaches one to an SQLite file store."""
    if index is None:
        _indexes.pop(engine, None)
    else:
        _indexes[engine] = index


def attached_index(engine: Engine):  # noqa: ANN201
    """The index answering ``engine``'s searches, if any."""
    return _indexes.get(engine)


def _via_index(engine: Engine, method: str, req: SearchRequest, analyze: Callable[[str], list[str]]):  # noqa: ANN202
    """``method`` of the engine's index, or None to use SQL (no index, or it is unavailable:
    missing and too large to rebuild inside a search)."""
    index = _indexes.get(engine)
    if index is None:
        return None
    try:
        return getattr(index, method)(req, analyze)
    except IndexUnavailable as exc:
        log.warning("%s; searching with SQL meanwhile", exc)
        return None


def search(engine: Engine, req: SearchRequest, analyze: Callable[[str], list[str]]) -> SearchResult:
    """Search stored articles (see the module doc); raises QueryError for a bad request.
    Answered by the engine's derived index when one is attached (same semantics)."""
    if (found := _via_index(engine, "search", req, analyze)) is not None:
        return found
    query = prepare(req, analyze)
    dialect = engine.dialect.name
    if dialect not in ("sqlite", "postgresql"):  # pragma: no cover
        raise QueryError(f"search is not supported on {dialect}")
    terms = query.terms() if query else []
    with engine.connect() as conn:
        if dialect == "sqlite":
            _NARROW.set(_has_narrow_index(engine, conn))
        params: dict = {}
        rows = conn.execute(text(ranked_sql(query, req, dialect, params)), params).all()
        if rows:
            total = int(rows[0].total)
        else:  # a page past the end (or nothing): count without a page
            params = {}
            total = int(conn.execute(text(_count_sql(query, req, dialect, params)), params).scalar() or 0)
        hits = hit_details(conn, rows, terms, req.snippets)
        facets: dict[str, list[tuple[str, int]]] = {}
        if req.facets:
            params = {}
            buckets: dict[str, list[tuple[str, int]]] = {f: [] for f in FACETS}
            for r in conn.execute(text(_facet_sql(query, req, dialect, params)), params):
                if r.value is not None:
                    buckets[r.facet].append((r.value, int(r.n)))
            facets = top_facets(buckets)
    return SearchResult(hits=hits, total=total, facets=facets, terms=terms)


def top_facets(counts: dict[str, list[tuple[str, int]]]) -> dict[str, list[tuple[str, int]]]:
    """What a result shows of each facet's (value, count) pairs: months newest first (three
    years' worth), every other facet its FACET_TOP largest (ties by value). Both engines."""
    return {name: sorted(values, reverse=True)[:FACET_TOP * 3] if name == "month"
            else sorted(values, key=lambda v: (-v[1], v[0]))[:FACET_TOP]
            for name, values in counts.items()}


def count(engine: Engine, req: SearchRequest, analyze: Callable[[str], list[str]], conn=None) -> int:  # noqa: ANN001
    """The exact number of hits (stories when collapsing) of ``req`` (on ``conn`` if given)."""
    if (found := _via_index(engine, "count", req, analyze)) is not None:
        return found
    query = prepare(req, analyze)
    if conn is None:
        with engine.connect() as own:
            return count(engine, req, analyze, own)
    if engine.dialect.name == "sqlite":
        _NARROW.set(_has_narrow_index(engine, conn))
    params: dict = {}
    return int(conn.execute(text(_count_sql(query, req, engine.dialect.name, params)), params).scalar() or 0)


def hit_details(conn, rows, terms: list[str], snippets: bool, *,  # noqa: ANN001
                mark: tuple[str, str] = ("【", "】"), bodies: dict[int, str] | None = None) -> list[Hit]:
    """Hits for ranked ``rows`` (id, score), in their order: details, tags and a snippet whose
    matches are wrapped in ``mark`` (("", "") for data exports). ``bodies``, when given, is
    filled with each hit's clean body text."""
    ranked = [(int(r.id), r.score) for r in rows]
    if not ranked:
        return []
    id_list = ",".join([str(i) for i, _ in ranked])  # ints from our own query: safe to inline
    body = "a.body" if snippets or bodies is not None else "''"
    # the driver's own cursor and tuples: an export assembles every hit of the store here, and
    # SQLAlchemy's row objects cost as much as the rest (no parameters: the ids are inlined)
    cur = conn.connection.driver_connection.cursor()
    try:
        cur.execute(
            f"SELECT a.id, a.title, a.url, {body}, a.published_at, a.status, a.cluster_id,"
            " s.name, c.size FROM articles a"
            " LEFT JOIN sources s ON s.id = a.source_id LEFT JOIN clusters c ON c.id = a.cluster_id"
            f" WHERE a.id IN ({id_list})")
        details = {d[0]: d for d in cur.fetchall()}
        platforms: dict[int, list[str]] = {i: [] for i, _ in ranked}
        topics: dict[int, list[str]] = {i: [] for i, _ in ranked}
        # a tag's kind as 0/1, not a string per tag (an export reads some four per hit)
        cur.execute("SELECT article_id, kind = 'topic', value FROM tags WHERE kind IN ('platform', 'topic')"
                    f" AND article_id IN ({id_list}) ORDER BY score DESC, value")
        for article_id, is_topic, value in cur.fetchall():
            (topics if is_topic else platforms)[article_id].append(value)
    finally:
        cur.close()
    hits = []
    append = hits.append
    for aid, score in ranked:
        _, title, url, text_, published, status, cluster_id, source, size = details[aid]
        append(Hit(
            id=aid, title=title, url=url, source=source,
            published_at=None if published is None else from_db(published),
            score=round(float(score), 4), snippet=make_snippet(text_, terms, mark=mark) if snippets else "",
            platforms=platforms[aid], topics=topics[aid], status=status, cluster_id=cluster_id,
            cluster_size=int(size or 1)))
        if bodies is not None:
            bodies[aid] = text_
    return hits
