"""Export any search to CSV, JSON lines or Parquet (for analysts' own tools)."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import IO

from sqlalchemy import Engine, select

from storage.models import Article
from storage.search import SearchRequest, search

FIELDS = ["id", "title", "url", "source", "published_at", "platforms", "topics", "cluster_id",
          "cluster_size", "status", "score", "snippet"]


def search_rows(engine: Engine, req: SearchRequest, analyze: Callable[[str], list[str]],
                *, with_body: bool = False, page_size: int = 100) -> Iterator[dict]:
    """Every hit of ``req`` (all pages), as flat rows."""
    page = 1
    while True:
        result = search(engine, replace(req, page=page, per_page=page_size, facets=False), analyze)
        rows = [{f: getattr(h, f) for f in FIELDS} for h in result.hits]
        if with_body and rows:
            with engine.connect() as conn:
                bodies = dict(conn.execute(select(Article.id, Article.body)
                                           .where(Article.id.in_([r["id"] for r in rows]))).all())
            for r in rows:
                r["body"] = bodies.get(r["id"])
        yield from rows
        if len(result.hits) < page_size:
            return
        page += 1


def _flat(value: object) -> object:
    if isinstance(value, list):
        return "|".join(str(v) for v in value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def write_rows(rows: Iterator[dict], fmt: str, out: IO[str] | Path) -> int:
    """Write rows as csv | jsonl (to a text stream or file) or parquet (to a file)."""
    if fmt == "parquet":
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError:
            raise RuntimeError("Parquet export needs pyarrow: pip install 'daihuo[parquet]'") from None
        if not isinstance(out, Path):
            raise RuntimeError("Parquet export needs --out FILE")
        data = [{k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in r.items()} for r in rows]
        pq.write_table(pa.Table.from_pylist(data), out)
        return len(data)
    own = isinstance(out, Path)
    stream = out.open("w", encoding="utf-8", newline="") if own else out
    n = 0
    try:
        writer = None
        for r in rows:
            if fmt == "csv":
                if writer is None:
                    writer = csv.DictWriter(stream, fieldnames=list(r))
                    writer.writeheader()
                writer.writerow({k: _flat(v) for k, v in r.items()})
            else:
                stream.write(json.dumps(r, ensure_ascii=False, default=_flat) + "\n")
            n += 1
    finally:
        if own:
            stream.close()
    return n
