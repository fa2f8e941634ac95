"""Exports are complete and streamed: every hit of the search (> 2,000 here), in the stated
order, on both engines; CSV with a BOM (readable through utf-8-sig) and no snippet markers;
JSON lines; Parquet with typed timestamps."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import random
from datetime import datetime, timedelta, timezone

import pytest

from daihuo.analysis.export import FIELDS, csv_chunks, plan_export, search_rows, write_rows
from daihuo.analysis.query_terms import query_terms
from storage.records import ArticleRecord, PageRecord, RawRecord, TagRecord
from storage.search import SearchRequest, search
from storage.store import Store

N = 2300
T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
PLATFORMS = ["快手", "抖音", "小红书", "淘宝"]
WORDS = ["主播", "商家", "流量", "供应链", "复购", "品牌", "店铺", "粉丝", "佣金", "选品", "售后",
         "工厂", "物流", "短视频", "社群", "达人", "退货", "价格", "新品", "用户"]


def _terms(text_: str) -> str:
    return " ".join(query_terms(text_))


def big_records(n: int = N) -> list[PageRecord]:
    rnd = random.Random(19)
    out = []
    for i in range(n):
        words = rnd.sample(WORDS, 8)
        title = f"直播电商观察第{i}期：{words[0]}与{words[1]}"
        body = "".join(f"{w}{rnd.randint(0, 10**9)}。" for w in words) + f"编号{i}的直播带货案例。"
        url = f"http://big.test/{i}"
        published = T0 + timedelta(hours=i)
        plat = PLATFORMS[i % len(PLATFORMS)]
        out.append(PageRecord(
            raw=RawRecord(url=url, status=200, fetched_at=published, html=b"<html></html>", source="大站"),
            article=ArticleRecord(
                url=url, canonical_url=url, title=title, published_at=published, body=body,
                script="simplified", content_hash=hashlib.sha1(body.encode()).hexdigest(),
                title_terms=_terms(title), body_terms=_terms(body),
                tags=[TagRecord("platform", plat, 1.0, 1)])))
    return out


@pytest.fixture(scope="module")
def records():
    return big_records()


@pytest.fixture(scope="module")
def big(module_db_url, records):
    """The store of > 2,000 matches, built once per backend: the tests only read it."""
    store = Store.open(module_db_url)
    store.sync_sources([{"name": "大站", "kind": "news", "config": {}}])
    for k in range(0, len(records), 500):
        store.write(records[k:k + 500])
    yield store
    store.close()


@pytest.mark.parametrize("kw", [{"collapse": False}, {"collapse": True}, {"collapse": False, "sort": "date"},
                                {"query": "", "platform": "快手", "collapse": False}])
def test_export_row_count_equals_the_exact_total(big, kw):
    req = SearchRequest(**{"query": "直播", **kw})
    total = search(big.engine, SearchRequest(**{**req.__dict__, "per_page": 1}), query_terms).total
    plan = plan_export(big.engine, req, query_terms)
    assert plan.total == total
    if not kw.get("platform"):
        assert total > 2000
    out = io.StringIO()
    n = write_rows(search_rows(big.engine, req, query_terms), "jsonl", out)
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert n == len(rows) == total and len({r["id"] for r in rows}) == total
    # the stated order: the search's own first page, then the rest
    first = search(big.engine, SearchRequest(**{**req.__dict__, "per_page": 50}), query_terms)
    assert [r["id"] for r in rows[:50]] == [h.id for h in first.hits]
    if req.sort == "date" or not req.query:
        stamps = [r["published_at"] for r in rows]
        assert stamps == sorted(stamps, reverse=True)


def test_csv_has_a_bom_and_reads_back_through_utf8_sig(big, tmp_path):
    req = SearchRequest("直播", platform="快手", collapse=False)
    path = tmp_path / "out.csv"
    n = write_rows(search_rows(big.engine, req, query_terms), "csv", path)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    with path.open(encoding="utf-8-sig", newline="") as fh:
        table = list(csv.DictReader(fh))
    assert len(table) == n > 500 and list(table[0]) == FIELDS  # export._row writes them out by hand
    assert all(r["platforms"] == "快手" for r in table)
    assert all("直播电商观察" in r["title"] for r in table)
    assert not any("【" in r["snippet"] or "】" in r["snippet"] for r in table)
    assert "直播" in table[0]["snippet"]
    path2 = tmp_path / "nobom.csv"
    write_rows(search_rows(big.engine, req, query_terms), "csv", path2, bom=False)
    assert path2.read_bytes().startswith(b"id,")
    streamed = "".join(csv_chunks(search_rows(big.engine, req, query_terms)))
    assert streamed.startswith("\ufeff") and streamed.encode("utf-8") == raw


def test_parquet_timestamps_are_typed(big, tmp_path):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    req = SearchRequest("", platform="抖音", collapse=False)
    path = tmp_path / "out.parquet"
    n = write_rows(search_rows(big.engine, req, query_terms, with_body=True), "parquet", path)
    table = pq.read_table(path)
    assert table.num_rows == n == N // 4
    assert pa.types.is_timestamp(table.schema.field("published_at").type)
    assert table.schema.field("published_at").type.tz == "UTC"
    assert pa.types.is_list(table.schema.field("platforms").type)
    first = table.slice(0, 1).to_pylist()[0]
    assert first["published_at"] == max(r["published_at"] for r in table.to_pylist())
    assert first["platforms"] == ["抖音"] and first["body"]


def test_parquet_chunks_stream_one_row_group_at_a_time():
    """The console's Parquet export: bytes leave after every row group, and read back whole."""
    pytest.importorskip("pyarrow", reason="Parquet is optional: pip install -e '.[parquet]'")
    import pyarrow.parquet as pq

    from daihuo.analysis.export import parquet_chunks

    def rows():  # noqa: ANN202
        for i in range(1000):
            yield {**dict.fromkeys(FIELDS), "id": i, "title": f"第{i}期", "platforms": ["快手"], "topics": [],
                   "published_at": T0 + timedelta(minutes=i)}

    chunks = list(parquet_chunks(rows(), group=100))
    assert len(chunks) >= 10 and chunks[0].startswith(b"PAR1")
    parquet = pq.ParquetFile(io.BytesIO(b"".join(chunks)))
    assert parquet.num_row_groups == 10
    table = parquet.read()
    assert table.column("id").to_pylist() == list(range(1000))
    assert table.column("published_at").to_pylist()[-1] == T0 + timedelta(minutes=999)


def test_parquet_groups_are_whole_when_rows_are_converted_in_parts(monkeypatch, tmp_path):
    """Rows become Arrow columns a few at a time (memory), but each row group still holds
    ``group`` rows, with every value as it was (a column missing from a row is null), unless
    its bytes pass the bound first."""
    pytest.importorskip("pyarrow", reason="Parquet is optional: pip install -e '.[parquet]'")
    import pyarrow.parquet as pq

    from daihuo.analysis import export

    monkeypatch.setattr(export, "PARQUET_CONVERT", 70)
    rows = [{**dict.fromkeys(export.FIELDS), "id": i, "title": f"第{i}期", "platforms": ["快手"] * (i % 3),
             "published_at": T0 + timedelta(minutes=i), "score": i / 7} for i in range(1000)]
    del rows[5]["title"]
    path = tmp_path / "parts.parquet"
    n = 0
    for n in export._parquet_groups(iter(rows), path, None, group=300):  # noqa: B007
        pass
    assert n == 1000
    parquet = pq.ParquetFile(path)
    assert [parquet.metadata.row_group(i).num_rows for i in range(parquet.num_row_groups)] == [300, 300, 300, 100]
    got = parquet.read().to_pylist()
    assert got == [{**r, "title": r.get("title")} for r in rows]
    # long rows (bodies) end a group at PARQUET_GROUP_BYTES of Arrow data, before ``group`` rows
    monkeypatch.setattr(export, "PARQUET_GROUP_BYTES", 1)
    for n in export._parquet_groups(iter(rows), path, None, group=300):  # noqa: B007
        pass
    parquet = pq.ParquetFile(path)
    assert [parquet.metadata.row_group(i).num_rows for i in range(parquet.num_row_groups)] == [70] * 14 + [20]
    assert parquet.read().to_pylist() == got


def test_a_long_export_prints_a_progress_line(monkeypatch):
    from daihuo.analysis import export_progress

    clock = iter(float(t) for t in range(1000))
    monkeypatch.setattr(export_progress.time, "monotonic", lambda: next(clock))
    out = io.StringIO()
    progress = export_progress.Progress(12_000, out, min_rows=5000, every_s=1.0)
    for n in range(1, 12_001):
        if n % 100 == 0:
            progress(n)
    progress.done()
    lines = out.getvalue().splitlines()
    assert lines and lines[-1].startswith("exported 12,000 / 12,000 rows (100%")
    quiet = io.StringIO()
    short = export_progress.Progress(300, quiet)
    for n in range(1, 301):
        short(n)
    short.done()
    assert quiet.getvalue() == ""  # a short export prints no progress


def test_an_export_reads_lean_and_gives_the_pool_its_settings_back(tmp_path):
    """SQLite: the export's connections use a small cache, no memory map and file-backed
    sorts (memory independent of the store's size); pooled connections get theirs back."""
    store = Store.open(f"sqlite:///{tmp_path / 'lean.sqlite'}")
    store.sync_sources([{"name": "大站", "kind": "news", "config": {}}])
    store.write(big_records(30))
    with store.engine.connect() as conn:
        mmap = conn.exec_driver_sql("PRAGMA mmap_size").scalar()  # the store's default (capped by SQLite)
    assert mmap > 0
    seen = []
    rows = search_rows(store.engine, SearchRequest("直播", collapse=False), query_terms)
    next(rows)
    with store.engine.connect() as other:  # a third connection, not the export's
        seen.append(other.exec_driver_sql("PRAGMA mmap_size").scalar())
    assert len(list(rows)) == 29
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA mmap_size").scalar() == mmap
        assert conn.exec_driver_sql("PRAGMA temp_store").scalar() == 2
    assert seen == [mmap]
    store.close()
