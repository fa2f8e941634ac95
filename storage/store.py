"""The store's write side: sources, runs, and batched page/article writes.

Writes go through SQLAlchemy Core in one transaction per batch (an ORM commit per row costs
~1 ms; a 100-row executemany ~0.06 ms a row): a batch's new articles together after its
first pass (see _insert_returning_ids), its tag and LSH rows (~30 an article) straight
through the driver, the LSH probes of all its new articles in one statement, its cluster
changes at its end. Exact duplicates are merged here, at insert: an article whose canonical
URL is known is updated only when its content changed, and one whose body hash is already
stored under another URL is dropped as a duplicate.
"""

from __future__ import annotations

import gc
import json
import os
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from itertools import chain

import numpy as np
from sqlalchemy import JSON, Engine, bindparam, delete, func, insert, select, update

from storage.db import ensure_schema, make_engine
from storage.facets import MARK, facet_terms
from storage.models import (
    Article,
    Cluster,
    CrawlRun,
    Listing,
    ListingSnapshot,
    LshKey,
    LshRecent,
    RawPage,
    Source,
    Tag,
)
from storage.private_files import sqlite_file
from storage.records import LISTING_STATE, ListingRecord, PageRecord
from storage.timestamps import db_param, from_db, now_utc, to_utc  # noqa: F401 (re-used names)
from storage.wal_checkpointer import AUTOCHECKPOINT_PAGES, WalCheckpointer


@dataclass
class Outcome:
    """What the store did with one page: stored | updated | unchanged | duplicate | failed."""

    status: str
    url: str
    article_id: int | None = None
    reason: str | None = None


#: similarity in [0, 1] of two stored fingerprints (injected: storage knows no nlp)
SimilarFn = Callable[[bytes, bytes], float]


_RAW, _ARTICLE, _CLUSTER = (m.__table__ for m in (RawPage, Article, Cluster))
_NEW_CLUSTER = insert(Cluster)  # one statement object: compiled once, not per new cluster


MAX_CANDIDATES = 10  # the best match shares the most bands: comparing more rarely changes it
PROBE_LIMIT = 64  # newest articles read per LSH band key (see _stored_members)
#: new LSH keys kept apart from lsh_keys (migration 0015): ~50,000 articles' worth, a few
#: tens of MB that stay in the page cache, then merged in one pass (move_recent_keys)
RECENT_ROWS = 1_200_000
_FAR_FUTURE = datetime.max.replace(tzinfo=timezone.utc)


def _canonical_rank(m) -> tuple:  # noqa: ANN001
    """Lower is better: credits no other source, then earliest published, then longest."""
    return (m.original_source is not None, from_db(m.published_at) or _FAR_FUTURE, -m.n, m.id)


def _words(terms: str | None) -> str | None:
    """Index words of a text: never a filter word (storage.facets), whatever a page contains."""
    return terms.replace(MARK, " ") if terms and MARK in terms else terms


def _stored_members(conn, keys: list[tuple[int, int]]) -> dict[tuple[int, int], str]:  # noqa: ANN001
    """Stored articles under each LSH (band, key) that has any, the newest PROBE_LIMIT per key
    (a key shared by hundreds is boilerplate, and reposts follow their original within days),
    from both lsh_keys and lsh_recent, as their ids joined by commas (numpy reads a batch's
    ~300,000 at a million articles from one string: see most_shared_each). One statement for a
    whole batch's keys, sorted so each table's (band, key, article_id) key is read in order
    rather than at 24 random places per article."""
    if not keys:
        return {}
    # sorted band by band: sorting ints is ~4x faster than sorting 24,000 tuples
    by_band: dict[int, set[int]] = {}
    for band, key in keys:
        by_band.setdefault(band, set()).add(key)
    keys = [(band, key) for band in sorted(by_band) for key in sorted(by_band[band])]
    if conn.dialect.name == "postgresql":
        newest = ("(SELECT article_id FROM {t} l WHERE l.band = q.band AND l.key = q.key "
                  f"ORDER BY article_id DESC LIMIT {PROBE_LIMIT})")
        rows = conn.exec_driver_sql(
            "SELECT q.band, q.key, m.article_id FROM unnest(%s::smallint[], %s::bigint[]) AS q(band, key) "
            f"CROSS JOIN LATERAL ({newest.format(t='lsh_keys')} UNION ALL {newest.format(t='lsh_recent')}) m",
            ([b for b, _ in keys], [k for _, k in keys]))
        found: dict[tuple[int, int], list[int]] = {}
        for band, key, art_id in rows:
            found.setdefault((band, key), []).append(art_id)
        return {bk: ",".join(map(str, sorted(ids, reverse=True)[:PROBE_LIMIT])) for bk, ids in found.items()}
    # SQLite: the keys travel as one JSON parameter (no limit on their number); a correlated
    # subquery per key merges the two tables' newest (both read in key order, newest first)
    # up to PROBE_LIMIT, without a LATERAL join. Most keys are nobody else's: an EXISTS probe
    # first spares them the subquery (~1/3 of the time).
    newest = ("(SELECT group_concat(article_id) FROM (SELECT article_id FROM lsh_recent WHERE band = q.band "
              "AND key = q.key UNION ALL SELECT article_id FROM lsh_keys WHERE band = q.band AND key = q.key "
              f"ORDER BY 1 DESC LIMIT {PROBE_LIMIT}))")
    known = "EXISTS (SELECT 1 FROM {t} l WHERE l.band = q.band AND l.key = q.key)"
    # (through the driver: SQLAlchemy's result rows cost more than the probes for 24,000 keys)
    cur = conn.connection.driver_connection.cursor()
    try:
        rows = cur.execute(
            f"SELECT band, key, {newest} FROM "
            "(SELECT json_extract(value, '$[0]') AS band, json_extract(value, '$[1]') AS key "
            f"FROM json_each(?)) q WHERE {known.format(t='lsh_keys')} OR {known.format(t='lsh_recent')}",
            (json.dumps(keys),)).fetchall()
    finally:
        cur.close()
    return {(band, key): ids for band, key, ids in rows}


_ID_BITS = 40  # article ids stay far below 2**40
_ID_MASK = (1 << _ID_BITS) - 1
BANDS_MAX = 255  # more LSH bands than any fingerprint has: a count's room in a sort key


def most_shared_each(hits: list[list[str]]) -> list[list[tuple[int, int]]]:
    """For each article, given its hits (for each of its LSH keys that has any, the stored
    ids under it joined by commas, see _stored_members), the MAX_CANDIDATES (id, shared
    bands) pairs sharing the most bands, lowest id on ties, in that order. A whole batch at
    once, in numpy: at a million generated articles a batch's articles have ~300,000 hits,
    and parsing them into lists, then a Counter and a heap per article, cost a tenth of the
    write. (An id appears at most once under a key: its count is its shared bands.)"""
    out: list[list[tuple[int, int]]] = [[] for _ in hits]
    per_article = [len(lists) for lists in hits]
    lists = list(chain.from_iterable(hits))
    if not lists:
        return out
    lengths = np.fromiter((ids.count(",") + 1 for ids in lists), dtype=np.int64, count=len(lists))
    try:  # (numpy before 2.x warns and stops at a bad number instead of raising: hence the count)
        ids = np.fromstring(",".join(lists), dtype=np.int64, sep=",")
    except ValueError:
        ids = None
    if ids is None or len(ids) != lengths.sum():
        raise ValueError("an LSH hit list is not a list of ids")
    owner = np.repeat(np.repeat(np.arange(len(hits), dtype=np.int64), per_article), lengths)
    pairs, bands = np.unique((owner << _ID_BITS) | ids, return_counts=True)  # sorted: article, id
    owner, ids = pairs >> _ID_BITS, pairs & _ID_MASK
    # most bands first within each article; the stable sort keeps ids ascending on ties
    order = np.argsort(owner * (BANDS_MAX + 1) + (BANDS_MAX - bands), kind="stable")
    owner = owner[order]
    first = np.arange(len(order)) - np.searchsorted(owner, owner) < MAX_CANDIDATES  # place in its article
    keep = order[first]
    for art, cid, n in zip(owner[first].tolist(), ids[keep].tolist(), bands[keep].tolist(), strict=True):
        out[art].append((cid, n))
    return out


def move_recent_keys(conn, band: int | None = None) -> int:  # noqa: ANN001
    """Move lsh_recent's keys (of one ``band``, or all) into lsh_keys in key order, so each
    page of the big table is written once for all of them; how many moved. All at once takes
    4-5 s at a million articles on SQLite (13-15 s while its LSH tables had a foreign key,
    migration 0024); a band per batch, to bound that pause, was measured no
    faster than writing each batch's keys straight into lsh_keys, so a band at a time is
    left to maintenance (a bounded step while crawls write)."""
    mark = _driver_mark(conn)
    where, params = ("", ()) if band is None else (f" WHERE band = {mark}", (band,))
    ignore = "OR IGNORE " if conn.dialect.name == "sqlite" else ""
    conn.exec_driver_sql(f"INSERT {ignore}INTO lsh_keys (band, key, article_id) SELECT band, key, article_id "
                         f"FROM lsh_recent{where} ORDER BY band, key, article_id", params)
    return conn.exec_driver_sql(f"DELETE FROM lsh_recent{where}", params).rowcount


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off for one batch: a batch allocates ~100,000
    tuples, dicts and rows, none of them cyclic garbage, and each 700 allocations started a
    collection that walked the young ones (and every 100th, the whole heap). Turned back on
    at the end, unless something else had turned it off. (Process-wide: another thread's
    garbage waits for the batch's end too.) bench/search.py unpickles batches under it."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@contextmanager
def _deferred_per_batch(conn) -> Iterator[Callable[[list[int]], None]]:  # noqa: ANN001
    """SQLite: inside, article inserts skip the FTS5 insert trigger and tag inserts the
    search-change trigger (``fts_deferred`` holds a row, seen by this transaction only;
    migrations 0022, 0023). The function given fills the FTS5 table for the new ids in one
    statement; the batch logs the search changes its tags would have (_write_pending).
    PostgreSQL: nothing to do."""
    if conn.dialect.name != "sqlite":
        yield lambda ids: None
        return

    def fill(ids: list[int]) -> None:
        if not ids:
            return
        id_list = ",".join(str(int(i)) for i in ids)  # ints the insert just returned: safe to inline
        conn.exec_driver_sql("INSERT INTO articles_fts (rowid, title_terms, body_terms, facet_terms) SELECT id,"
                             f" title_terms, body_terms, facet_terms FROM articles WHERE id IN ({id_list})")

    conn.exec_driver_sql("INSERT OR IGNORE INTO fts_deferred (flag) VALUES (1)")
    yield fill  # an error inside rolls the batch back, the row with it
    conn.exec_driver_sql("DELETE FROM fts_deferred")


_TAG_COLUMNS = ("article_id", "kind", "value", "score", "count", "first_pos", "in_title", "detail")


def _insert_rows(conn, table: str, columns: tuple[str, ...], rows: list[tuple],  # noqa: ANN001
                 ignore_duplicates: bool = False) -> None:
    """Many plain rows through the driver: SQLAlchemy's per-row parameter handling cost more
    than SQLite's insert for the ~30 tag and LSH rows of each article; on PostgreSQL a COPY
    (in the batch's transaction) beats executemany's round trips. ``ignore_duplicates``: a
    row equal to a stored one under SQLite's primary key is dropped, not an error."""
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        with conn.connection.driver_connection.cursor() as cur, \
                cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    mark = _driver_mark(conn)
    conn.exec_driver_sql(f"INSERT {'OR IGNORE ' if ignore_duplicates else ''}INTO {table} ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))})",
                         rows)


def _insert_returning_ids(conn, table, rows: list[dict]) -> list[int]:  # noqa: ANN001
    """Insert ``rows`` (dicts with the same keys) into ``table``; their new ids, in order.

    SQLite: one prepared ``INSERT`` run for all rows through the driver (executemany), values
    converted by the columns' own SQLAlchemy types (dates, JSON) and Python-side defaults
    filled in as SQLAlchemy would. Without an insert sentinel SQLAlchemy runs an ``INSERT ...
    RETURNING`` a row at a time for ordered ids, at ~0.1 ms of its own bookkeeping each. The
    ids need no RETURNING: SQLite gives a new row the largest id plus one, and the batch's
    transaction holds the write lock from its first insert, so the rows are the table's last
    ``len(rows)`` ids, in order.
    PostgreSQL: SQLAlchemy's batched insertmanyvalues."""
    if not rows:
        return []
    if conn.dialect.name != "sqlite":
        return list(conn.execute(table.insert().returning(table.c.id, sort_by_parameter_order=True),
                                 rows).scalars().all())
    given = list(rows[0])
    defaults = {c.name: c.default for c in table.c
                if c.name not in given and c.default is not None and not c.primary_key}
    names = given + list(defaults)
    procs = [_bind_processor(table.c[name].type, conn.dialect) for name in names]
    sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
    fill = [d.arg(None) if d.is_callable else d.arg for d in defaults.values()]
    cur = conn.connection.driver_connection.cursor()
    try:
        cur.executemany(sql, ([proc(v) if proc else v for proc, v in zip(procs, [row[n] for n in given] + fill,
                                                                          strict=True)] for row in rows))
        ids = [r[0] for r in cur.execute(f"SELECT id FROM {table.name} ORDER BY id DESC LIMIT ?",
                                          (len(rows),))][::-1]
    finally:
        cur.close()
    if len(ids) != len(rows) or ids[-1] - ids[0] != len(rows) - 1:  # only past the largest rowid
        raise RuntimeError(f"{table.name}: the new rows' ids are not the table's last {len(rows)}")
    return ids


def _bind_processor(type_, dialect) -> Callable | None:  # noqa: ANN001
    """The column type's own bind processor; for JSON, the empty list and dict (most pages'
    authors, blocks, flags and headers: four per page) are serialised once, not per row."""
    proc = type_.bind_processor(dialect)
    if proc is None or not isinstance(type_, JSON):
        return proc
    empty = {list: proc([]), dict: proc({})}

    def bind(value):  # noqa: ANN001, ANN202
        return empty[type(value)] if not value and type(value) in empty else proc(value)

    return bind


def _band_keys(art) -> list[tuple[int, int]]:  # noqa: ANN001
    """An article's LSH (band, key) pairs as tuples (a record read back from JSON has lists)."""
    return [bk if type(bk) is tuple else tuple(bk) for bk in art.band_keys]


def _driver_mark(conn) -> str:  # noqa: ANN001
    """The driver's parameter placeholder, for SQL sent through exec_driver_sql."""
    return "?" if conn.dialect.paramstyle == "qmark" else "%s"


class _New:
    """An article this batch inserts (together with the others, after the batch's first pass);
    a later page of the same batch with its canonical URL replaces what it will store."""

    def __init__(self, rec: PageRecord, values: dict) -> None:
        self.rec, self.values = rec, values
        self.id: int | None = None


@dataclass
class _Member:
    """What electing a cluster's canonical member compares (see _canonical_rank)."""

    id: int
    original_source: str | None
    published_at: datetime | str | None
    n: int


class _Pending:
    """Rows a Store.write batch writes at its end, and what its clustering decided meanwhile:
    the batch's LSH keys (so a repost finds an original of the same batch), the cluster of
    each article clustered, and each touched cluster's canonical member and growth."""

    def __init__(self) -> None:
        self.tags: list[tuple] = []  # rows of _TAG_COLUMNS
        self.lsh: list[tuple] = []  # (band, key, article_id)
        self.keys: dict[tuple[int, int], list[int]] = {}
        self.fingerprints: dict[int, bytes] = {}
        self.members: dict[int, _Member] = {}  # this batch's new articles
        self.clusters: dict[int, int] = {}  # article id -> cluster id set during the batch
        self.canonical: dict[int, _Member] = {}  # cluster id -> its canonical member now
        self.grown: dict[int, int] = {}  # cluster id -> members added by this batch
        self.retagged: set[int] = set()  # stored articles whose tags the batch replaces

    def add_keys(self, art_id: int, fp: bytes | None, band_keys: list[tuple[int, int]]) -> None:
        """``band_keys``: tuples (see _band_keys)."""
        self.lsh.extend([(b, k, art_id) for b, k in band_keys])
        if fp is not None:
            self.fingerprints[art_id] = fp
            keys = self.keys
            for bk in band_keys:
                if (ids := keys.get(bk)) is None:
                    keys[bk] = [art_id]
                else:
                    ids.append(art_id)

    def shared(self, band_keys: list[tuple[int, int]]) -> dict[int, int]:
        """This batch's articles sharing band keys, with how many (newest PROBE_LIMIT per key)."""
        out: dict[int, int] = {}
        get = self.keys.get
        for bk in band_keys:
            if ids := get(bk):
                for other in ids[-PROBE_LIMIT:] if len(ids) > PROBE_LIMIT else ids:
                    out[other] = out.get(other, 0) + 1
        return out

    def forget(self, art_id: int) -> None:
        """An article rewritten in this batch keeps only its last tags and keys."""
        self.tags = [t for t in self.tags if t[0] != art_id]
        self.lsh = [row for row in self.lsh if row[2] != art_id]
        self.fingerprints.pop(art_id, None)
        for ids in self.keys.values():
            if art_id in ids:
                ids.remove(art_id)


class _Batch:
    """One Store.write call's state: its connection and time, what the store already has,
    what it decided per page, and the rows it writes at the end."""

    def __init__(self, conn, now: datetime) -> None:  # noqa: ANN001
        self.conn = conn
        self.now = now
        self.by_url: dict[str, tuple] = {}  # canonical URL -> (article id or _New, content hash)
        self.by_hash: dict[str, object] = {}  # content hash -> article id or _New
        self.source_of: dict[int, int | None] = {}  # known article -> its source (provenance)
        self.pending = _Pending()
        self.new: list[_New] = []
        self.placeholders: list[tuple[Outcome, _New]] = []  # outcomes naming a not-yet-inserted article
        self.outcomes: list[Outcome] = []


class Store:
    def __init__(self, engine: Engine, similar: SimilarFn | None = None, threshold: float = 0.5,
                 *, owns_engine: bool = False) -> None:
        self.engine = engine
        self.similar = similar
        self.threshold = threshold
        self.owns_engine = owns_engine  # False: the process's one engine, closed by its owner
        self._source_ids: dict[str, int] = {}
        self._wal_file = sqlite_file(str(engine.url))  # None: memory, file: URI, PostgreSQL
        self._checkpointer: WalCheckpointer | None = None

    @classmethod
    def open(cls, url: str | None = None, similar: SimilarFn | None = None,
             threshold: float = 0.5) -> Store:
        """A store over a new engine of its own, for tools and tests (the application gets
        its store from ``daihuo.system.System.store()``, which clusters near-duplicates).
        A new store is created; one whose schema is behind raises SchemaBehind. With
        ``similar``, a new article joins the cluster of its most similar stored article when
        that similarity reaches ``threshold``."""
        engine = make_engine(url)
        try:
            ensure_schema(engine)
        except BaseException:
            engine.dispose()
            raise
        return cls(engine, similar, threshold, owns_engine=True)

    def close(self) -> None:
        if self._checkpointer is not None and self._checkpointer.pid == os.getpid():
            self._checkpointer.close()
        self._checkpointer = None
        if self.owns_engine:
            self.engine.dispose()

    # -- sources ---------------------------------------------------------------------------
    def sync_sources(self, sources: Iterable[dict]) -> dict[str, int]:
        """Insert or update sources by name (idempotent). Each dict: name, kind, config."""
        now = now_utc()
        with self.engine.begin() as conn:
            for src in sources:
                row = conn.execute(select(Source.id).where(Source.name == src["name"])).first()
                if row:
                    conn.execute(
                        update(Source).where(Source.id == row.id).values(
                            kind=src["kind"], config=src.get("config", {}), updated_at=now)
                    )
                    self._source_ids[src["name"]] = row.id
                else:
                    res = conn.execute(insert(Source).values(
                        name=src["name"], kind=src["kind"], config=src.get("config", {}),
                        enabled=src.get("enabled", True), created_at=now, updated_at=now))
                    self._source_ids[src["name"]] = res.inserted_primary_key[0]
        return dict(self._source_ids)

    def delete_sources(self, names: Iterable[str]) -> int:
        """Remove sources and everything crawled from them (used to replace demo sources)."""
        names = list(names)
        with self.engine.begin() as conn:
            ids = [r.id for r in conn.execute(select(Source.id).where(Source.name.in_(names)))]
            if not ids:
                return 0
            listing_ids = select(Listing.id).where(Listing.source_id.in_(ids))
            conn.execute(delete(ListingSnapshot).where(ListingSnapshot.listing_id.in_(listing_ids)))
            conn.execute(delete(Listing).where(Listing.source_id.in_(ids)))
            art_ids = select(Article.id).where(Article.source_id.in_(ids))
            conn.execute(update(Listing).where(Listing.article_id.in_(art_ids)).values(article_id=None))
            conn.execute(delete(Tag).where(Tag.article_id.in_(art_ids)))
            conn.execute(delete(Article).where(Article.source_id.in_(ids)))
            conn.execute(delete(RawPage).where(RawPage.source_id.in_(ids)))
            conn.execute(delete(Source).where(Source.id.in_(ids)))
            self._tidy_clusters(conn)
        for name in names:
            self._source_ids.pop(name, None)
        return len(ids)

    def source_hints(self) -> dict[str, dict]:
        """Per-source page hints (region, charset, selector) from the stored registry config,
        so reprocessing decodes and converts a page as its crawl did."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(Source.name, Source.config)).all()
        keys = {"region": "region", "charset": "charset_hint", "selector": "selector"}
        hints = {}
        for r in rows:
            cfg = r.config or {}
            hints[r.name] = {dst: cfg.get(src) for src, dst in keys.items()}
            if cfg.get("kind") == "listings":
                hints[r.name]["kind"] = "listings"
        return hints

    def source_id(self, name: str | None) -> int | None:
        if name is None:
            return None
        if name not in self._source_ids:
            with self.engine.connect() as conn:
                row = conn.execute(select(Source.id).where(Source.name == name)).first()
            if row is None:
                return None
            self._source_ids[name] = row.id
        return self._source_ids[name]

    # -- runs ------------------------------------------------------------------------------
    def start_run(self, sources: list[str], trigger: str = "cli") -> int:
        with self.engine.begin() as conn:
            res = conn.execute(insert(CrawlRun).values(
                sources=sources, trigger=trigger, status="running", started_at=now_utc(), stats={}))
            return res.inserted_primary_key[0]

    def finish_run(self, run_id: int, status: str, stats: dict) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(CrawlRun).where(CrawlRun.id == run_id).values(
                status=status, finished_at=now_utc(), stats=json.loads(json.dumps(stats, default=str))))

    # -- pages -----------------------------------------------------------------------------
    def write(self, records: list[PageRecord]) -> list[Outcome]:
        """Write a batch of processed pages in one transaction; returns one Outcome each.

        Phases: look up which articles the batch already has; insert the new raw pages;
        decide what becomes of each page (stored, updated, unchanged, duplicate, failed);
        insert the new articles together; cluster them; write the tag, LSH and cluster rows
        the batch collected."""
        if not records:
            return []
        checkpointer = self._wal_checkpointer()
        if checkpointer:
            checkpointer.catch_up()
        # the batch's state is dropped (on _write_batch's return) before the collector is
        # back: re-enabled earlier, its next pass would walk the batch's young objects
        with collector_paused():
            outcomes = self._write_batch(records, checkpointer)
        if checkpointer:
            checkpointer.poke()
        return outcomes

    def _write_batch(self, records: list[PageRecord], checkpointer: WalCheckpointer | None) -> list[Outcome]:
        with self.engine.connect() as conn:
            if checkpointer:  # this commit leaves the WAL to the checkpointer's thread
                conn.connection.driver_connection.execute("PRAGMA wal_autocheckpoint=0")
            try:
                with conn.begin():
                    batch = _Batch(conn, now_utc())
                    self._look_up_known(batch, records)
                    raw_ids = self._insert_raw_pages(batch, records)
                    for rec in records:
                        self._place(batch, rec, rec.raw.raw_page_id or next(raw_ids))
                    with _deferred_per_batch(conn) as fill_full_text:
                        self._insert_new_articles(batch, fill_full_text)
                        self._cluster_new_articles(batch)
                        self._write_pending(batch)
            finally:
                if checkpointer:  # the pool lends this connection to other work too
                    conn.connection.driver_connection.execute(
                        f"PRAGMA wal_autocheckpoint={AUTOCHECKPOINT_PAGES}")
        return batch.outcomes

    def _wal_checkpointer(self) -> WalCheckpointer | None:
        """SQLite file stores: the thread that checkpoints after each batch (one per process:
        a forked child starts its own)."""
        if self._wal_file is None:
            return None
        cp = self._checkpointer
        if cp is None or cp.pid != os.getpid():
            cp = self._checkpointer = WalCheckpointer(self._wal_file)
        return cp

    @staticmethod
    def _look_up_known(b: _Batch, records: list[PageRecord]) -> None:
        """Known articles among the batch, by canonical URL and by body, in two indexed queries."""
        arts = [r.article for r in records if r.article is not None]
        if not arts:
            return
        urls = list({a.canonical_url for a in arts})
        hashes = list({a.content_hash for a in arts})
        for row in b.conn.execute(select(Article.id, Article.canonical_url, Article.content_hash,
                                         Article.source_id).where(Article.canonical_url.in_(urls))):
            b.by_url[row.canonical_url] = (row.id, row.content_hash)
            b.source_of[row.id] = row.source_id
        for row in b.conn.execute(select(Article.id, Article.content_hash)
                                  .where(Article.content_hash.in_(hashes))):
            b.by_hash[row.content_hash] = row.id

    def _insert_raw_pages(self, b: _Batch, records: list[PageRecord]) -> Iterator[int]:
        """New raw pages first: their ids, in order, are the articles' raw_page_id."""
        fresh = [r.raw for r in records if r.raw.raw_page_id is None]
        return iter(_insert_returning_ids(
            b.conn, _RAW,
            [dict(source_id=self.source_id(raw.source), run_id=raw.run_id, url=raw.url, status=raw.status,
                  fetched_at=to_utc(raw.fetched_at), headers=raw.headers, charset=raw.charset,
                  html_z=raw.compressed(), error=raw.error, error_stage=raw.error_stage)
             for raw in fresh]))

    def _place(self, b: _Batch, rec: PageRecord, raw_id: int) -> None:
        """What becomes of one page. New articles wait for _insert_new_articles; tag, LSH and
        cluster rows for _write_pending."""
        conn, raw, art = b.conn, rec.raw, rec.article
        source_id = self.source_id(raw.source)
        if raw.raw_page_id is not None:  # reprocessing a stored page
            conn.execute(update(RawPage).where(RawPage.id == raw_id).values(
                charset=raw.charset, error=raw.error, error_stage=raw.error_stage))
        if rec.listings:
            # embedded cards link to the article once it is stored (below)
            known_id = b.by_url.get(art.canonical_url, (None,))[0] if art else None
            self._write_listings(conn, source_id, raw.run_id, raw.fetched_at, rec.listings,
                                 article_id=known_id if isinstance(known_id, int) else None)
        if art is None:
            if raw.error is None and rec.listings:
                b.outcomes.append(Outcome("listing_page", raw.url, reason=f"{len(rec.listings)} listings"))
            else:
                b.outcomes.append(Outcome("failed", raw.url, reason=raw.error_stage or "no article"))
            return
        values = dict(
            source_id=source_id, raw_page_id=raw_id, url=art.url, canonical_url=art.canonical_url,
            title=art.title, published_at=to_utc(art.published_at), authors=art.authors,
            editor=art.editor, original_source=art.original_source, lead=art.lead,
            body=art.body, blocks=art.blocks, script=art.script,
            content_hash=art.content_hash, flags=art.flags, title_terms=_words(art.title_terms),
            body_terms=_words(art.body_terms), lexicon_version=art.lexicon_version,
            facet_terms=facet_terms(((t.kind, t.value) for t in art.tags), raw.source),
            fingerprint=art.fingerprint, updated_at=b.now)
        known = b.by_url.get(art.canonical_url)
        dup_of = b.by_hash.get(art.content_hash)
        if known and known[1] == art.content_hash and raw.raw_page_id is None:
            outcome, target = Outcome("unchanged", raw.url, reason="same content"), known[0]
        elif dup_of is not None and (known is None or dup_of != known[0]):
            outcome, target = Outcome("duplicate", raw.url, reason="same body as another URL"), dup_of
        else:
            if known is None:
                target = _New(rec, values)
                b.new.append(target)
                outcome = Outcome("stored", raw.url)
            elif isinstance(known[0], _New):  # rewritten before it was inserted
                target = known[0]
                target.rec, target.values = rec, values
                outcome = Outcome("updated", raw.url)
            else:
                target = known[0]
                self._rewrite(b, target, rec, values, source_id)
                outcome = Outcome("updated", raw.url)
            b.by_url[art.canonical_url] = (target, art.content_hash)
            b.by_hash[art.content_hash] = target
        if isinstance(target, _New):
            b.placeholders.append((outcome, target))
        else:
            outcome.article_id = target
        b.outcomes.append(outcome)

    def _rewrite(self, b: _Batch, target: int, rec: PageRecord, values: dict, source_id: int | None) -> None:
        """A stored article with new content: its row, tags and keys are replaced."""
        conn, art = b.conn, rec.article
        conn.execute(update(Article).where(Article.id == target)
                     .values(**self._keep_provenance(conn, values, b.source_of.get(target), art)))
        conn.execute(delete(Tag).where(Tag.article_id == target))
        conn.execute(delete(LshKey).where(LshKey.article_id == target))
        conn.execute(delete(LshRecent).where(LshRecent.article_id == target))
        b.pending.forget(target)
        b.pending.retagged.add(target)
        if art.band_keys:
            b.pending.add_keys(target, art.fingerprint, _band_keys(art))
        self._pend_tags(b.pending, target, art)
        if rec.listings:
            self._link_listings(conn, source_id, rec, target)

    @staticmethod
    def _insert_new_articles(b: _Batch, fill_full_text: Callable[[list[int]], None]) -> None:
        if b.new:
            ids = _insert_returning_ids(b.conn, _ARTICLE, [dict(created_at=b.now, **n.values) for n in b.new])
            fill_full_text(ids)
            for n, art_id in zip(b.new, ids, strict=True):
                n.id = art_id
        for outcome, n in b.placeholders:
            outcome.article_id = n.id

    def _cluster_new_articles(self, b: _Batch) -> None:
        """In page order: cluster each new article against the store (its candidates read for
        the whole batch at once) and the batch's earlier articles, then queue its keys and tags."""
        clustering = [n for n in b.new if self.similar is not None and n.rec.article.fingerprint is not None
                      and n.rec.article.band_keys]
        stored = self._stored_candidates(b.conn, clustering)
        for n in b.new:
            art, v = n.rec.article, n.values
            b.pending.members[n.id] = _Member(n.id, v["original_source"], v["published_at"], len(v["body"]))
            keys = _band_keys(art)
            if n.id in stored:
                self._cluster(b.conn, n.id, art.fingerprint, keys, stored[n.id], b.now, b.pending)
            if keys:
                b.pending.add_keys(n.id, art.fingerprint, keys)
            self._pend_tags(b.pending, n.id, art)
            if n.rec.listings:
                self._link_listings(b.conn, self.source_id(n.rec.raw.source), n.rec, n.id)

    @staticmethod
    def _write_pending(b: _Batch) -> None:
        """The batch's tag, LSH and cluster rows, each table in one statement."""
        conn, pending = b.conn, b.pending
        # in key order: each B-tree page of lsh_recent (keyed by band, key, article_id) is
        # visited once rather than at 24 random places per article
        pending.lsh.sort()
        _insert_rows(conn, "lsh_recent", ("band", "key", "article_id"), pending.lsh, ignore_duplicates=True)
        if pending.lsh and conn.exec_driver_sql("SELECT count(*) FROM lsh_recent").scalar() >= RECENT_ROWS:
            move_recent_keys(conn)
        _insert_rows(conn, "tags", _TAG_COLUMNS, pending.tags)
        if pending.retagged and conn.dialect.name == "sqlite":
            # the tag insert trigger skipped them (_deferred_per_batch); a new article's own
            # insert logged it already
            _insert_rows(conn, "search_changes", ("article_id",), [(a,) for a in sorted(pending.retagged)])
        if pending.clusters:
            conn.execute(update(_ARTICLE).where(_ARTICLE.c.id == bindparam("art")).values(
                cluster_id=bindparam("cl")), [{"art": a, "cl": c} for a, c in pending.clusters.items()])
        if pending.grown:
            conn.execute(update(_CLUSTER).where(_CLUSTER.c.id == bindparam("cl")).values(
                canonical_id=bindparam("canon"), size=_CLUSTER.c.size + bindparam("grown"),
                updated_at=bindparam("now")),
                [{"cl": c, "canon": pending.canonical[c].id, "grown": g, "now": b.now}
                 for c, g in pending.grown.items()])

    def _keep_provenance(self, conn, values: dict, source_id: int | None, art) -> dict:  # noqa: ANN001
        """An update changes content, never provenance: the article keeps the source it was
        first stored from (a reprocess or a second source's copy must not move it)."""
        values = {k: v for k, v in values.items() if k != "source_id"}
        if source_id is not None:
            name = conn.execute(select(Source.name).where(Source.id == source_id)).scalar()
            values["facet_terms"] = facet_terms(((t.kind, t.value) for t in art.tags), name)
        return values

    @staticmethod
    def _pend_tags(pending: _Pending, art_id: int, art) -> None:  # noqa: ANN001
        pending.tags.extend((art_id, t.kind, t.value, t.score, t.count, t.first_pos, t.in_title, t.detail)
                            for t in art.tags)

    @staticmethod
    def _link_listings(conn, source_id: int | None, rec: PageRecord, art_id: int) -> None:  # noqa: ANN001
        keys = [li.key for li in rec.listings]
        conn.execute(update(Listing).where(Listing.source_id == source_id, Listing.key.in_(keys))
                     .values(article_id=art_id))

    # -- near-duplicate clusters ----------------------------------------------------------
    @staticmethod
    def _stored_candidates(conn, new: list[_New]) -> dict[int, dict[int, tuple]]:  # noqa: ANN001
        """For each new article, the stored articles sharing the most LSH bands with it (at
        most MAX_CANDIDATES, with a fingerprint): {article id: {candidate id: (shared bands,
        fingerprint, cluster id)}}. Two statements for the batch, whatever its size."""
        keys = {n.id: _band_keys(n.rec.article) for n in new}
        members = _stored_members(conn, [bk for ks in keys.values() for bk in ks])
        get = members.get
        best = dict(zip(keys, most_shared_each([[ids for bk in ks if (ids := get(bk))] for ks in keys.values()]),
                        strict=True))
        wanted = sorted({cid for cands in best.values() for cid, _ in cands})
        found: dict[int, tuple] = {}
        if wanted:
            cur = conn.connection.driver_connection.cursor()
            try:
                if conn.dialect.name == "postgresql":
                    cur.execute("SELECT id, fingerprint, cluster_id FROM articles "
                                "WHERE id = ANY(%s) AND fingerprint IS NOT NULL", (wanted,))
                else:
                    # the covering index, not the rows: a row's fingerprint is behind its
                    # overflow pages (migration 0025)
                    cur.execute("SELECT id, fingerprint, cluster_id FROM articles INDEXED BY ix_articles_fingerprint"
                                " WHERE id IN (SELECT value FROM json_each(?)) AND fingerprint IS NOT NULL",
                                (json.dumps(wanted),))
                found = {r[0]: (bytes(r[1]), r[2]) for r in cur.fetchall()}
            finally:
                cur.close()
        return {art_id: {cid: (k, *found[cid]) for cid, k in cands if cid in found}
                for art_id, cands in best.items()}

    def _cluster(self, conn, art_id: int, fp: bytes, band_keys: list, stored: dict[int, tuple],  # noqa: ANN001
                 now: datetime, pending: _Pending) -> None:
        """Join the cluster of the best near-duplicate among the LSH candidates: the stored
        ones (``stored``, see _stored_candidates) and this batch's own (keys not yet in the
        table), comparing the fingerprints of those sharing the most bands first (at most
        MAX_CANDIDATES). Cluster ids, sizes and canonical members are written at the batch's
        end (pending); a new cluster is inserted at once, for its id."""
        cands = dict(stored)  # id -> (shared bands, fingerprint, stored cluster id)
        for other, shared in pending.shared(band_keys).items():
            cands[other] = (shared, pending.fingerprints[other], None)
        if not cands:
            return
        best = sorted(cands, key=lambda cid: (-cands[cid][0], cid))[:MAX_CANDIDATES]
        similar, threshold = self.similar, self.threshold
        scored = [(score, cid) for cid in best if (score := similar(fp, cands[cid][1])) >= threshold]
        if not scored:
            return
        _, match_id = max(scored, key=lambda sc: (sc[0], -sc[1]))  # most similar, lowest id on ties
        cluster_id = pending.clusters.get(match_id, cands[match_id][2])  # joined during this batch?
        if cluster_id is None:
            cluster_id = conn.execute(_NEW_CLUSTER, dict(
                canonical_id=match_id, size=1, created_at=now, updated_at=now)).inserted_primary_key[0]
            pending.clusters[match_id] = cluster_id
            current = self._member(conn, pending, match_id)
        elif cluster_id in pending.canonical:
            current = pending.canonical[cluster_id]
        else:
            canonical = conn.execute(select(Cluster.canonical_id).where(Cluster.id == cluster_id)).scalar()
            current = self._member(conn, pending, canonical)
        pending.clusters[art_id] = cluster_id
        pending.grown[cluster_id] = pending.grown.get(cluster_id, 0) + 1
        # The newcomer can only displace the current canonical member: compare the two (O(1)).
        pending.canonical[cluster_id] = min((m for m in (current, pending.members[art_id]) if m is not None),
                                            key=_canonical_rank)

    @staticmethod
    def _member(conn, pending: _Pending, art_id: int | None) -> _Member | None:  # noqa: ANN001
        if art_id in pending.members:
            return pending.members[art_id]
        r = conn.execute(select(Article.id, Article.original_source, Article.published_at,
                                func.length(Article.body).label("n")).where(Article.id == art_id)).first()
        return _Member(r.id, r.original_source, r.published_at, r.n) if r else None

    def _tidy_clusters(self, conn) -> None:  # noqa: ANN001
        """After deletions: drop clusters left with fewer than two members, re-elect the rest."""
        now = now_utc()
        sizes = dict(conn.execute(select(Article.cluster_id, func.count()).where(
            Article.cluster_id.is_not(None)).group_by(Article.cluster_id)).all())
        for cid in conn.execute(select(Cluster.id)).scalars().all():
            if sizes.get(cid, 0) < 2:
                conn.execute(update(Article).where(Article.cluster_id == cid).values(cluster_id=None))
                conn.execute(delete(Cluster).where(Cluster.id == cid))
            else:
                self._elect_canonical(conn, cid, now)

    @staticmethod
    def _elect_canonical(conn, cluster_id: int, now: datetime) -> None:  # noqa: ANN001
        """The member shown for a story: one that credits no other source (the original, when
        reposts name it), then the earliest published, then the most complete."""
        members = conn.execute(select(Article.id, Article.original_source, Article.published_at,
                                      func.length(Article.body).label("n"))
                               .where(Article.cluster_id == cluster_id)).all()
        best = min(members, key=_canonical_rank)
        conn.execute(update(Cluster).where(Cluster.id == cluster_id).values(
            canonical_id=best.id, size=len(members), updated_at=now))

    # -- listings --------------------------------------------------------------------------
    def _write_listings(self, conn, source_id: int | None, run_id: int | None,  # noqa: ANN001
                        seen_at: datetime, listings: list[ListingRecord],
                        article_id: int | None = None) -> dict[str, int]:
        """Upsert listings by (source, key); append a snapshot only when the state changed."""
        seen_at = to_utc(seen_at)
        counts = {"new": 0, "changed": 0, "same": 0}
        unique = {li.key: li for li in listings}  # a page may show a card twice
        rows = {r.key: r for r in conn.execute(
            select(Listing).where(Listing.source_id.is_(source_id) if source_id is None
                                  else Listing.source_id == source_id, Listing.key.in_(list(unique))))}
        for key, li in unique.items():
            values = {k: getattr(li, k) for k in LISTING_STATE}
            meta = dict(url=li.url, platform=li.platform, category=li.category, title=li.title,
                        fields=li.fields, flags=li.flags)
            row = rows.get(key)
            if row is None:
                lid = conn.execute(insert(Listing).values(
                    source_id=source_id, key=key, article_id=article_id, status="active",
                    first_seen=seen_at, last_seen=seen_at, last_run_id=run_id, missed_runs=0,
                    **meta, **values)).inserted_primary_key[0]
                changed, counts["new"] = True, counts["new"] + 1
            elif run_id is None:
                # Reprocessing a stored page re-parses it: better fields, but no new
                # observation, so no snapshot and no change to when it was seen.
                lid, changed = row.id, False
                counts["same"] += 1
                conn.execute(update(Listing).where(Listing.id == lid).values(**meta, **values))
            else:
                lid = row.id
                # A field a page does not state (None: a list card without the 蓝V badge,
                # say) keeps its known value; only stated values can change the state.
                values = {k: getattr(row, k) if v is None else v for k, v in values.items()}
                # Learning a value that was unknown (a detail page after its list card) is
                # not a change: fill it into the latest snapshot instead of adding one.
                filled = {k: v for k, v in values.items() if getattr(row, k) is None and v is not None}
                changed = row.status != "active" or any(
                    getattr(row, k) is not None and getattr(row, k) != v for k, v in values.items())
                if filled and not changed:
                    latest = select(func.max(ListingSnapshot.id)).where(
                        ListingSnapshot.listing_id == row.id).scalar_subquery()
                    conn.execute(update(ListingSnapshot).where(ListingSnapshot.id == latest).values(**filled))
                counts["changed" if changed else "same"] += 1
                conn.execute(update(Listing).where(Listing.id == lid).values(
                    last_seen=seen_at, last_run_id=run_id, missed_runs=0, status="active",
                    **meta, **values))
            if changed:
                conn.execute(insert(ListingSnapshot).values(
                    listing_id=lid, run_id=run_id, seen_at=seen_at, status="active", **values))
        return counts

    def write_listings(self, source: str | None, run_id: int | None, seen_at: datetime,
                       listings: list[ListingRecord]) -> dict[str, int]:
        with self.engine.begin() as conn:
            return self._write_listings(conn, self.source_id(source), run_id, seen_at, listings)

    def close_listing_run(self, source: str, run_id: int, *, removed_after: int = 2) -> int:
        """After a complete crawl of a listings source: every active listing it did not see
        misses one more run; after ``removed_after`` misses it is marked removed (sold or
        withdrawn), with a snapshot. Returns how many were marked removed."""
        sid = self.source_id(source)
        now = now_utc()
        removed = 0
        with self.engine.begin() as conn:
            missing = conn.execute(select(Listing).where(
                Listing.source_id == sid, Listing.status == "active",
                (Listing.last_run_id != run_id) | Listing.last_run_id.is_(None))).all()
            for row in missing:
                misses = row.missed_runs + 1
                values: dict = {"missed_runs": misses}
                if misses >= removed_after:
                    values["status"] = "removed"
                    removed += 1
                    conn.execute(insert(ListingSnapshot).values(
                        listing_id=row.id, run_id=run_id, seen_at=now, status="removed",
                        **{k: getattr(row, k) for k in LISTING_STATE}))
                conn.execute(update(Listing).where(Listing.id == row.id).values(**values))
        return removed

    # -- reading raw pages back (reprocess) --------------------------------------------------
    def iter_raw_pages(self, batch: int = 200):
        """Yield (raw_page_id, url, status, fetched_at, headers, source_name, html bytes)."""
        last = 0
        while True:
            with self.engine.connect() as conn:
                rows = conn.execute(
                    select(RawPage.id, RawPage.url, RawPage.status, RawPage.fetched_at,
                           RawPage.headers, Source.name, RawPage.html_z)
                    .outerjoin(Source, Source.id == RawPage.source_id)
                    .where(RawPage.id > last).order_by(RawPage.id).limit(batch)).all()
            if not rows:
                return
            for r in rows:
                yield (r.id, r.url, r.status, from_db(r.fetched_at), r.headers or {}, r.name,
                       zlib.decompress(r.html_z))
            last = rows[-1].id

    def iter_article_terms(self, batch: int = 1000):
        """Yield each stored article's body terms as a list (for the corpus IDF)."""
        last = 0
        while True:
            with self.engine.connect() as conn:
                rows = conn.execute(select(Article.id, Article.body_terms).where(Article.id > last)
                                    .order_by(Article.id).limit(batch)).all()
            if not rows:
                return
            for r in rows:
                yield r.body_terms.split()
            last = rows[-1].id

    def iter_entity_tags(self):
        """Yield each article's entity tags and candidates as (name, kind, confidence, count) lists."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(Tag.article_id, Tag.value, Tag.detail, Tag.score, Tag.count)
                                .where(Tag.kind.in_(("entity", "entity_candidate")))
                                .order_by(Tag.article_id)).all()
        current, group = None, []
        for r in rows:
            if r.article_id != current and group:
                yield group
                group = []
            current = r.article_id
            group.append((r.value, (r.detail or "/").split("/")[0], r.score, r.count))
        if group:
            yield group

    def counts(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            return {
                "sources": conn.scalar(select(func.count()).select_from(Source)),
                "raw_pages": conn.scalar(select(func.count()).select_from(RawPage)),
                "articles": conn.scalar(select(func.count()).select_from(Article)),
                "tags": conn.scalar(select(func.count()).select_from(Tag)),
            }
