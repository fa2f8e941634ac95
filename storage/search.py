"""Full-text search over the segmented terms (SQLite FTS5 or PostgreSQL tsvector).

The caller segments the query the same way documents were segmented and passes the terms;
terms reach the engine only as bound parameters, each quoted as a literal phrase, so user
text can never become FTS5 or tsquery syntax.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine, text

from storage.store import db_param, from_db


class QueryError(ValueError):
    """A query that cannot be searched (explained in the message)."""


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


def fts5_literal(term: str) -> str:
    """A term as an FTS5 string literal (a phrase of its own tokens): never syntax."""
    return '"' + term.replace('"', '""') + '"'


def make_snippet(body: str, terms: list[str], width: int = 60, mark: tuple[str, str] = ("【", "】")) -> str:
    """A window of the original (unsegmented) body around the first match, matches marked."""
    words = sorted({t for t in terms if t.strip()}, key=len, reverse=True)
    if not words:
        return body[:width]
    pattern = re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE)
    m = pattern.search(body)
    start = max(0, (m.start() if m else 0) - width // 3)
    window = body[start : start + width].replace("\n", " ")
    marked = pattern.sub(lambda mm: mark[0] + mm.group(0) + mark[1], window)
    return ("…" if start > 0 else "") + marked + ("…" if start + width < len(body) else "")


def search(engine: Engine, terms: list[str], *, platform: str | None = None,
           since: datetime | None = None, limit: int = 10) -> list[Hit]:
    """Articles matching all ``terms``, best first (bm25, title weighted 10× body)."""
    terms = [t for t in dict.fromkeys(terms) if t.strip()]
    if not terms:
        raise QueryError("the query has no searchable words")
    if not 1 <= limit <= 1000:
        raise QueryError("limit must be between 1 and 1000")
    params: dict = {"limit": limit}
    filters = ""
    if platform:
        filters += (" AND EXISTS (SELECT 1 FROM tags t WHERE t.article_id = a.id"
                    " AND t.kind = 'platform' AND t.value = :platform)")
        params["platform"] = platform
    if since:
        filters += " AND a.published_at >= :since"
        params["since"] = db_param(since, engine.dialect.name)
    if engine.dialect.name == "sqlite":
        params["q"] = " ".join(fts5_literal(t) for t in terms)
        sql = (
            "SELECT a.id, a.title, a.url, a.body, a.published_at, s.name AS source,"
            " bm25(articles_fts, 10.0, 1.0) AS rank"
            " FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid"
            " LEFT JOIN sources s ON s.id = a.source_id"
            f" WHERE articles_fts MATCH :q{filters}"
            " ORDER BY rank, a.id LIMIT :limit"
        )
        sign = -1.0  # bm25() is lower-is-better
    elif engine.dialect.name == "postgresql":
        params["q"] = " ".join(terms)
        vec = ("(setweight(to_tsvector('simple', a.title_terms), 'A') || "
               "setweight(to_tsvector('simple', a.body_terms), 'B'))")
        sql = (
            "SELECT a.id, a.title, a.url, a.body, a.published_at, s.name AS source,"
            f" ts_rank({vec}, plainto_tsquery('simple', :q)) AS rank"
            " FROM articles a LEFT JOIN sources s ON s.id = a.source_id"
            f" WHERE {vec} @@ plainto_tsquery('simple', :q){filters}"
            " ORDER BY rank DESC, a.id LIMIT :limit"
        )
        sign = 1.0
    else:  # pragma: no cover
        raise QueryError(f"search is not supported on {engine.dialect.name}")
    with engine.connect() as conn:
        rows = conn.execute(text(sql), params).all()
        ids = [r.id for r in rows]
        plats: dict[int, list[str]] = {i: [] for i in ids}
        if ids:
            for r in conn.execute(
                text("SELECT article_id, value FROM tags WHERE kind = 'platform' AND article_id IN "
                     "(" + ",".join(str(int(i)) for i in ids) + ") ORDER BY score DESC, value"),
            ):
                plats[r.article_id].append(r.value)
    return [
        Hit(id=r.id, title=r.title, url=r.url, source=r.source, published_at=from_db(r.published_at),
            score=round(sign * float(r.rank), 4), snippet=make_snippet(r.body, terms),
            platforms=plats[r.id])
        for r in rows
    ]
