"""Datasette plugin: the search box of ``articles`` (and ``article_overview``) works on a
daihuo store or analyst copy, for Chinese queries.

Two things stood in the way, both fixed here through Datasette's own extension points:

- Datasette finds a table's full-text index by looking for ``content="articles"`` or
  ``content=[articles]`` in the index's CREATE statement (``detect_fts``); ours is declared
  ``content='articles'``, and the store has two indexes over ``articles`` (all words; titles
  only), so even a match would be a guess. :func:`get_metadata` names the index explicitly
  (``fts_table: articles_fts``, ``fts_pk: id``), which also turns the search box on.
- The index holds pre-segmented words (直播 带货), so Datasette's ``escape_fts`` (which quotes
  whitespace-separated words) sends 直播带货 as one token that is never in the index.
  :func:`prepare_connection` replaces ``escape_fts`` on a daihuo database's connections with
  the query parsing of ``daihuo search`` (storage.query with the same segmentation as the
  documents), so the box takes the same syntax: words, "phrases", OR, -exclusions.

Registered as the ``daihuo`` entry point of the ``datasette`` group (pyproject.toml): with
daihuo installed beside Datasette, ``datasette corpus.db`` just works. Only databases holding
``articles_fts`` are touched; any other database keeps Datasette's behaviour.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from datasette import hookimpl

from daihuo.analysis.query_terms import query_terms
from storage.query import QueryError, parse_query

FTS_TABLE = "articles_fts"
#: tables and views with one row per article, keyed by the article id (the index's rowid)
SEARCHABLE = ("articles", "article_overview")
#: an FTS5 query that matches no document: what a query without searchable words finds
MATCH_NOTHING = '"ǂ"'

_is_store: dict[str, bool] = {}  # database file -> holds a daihuo full-text index


def segmented_match(query: str) -> str:
    """A search-box query as an FTS5 expression over the index's terms (never raw syntax)."""
    try:
        parsed = parse_query(query or "", query_terms)
    except QueryError:
        return MATCH_NOTHING
    return parsed.fts5() or MATCH_NOTHING


def _has_index(conn: sqlite3.Connection) -> bool:
    row = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                       (FTS_TABLE,)).fetchone()
    return row is not None


def _database_is_store(db: Any) -> bool:
    """Whether a Datasette database is a daihuo store (checked once per file)."""
    path = getattr(db, "path", None)
    if not path or getattr(db, "is_memory", False):
        return False
    if path not in _is_store:
        try:
            conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            try:
                _is_store[path] = _has_index(conn)
            finally:
                conn.close()
        except sqlite3.Error:
            _is_store[path] = False
    return _is_store[path]


@hookimpl
def get_metadata(datasette: Any, key: str, database: str | None, table: str | None) -> dict:
    """The full-text index of every daihuo database's article tables, named for Datasette."""
    tables = {name: {"fts_table": FTS_TABLE, "fts_pk": "id"} for name in SEARCHABLE}
    return {"databases": {name: {"tables": tables}
                          for name, db in datasette.databases.items() if _database_is_store(db)}}


@hookimpl(trylast=True)  # after Datasette's own prepare_connection, which registers escape_fts
def prepare_connection(conn: sqlite3.Connection, database: str, datasette: Any) -> None:
    """On a daihuo database, the search box's escaping segments the query like the index."""
    try:
        if not _has_index(conn):
            return
    except sqlite3.Error:
        return
    conn.create_function("escape_fts", 1, segmented_match, deterministic=True)
