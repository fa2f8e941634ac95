"""Export any search or filter, complete and streamed: CSV, JSON lines or Parquet.

Every hit of the request is written, in the search's stated order (relevance: score, then
newest; date: newest first; browsing: newest first; ties by id), read from ONE query over
all matches and written as it is read: memory stays constant whatever the number of rows
(details are fetched ``BATCH`` rows at a time). Rows are stories when collapsing (their shown
member), articles with ``expand``. Snippets carry no 【】 markers: they are data here.

CSV is UTF-8 with a byte-order mark by default (Excel on a Chinese Windows reads UTF-8
without one as the ANSI code page: mojibake); lists are joined with ``|``. Parquet keeps
types: ``published_at`` is a UTC timestamp, platforms/topics are lists of strings.
"""

from __future__ import annotations

import csv
import io
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO

from sqlalchemy import Connection, Engine, text

from storage import search as search_mod
from storage.search import SearchRequest

FIELDS = ["id", "title", "url", "source", "published_at", "platforms", "topics", "cluster_id",
          "cluster_size", "status", "score", "snippet"]
FORMATS = ("csv", "jsonl", "parquet")
BATCH = 500  # hits whose details are fetched at once
READ_AHEAD = 4  # parts read ahead of the writer (see _rows)
READERS = 2  # threads reading parts' details (see _rows)
PARQUET_GROUP = 20_000  # rows per Parquet row group (bounded memory)
PARQUET_CONVERT = 500  # rows held as Python objects before they become Arrow columns
PARQUET_GROUP_BYTES = 12 << 20  # a row group also ends at this much Arrow data (with bodies: ~4,500 rows)
BOM = "\ufeff"


@dataclass
class ExportPlan:
    """What an export will write: its request, the exact total and the stated order."""

    req: SearchRequest
    total: int
    order: str


#: an export's SQLite connections read with a small page cache, no memory map and sorts spilled
#: to temporary files: the store's defaults (64 MB cache each, the file mapped, sorts in
#: memory) suit interactive searches, but would make an export's memory grow with the store
LEAN_SQLITE = {"cache_size": -8192, "mmap_size": 0, "temp_store": 1}


@contextmanager
def _lean(engine: Engine) -> Iterator[Connection]:
    """A connection for a bulk read whose memory does not grow with the store (SQLite: see
    LEAN_SQLITE; the pooled connection gets its own settings back afterwards)."""
    with engine.connect() as conn:
        if engine.dialect.name != "sqlite":
            yield conn
            return
        saved = {k: conn.exec_driver_sql(f"PRAGMA {k}").scalar() for k in LEAN_SQLITE}
        for k, v in LEAN_SQLITE.items():
            conn.exec_driver_sql(f"PRAGMA {k}={int(v)}")
        try:
            yield conn
        finally:
            for k, v in saved.items():
                conn.exec_driver_sql(f"PRAGMA {k}={int(v)}")


def plan_export(engine: Engine, req: SearchRequest, analyze: Callable[[str], list[str]]) -> ExportPlan:
    """The exact number of rows ``req`` exports and its order (QueryError for a bad request)."""
    query = search_mod.prepare(req, analyze)
    if req.sort == "date" or query is None:
        order = "newest first"
    else:
        order = "relevance (bm25, title weighted), then newest"
    with _lean(engine) as conn:
        return ExportPlan(req, search_mod.count(engine, req, analyze, conn), order)


def search_rows(engine: Engine, req: SearchRequest, analyze: Callable[[str], list[str]],
                *, with_body: bool = False, batch: int = BATCH) -> Iterator[dict]:
    """Every hit of ``req`` as a flat row, in the stated order, streamed."""
    query = search_mod.prepare(req, analyze)
    terms = query.terms() if query else []
    ranked = search_mod._via_index(engine, "ranked", req, analyze)
    if ranked is not None:  # the derived index orders every hit (articles: ids and scores in two arrays)
        parts = (ranked[i:i + batch] for i in range(0, len(ranked), batch))
        yield from _rows(engine, parts, terms, req.snippets, with_body)
        return
    dialect = engine.dialect.name
    params: dict = {}
    with _lean(engine) as conn:
        if dialect == "sqlite":
            search_mod._NARROW.set(search_mod._has_narrow_index(engine, conn))
        sql = search_mod.ranked_sql(query, req, dialect, params, paged=False)
        result = conn.execution_options(stream_results=True, yield_per=batch).execute(text(sql), params)
        yield from _rows(engine, result.partitions(batch), terms, req.snippets, with_body)


_DONE = object()


class _Readers:
    """READERS threads, each on a connection of its own, reading the details of the parts in
    turn (each takes the next part when a slot is free) and handing them back by number, so
    the caller gets them in order. At most READ_AHEAD parts are read and not yet taken."""

    def __init__(self, engine: Engine, parts: Iterator, read_part: Callable[[Connection, object], object]) -> None:
        self._parts, self._read_part, self._engine = parts, read_part, engine
        self._take = threading.Lock()  # one reader at a time advances ``parts`` (a cursor, maybe)
        self._slots = threading.Semaphore(READ_AHEAD)
        self._ready = threading.Condition()
        self._done: dict[int, object] = {}
        self._next = 0  # the number the next part taken gets
        self._error: BaseException | None = None
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, name=f"export-reader-{i}", daemon=True)
                         for i in range(READERS)]
        for t in self._threads:
            t.start()

    def _run(self) -> None:
        try:
            with _lean(self._engine) as conn:
                while not self._stop.is_set():
                    if not self._slots.acquire(timeout=0.1):
                        continue
                    with self._take:
                        seq, part = self._next, next(self._parts, _DONE)
                        self._next += 1
                    item = _DONE if part is _DONE else self._read_part(conn, part)
                    with self._ready:
                        self._done[seq] = item
                        self._ready.notify_all()
                    if item is _DONE:
                        return
        except BaseException as exc:  # noqa: BLE001 - handed to the caller, raised there
            with self._ready:
                self._error = self._error or exc
                self._ready.notify_all()

    def __iter__(self) -> Iterator:
        seq = 0
        while True:
            with self._ready:
                while seq not in self._done and self._error is None:
                    self._ready.wait(0.1)
                if self._error is not None:
                    raise self._error
                item = self._done.pop(seq)
            if item is _DONE:
                return
            self._slots.release()
            yield item
            seq += 1

    def close(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join()


def _rows(engine: Engine, parts: Iterator, terms: list[str], snippets: bool, with_body: bool) -> Iterator[dict]:
    """The rows of ranked hits, one part (a batch of (id, score) rows) at a time.

    READERS threads read the parts' details (_Readers) while the caller writes the rows before
    them: SQLite runs without the GIL, so on two cores reading and writing overlap, and at a
    million articles the reading (random rows of a file larger than SQLite's memory map) is
    the slower side. Memory stays constant; an error in a reader is raised here, and a caller
    that stops early stops the readers."""

    def read_part(conn: Connection, part: object) -> tuple:
        bodies: dict[int, str] | None = {} if with_body else None
        return search_mod.hit_details(conn, part, terms, snippets, mark=("", ""), bodies=bodies), bodies

    readers = _Readers(engine, parts, read_part)
    try:
        for hits, bodies in readers:
            for h in hits:
                row = _row(h)
                if bodies is not None:
                    row["body"] = bodies.get(h.id)
                yield row
    finally:
        readers.close()


def _row(h: search_mod.Hit) -> dict:
    """A hit as a row, its keys in FIELDS order (written out: a row is built per hit)."""
    return {"id": h.id, "title": h.title, "url": h.url, "source": h.source, "published_at": h.published_at,
            "platforms": h.platforms, "topics": h.topics, "cluster_id": h.cluster_id,
            "cluster_size": h.cluster_size, "status": h.status, "score": h.score, "snippet": h.snippet}


def _flat(value: object) -> object:
    kind = type(value)
    if kind is list:
        return "|".join(map(str, value))
    if kind is datetime:
        return value.isoformat()
    return value


#: the types a CSV cell takes as they are (every other value goes through _flat)
_PLAIN = frozenset({str, int, float, type(None), bool})


def _csv_cells(row: dict) -> list:
    return [v if type(v) in _PLAIN else _flat(v) for v in row.values()]


def _json(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


#: one encoder for every line (json.dumps with options builds a new one per call)
_json_line = json.JSONEncoder(ensure_ascii=False, default=_json).encode


def _parquet_schema(with_body: bool):  # noqa: ANN202
    import pyarrow as pa

    fields = [("id", pa.int64()), ("title", pa.string()), ("url", pa.string()), ("source", pa.string()),
              ("published_at", pa.timestamp("us", tz="UTC")), ("platforms", pa.list_(pa.string())),
              ("topics", pa.list_(pa.string())), ("cluster_id", pa.int64()), ("cluster_size", pa.int32()),
              ("status", pa.string()), ("score", pa.float64()), ("snippet", pa.string())]
    if with_body:
        fields.append(("body", pa.string()))
    return pa.schema(fields)


def _pyarrow():  # noqa: ANN202
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise RuntimeError("Parquet export needs pyarrow: pip install 'daihuo[parquet]'") from None
    return pa, pq


def parquet_available() -> bool:
    """Whether Parquet can be written here (pyarrow is an optional extra)."""
    try:
        _pyarrow()
    except RuntimeError:
        return False
    return True


def _parquet_groups(rows: Iterator[dict], where: object, progress: Callable[[int], None] | None,
                    group: int = PARQUET_GROUP) -> Iterator[int]:
    """Write rows to ``where`` (a path or a writable binary stream) one row group at a time
    (``group`` rows, fewer when they pass PARQUET_GROUP_BYTES: bodies are long); yields the
    running count after each group is written and once at the end (footer written), so a
    caller can pass the bytes on as they are produced."""
    pa, pq = _pyarrow()
    n, chunk, schema, writer = 0, [], None, None
    batches: list = []  # the group so far as Arrow record batches: compact, unlike Python rows
    names: list[str] = []
    in_group = group_bytes = 0

    def convert() -> None:
        nonlocal group_bytes
        # column by column from the rows' tuples: what from_pylist does, without a dict per row
        columns = zip(*chunk, strict=True)
        batches.append(pa.RecordBatch.from_arrays(
            [pa.array(col, type=f.type) for col, f in zip(columns, schema, strict=True)], schema=schema))
        group_bytes += batches[-1].nbytes
        chunk.clear()

    def flush() -> None:
        nonlocal in_group, group_bytes
        if chunk:
            convert()
        if batches:
            writer.write_table(pa.Table.from_batches(batches, schema=schema), row_group_size=in_group)
            batches.clear()
            pa.default_memory_pool().release_unused()  # the group's buffers back to the system
        in_group = group_bytes = 0

    try:
        for r in rows:
            if schema is None:
                schema = _parquet_schema("body" in r)
                names = schema.names
                writer = pq.ParquetWriter(where, schema)
            chunk.append(tuple(map(r.get, names)))  # a column missing from a row is null
            n += 1
            in_group += 1
            if in_group >= group:
                flush()
                yield n
            elif len(chunk) >= PARQUET_CONVERT:
                convert()
                if group_bytes >= PARQUET_GROUP_BYTES:
                    flush()
                    yield n
            if progress:
                progress(n)
        if writer is None:  # no rows: still a valid, typed, empty file
            schema = _parquet_schema(False)
            writer = pq.ParquetWriter(where, schema)
        flush()
    finally:
        if writer is not None:
            writer.close()
    yield n


def _write_parquet(rows: Iterator[dict], out: Path, progress: Callable[[int], None] | None) -> int:
    n = 0
    for n in _parquet_groups(rows, out, progress):  # noqa: B007  (the last count is the total)
        pass
    return n


class _Drain(io.RawIOBase):
    """A write-only binary stream whose bytes are taken out as they arrive (Parquet needs no
    seeking: row groups are written in order, the footer last)."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self._pos = 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:  # noqa: ANN001
        self._buf += data
        self._pos += len(data)
        return len(data)

    def tell(self) -> int:
        return self._pos

    def take(self) -> bytes:
        out, self._buf = bytes(self._buf), bytearray()
        return out


def parquet_chunks(rows: Iterator[dict], *, group: int = PARQUET_GROUP) -> Iterator[bytes]:
    """A Parquet export as byte chunks, one row group at a time (for a streamed HTTP
    response): memory holds one row group, whatever the number of rows. Call
    :func:`parquet_available` first: pyarrow is optional."""
    sink = _Drain()
    for _n in _parquet_groups(rows, sink, None, group):
        chunk = sink.take()
        if chunk:
            yield chunk
    rest = sink.take()
    if rest:
        yield rest


def write_rows(rows: Iterator[dict], fmt: str, out: IO[str] | Path, *, bom: bool = True,
               progress: Callable[[int], None] | None = None) -> int:
    """Write rows as csv | jsonl (to a text stream or file) or parquet (to a file); returns the
    number written. ``bom``: start a CSV with a UTF-8 byte-order mark. ``progress`` is called
    with the running count after every row."""
    if fmt not in FORMATS:
        raise RuntimeError(f"unknown export format {fmt!r}: use one of {', '.join(FORMATS)}")
    if fmt == "parquet":
        if not isinstance(out, Path):
            raise RuntimeError("Parquet export needs a file: add --out FILE.parquet")
        return _write_parquet(rows, out, progress)
    own = isinstance(out, Path)
    stream = out.open("w", encoding="utf-8", newline="") if own else out
    n = 0
    try:
        writer = None
        if fmt == "csv":
            if bom:
                stream.write(BOM)
            # the header is written even for an empty export: the file still says its columns
            first = next(rows, None)
            fields = list(first) if first else FIELDS
            writer = csv.writer(stream)
            writer.writerow(fields)
            if first is not None:
                rows = _chain(first, rows)
        for r in rows:
            if writer is not None:  # a row's values in its own key order (the header's)
                writer.writerow(_csv_cells(r))
            else:
                stream.write(_json_line(r) + "\n")
            n += 1
            if progress:
                progress(n)
    finally:
        if own:
            stream.close()
    return n


def _chain(first: dict, rest: Iterator[dict]) -> Iterator[dict]:
    yield first
    yield from rest


def csv_chunks(rows: Iterator[dict], *, bom: bool = True, rows_per_chunk: int = 200) -> Iterator[str]:
    """A CSV export as text chunks (for a streamed HTTP response)."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    if bom:
        buf.write(BOM)
    header = False
    pending = 0
    for r in rows:
        if not header:
            writer.writerow(list(r))
            header = True
        writer.writerow(_csv_cells(r))
        pending += 1
        if pending >= rows_per_chunk:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
            pending = 0
    if not header:
        writer.writerow(FIELDS)
    yield buf.getvalue()
