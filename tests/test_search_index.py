"""The derived tantivy index (storage.search_index) answers as the SQL engine does: the same
totals, facet counts, hit sets and date order, browsing, filters and stable deep pages, on a
generated store with repost clusters, editorial statuses and scheduled publication; it follows
every change of the store; it is rebuilt when its directory is lost; two processes share it."""

from __future__ import annotations

import random
import shutil
import subprocess
import sys
import textwrap
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import text

from bench.search import corpus, to_record
from daihuo.analysis.query_terms import query_terms
from daihuo.system import System
from storage import search as search_mod
from storage.search import SearchRequest
from storage.search_index import SearchIndex

ROOT = Path(__file__).resolve().parents[1]
N = 300
NOW = datetime(2026, 6, 1, tzinfo=timezone.utc)
QUERIES = ["直播", "电商 平台", "快手 OR 抖音", "直播 -抖音", '"直播 电商"', "(品牌 OR 商家) 流量",
           "主播", "供应链"]


def _load(url: str) -> None:
    """N generated articles (about 10% reposts, clustered at insert), then variety: statuses,
    scheduled publication, missing dates and a canonical member that is not the first."""
    store = System.from_env(database_url=url).store()
    from bench.corpusgen import vocabulary

    store.sync_sources([{"name": s, "kind": "news", "config": {}} for s in vocabulary()["sources"]])
    docs = [d for d, _ in corpus(N, seed=3)]
    store.write([to_record(d) for d in docs])
    rnd = random.Random(7)
    with store.engine.begin() as conn:
        ids = [r[0] for r in conn.execute(text("SELECT id FROM articles ORDER BY id"))]
        for aid in ids:
            status = rnd.choice(["new", "approved", "approved", "published", "rejected"])
            publish_at = rnd.choice([None, None, "2026-01-01 00:00:00.000000", "2027-01-01 00:00:00.000000"])
            conn.execute(text("UPDATE articles SET status = :s, publish_at = :p WHERE id = :i"),
                         {"s": status, "p": publish_at, "i": aid})
        for aid in ids[::37]:
            conn.execute(text("UPDATE articles SET published_at = NULL WHERE id = :i"), {"i": aid})
        for cid, in conn.execute(text("SELECT id FROM clusters ORDER BY id LIMIT 5")).all():
            last = conn.execute(text("SELECT max(id) FROM articles WHERE cluster_id = :c"), {"c": cid}).scalar()
            conn.execute(text("UPDATE clusters SET canonical_id = :a WHERE id = :c"), {"a": last, "c": cid})
    store.close()


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    path = tmp_path_factory.mktemp("search_index") / "store.sqlite"
    _load(f"sqlite:///{path}")
    system = System.from_env(database_url=f"sqlite:///{path}", search_index="off")
    engine = system.engine
    index = SearchIndex(engine, path.with_name("store.sqlite.search-index"))
    yield engine, index
    system.close()


def both(engine, index, req):  # noqa: ANN001, ANN201
    return search_mod.search(engine, req, query_terms), index.search(req, query_terms)


def test_the_fixture_has_clusters_and_variety(stored):
    engine, _ = stored
    with engine.connect() as conn:
        multi = conn.execute(text("SELECT count(*) FROM (SELECT cluster_id FROM articles WHERE cluster_id IS NOT"
                                  " NULL GROUP BY cluster_id HAVING count(*) > 1)")).scalar()
        noncanon = conn.execute(text("SELECT count(*) FROM clusters c JOIN articles a ON a.id = c.canonical_id"
                                     " WHERE a.id <> (SELECT min(id) FROM articles WHERE cluster_id = c.id)")).scalar()
    assert multi >= 5 and noncanon >= 1


@pytest.mark.parametrize("collapse", [True, False])
def test_totals_facets_and_hits_match_the_sql_engine(stored, collapse):
    engine, index = stored
    for q in QUERIES:
        for kw in ({}, {"platform": "抖音"}, {"sort": "date"}, {"status": "approved", "sort": "date"}):
            req = SearchRequest(q, collapse=collapse, per_page=1000, **kw)
            sql, tan = both(engine, index, req)
            assert sql.total == tan.total > 0 or kw, (q, kw)
            assert sql.total == tan.total, (q, kw)
            assert sql.facets == tan.facets, (q, kw)
            if kw.get("sort") == "date":  # date order is the same order on both
                assert [h.id for h in sql.hits] == [h.id for h in tan.hits], (q, kw)
            elif not collapse:
                assert {h.id for h in sql.hits} == {h.id for h in tan.hits}, (q, kw)
            else:  # by relevance the same stories are shown (their member may differ on score ties)
                assert {h.cluster_id or -h.id for h in sql.hits} == {h.cluster_id or -h.id for h in tan.hits}


def test_collapsing_counts_stories_not_articles(stored):
    engine, index = stored
    one = index.search(SearchRequest("直播", collapse=True, facets=False), query_terms)
    many = index.search(SearchRequest("直播", collapse=False, facets=False), query_terms)
    assert one.total < many.total


@pytest.mark.parametrize("kw", [{"platform": "快手"}, {"status": "published"}, {"cluster": None},
                                {"since": datetime(2024, 1, 1, tzinfo=timezone.utc),
                                 "until": datetime(2025, 1, 1, tzinfo=timezone.utc)}])
def test_browsing_matches(stored, kw):
    engine, index = stored
    if "cluster" in kw:
        with engine.connect() as conn:
            kw = {"cluster": conn.execute(text("SELECT cluster_id FROM articles WHERE cluster_id IS NOT NULL"
                                               " GROUP BY cluster_id ORDER BY count(*) DESC")).scalar()}
    for collapse in (True, False):
        sql, tan = both(engine, index, SearchRequest("", collapse=collapse, per_page=1000, **kw))
        assert sql.total == tan.total > 0 and sql.facets == tan.facets
        assert [h.id for h in sql.hits] == [h.id for h in tan.hits]


def test_the_live_filter_matches(stored):
    engine, index = stored
    for q in ("直播", "电商 平台"):
        req = SearchRequest(q, live_at=NOW, live_statuses=("approved", "published"), per_page=1000, sort="date")
        sql, tan = both(engine, index, req)
        assert sql.total == tan.total > 0 and [h.id for h in sql.hits] == [h.id for h in tan.hits]
        with engine.connect() as conn:
            bad = conn.execute(text(f"SELECT count(*) FROM articles WHERE id IN ({','.join(str(h.id) for h in tan.hits)})"
                                    " AND (status NOT IN ('approved', 'published') OR publish_at > '2026-06-01')")).scalar()
        assert bad == 0


def test_deep_pages_are_stable_and_disjoint(stored):
    engine, index = stored
    for sort in ("relevance", "date"):
        whole = index.search(SearchRequest("直播", sort=sort, per_page=1000, facets=False), query_terms)
        paged = []
        for page in range(1, 100):
            res = index.search(SearchRequest("直播", sort=sort, per_page=7, page=page, facets=False), query_terms)
            if not res.hits:
                break
            paged += [h.id for h in res.hits]
            assert res.total == whole.total
        assert paged == [h.id for h in whole.hits]
        sql = search_mod.search(engine, SearchRequest("直播", sort=sort, per_page=7, page=3, facets=False), query_terms)
        if sort == "date":
            assert [h.id for h in sql.hits] == paged[14:21]


def test_relevance_order_follows_title_weight(stored):
    """A title match outranks a body-only match, as the SQL engine's title weight makes it."""
    engine, index = stored
    res = index.search(SearchRequest("直播", collapse=False, per_page=1000, facets=False), query_terms)
    scores = [h.score for h in res.hits]
    assert scores == sorted(scores, reverse=True) and scores[0] > scores[-1]
    with engine.connect() as conn:
        titled = {r[0] for r in conn.execute(text("SELECT id FROM articles WHERE ' ' || title_terms || ' '"
                                                  " LIKE '% 直播 %'"))}
    first = [h.id in titled for h in res.hits]
    assert any(first) and not all(first)
    assert sum(first[: len(first) // 2]) > sum(first[len(first) // 2:])


# -- change tracking --------------------------------------------------------------------------
@pytest.fixture
def private(tmp_path, stored):
    """A copy of the generated store for tests that change it."""
    engine, _ = stored
    src = Path(engine.url.database)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copy(src, tmp_path / "own.sqlite")
    system = System.from_env(database_url=f"sqlite:///{tmp_path / 'own.sqlite'}")
    yield system
    system.close()


def test_system_attaches_the_index_beside_the_sqlite_file(private):
    engine = private.engine
    index = search_mod.attached_index(engine)
    assert index is not None and index.path.name == "own.sqlite.search-index"
    res = search_mod.search(engine, SearchRequest("直播", facets=False), query_terms)
    assert res.total > 0 and (index.path / "meta.json").exists()


def test_changes_reach_the_next_search(private):
    engine = private.engine
    run = lambda **kw: search_mod.search(engine, SearchRequest(**{"query": "直播", "facets": True, **kw}),  # noqa: E731
                                         query_terms)
    index = search_mod.attached_index(engine)
    before = run(status="rejected", collapse=False)
    victim = before.hits[0].id
    with engine.begin() as conn:  # status change
        conn.execute(text("UPDATE articles SET status = 'approved' WHERE id = :i"), {"i": victim})
    after = run(status="rejected", collapse=False)
    assert after.total == before.total - 1 and victim not in {h.id for h in after.hits}
    # tags change
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO tags (article_id, kind, value, score, count, in_title)"
                          " VALUES (:i, 'platform', '测试平台', 1.0, 1, 0)"), {"i": victim})
    assert [h.id for h in run(platform="测试平台").hits] == [victim]
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM tags WHERE value = '测试平台'"))
    assert search_mod.count(engine, SearchRequest("直播", platform="测试平台"), query_terms) == 0
    # cluster merge: two unclustered articles join a cluster -> one story fewer
    with engine.begin() as conn:
        a, b = [r[0] for r in conn.execute(text(
            "SELECT id FROM articles WHERE cluster_id IS NULL AND ' ' || body_terms || ' ' LIKE '% 直播 %'"
            " ORDER BY id LIMIT 2"))]
    stories = run(collapse=True, facets=False).total
    with engine.begin() as conn:
        cid = conn.execute(text("INSERT INTO clusters (canonical_id, size, created_at, updated_at)"
                                " VALUES (:a, 2, '2026-01-01', '2026-01-01') RETURNING id"), {"a": a}).scalar()
        conn.execute(text("UPDATE articles SET cluster_id = :c WHERE id IN (:a, :b)"), {"c": cid, "a": a, "b": b})
    merged = run(collapse=True, facets=False)
    assert merged.total == stories - 1
    search_mod.attach_index(engine, None)
    try:
        ref = run(collapse=True, per_page=1000)
    finally:
        search_mod.attach_index(engine, index)
    again = run(collapse=True, per_page=1000)
    assert ref.total == again.total and ref.facets == again.facets
    # a source renamed
    with engine.begin() as conn:
        sid, name = conn.execute(text("SELECT s.id, s.name FROM sources s JOIN articles a ON a.source_id = s.id"
                                      " ORDER BY s.id LIMIT 1")).one()
        conn.execute(text("UPDATE sources SET name = '改名观察' WHERE id = :s"), {"s": sid})
    renamed = run(source="改名观察", query="", collapse=False, facets=False)
    assert renamed.total > 0 and run(source=name, query="", collapse=False, facets=False).total == 0
    # delete
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM tags WHERE article_id = :i"), {"i": b})
        conn.execute(text("DELETE FROM articles WHERE id = :i"), {"i": b})
    assert b not in {h.id for h in run(collapse=False, per_page=1000, facets=False).hits}


def test_a_lost_index_is_rebuilt(private):
    engine = private.engine
    index = search_mod.attached_index(engine)
    first = search_mod.search(engine, SearchRequest("直播"), query_terms)
    shutil.rmtree(index.path)
    again = search_mod.search(engine, SearchRequest("直播"), query_terms)
    assert again.total == first.total and again.facets == first.facets
    (index.path / "meta.json").write_text("{not json")  # corrupt
    fresh = SearchIndex(engine, index.path)
    assert fresh.search(SearchRequest("直播"), query_terms).total == first.total


def test_too_large_to_rebuild_inline_falls_back_to_sql(private, caplog):
    engine = private.engine
    index = search_mod.attached_index(engine)
    shutil.rmtree(index.path, ignore_errors=True)
    search_mod.attach_index(engine, SearchIndex(engine, index.path, inline_rebuild_max=10))
    res = search_mod.search(engine, SearchRequest("直播"), query_terms)
    assert res.total > 0 and "daihuo search-index rebuild" in caplog.text


def test_two_processes_write_and_read(private, tmp_path):
    """A child process writes the store and searches while this one does: no lock errors,
    and each sees the other's writes."""
    url = str(private.engine.url)
    code = textwrap.dedent(f"""
        import sys
        from sqlalchemy import text
        from daihuo.system import System
        from daihuo.analysis.query_terms import query_terms
        from storage.search import SearchRequest, search
        engine = System.from_env(database_url={url!r}).engine
        for i in range(8):
            with engine.begin() as conn:
                conn.execute(text("UPDATE articles SET status = 'rejected' WHERE id = (SELECT min(id) + :i FROM articles)"), {{"i": i}})
            search(engine, SearchRequest("直播", facets=False), query_terms)
        print("ok")
    """)
    child = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
    engine = private.engine
    for i in range(8):
        with engine.begin() as conn:
            conn.execute(text("UPDATE articles SET status = 'published' WHERE id = (SELECT max(id) - :i FROM articles)"),
                         {"i": i})
        search_mod.search(engine, SearchRequest("直播", facets=False), query_terms)
    out, err = child.communicate(timeout=60)
    assert child.returncode == 0 and out.strip() == "ok", err[-2000:]
    search_mod.attach_index(engine, None)
    try:
        ref = search_mod.search(engine, SearchRequest("", status="rejected", per_page=1000), query_terms)
    finally:
        search_mod.attach_index(engine, SearchIndex(engine, Path(str(engine.url.database) + ".search-index")))
    now = search_mod.search(engine, SearchRequest("", status="rejected", per_page=1000), query_terms)
    assert ref.total == now.total and [h.id for h in ref.hits] == [h.id for h in now.hits]


def test_the_rebuild_command(private, tmp_path):
    from click.testing import CliRunner

    from daihuo.cli.main import main

    env = {"DAIHUO_DATABASE_URL": str(private.engine.url), "DAIHUO_HOME": str(tmp_path / "home")}
    out = CliRunner().invoke(main, ["search-index", "rebuild"], env=env)
    assert out.exit_code == 0, out.output
    with private.engine.connect() as conn:
        n = conn.execute(text("SELECT count(*) FROM articles")).scalar()
    assert f"search index rebuilt: {n:,} articles" in out.output


def test_since_until_keep_sql_semantics_for_missing_dates(stored):
    engine, index = stored
    for kw in ({"since": datetime(2020, 1, 1, tzinfo=timezone.utc)}, {"until": datetime(2030, 1, 1, tzinfo=timezone.utc)}):
        sql, tan = both(engine, index, SearchRequest("直播", collapse=False, per_page=1000, **kw))
        assert sql.total == tan.total and {h.id for h in sql.hits} == {h.id for h in tan.hits}


def test_counts_split_by_story_ranges_stay_exact(stored, monkeypatch):
    """Past tantivy's bucket limit, clustered matches are aggregated by story range: the sums
    are the same exact counts."""
    import storage.search_index as si

    engine, index = stored
    req = SearchRequest("直播 OR 电商", per_page=5)
    whole = index.search(req, query_terms)
    monkeypatch.setattr(si, "AGG_BUCKETS", 7)
    monkeypatch.setattr(index, "split_always", True)
    split = index.search(req, query_terms)
    sql = search_mod.search(engine, req, query_terms)
    assert split.total == whole.total == sql.total and split.facets == whole.facets == sql.facets


def test_an_index_configured_for_postgresql_or_sqlite_matches_its_sql_engine(db_url, tmp_path):
    """PostgreSQL keeps the SQL engine unless an index directory is configured; configured,
    its triggers keep the index in step just the same (the hand-written corpus)."""
    from test_search_corpus import load

    from storage.store import Store

    store = Store.open(db_url)
    try:
        load(store)
        index = SearchIndex(store.engine, tmp_path / "pg.search-index")
        for q in ("快手", "主播 -税务", '"品牌自播"', "直播 OR 电商 OR 商家"):
            for kw in ({}, {"collapse": False}, {"sort": "date"}, {"platform": "快手"}):
                req = SearchRequest(q, per_page=50, **kw)
                sql, tan = both(store.engine, index, req)
                assert sql.total == tan.total and sql.facets == tan.facets, (q, kw)
        with store.engine.begin() as conn:
            conn.execute(text("UPDATE articles SET status = 'rejected'"))
        assert index.search(SearchRequest("快手", status="rejected"), query_terms).total == \
            search_mod.search(store.engine, SearchRequest("快手", status="rejected"), query_terms).total > 0
    finally:
        store.close()


def test_a_search_answers_with_sql_while_another_process_holds_the_index(private, monkeypatch, caplog):
    import fcntl
    import os

    import storage.search_index as si

    engine = private.engine
    index = search_mod.attached_index(engine)
    search_mod.search(engine, SearchRequest("直播", facets=False), query_terms)  # built
    monkeypatch.setattr(si, "LOCK_WAIT", 0.2)
    with engine.begin() as conn:
        conn.execute(text("UPDATE articles SET status = 'rejected'"))
    fd = os.open(str(index.path) + ".lock", os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # as a rebuild in another process would
        res = search_mod.search(engine, SearchRequest("直播", status="rejected", facets=False), query_terms)
    finally:
        os.close(fd)
    assert "busy" in caplog.text
    assert res.total == search_mod.search(engine, SearchRequest("直播", facets=False), query_terms).total > 0


def test_maintain_clears_the_log_without_an_index_and_an_index_that_missed_it_rebuilds(private, tmp_path):
    from click.testing import CliRunner

    from daihuo.cli.main import main

    engine = private.engine
    index = search_mod.attached_index(engine)
    search_mod.search(engine, SearchRequest("直播", facets=False), query_terms)
    with engine.begin() as conn:
        conn.execute(text("UPDATE articles SET status = 'rejected'"))
    env = {"DAIHUO_DATABASE_URL": str(engine.url), "DAIHUO_HOME": str(tmp_path / "home"),
           "DAIHUO_SEARCH_INDEX": "off"}
    out = CliRunner().invoke(main, ["maintain"], env=env)
    assert out.exit_code == 0 and "search change log:" in out.output, out.output
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM search_changes")).scalar() == 1  # the head
        n = conn.execute(text("SELECT count(*) FROM articles WHERE ' ' || body_terms || ' ' LIKE '% 直播 %'"
                              " OR ' ' || title_terms || ' ' LIKE '% 直播 %'")).scalar()
    res = index.search(SearchRequest("直播", status="rejected", collapse=False, facets=False), query_terms)
    assert res.total == n > 0  # rebuilt: the cleared changes are not lost


def test_pruning_the_log_never_forces_a_rebuild(private, monkeypatch):
    """The index forgets applied changes now and then; the next searches only catch up."""
    import storage.search_index as si

    engine = private.engine
    index = search_mod.attached_index(engine)
    search_mod.search(engine, SearchRequest("直播", facets=False), query_terms)
    rebuilds = []
    monkeypatch.setattr(index, "_rebuild_locked", lambda *a: rebuilds.append(1))
    with engine.begin() as conn:
        conn.execute(text("UPDATE articles SET status = 'published'"))
        before = conn.execute(text("SELECT count(*) FROM search_changes")).scalar()
    monkeypatch.setattr(si, "PRUNE_AFTER", 10)
    search_mod.search(engine, SearchRequest("直播", facets=False), query_terms)
    with engine.connect() as conn:
        after = conn.execute(text("SELECT count(*) FROM search_changes")).scalar()
    with engine.begin() as conn:
        conn.execute(text("UPDATE articles SET status = 'approved' WHERE id = (SELECT min(id) FROM articles)"))
    res = search_mod.search(engine, SearchRequest("直播", status="approved", collapse=False), query_terms)
    assert before > 10 and after == 1 and not rebuilds and res.total == 1


def test_an_export_through_the_index_lists_every_hit_in_the_search_order(private, monkeypatch):
    from daihuo.analysis.export import search_rows
    from storage import search_index

    engine = private.engine
    monkeypatch.setattr(search_index, "RANKED_PART", 11)  # articles are read in parts: many here
    for kw in ({"sort": "date"}, {}, {"collapse": False}, {"collapse": False, "sort": "date"},
               {"query": "", "status": "new", "collapse": False}):
        req = SearchRequest(**{"query": "直播", "per_page": 1000, "facets": False, **kw})
        shown = search_mod.search(engine, req, query_terms)
        exported = list(search_rows(engine, req, query_terms, batch=7))
        rows = [r["id"] for r in exported]
        assert rows == [h.id for h in shown.hits] and len(rows) == shown.total > 0
        assert [r["score"] for r in exported] == [h.score for h in shown.hits]
        if kw.get("sort") == "date":  # date order is the SQL engine's too
            search_mod.attach_index(engine, None)
            try:
                assert rows == [r["id"] for r in search_rows(engine, req, query_terms)]
            finally:
                search_mod.attach_index(engine, SearchIndex(engine, Path(str(engine.url.database) + ".search-index")))


def test_a_facet_value_numbered_by_another_process_is_named_in_collapsed_facets(private):
    """Collapsed facets count (story, value) numbers (storage.facet_numbers); a value that
    another process's catch-up numbered is still named here, and the counts match SQL."""
    engine = private.engine
    mine = search_mod.attached_index(engine)
    run = lambda: search_mod.search(engine, SearchRequest("直播", per_page=1, facets=True), query_terms)  # noqa: E731
    run()
    with engine.connect() as conn:
        member = conn.execute(text("SELECT id FROM articles WHERE cluster_id IS NOT NULL AND ' ' || body_terms"
                                   " || ' ' LIKE '% 直播 %' ORDER BY id LIMIT 1")).scalar()
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO tags (article_id, kind, value, score, count, in_title)"
                          " VALUES (:i, 'entity', '新来的实体', 0.9, 1, 0)"), {"i": member})
    other = SearchIndex(engine, mine.path)  # as another process: it catches up and numbers the value
    other.search(SearchRequest("直播", per_page=1, facets=True), query_terms)
    numbers_before = len(mine._values._names)
    ours = run()
    assert len(mine._values._names) > numbers_before  # read again, not renumbered
    search_mod.attach_index(engine, None)
    try:
        ref = search_mod.search(engine, SearchRequest("直播", per_page=1, facets=True), query_terms)
    finally:
        search_mod.attach_index(engine, mine)
    assert ("新来的实体", 1) in ours.facets["entity"] or len(ours.facets["entity"]) >= 10
    assert ours.total == ref.total and ours.facets == ref.facets


def test_slots_hold_a_clustered_articles_value_numbers_or_say_they_overflow():
    import numpy as np

    from storage.search_index import (
        FV_PER_SLOT,
        FV_SLOTS,
        OVERFLOW,
        VALUE_MASK,
        pack_slots,
        unpack_slots,
    )

    # stories 9, 9 and 4: a story counts once per value, whichever of its members has it
    docs = [pack_slots([1, 2]), pack_slots([2]), pack_slots([2, 3, 0, VALUE_MASK - 1])]
    numbers, stories = unpack_slots(np.array([9, 9, 4]), np.array(docs, dtype=np.uint64).T)
    assert dict(zip(numbers.tolist(), stories.tolist(), strict=True)) == {0: 1, 1: 1, 2: 2, 3: 1, VALUE_MASK - 1: 1}
    full = FV_SLOTS * FV_PER_SLOT
    assert not pack_slots(list(range(full)))[0] & OVERFLOW
    assert pack_slots(list(range(full + 1)))[0] & OVERFLOW


def test_collapsed_facets_come_from_the_slots_and_from_fsid_when_values_overflow(stored, tmp_path, monkeypatch):
    """Clustered matches are counted from their packed value numbers; an index whose
    articles have more values than its slots hold counts them from ``fsid``: both exact."""
    import storage.search_index as si

    engine, index = stored
    by_fsid = []
    fallback = si.SearchIndex._story_facets_by_fsid
    monkeypatch.setattr(si.SearchIndex, "_story_facets_by_fsid",
                        lambda self, *a: by_fsid.append(1) or fallback(self, *a))
    reqs = [SearchRequest(q, per_page=5) for q in ("直播 OR 电商", "品牌")] + [SearchRequest(None, platform="抖音")]
    sql = [search_mod.search(engine, r, query_terms) for r in reqs]
    assert [(r.total, r.facets) for r in (index.search(r, query_terms) for r in reqs)] == \
        [(r.total, r.facets) for r in sql]
    assert not by_fsid
    monkeypatch.setattr(si, "FV_SLOTS", 1)  # three values: every clustered article overflows
    small = SearchIndex(engine, tmp_path / "small-slots.search-index")
    assert [(r.total, r.facets) for r in (small.search(r, query_terms) for r in reqs)] == \
        [(r.total, r.facets) for r in sql]
    assert len(by_fsid) == len(reqs)


def test_searches_from_many_threads_at_once_answer_as_one_at_a_time(stored):
    """Totals and facets are counted on the search threads while the page is ranked: many
    searches at once (the web app's threads) get the answers each gets alone."""
    from concurrent.futures import ThreadPoolExecutor

    _, index = stored
    reqs = [SearchRequest(q, per_page=7, facets=True, collapse=c) for q in QUERIES for c in (True, False)]
    alone = [index.search(r, query_terms) for r in reqs]
    with ThreadPoolExecutor(8) as pool:
        together = list(pool.map(lambda r: index.search(r, query_terms), reqs * 3))
    key = [(r.total, r.facets, [h.id for h in r.hits]) for r in alone]
    assert [(r.total, r.facets, [h.id for h in r.hits]) for r in together] == key * 3
