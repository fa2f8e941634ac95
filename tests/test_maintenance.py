"""Store maintenance: the full-text index is compacted in steps without changing any answer."""

from click.testing import CliRunner
from sqlalchemy import text
from test_search_corpus import SOURCES, records

from daihuo.analysis.query_terms import query_terms
from storage.maintenance import compact, fts_segments
from storage.search import SearchRequest, search
from storage.store import Store

QUERIES = [("直播", {}), ("快手 OR 抖音", {"platform": "快手"}), ('"直播 带货"', {}), ("商家 -抖音", {})]


def answers(store):
    out = []
    for q, kw in QUERIES:
        res = search(store.engine, SearchRequest(q, collapse=False, per_page=100, **kw), query_terms)
        out.append(([(h.id, h.score, h.snippet) for h in res.hits], res.facets))
    return out


def test_compacting_merges_segments_and_keeps_every_answer(db_url):
    store = Store.open(db_url)
    store.sync_sources([{"name": s, "kind": "news", "config": {}} for s in SOURCES])
    for rec in records():  # one transaction each: one index segment each
        store.write([rec])
    before = answers(store)
    segments = fts_segments(store.engine)
    steps: list[int] = []
    report = compact(store.engine, step_pages=1, progress=steps.append)
    assert answers(store) == before
    if store.engine.dialect.name == "sqlite":
        assert segments > 4 and report.segments_before == segments
        assert report.segments_after == fts_segments(store.engine) == 1
        assert report.steps >= 1 and steps == list(range(1, report.steps + 1))  # each step reported
        with store.engine.begin() as conn:  # raises if the merged index disagrees with the table
            conn.execute(text("INSERT INTO articles_fts(articles_fts) VALUES ('integrity-check')"))
        assert compact(store.engine).steps == 0  # nothing left to merge
    store.close()


def test_compacting_moves_waiting_lsh_keys_into_the_main_table(db_url):
    from test_store import clustered, near

    store = Store.open(db_url, similar=near)
    store.sync_sources([{"name": "s1", "kind": "news", "config": {}}])
    store.write([clustered("http://orig/1", "原文 甲", b"\x01a"), clustered("http://orig/2", "原文 乙", b"\x02b")])

    def count(table):
        with store.engine.connect() as conn:
            return conn.execute(text(f"SELECT count(*) FROM {table}")).scalar()

    assert (count("lsh_keys"), count("lsh_recent")) == (0, 4)
    assert compact(store.engine).lsh_keys_moved == 4
    assert (count("lsh_keys"), count("lsh_recent")) == (4, 0)
    assert compact(store.engine).lsh_keys_moved == 0
    store.write([clustered("http://farm/1", "转载 甲", b"\x01c")])  # finds its original there
    with store.engine.connect() as conn:
        rows = dict(conn.execute(text("SELECT url, cluster_id FROM articles")).all())
    assert rows["http://farm/1"] is not None and rows["http://farm/1"] == rows["http://orig/1"]
    store.close()


def test_maintain_command_reports_the_merge(tmp_home):
    from storage.config import database_url

    store = Store.open(database_url())
    store.sync_sources([{"name": s, "kind": "news", "config": {}} for s in SOURCES])
    for rec in records()[:6]:
        store.write([rec])
    store.close()
    from daihuo.cli.main import main
    from nlp.tagging import lexicon

    try:
        result = CliRunner().invoke(main, ["maintain", "--step", "5"])
        assert result.exit_code == 0, result.output
        assert "segments → 1" in result.output
        assert "near-duplicate keys: 0 moved from lsh_recent into lsh_keys" in result.output
        bad = CliRunner().invoke(main, ["maintain", "--step", "0"])
        assert bad.exit_code != 0 and "--step" in bad.output
    finally:
        lexicon.set_user_dir(None)  # the CLI points the lexicon at $DAIHUO_HOME; undo it
