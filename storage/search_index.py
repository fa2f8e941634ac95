"""A tantivy index derived from the store: the search engine for large SQLite stores.

The SQL store stays the store of record; this index holds, per article, what a search needs
(the stored jieba terms of title and body, the filter and facet values, the publication and
publish times, the story and whether the article is its cluster's canonical member) and is
kept in step through the store's change log (``search_changes``, fed by triggers: migration
0021), so it follows every writer of the store, in any process. ``SearchIndex.search`` gives
the same answers as ``storage.search``'s SQL engine, exact throughout:

- totals and facet counts count every match (stories when collapsing); collapsing counts
  unclustered matches directly and, among clustered ones, the distinct stories of their
  story fast field (tantivy's ``cardinality`` aggregation is approximate: never used);
- a page lists the stories (or articles) of the SQL engine's order: relevance (score, then
  id) or date (published, NULLs last, then id); a story ranks by its best member and is shown
  by its canonical member when that matched, else its best (ties: the lowest id), exactly
  as ``storage.search.ranked_sql``; pages are found by reading matches in order until the
  stories ahead of the page can no longer be overtaken by unread ones;
- titles and bodies are analysed as FTS5's unicode61 does (split at anything not a letter or
  digit, lower-cased), so the two engines see the same words.

Scores are tantivy's bm25 (title boosted TITLE_BOOST, as FTS5's bm25 weights the title
column); its numbers differ from FTS5's (per-field length normalisation, f32), so the order of
two hits whose scores are close can differ between the engines (and with it which hits fill
the first page); the set of matches, the totals, the facets and the date order never do.

Costs (bench/search.py): every answer is exact, so counting and facets read every match, as
the SQL engine does, but from columns, and on the search threads while the page is ranked
(tantivy releases the GIL while it searches). Collapsed facets cost most: each value's
distinct stories among the clustered matches, counted in numpy from the matches' stories and
their facet value numbers (storage.facet_numbers) packed into six fast fields (``fv0``..),
read in one pass; a histogram of ``fsid`` (one bucket per (story, value), which tantivy hands
over as a dict) remains for an article with more values than the slots hold.

On PostgreSQL (an index only when configured) the change log's sequence can commit out of
order under concurrent writers, so a change may reach the index only at its next rebuild:
SQLite, with one writer, has no such gap.

Catching up: a search first applies the change log past the index's watermark (read your own
writes), one process at a time (a file lock; tantivy's writer lock besides), then reloads its
reader. The watermark is written after the index commit, so a crash in between only replays
changes (a change is "delete the article's document, re-add it from the store"). A missing,
unreadable or outdated index is rebuilt from the store (``daihuo search-index rebuild`` does
it on demand, with progress).
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
import threading
import time
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Engine, text

from storage import search as sql_search
from storage.facet_numbers import FacetNumbers
from storage.private_files import sqlite_file
from storage.query import And, Leaf, Node, Not, Or, Query
from storage.search import (
    FACETS,
    TAG_FILTERS,
    IndexUnavailable,
    SearchRequest,
    SearchResult,
    hit_details,
)
from storage.timestamps import from_db

log = logging.getLogger(__name__)

#: bumped when the documents change shape: an index of another version is rebuilt
SCHEMA_VERSION = 6
TITLE_BOOST = 10.0  # as storage.search.BM25_WEIGHTS weighs the title against the body
ANALYZER = "fts5like"
#: stores up to this many articles are (re)indexed inside the search that finds the index
#: missing; a larger one keeps the SQL engine until `daihuo search-index rebuild` has run
INLINE_REBUILD_MAX = 50_000
BATCH = 2000  # articles read from the store at once while indexing
RANKED_PART = 50_000  # hits read from the index at once while ordering every hit (an export)
#: how long a search waits for another process's catch-up or rebuild before answering with SQL
LOCK_WAIT = 10.0
PRUNE_AFTER = 10_000  # applied changes kept before the log is cut back
WRITER_HEAP = 128 * 1024 * 1024
NULL_TIME = -(2**62)  # a missing time: sorts after every real one (newest first), matches no range
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
ALL = 1 << 30  # "every match" as a search limit
FACET_FIELDS = ("platform", "topic", "entity", "source", "status", "month")
AGG_BUCKETS = 50_000  # per aggregation request: tantivy aborts one past 65,000 buckets
AGG_SIZE = 65_000  # terms per aggregation: no more can be returned (larger sizes cost time)
FACET_VALUES_GUESS = 12  # facet values per article (platforms, topics, entities, source, status, month)
#: ``fsid`` = story << VALUE_BITS | the facet value's number: below 2**53, so exact as the
#: float keys an aggregation returns (stories below 2**32, two million facet values)
VALUE_BITS = 21
VALUE_MASK = (1 << VALUE_BITS) - 1
#: a clustered article's facet value numbers (plus one; 0: none) also packed three to a
#: single-valued fast field, ``fv0``.. (see _story_facets): read for a query's clustered
#: matches in one pass, no bucket per (story, value). An article with more values than the
#: slots hold sets OVERFLOW in ``fv0``, and a query meeting one counts from ``fsid`` instead.
FV_SLOTS = 6
FV_PER_SLOT = 3
OVERFLOW = 1 << 63
#: threads counting totals and facets beside the ranking of pages (two jobs a search)
SEARCH_THREADS = 4
STATUS = FACET_FIELDS.index("status")  # every article has exactly one status value


@dataclass
class _Row:
    """One ranked hit, as ``storage.search.hit_details`` reads it."""

    id: int
    score: float


def pack_slots(numbers: list[int]) -> list[int]:
    """A clustered article's facet value ``numbers`` as FV_SLOTS words, FV_PER_SLOT numbers
    (plus one) in each; OVERFLOW set in the first when they do not all fit."""
    words = [0] * FV_SLOTS
    for i, number in enumerate(numbers[: FV_SLOTS * FV_PER_SLOT]):
        words[i // FV_PER_SLOT] |= (number + 1) << (VALUE_BITS * (i % FV_PER_SLOT))
    if len(numbers) > FV_SLOTS * FV_PER_SLOT:
        words[0] |= OVERFLOW
    return words


def unpack_slots(stories: np.ndarray, words: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For docs of ``stories`` with slot ``words`` (FV_SLOTS rows of uint64, one column per
    doc, none overflowing): each facet value number present, with its number of distinct
    stories (two arrays)."""
    parts = [(words >> np.uint64(VALUE_BITS * j)) & np.uint64(VALUE_MASK) for j in range(FV_PER_SLOT)]
    plus_one = np.concatenate(parts).astype(np.int64)  # (slots x per slot, docs)
    story = np.broadcast_to(stories, plus_one.shape)
    present = plus_one > 0
    pairs = np.unique((story[present] << VALUE_BITS) | (plus_one[present] - 1))
    return np.unique(pairs & VALUE_MASK, return_counts=True)


_threads: tuple[int, ThreadPoolExecutor] | None = None


def _search_threads() -> ThreadPoolExecutor:
    """The threads that count a search's total and facets while its page is ranked (one
    pool per process: a forked child starts its own). Their jobs never wait for each other."""
    global _threads
    if _threads is None or _threads[0] != os.getpid():
        _threads = (os.getpid(), ThreadPoolExecutor(max_workers=SEARCH_THREADS, thread_name_prefix="search-index"))
    return _threads[1]


def micros(dt: datetime | str | None) -> int:
    """A stored time as integer microseconds since the epoch (exact: SQL compares these)."""
    dt = from_db(dt)
    if dt is None:
        return NULL_TIME
    return (dt.astimezone(timezone.utc) - EPOCH) // timedelta(microseconds=1)


def default_path(url: str) -> Path | None:
    """Where the index of an SQLite file store lives: beside it (None: in-memory or not SQLite)."""
    db = sqlite_file(url)
    return None if db is None else db.resolve().with_name(db.name + ".search-index")


# -- the index ----------------------------------------------------------------------------------
def _schema():  # noqa: ANN202
    import tantivy

    sb = tantivy.SchemaBuilder()
    sb.add_unsigned_field("id", indexed=True, fast=True)
    sb.add_integer_field("pub", indexed=True, fast=True)
    sb.add_integer_field("story", indexed=True, fast=True)
    sb.add_unsigned_field("clustered", indexed=True)
    sb.add_unsigned_field("canon", fast=True)
    sb.add_integer_field("publish_at", indexed=True, fast=True)
    sb.add_text_field("title", tokenizer_name=ANALYZER)
    sb.add_text_field("body", tokenizer_name=ANALYZER)
    for f in FACET_FIELDS:
        sb.add_text_field(f, tokenizer_name="raw", fast=True, index_option="basic")
    sb.add_integer_field("fsid", fast=True)  # (story, facet value) of a clustered article: see _answers
    for slot in range(FV_SLOTS):
        sb.add_unsigned_field(f"fv{slot}", fast=True)  # its value numbers, packed: see _story_facets
    return sb.build()


def _analyzer():  # noqa: ANN202
    """FTS5's unicode61 as far as the stored terms need: letters and digits, lower-cased."""
    import tantivy

    return tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple()).filter(tantivy.Filter.lowercase()).build()


class SearchIndex:
    """The derived index of one store (``engine``) in the directory ``path``."""

    def __init__(self, engine: Engine, path: Path, *, inline_rebuild_max: int = INLINE_REBUILD_MAX) -> None:
        self.engine = engine
        self.path = Path(path)
        self.inline_rebuild_max = inline_rebuild_max
        self._index: Any = None
        self._schema: Any = None
        self._tokens = _analyzer()
        self._seen = -1  # the change-log position this process's reader reflects
        self._values = FacetNumbers(self.path, limit=VALUE_MASK)  # ``fsid``'s numbers (+1 in ``fv``)
        self._catching_up = threading.Lock()  # the web app's threads share one index
        self.split_always = False  # True: count clustered matches by story range (tests)

    # -- files and locks ------------------------------------------------------------------
    @property
    def _mark_file(self) -> Path:
        return self.path / "daihuo-watermark.json"

    def _read_mark(self) -> dict:
        try:
            return json.loads(self._mark_file.read_text())
        except (OSError, ValueError):
            return {}

    def _write_mark(self, seq: int) -> None:
        tmp = self._mark_file.with_suffix(".tmp")
        tmp.write_text(json.dumps({"seq": seq, "version": SCHEMA_VERSION}))
        os.replace(tmp, self._mark_file)  # atomic: a crash leaves the old watermark (a replay)

    @contextmanager
    def _writing(self, wait: float | None = None) -> Iterator[None]:
        """One writer at a time across processes (a file lock beside the index directory, so
        it survives the directory being replaced); IndexUnavailable after ``wait`` seconds."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(str(self.path) + ".lock", os.O_CREAT | os.O_RDWR, 0o600)
        try:
            deadline = None if wait is None else time.monotonic() + wait
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | (fcntl.LOCK_NB if deadline else 0))
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise IndexUnavailable(f"the search index at {self.path} is busy (being rebuilt "
                                               "or caught up by another process)") from None
                    time.sleep(0.02)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def _open(self, create: bool = False) -> Any:
        import tantivy

        if self._schema is None:
            self._schema = _schema()
        if not create and not (self.path / "meta.json").exists():
            raise FileNotFoundError(self.path)
        self.path.mkdir(parents=True, exist_ok=True)
        index = tantivy.Index(self._schema, path=str(self.path), reuse=True)
        index.register_tokenizer(ANALYZER, _analyzer())
        self._values.load()
        return index

    def _writer(self) -> Any:
        """tantivy's writer (its own lock too: a writer left by a dead process is retried)."""
        deadline = time.monotonic() + 30
        while True:
            try:
                return self._index.writer(heap_size=WRITER_HEAP, num_threads=1)
            except ValueError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    # -- keeping in step ----------------------------------------------------------------------
    def _head(self, conn) -> int:  # noqa: ANN001
        return int(conn.execute(text("SELECT coalesce(max(seq), 0) FROM search_changes")).scalar())

    def ensure_current(self) -> None:
        """Apply the store's changes past the watermark, rebuilding a missing or unreadable
        index; raises IndexUnavailable when the store is too large to rebuild here."""
        with self.engine.connect() as conn:
            head = self._head(conn)
        if self._index is not None and head == self._seen and self._mark_file.exists():
            self._values.load()  # (a stat: another process's rebuild may have added numbers)
            return  # (the directory lost under an open index is noticed here)
        with self._catching_up, self._writing(wait=LOCK_WAIT):
            mark = self._read_mark()
            try:
                if mark.get("version") != SCHEMA_VERSION or mark.get("seq", 0) > head \
                        or self._changes_lost(mark["seq"]):
                    # missing, another version, ahead of the store (a restored backup), or
                    # changes it had not applied were cleared (`daihuo maintain` elsewhere)
                    raise FileNotFoundError(self._mark_file)
                if self._index is None:
                    self._index = self._open()
                if mark["seq"] < head:
                    self._apply(mark["seq"], head)
            except (FileNotFoundError, ValueError, OSError) as exc:  # missing, corrupt, outdated
                self._index = None
                with self.engine.connect() as conn:
                    n = int(conn.execute(text("SELECT count(*) FROM articles")).scalar())
                if n > self.inline_rebuild_max:
                    raise IndexUnavailable(
                        f"the search index at {self.path} is missing or unreadable ({exc!r}); "
                        "run `daihuo search-index rebuild`") from exc
                log.warning("search index %s missing or unreadable (%r): rebuilding from the store", self.path, exc)
                self._rebuild_locked()
                head = self._read_mark().get("seq", head)
        self._index.reload()
        self._values.load()  # after the reload: at least as new as the documents it sees
        self._seen = head

    def _changes_lost(self, mark: int) -> bool:
        """Whether changes past ``mark`` were removed from the log by someone else (SQLite's
        AUTOINCREMENT leaves no gaps, so the first one left must follow the watermark)."""
        if self.engine.dialect.name != "sqlite":
            return False  # a sequence may skip values (rolled-back inserts): not decidable
        with self.engine.connect() as conn:
            first = conn.execute(text("SELECT min(seq) FROM search_changes")).scalar()
        return first is not None and first > mark + 1

    def _apply(self, mark: int, head: int) -> None:
        import tantivy

        with self.engine.connect() as conn:
            ids = [r[0] for r in conn.execute(text(
                "SELECT DISTINCT article_id FROM search_changes WHERE seq > :m AND seq <= :h"),
                {"m": mark, "h": head})]
        self._values.load()  # another process may have numbered values since
        writer = self._writer()
        try:
            for i in range(0, len(ids), BATCH):
                part = ids[i:i + BATCH]
                # idempotent: a replay deletes and re-adds the same documents (by query: the
                # binding's delete_documents_by_term misses unsigned fields)
                writer.delete_documents_by_query(tantivy.Query.term_set_query(self._schema, "id", part))
                for doc in self._documents(f"a.id IN ({','.join(str(int(a)) for a in part)})"):
                    writer.add_document(doc)
            self._values.save()  # before the documents that use new numbers are visible
            writer.commit()
        finally:
            del writer  # releases tantivy's writer lock for the next process
        self._write_mark(head)
        self._prune(head)

    def _prune(self, head: int) -> None:
        """Forget applied changes now and then (the log only grows otherwise)."""
        try:
            with self.engine.begin() as conn:
                oldest = conn.execute(text("SELECT min(seq) FROM search_changes")).scalar()
                if oldest is not None and head - oldest > PRUNE_AFTER:
                    # the newest row stays: the log's head never goes back (see ensure_current)
                    conn.execute(text("DELETE FROM search_changes WHERE seq < :h"), {"h": head})
        except Exception as exc:  # noqa: BLE001 - a read-only store still searches
            log.debug("search_changes not pruned: %s", exc)

    def rebuild(self, progress: Callable[[int, int], None] | None = None) -> int:
        """Index every article of the store afresh; returns how many."""
        with self._writing():
            return self._rebuild_locked(progress)

    def _rebuild_locked(self, progress: Callable[[int, int], None] | None = None) -> int:
        with self.engine.connect() as conn:
            head = self._head(conn)  # changes after this are replayed by the next catch-up
            total = int(conn.execute(text("SELECT count(*) FROM articles")).scalar())
        self._index = None
        if self._read_mark().get("version") != SCHEMA_VERSION:  # another schema: start afresh
            shutil.rmtree(self.path, ignore_errors=True)
        try:
            self._index = self._open(create=True)
        except (ValueError, OSError):  # unreadable: start from an empty directory
            shutil.rmtree(self.path, ignore_errors=True)
            self._index = self._open(create=True)
        writer = self._writer()
        n, last = 0, 0
        try:
            writer.delete_all_documents()
            while True:
                docs = list(self._documents("a.id > :last", {"last": last}, limit=BATCH))
                if not docs:
                    break
                for doc in docs:
                    writer.add_document(doc)
                n += len(docs)
                last = self._last_id
                if progress:
                    progress(n, total)
            self._values.save()  # before the documents that use new numbers are visible
            writer.commit()
            writer.wait_merging_threads()
        finally:
            del writer
        self._write_mark(head)
        self._prune(head)
        self._index.reload()
        self._seen = -1
        return n

    def _documents(self, where: str, params: dict | None = None, limit: int | None = None) -> Iterator[Any]:
        """tantivy documents of the store's articles matching ``where`` (in id order)."""
        import tantivy

        sql = ("SELECT a.id, a.title_terms, a.body_terms, a.published_at, a.status, a.cluster_id, a.publish_at,"
               " s.name, CASE WHEN cl.canonical_id = a.id THEN 1 ELSE 0 END"
               " FROM articles a LEFT JOIN sources s ON s.id = a.source_id"
               f" LEFT JOIN clusters cl ON cl.id = a.cluster_id WHERE {where} ORDER BY a.id")
        if limit:
            sql += f" LIMIT {int(limit)}"
        with self.engine.connect() as conn:
            rows = conn.execute(text(sql), params or {}).all()
            if not rows:
                return
            self._last_id = rows[-1][0]
            id_list = ",".join(str(int(r[0])) for r in rows)  # ints from the store: safe to inline
            tags: dict[int, dict[str, set[str]]] = {}
            for aid, kind, value in conn.execute(text(
                    f"SELECT article_id, kind, value FROM tags WHERE article_id IN ({id_list})"
                    " AND kind IN ('platform', 'topic', 'entity')")):
                tags.setdefault(aid, {}).setdefault(kind, set()).add(value)
        for aid, title, body, published, status, cluster_id, publish_at, source, canon in rows:
            doc = tantivy.Document()
            doc.add_unsigned("id", aid)
            pub = from_db(published)
            doc.add_integer("pub", micros(pub))
            doc.add_integer("story", cluster_id if cluster_id is not None else -aid)
            doc.add_unsigned("clustered", 1 if cluster_id is not None else 0)
            doc.add_unsigned("canon", int(canon))
            doc.add_integer("publish_at", micros(publish_at))
            doc.add_text("title", title or "")
            doc.add_text("body", body or "")
            values = {kind: sorted(v) for kind, v in tags.get(aid, {}).items()}
            if source is not None:
                values["source"] = [source]
            values["status"] = [status]
            if pub is not None:
                values["month"] = [pub.astimezone(timezone.utc).strftime("%Y-%m")]
            numbers = []
            for kind, vs in values.items():
                for v in vs:
                    doc.add_text(kind, v)
                    if cluster_id is not None:  # (story, facet value): counted flat, see _answers
                        numbers.append(number := self._values.number(FACET_FIELDS.index(kind), v))
                        doc.add_integer("fsid", (cluster_id << VALUE_BITS) | number)
            if cluster_id is not None:
                for slot, word in enumerate(pack_slots(numbers)):
                    doc.add_unsigned(f"fv{slot}", word)
            yield doc

    def size(self) -> int:
        return sum(p.stat().st_size for p in self.path.iterdir() if p.is_file())

    # -- queries ------------------------------------------------------------------------------
    def _node(self, node: Node) -> Any:
        import tantivy

        Q, Occur = tantivy.Query, tantivy.Occur  # noqa: N806
        if isinstance(node, Leaf):
            words = self._tokens.analyze(" ".join(node.terms))
            if not words:
                return Q.empty_query()
            per_field = []
            for field, boost in (("title", TITLE_BOOST), ("body", 1.0)):
                q = Q.term_query(self._schema, field, words[0]) if len(words) == 1 \
                    else Q.phrase_query(self._schema, field, words)
                per_field.append((Occur.Should, Q.boost_query(q, boost) if boost != 1.0 else q))
            return Q.boolean_query(per_field)
        if isinstance(node, Or):
            return Q.boolean_query([(Occur.Should, self._node(c)) for c in node.children])
        if isinstance(node, And):
            return Q.boolean_query([(Occur.MustNot, self._node(c.child)) if isinstance(c, Not)
                                    else (Occur.Must, self._node(c)) for c in node.children])
        raise sql_search.QueryError("an exclusion needs a word to exclude from")

    def _filters(self, req: SearchRequest) -> list[Any]:
        """The request's filters as queries scoring 0 (a filter never changes a score)."""
        import tantivy

        Q, FT = tantivy.Query, tantivy.FieldType  # noqa: N806
        s = self._schema
        out = []
        for kind in TAG_FILTERS:
            if getattr(req, kind):
                out.append(Q.term_query(s, kind, getattr(req, kind)))
        if req.source:
            out.append(Q.term_query(s, "source", req.source))
        if req.since:
            out.append(Q.range_query(s, "pub", FT.Integer, micros(req.since), None, True, True))
        if req.until:
            out.append(Q.range_query(s, "pub", FT.Integer, NULL_TIME + 1, micros(req.until), True, False))
        if req.cluster is not None:
            out.append(Q.term_query(s, "story", int(req.cluster)) if int(req.cluster) > 0 else Q.empty_query())
        if req.status:
            out.append(Q.term_query(s, "status", req.status))
        if req.live_at is not None:
            out.append(Q.term_set_query(s, "status", list(req.live_statuses or ("approved",))))
            out.append(Q.range_query(s, "publish_at", FT.Integer, None, micros(req.live_at), True, True))
        return [Q.const_score_query(f, 0.0) for f in out]

    def _query(self, query: Query | None, req: SearchRequest, *extra: Any) -> Any:
        import tantivy

        Q, Occur = tantivy.Query, tantivy.Occur  # noqa: N806
        musts = [self._node(query.root)] if query is not None else [Q.const_score_query(Q.all_query(), 0.0)]
        musts += self._filters(req) + [Q.const_score_query(e, 0.0) for e in extra]
        return musts[0] if len(musts) == 1 else Q.boolean_query([(Occur.Must, m) for m in musts])

    # -- ranking ------------------------------------------------------------------------------
    @staticmethod
    def _count(searcher: Any, q: Any) -> int:
        return searcher.search(q, limit=1, count=True).count  # tantivy refuses a limit of 0

    def _fetch(self, searcher: Any, q: Any, limit: int, by_date: bool,
               count: bool = False) -> tuple[list, list, list, list, bool, int | None]:
        """The first ``limit`` matches in walking order: (keys, ids, stories, pubs, all read,
        how many match: with ``count``, counted in the same pass, else None)."""
        import tantivy

        if by_date:
            res = searcher.search(q, limit=limit, count=count, order_by_field="pub", order=tantivy.Order.Desc)
        else:
            res = searcher.search(q, limit=limit, count=count)
        addrs = [a for _, a in res.hits]
        keys = [k for k, _ in res.hits]
        ids = searcher.fast_field_values("id", addrs)
        stories = searcher.fast_field_values("story", addrs)
        pubs = keys if by_date else searcher.fast_field_values("pub", addrs)
        return keys, ids, stories, pubs, len(addrs) < limit, res.count if count else None

    def _scored(self, searcher: Any, q: Any, guess: int = 64) -> tuple[list[float], list[int], list[int], list[int], list[int]]:
        """Every match of ``q`` (``guess``: how many are expected): (raw scores, ids, stories,
        canonical flags, pubs)."""
        res = searcher.search(q, limit=max(1, guess), count=True)
        if res.count > len(res.hits):  # more than guessed: read them all
            res = searcher.search(q, limit=res.count, count=False)
        addrs = [a for _, a in res.hits]
        return ([k for k, _ in res.hits], *(searcher.fast_field_values(f, addrs)
                                            for f in ("id", "story", "canon", "pub")))

    def _members(self, searcher: Any, query: Query | None, req: SearchRequest, stories: list[int],
                 score: Callable[[float, int], float]) -> dict[int, tuple[float, int, int]]:
        """Each clustered story's (best score, shown id, shown pub) among its matching members:
        shown is the canonical member, else the best scoring, else the lowest id (ranked_sql)."""
        import tantivy

        if not stories:
            return {}
        q = self._query(query, req, tantivy.Query.term_set_query(self._schema, "story", stories))
        best: dict[int, list] = {}
        for raw, aid, story, canon, pub in zip(*self._scored(searcher, q, 8 * len(stories)), strict=True):
            s = score(raw, pub)
            rank = (canon, s, -aid)
            cur = best.get(story)
            if cur is None:
                best[story] = [s, rank, aid, pub]
                continue
            cur[0] = max(cur[0], s)
            if rank > cur[1]:
                cur[1], cur[2], cur[3] = rank, aid, pub
        return {story: (v[0], v[2], v[3]) for story, v in best.items()}

    def _ranked(self, searcher: Any, query: Query | None, req: SearchRequest,
                n: int | None) -> tuple[list[_Row], int]:
        """The first ``n`` hits (all when None) in the SQL engine's stated order, and how many
        articles match (counted by the first read, which visits every match anyway).

        Matches are read in walking order (score, or publication time by date) ``limit`` at a
        time; a hit (story) is decided once its order key is past what any unread match can
        reach (the last key read); when fewer than ``n`` are decided, more are read."""
        by_date = req.sort == "date" or query is None
        q = self._query(query, req)
        bound_factor = 1.0
        if query is None:
            def score(raw: float, pub: int) -> float:  # browsing: no relevance
                return 0.0
        elif req.recency:
            now_us = micros(req.now or datetime.now(timezone.utc))

            def score(raw: float, pub: int) -> float:  # as storage.search: ×(1 + 1/(1 + age/30 d))
                age = 3650.0 if pub == NULL_TIME else max(0.0, (now_us - pub) / 86_400e6)
                return raw * (1 + 1 / (1 + age / sql_search.RECENCY_DAYS))
            bound_factor = 2.0  # no article's boost exceeds x2 (age 0)
        else:
            def score(raw: float, pub: int) -> float:
                return raw
        matches = None if n is not None else self._count(searcher, q)
        limit = max(64, 2 * n + 16) if n is not None else max(1, matches)
        members: dict[int, tuple[float, int, int]] = {}
        while True:
            keys, ids, stories, pubs, complete, counted = self._fetch(searcher, q, limit, by_date, matches is None)
            matches = counted if matches is None else matches
            bound = None if complete else (keys[-1] if by_date else keys[-1] * bound_factor)
            # entries: (order key, shown id, reported score or None: looked up for the page)
            entries: list[tuple] = []
            if req.collapse:
                members.update(self._members(searcher, query, req,
                                             sorted({s for s in stories if s > 0 and s not in members}), score))
                seen: set[int] = set()
                for raw, aid, story, pub in zip(keys, ids, stories, pubs, strict=True):
                    if story in seen:
                        continue
                    seen.add(story)
                    if story > 0:
                        best, shown, shown_pub = members[story]
                        entries.append((shown_pub if by_date else best, shown, best))
                    elif by_date:
                        entries.append((pub, aid, None if query is not None else 0.0))
                    else:
                        s = score(raw, pub)
                        entries.append((s, aid, s))
            elif by_date:
                entries = [(pub, aid, None if query is not None else 0.0) for aid, pub in zip(ids, pubs, strict=True)]
            else:
                entries = [(s, aid, s) for s, aid in
                           zip((score(r, p) for r, p in zip(keys, pubs, strict=True)), ids, strict=True)]
            entries.sort(key=lambda e: (e[0], e[1]), reverse=True)
            decided = entries if bound is None else [e for e in entries if e[0] > bound]
            if bound is None or (n is not None and len(decided) >= n):
                chosen = decided if n is None else decided[:n]
                return self._rows(searcher, query, req, chosen, score), matches
            limit *= 4

    def _rows(self, searcher: Any, query: Query | None, req: SearchRequest, chosen: list[tuple],
              score: Callable[[float, int], float]) -> list[_Row]:
        """The chosen hits as rows; by date each still reports its relevance score, as the SQL
        engine does (looked up for these hits only)."""
        import tantivy

        need = [e[1] for e in chosen if e[2] is None]
        found: dict[int, float] = {}
        if need and query is not None:
            q = self._query(query, req, tantivy.Query.term_set_query(self._schema, "id", need))
            raws, ids, _, _, pubs = self._scored(searcher, q, len(need))
            found = {aid: score(raw, pub) for raw, aid, pub in zip(raws, ids, pubs, strict=True)}
        return [_Row(e[1], e[2] if e[2] is not None else found.get(e[1], 0.0)) for e in chosen]

    # -- the answers ------------------------------------------------------------------------
    def _by_story_ranges(self, searcher: Any, q: Any, spec: dict, buckets: int) -> list[dict]:
        """``spec`` aggregated over ``q``'s clustered matches, split into story ranges small
        enough for tantivy's bucket limit (AGG_BUCKETS; ``buckets`` is the guess for all of
        them, and a range that still overflows is halved): exact, range by range."""
        import tantivy

        Q = tantivy.Query  # noqa: N806
        top = searcher.search(q, limit=1, count=False, order_by_field="story", order=tantivy.Order.Desc).hits
        if not top:
            return []
        hi = int(top[0][0])
        parts = max(1, -(-buckets // AGG_BUCKETS))
        step = -(-hi // parts)
        todo = [(lo, min(hi, lo + step - 1)) for lo in range(1, hi + 1, step)]
        out = []
        while todo:
            lo, up = todo.pop()
            part = q if (lo, up) == (1, hi) else Q.boolean_query([
                (tantivy.Occur.Must, q),
                (tantivy.Occur.Must, Q.range_query(self._schema, "story", tantivy.FieldType.Integer, lo, up,
                                                   True, True))])
            try:
                out.append(searcher.aggregate(part, spec))
            except ValueError as exc:
                if "bucket limit" not in str(exc) or lo == up:
                    raise
                mid = (lo + up) // 2
                todo += [(lo, mid), (mid + 1, up)]
        return out

    def _aggregate(self, searcher: Any, q: Any, spec: dict) -> dict:
        """``spec`` over ``q``; past tantivy's bucket limit, one aggregation at a time (and
        IndexUnavailable, so SQL answers, if one alone is still too large)."""
        try:
            return searcher.aggregate(q, spec)
        except ValueError as exc:
            if "bucket limit" not in str(exc) or len(spec) == 1:
                raise IndexUnavailable(f"search index aggregation too large: {exc}") from exc
        out: dict = {}
        for name, one in spec.items():
            out.update(self._aggregate(searcher, q, {name: one}))
        return out

    @staticmethod
    def _by_story(searcher: Any, clustered: Any) -> Any:
        """Every one of the ``clustered`` matches, in one unscored pass (ordered by story, so
        no bm25 is computed; a limit of every document costs no more than a tight one)."""
        return searcher.search(clustered, limit=max(1, searcher.num_docs), count=False, order_by_field="story")

    def _stories(self, searcher: Any, clustered: Any) -> tuple[int, int]:
        """(clustered matches, distinct stories among them), from their story values. About
        0.2 us a match: a terms aggregation on story costs 3x that, most of it building and
        decoding its buckets."""
        hits = self._by_story(searcher, clustered).hits
        return len(hits), len({k for k, _ in hits})

    def _answers(self, searcher: Any, query: Query | None, req: SearchRequest,
                 facets: bool) -> Callable[[int | None], tuple[int, dict[str, list[tuple[str, int]]]]]:
        """Start counting the exact total and facet counts on the search threads (tantivy
        lets go of the GIL while it searches: the page is ranked meanwhile); returns the
        function that waits for them, given the articles matching (None: counted there).
        Collapsed, they count stories: the total is the matches, less the clustered ones,
        plus their distinct stories; facets are terms aggregations (no scoring) over the
        unclustered matches, plus each value's distinct stories among the clustered ones
        (_story_facets), read at once with their stories."""
        import tantivy

        Q = tantivy.Query  # noqa: N806
        pool = _search_threads()
        terms = {"size": AGG_SIZE, "segment_size": AGG_SIZE}
        flat = {f: {"terms": {"field": f, **terms}} for f in FACET_FIELDS}

        def flat_counts(q: Any) -> dict[str, dict[str, int]]:
            agg = self._aggregate(searcher, q, flat)
            return {f: {b["key"]: int(b["doc_count"]) for b in agg[f]["buckets"]} for f in FACET_FIELDS}

        def story_counts(q: Any) -> tuple[int, int, dict[str, dict[str, int]]]:
            if not facets:
                return (*self._stories(searcher, q), {})
            counts: dict[str, dict[str, int]] = {f: {} for f in FACET_FIELDS}
            return (*self._story_facets(searcher, q, counts), counts)

        if not req.collapse:
            flat_job = pool.submit(flat_counts, self._query(query, req)) if facets else None
            stories_job = None
        else:
            flat_job = (pool.submit(flat_counts, self._query(query, req, Q.term_query(self._schema, "clustered", 0)))
                        if facets else None)
            stories_job = pool.submit(story_counts, self._query(query, req, Q.term_query(self._schema, "clustered", 1)))

        def finish(matches: int | None) -> tuple[int, dict[str, list[tuple[str, int]]]]:
            if matches is None:
                matches = self._count(searcher, self._query(query, req))
            counts: dict[str, dict[str, int]] = flat_job.result() if flat_job else {f: {} for f in FACET_FIELDS}
            total = matches
            if stories_job is not None:
                n_clustered, n_stories, by_story = stories_job.result()
                total = matches - n_clustered + n_stories
                for f, values in by_story.items():
                    into = counts[f]
                    for value, n in values.items():
                        into[value] = into.get(value, 0) + n
            out = sql_search.top_facets({name: list(counts[name].items()) for name in FACETS}) if facets else {}
            return total, out

        return finish

    def _story_facets(self, searcher: Any, clustered: Any, counts: dict[str, dict[str, int]]) -> tuple[int, int]:
        """Add each facet value's stories among the ``clustered`` matches to ``counts``;
        returns (clustered matches, their stories). The matches' stories and packed value
        numbers (``fv``) are read in one unscored pass and counted in numpy: faster than a
        histogram of ``fsid``, whose bucket per (story, value) tantivy builds and hands over
        as a dict (and splits past its bucket limit), which stays for an article whose values
        overflow the slots (and for ``split_always``)."""
        if not self.split_always:
            hits = self._by_story(searcher, clustered).hits
            if not hits:
                return 0, 0
            addrs = [a for _, a in hits]
            read = [searcher.fast_field_values(f"fv{slot}", addrs) for slot in range(FV_SLOTS)]
            words = None if any(None in w for w in read) else np.array(read, dtype=np.uint64)  # (an old segment)
            if words is not None and not (words[0] & np.uint64(OVERFLOW)).any():
                stories = np.fromiter((k for k, _ in hits), dtype=np.int64, count=len(hits))
                numbers, n = unpack_slots(stories, words)
                self._add_stories(counts, zip(numbers.tolist(), n.tolist(), strict=True))
                return len(hits), len(np.unique(stories))
        return self._story_facets_by_fsid(searcher, clustered, counts)

    def _story_facets_by_fsid(self, searcher: Any, clustered: Any, counts: dict[str, dict[str, int]]) -> tuple[int, int]:
        """_story_facets from a histogram of ``fsid`` (an overflowing article among the
        matches, or ``split_always``)."""
        spec = {"fs": {"histogram": {"field": "fsid", "interval": 1, "min_doc_count": 1}}}
        parts = None
        if not self.split_always:
            try:
                parts = [searcher.aggregate(clustered, spec)]
            except ValueError as exc:
                if "bucket limit" not in str(exc):
                    raise
        if parts is None:
            guess = self._count(searcher, clustered) * FACET_VALUES_GUESS
            parts = self._by_story_ranges(searcher, clustered, spec, guess)
        per_value: Counter[int] = Counter()
        n_clustered = n_stories = 0
        for part in parts:
            buckets = part["fs"]["buckets"]
            keys = [int(b["key"]) for b in buckets]
            numbers = [k & VALUE_MASK for k in keys]
            per_value.update(numbers)  # buckets per value: its stories
            status = {n for n in set(numbers) if self._value_name(n)[0] == STATUS}
            # each article has one status: its (story, status) pairs count the articles, and
            # their stories (a story's members may differ in status) are the stories
            n_clustered += sum(int(b["doc_count"]) for b, n in zip(buckets, numbers, strict=True) if n in status)
            n_stories += len({k >> VALUE_BITS for k, n in zip(keys, numbers, strict=True) if n in status})
        self._add_stories(counts, per_value.items())
        return n_clustered, n_stories

    def _add_stories(self, counts: dict[str, dict[str, int]], per_number: Iterable[tuple[int, int]]) -> None:
        """Add (facet value number, stories) pairs to ``counts``, by field and value."""
        for number, stories in per_number:
            field, value = self._value_name(number)
            into = counts[FACET_FIELDS[field]]
            into[value] = into.get(value, 0) + stories

    def _value_name(self, number: int) -> tuple[int, str]:
        """A facet value's (field, value) by its number (the list read again if it is newer
        than this process's: another process indexed since)."""
        try:
            return self._values.name(number)
        except KeyError:
            self._values.load()
            try:
                return self._values.name(number)
            except KeyError:
                raise IndexUnavailable(f"search index {self.path}: facet value number {number} unknown "
                                       "(run `daihuo search-index rebuild`)") from None

    def search(self, req: SearchRequest, analyze: Callable[[str], list[str]], *,
               retry: bool = True) -> SearchResult:
        """``storage.search.search`` answered by the index (same request, same semantics)."""
        query = sql_search.prepare(req, analyze)
        self.ensure_current()
        searcher = self._index.searcher()
        terms = query.terms() if query else []
        offset = (req.page - 1) * req.per_page
        answers = self._answers(searcher, query, req, req.facets)  # counted meanwhile
        rows, matches = self._ranked(searcher, query, req, offset + req.per_page)
        total, facets = answers(matches)
        rows = rows[offset:]
        try:
            with self.engine.connect() as conn:
                hits = hit_details(conn, rows, terms, req.snippets)
        except KeyError:  # a hit deleted from the store since the catch-up: catch up again
            if not retry:
                raise
            return self.search(req, analyze, retry=False)
        return SearchResult(hits=hits, total=total, facets=facets, terms=terms)

    def count(self, req: SearchRequest, analyze: Callable[[str], list[str]]) -> int:
        query = sql_search.prepare(req, analyze)
        self.ensure_current()
        return self._answers(self._index.searcher(), query, req, False)(None)[0]

    def ranked(self, req: SearchRequest, analyze: Callable[[str], list[str]]) -> RankedHits | list[_Row]:
        """Every hit of ``req`` in its stated order (what an export streams): a sequence whose
        slices are rows. Articles by relevance or date are read from the index a part at a
        time into two arrays (16 bytes a hit: a million hits in 16 MB, not the hundreds of MB
        of one Python object per hit); stories and recency-boosted orders, which need every
        match before the first is known, take the page path."""
        query = sql_search.prepare(req, analyze)
        self.ensure_current()
        searcher = self._index.searcher()
        if req.collapse or (req.recency and query is not None):
            return self._ranked(searcher, query, req, None)[0]
        return self._ranked_articles(searcher, query, req)

    def _ranked_articles(self, searcher: Any, query: Query | None, req: SearchRequest) -> RankedHits:
        import tantivy

        by_date = req.sort == "date" or query is None
        q = self._query(query, req)
        total = self._count(searcher, q)
        ids, keys = array("q"), array("d" if not by_date else "q")
        for start in range(0, total, RANKED_PART):
            if by_date:
                res = searcher.search(q, limit=RANKED_PART, offset=start, count=False,
                                      order_by_field="pub", order=tantivy.Order.Desc)
            else:
                res = searcher.search(q, limit=RANKED_PART, offset=start, count=False)
            keys.extend(k for k, _ in res.hits)
            ids.extend(searcher.fast_field_values("id", [a for _, a in res.hits]))
            del res
        _order_ties_by_id(keys, ids)  # tantivy breaks ties by its own document order
        scores = None if by_date else keys
        return RankedHits(self, searcher, query, req, ids, scores)


def _order_ties_by_id(keys: array, ids: array) -> None:
    """Within each run of equal keys (already in descending key order), order the ids
    descending: the SQL engine's tie-break (every order ends in the id)."""
    n, i = len(keys), 0
    while i < n:
        j = i + 1
        while j < n and keys[j] == keys[i]:
            j += 1
        if j - i > 1:
            ids[i:j] = array("q", sorted(ids[i:j], reverse=True))
        i = j


class RankedHits:
    """Every hit of a search in its stated order, held as arrays; a slice is a list of rows
    (by date, each row's relevance score is looked up for that slice only)."""

    def __init__(self, index: SearchIndex, searcher: Any, query: Query | None, req: SearchRequest,
                 ids: array, scores: array | None) -> None:
        self._index, self._searcher, self._query, self._req = index, searcher, query, req
        self._ids, self._scores = ids, scores

    def __len__(self) -> int:
        return len(self._ids)

    def __getitem__(self, part: slice) -> list[_Row]:
        ids = self._ids[part]
        if self._scores is not None:
            return [_Row(i, s) for i, s in zip(ids, self._scores[part], strict=True)]
        chosen = [(None, i, None if self._query is not None else 0.0) for i in ids]
        return self._index._rows(self._searcher, self._query, self._req, chosen, lambda raw, pub: raw)


def forget_changes(engine: Engine) -> int:
    """Clear the change log of a store no index follows (`daihuo maintain`: it only grows
    otherwise); an index elsewhere that had not applied them rebuilds itself (SQLite)."""
    with engine.begin() as conn:  # the newest row stays: the log's head never goes back
        return conn.execute(text("DELETE FROM search_changes WHERE seq <"
                                 " (SELECT max(seq) FROM search_changes)")).rowcount or 0
