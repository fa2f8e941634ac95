"""BENCHMARK BASELINE ONLY: storage/search.py as it was before issue 19 ("SQLite FTS5 as
today": newest-1,000 candidate cap, 5,000 scan cap, title-only scoring of common words), kept
so bench/search.py can print the same figures for it beside the exact engine. Never imported
by the application.

Full-text search: one interface, two engines (SQLite FTS5; PostgreSQL tsvector + GIN).

Both index the document's jieba search-mode terms (title_terms, body_terms); the user's query
is parsed by ``storage.query`` (words, "phrases", OR, NOT/-word, brackets) and analysed by the
caller's ``analyze`` (the same segmentation as documents), so user text never becomes engine
syntax. Ranking: SQLite bm25 with the title weighted 10× the body; PostgreSQL ts_rank with
weights A (title) 1.0, B (body) 0.1; optional recency boost; ties newest first.

Bounded cost at a million documents. A query as common as "直播 电商" matches most of the
corpus, and ranking, collapsing or faceting every match would cost seconds, so:
- both engines take the newest ``CANDIDATE_CAP`` matches passing the filters (walked
  newest-first in the index's rowid order; on SQLite a query expected to match fewer is
  read forwards, which FTS5 does faster, and sorted) and rank, collapse and facet those:
  ``SearchResult.total_exact`` is False when a cap was hit (``total`` is then a lower
  bound and facets describe the newest matches);
- platform, topic, entity and source filters are words of the index (storage.facets),
  intersected with the query by the engine; on SQLite a date, cluster or status filter
  costs one row probe per match, so such a query visits at most ``SCAN_CAP`` matches;
- FTS5's bm25() counts every document holding each query phrase (its IDF) before scoring,
  whatever the LIMIT; on a large store, queries whose words are too common for that are
  scored by bm25 over the rarer words in titles, or title matches first (``_bm25_plan``).
Pagination is stable: every ordering ends in the article id.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timezone
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, text

from storage.facets import facet_token
from storage.query import Leaf, Node, Not, Query, QueryError, fts5_literal, parse_query
from storage.timestamps import db_param, from_db

__all__ = ["CANDIDATE_CAP", "Hit", "QueryError", "SearchRequest", "SearchResult", "fts5_literal",
           "make_snippet", "parse_query", "search"]

#: matches ranked / collapsed / faceted per query (newest first); see the module doc
CANDIDATE_CAP = 1000
FACET_TOP = 20
SORTS = ("relevance", "date")
STATUSES = ("new", "approved", "rejected", "published", "unpublished")
#: matches a filtered SQLite query visits (newest first) to find its candidates: a filter is
#: one index probe per match, and a rare platform among common words would otherwise probe
#: them all (~1.3 µs each; 0.4 s for 350k matches). Beyond it total_exact is False.
SCAN_CAP = 5 * CANDIDATE_CAP
#: documents FTS5's bm25() may count (IDF) and score per query (see _bm25_plan): ~1 ms + 40 ms
BM25_BUDGET = 30_000
DF_WINDOW = 2000  # newest documents sampled to estimate a phrase's document frequency
MATCH_SAMPLE = 5000  # newest documents sampled to guess whether a query matches few (_few_matches)
DF_TTL_S = 600.0
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
def _filters(req: SearchRequest, dialect: str, params: dict) -> tuple[str, bool]:
    """SQL conditions for the request's article-row filters (dates, cluster, status; tags and
    source are index words, see _filter_tokens); second value: whether there are any."""
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
    return "".join(" AND " + c for c in conds), bool(conds)


def _filter_tokens(req: SearchRequest) -> list[str]:
    """The request's tag and source filters as ``facet_terms`` index words (storage.facets)."""
    tokens = [facet_token(kind, getattr(req, kind)) for kind in TAG_FILTERS if getattr(req, kind)]
    if req.source:
        tokens.append(facet_token("source", req.source))
    return tokens


def _candidates(q: Query, req: SearchRequest, dialect: str, params: dict, scored: bool,
                plan: tuple[str, str] | None = None) -> str:
    """CTEs ending in ``cand``: the newest CANDIDATE_CAP matches passing the filters, as
    (id[, rel]). ``plan`` (SQLite, see _bm25_plan) scores them with a cheaper FTS query.
    Tag and source filters are index words (_filter_tokens) the engine intersects with the
    query; the query itself needs no column filter (that costs FTS5 a position-list check per
    match), as no query term can be a filter word (storage.facets.MARK)."""
    params["cap"] = CANDIDATE_CAP
    where, has_where = _filters(req, dialect, params)
    tokens = _filter_tokens(req)
    if dialect == "sqlite":
        params["q"] = _match_text(q, req)
        if (has_where or tokens) and scored and plan is None:
            # bm25() would count every document holding a filter word (its IDF): score the
            # filtered candidates in a second step, over the query's own words
            plan = ("bm25", q.positive().fts5())
        rel = f", -bm25(articles_fts, {BM25_WEIGHTS}) AS rel" if scored and plan is None else ""
        scanned = ""
        if _FORWARD.get():
            # few matches (_few_matches): all are read anyway, in index order (FTS5 reads its
            # doclists forwards ~1.5x faster than backwards), then sorted newest first
            scanned = (f"fm AS MATERIALIZED (SELECT articles_fts.rowid AS id{rel} FROM articles_fts"
                       " WHERE articles_fts MATCH :q), ")
            cand = f"SELECT fm.id AS id{', fm.rel AS rel' if rel else ''} FROM fm ORDER BY fm.id DESC LIMIT :cap"
        else:
            # FTS5 walks its doclists in rowid order itself: newest-first costs no sort, and
            # the walk stops at the cap
            cand = (f"SELECT articles_fts.rowid AS id{rel} FROM articles_fts"
                    f" WHERE articles_fts MATCH :q ORDER BY articles_fts.rowid DESC LIMIT :cap")
        if has_where:
            # a row filter is checked per match: visit at most SCAN_CAP matches (newest first)
            params["scan"] = SCAN_CAP
            scanned = ("m AS MATERIALIZED (SELECT articles_fts.rowid AS id FROM articles_fts"
                       " WHERE articles_fts MATCH :q), " if _FORWARD.get() else
                       "m AS (SELECT articles_fts.rowid AS id FROM articles_fts WHERE articles_fts MATCH :q"
                       " ORDER BY articles_fts.rowid DESC LIMIT :scan), ")
            cand = (f"SELECT m.id AS id FROM m JOIN {_narrow(dialect)} ON a.id = m.id WHERE 1 = 1"
                    f"{where} ORDER BY m.id DESC LIMIT :cap")
        if not scored or plan is None:
            return f"{scanned}cand AS ({cand})"
        kind, params["rq"] = plan
        if kind == "none":  # date order: no score needed
            return f"{scanned}cand AS ({cand.replace('AS id FROM', 'AS id, 0.0 AS rel FROM', 1)})"
        # "bm25" scores over the whole documents, the title kinds over the titles' own index
        # (migration 0013), whose doclists are short however common the words are in bodies
        fts = "articles_fts" if kind == "bm25" else "articles_title_fts"
        score = {"bm25": f"-bm25(articles_fts, {BM25_WEIGHTS})", "title_bm25": "-bm25(articles_title_fts)",
                 "title": "1.0"}[kind]
        # the scoring query only visits the candidates' rowid range
        return (f"{scanned}cand0 AS ({cand}), bounds AS (SELECT min(id) AS lo, max(id) AS hi FROM cand0),"
                f" sc AS MATERIALIZED (SELECT {fts}.rowid AS id, {score} AS rel"
                f" FROM bounds, {fts} WHERE {fts} MATCH :rq"
                f" AND {fts}.rowid BETWEEN bounds.lo AND bounds.hi),"
                # (IN builds an index on the candidates; a plain LEFT JOIN scanned sc per candidate)
                f" cand AS (SELECT id, max(rel) AS rel FROM (SELECT id, 0.0 AS rel FROM cand0 UNION ALL"
                f" SELECT id, rel FROM sc WHERE id IN (SELECT id FROM cand0)) GROUP BY id)")
    tsq = q.tsquery(params)
    for i, tok in enumerate(tokens):  # GIN intersects the filter words' posting lists
        params[f"ft{i}"] = tok
        tsq = f"({tsq} && phraseto_tsquery('simple', :ft{i}))"
    rank_q = q.positive().tsquery(params, prefix="rq") if scored else "NULL"
    rel = f", ts_rank('{PG_WEIGHTS}'::float4[], a.tsv, qq.rq, {PG_NORMALIZATION}) AS rel" if scored else ""
    return (f"cand AS (SELECT a.id{rel} FROM articles a, (SELECT {tsq} AS q, {rank_q} AS rq) qq"
            f" WHERE a.tsv @@ qq.q{where} ORDER BY a.id DESC LIMIT :cap)")


def _match_text(q: Query, req: SearchRequest) -> str:
    """The FTS5 query: the user's, ANDed with the request's filter words (no column filter:
    only facet_terms holds such words, storage.facets)."""
    return q.fts5() + "".join(f" AND {fts5_literal(t)}" for t in _filter_tokens(req))


def _few_matches(conn, match: str, maxid: int) -> bool:  # noqa: ANN001
    """Whether the FTS5 query ``match`` is expected to match fewer than CANDIDATE_CAP
    documents, judged by its matches among the newest MATCH_SAMPLE (one short, bounded walk).
    Such a query reads all its matches anyway, and then reads them fastest forwards; a wrong
    guess (a query matching mostly old articles) costs a sort of its matches, never a hit.
    ``maxid``: the store's newest article id."""
    if maxid <= BM25_BUDGET:
        return False
    n = conn.execute(text("SELECT count(*) FROM articles_fts WHERE articles_fts MATCH :q AND rowid > :lo"),
                     {"q": match, "lo": maxid - MATCH_SAMPLE}).scalar()
    return n / MATCH_SAMPLE * maxid < CANDIDATE_CAP


def _leaves(node: Node) -> list[Leaf]:
    if isinstance(node, Leaf):
        return [node]
    if isinstance(node, Not):
        return []
    return [leaf for c in node.children for leaf in _leaves(c)]


_df_cache: dict[tuple[str, str], tuple[float, float]] = {}


def _bm25_plan(engine: Engine, conn, query: Query, maxid: int) -> tuple[str, str] | None:  # noqa: ANN001
    """How SQLite scores candidates. FTS5's bm25() first counts, for its IDF, every document
    containing each query phrase: ~40 ms for a word in most of a million documents, whatever
    the LIMIT, and ~1.3 µs per scored row. None (exact bm25) while that stays under
    BM25_BUDGET documents; otherwise ("title_bm25", the rarest phrases within budget): title
    matches ranked by bm25 over the words whose IDF counts most, then the rest newest first;
    ("title", the query) when every word is that common: title matches first, then newest.
    Both read the titles' own index (migration 0013): scoring only titles keeps the cost
    bounded when the candidates are spread over the whole store (FTS5 can only bound the
    scoring query by a rowid range, and re-counts the IDF for every rowid looked up singly),
    and titles' doclists are short however common a word is in bodies. Document frequencies
    are estimated from the newest DF_WINDOW documents (``maxid``: the newest id) and cached."""
    if maxid <= BM25_BUDGET:
        return None
    now = time.monotonic()
    if len(_df_cache) > 50_000:
        _df_cache.clear()
    df: dict[str, float] = {}
    for leaf in dict.fromkeys(_leaves(query.positive().root)):
        lit = fts5_literal(" ".join(leaf.terms))
        key = (str(engine.url), lit)
        hit = _df_cache.get(key)
        if hit is None or now - hit[0] > DF_TTL_S:
            n = conn.execute(text("SELECT count(*) FROM articles_fts WHERE articles_fts MATCH :p"
                                  " AND rowid > :lo"), {"p": lit, "lo": maxid - DF_WINDOW}).scalar()
            hit = _df_cache[key] = (now, n / DF_WINDOW * maxid)
        df[lit] = hit[1]
    if sum(df.values()) <= BM25_BUDGET:
        return None
    chosen, spent = [], 0.0
    for lit in sorted(df, key=df.get):
        if spent + df[lit] <= BM25_BUDGET:
            chosen.append(lit)
            spent += df[lit]
    if chosen:  # bm25 of the rare words in titles: body-only matches follow, newest first
        return "title_bm25", "(" + " OR ".join(chosen) + ")"
    return "title", query.positive().fts5()


def _narrow(dialect: str) -> str:
    """``articles a``, read through the narrow covering index on SQLite (migration 0006): the
    table's rows are wide (body, terms) and the columns search needs sit past them."""
    return "articles a INDEXED BY ix_articles_search" if dialect == "sqlite" and _NARROW.get() else "articles a"


_NARROW: ContextVar[bool] = ContextVar("narrow_index", default=True)
_FORWARD: ContextVar[bool] = ContextVar("forward_walk", default=False)  # see _few_matches
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


def _ranked_sql(q: Query, req: SearchRequest, dialect: str, params: dict,
                plan: tuple[str, str] | None = None) -> str:
    ctes = _candidates(q, req, dialect, params, scored=True, plan=plan)
    score = "c.rel"
    if req.recency:
        params["now"] = db_param(req.now or datetime.now(timezone.utc), dialect)
        score = f"(c.rel * (1 + 1 / (1 + {_age_days(dialect)} / {RECENCY_DAYS})))"
    if req.sort == "date":
        order = "pub DESC NULLS LAST, id DESC"
    else:
        order = "score DESC, id DESC"  # ties: newest first
    params["limit"] = req.per_page
    params["offset"] = (req.page - 1) * req.per_page
    n_scan = "(SELECT count(*) FROM m)" if ctes.startswith("m AS") else "0"
    # collapse: a story ranks by its best-scoring member and is shown by its canonical member
    # (the credited original) when that one matches, else by the best-scoring one
    return (
        f"WITH {ctes},"
        f" scored AS (SELECT a.id AS id, {score} AS score, a.published_at AS pub,"
        f" coalesce(a.cluster_id, -a.id) AS story, {n_scan} AS n_scan,"
        f" CASE WHEN cl.canonical_id = a.id THEN 1 ELSE 0 END AS canon, count(*) OVER () AS n_cand"
        f" FROM cand c JOIN {_narrow(dialect)} ON a.id = c.id LEFT JOIN clusters cl ON cl.id = a.cluster_id),"
        f" ranked AS (SELECT s.id, s.pub, max(s.score) OVER (PARTITION BY s.story) AS score, s.n_cand, s.n_scan,"
        f" ROW_NUMBER() OVER (PARTITION BY s.story ORDER BY s.canon DESC, s.score DESC, s.id) AS rn"
        f" FROM scored s)"
        f" SELECT id, score, n_cand, n_scan, count(*) OVER () AS total FROM ranked WHERE rn = 1"
        f" ORDER BY {order} LIMIT :limit OFFSET :offset"
    ) if req.collapse else (
        f"WITH {ctes},"
        f" scored AS (SELECT a.id AS id, {score} AS score, a.published_at AS pub"
        f" FROM cand c JOIN {_narrow(dialect)} ON a.id = c.id)"
        f" SELECT id, score, count(*) OVER () AS n_cand, {n_scan} AS n_scan, count(*) OVER () AS total FROM scored"
        f" ORDER BY {order} LIMIT :limit OFFSET :offset"
    )


def _facet_sql(q: Query, req: SearchRequest, dialect: str, params: dict) -> str:
    ctes = _candidates(q, req, dialect, params, scored=False)
    # counts are of stories when collapsing (what the hit list would show under that filter)
    unit = "count(DISTINCT coalesce(a.cluster_id, -a.id))" if req.collapse else "count(*)"
    month = ("substr(a.published_at, 1, 7)" if dialect == "sqlite"
             else "to_char(a.published_at AT TIME ZONE 'UTC', 'YYYY-MM')")
    narrow = _narrow(dialect)
    tag_join = f"CROSS JOIN {narrow} " if req.collapse else ""
    tag_where = "a.id = c.id AND " if req.collapse else ""
    tag_unit = unit if req.collapse else "count(*)"
    # CROSS JOIN fixes the order on SQLite: from the candidates to their tags (left alone,
    # the planner scanned every platform/topic/entity tag of the store for each query)
    return (
        f"WITH {ctes}"
        f" SELECT t.kind AS facet, t.value AS value, {tag_unit} AS n FROM cand c {tag_join}"
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
        plan = None
        if dialect == "sqlite":
            _NARROW.set(_has_narrow_index(engine, conn))
            maxid = conn.execute(text("SELECT max(id) FROM articles")).scalar() or 0
            plan = _bm25_plan(engine, conn, query, maxid) if req.sort == "relevance" or req.recency else ("none", "")
            _FORWARD.set(_few_matches(conn, _match_text(query, req), maxid))
        params: dict = {}
        rows = conn.execute(text(_ranked_sql(query, req, dialect, params, plan)), params).all()
        if rows:
            total = int(rows[0].total)
            exact = int(rows[0].n_cand) < CANDIDATE_CAP and int(rows[0].n_scan) < SCAN_CAP
        else:  # a page past the end: count without a page
            count_req = SearchRequest(**{**req.__dict__, "page": 1, "per_page": 1})
            params = {}
            first = conn.execute(text(_ranked_sql(query, count_req, dialect, params, plan)), params).first()
            total = int(first.total) if first else 0
            exact = first is None or (int(first.n_cand) < CANDIDATE_CAP and int(first.n_scan) < SCAN_CAP)
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
