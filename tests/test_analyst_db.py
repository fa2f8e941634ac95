"""The analyst's copy (`daihuo analyst-db`): the corpus with its views and full-text index,
and not one byte of a password hash, session token or webhook secret; and Datasette's search
box on it finds articles for a Chinese query (the daihuo plugin)."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path
from urllib.parse import quote

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from daihuo.analysis.analyst_db import (
    CORPUS_TABLES,
    INTERNAL_TABLES,
    KEPT_EMPTY,
    PRIVATE_TABLES,
    AnalystCopyError,
    write_analyst_db,
)
from daihuo.analysis.query_terms import query_terms
from daihuo.runs.webhooks import add_webhook, record_delivery
from daihuo.web.accounts import create_user, start_session
from storage.search import SearchRequest, search
from storage.store import Store
from storage.timestamps import from_db

WEBHOOK_KEY = "c0ffee-key-in-the-url-5b1d"
WEBHOOK_SECRET = "SEC-signing-secret-77a9e1"


def _plant_secrets(store: Store) -> dict[str, str]:
    """A user, a session and a webhook with a secret: the values that must not leak."""
    user = create_user(store.engine, "analyst-test-admin", "a long enough password 1", "admin")
    session = start_session(store.engine, user)
    hook = add_webhook(store.engine, "告警群", f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={WEBHOOK_KEY}",
                       kind="dingtalk", secret=WEBHOOK_SECRET, actor="analyst-test-admin")
    record_delivery(store.engine, hook.id, {"event": "test"}, "ok")
    with store.engine.connect() as conn:
        pw_hash = conn.execute(text("SELECT password_hash FROM users")).scalar()
    return {"password hash": pw_hash, "csrf token": session.csrf_token,
            "session token hash": hashlib.sha256(session.token.encode()).hexdigest(),
            "webhook key": WEBHOOK_KEY, "webhook secret": WEBHOOK_SECRET}


@pytest.fixture
def copied(corpus, tmp_path):
    store, ids = corpus
    planted = _plant_secrets(store)
    copy = write_analyst_db(store.engine, tmp_path / "analyst.db")
    return store, ids, planted, copy


def test_the_copy_holds_no_secret(copied):
    store, _ids, planted, copy = copied
    data = copy.path.read_bytes()
    for what, value in planted.items():
        assert value.encode() not in data, f"the analyst copy contains the {what}"
    assert not copy.path.with_name(copy.path.name + "-wal").exists()  # one self-contained file
    if store.engine.dialect.name == "sqlite":  # the values were there to leak: the test can fail
        src = store.engine.url.database
        raw = b"".join(Path(p).read_bytes() for p in (src, src + "-wal") if Path(p).exists())
        assert planted["webhook secret"].encode() in raw and planted["csrf token"].encode() in raw
    conn = sqlite3.connect(copy.path)
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert not tables & (set(PRIVATE_TABLES) | set(INTERNAL_TABLES))


def test_the_copy_holds_the_corpus_views_and_index(copied):
    store, ids, _planted, copy = copied
    conn = sqlite3.connect(copy.path)
    with store.engine.connect() as src:
        for table in ("articles", "tags", "sources", "clusters", "raw_pages"):
            n = src.execute(text(f"SELECT count(*) FROM {table}")).scalar()
            assert n > 0 and conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == n, table
            assert copy.rows[table] == n
        published = src.execute(text("SELECT published_at FROM articles WHERE id = :i"), {"i": ids["a2"]}).scalar()
    # times read back as the store's (UTC text on SQLite, whatever the source backend)
    stored = conn.execute("SELECT published_at FROM articles WHERE id = ?", (ids["a2"],)).fetchone()[0]
    assert from_db(stored) == from_db(published) and from_db(stored).year == 2026
    # the documented views and the full-text index (titles and bodies) answer
    overview = conn.execute("SELECT title, source, platforms FROM article_overview WHERE id = ?",
                            (ids["a2"],)).fetchone()
    assert overview[0] == "品牌自播成为抖音电商新常态" and "抖音" in overview[2]
    assert conn.execute("SELECT count(*) FROM article_platforms").fetchone()[0] > 0
    hits = {r[0] for r in conn.execute("SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?",
                                       ('"品牌" "自播"',))}
    assert ids["a2"] in hits
    titles = {r[0] for r in conn.execute(
        "SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?", ('title_terms : "扶持"',))}
    with_word = {r[0] for r in conn.execute("SELECT id FROM articles WHERE title LIKE '%扶持%'")}
    assert ids["a1"] in titles and titles == with_word


def test_articles_can_be_edited_and_deleted_in_the_copy(copied):
    """No trigger is left writing to a table the copy dropped (the search change log, the LSH
    keys): an analyst trimming or correcting the copy gets no 'no such table'."""
    _store, ids, _planted, copy = copied
    conn = sqlite3.connect(copy.path, isolation_level=None)
    conn.execute("UPDATE articles SET title = '改过 标题', title_terms = '改过 标题', status = 'published'"
                 " WHERE id = ?", (ids["a1"],))
    conn.execute("DELETE FROM tags WHERE article_id = ?", (ids["a2"],))
    conn.execute("DELETE FROM articles WHERE id = ?", (ids["a2"],))
    assert conn.execute("SELECT count(*) FROM articles WHERE id = ?", (ids["a2"],)).fetchone()[0] == 0
    titles = {r[0] for r in conn.execute("SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?",
                                         ('title_terms : "改过"',))}
    assert ids["a1"] in titles  # the full-text triggers stay


def test_every_table_is_classified(tmp_path):
    """A new table must be put in CORPUS_TABLES, PRIVATE_TABLES, INTERNAL_TABLES or KEPT_EMPTY."""
    store = Store.open(f"sqlite:///{tmp_path / 's.sqlite'}")
    try:
        with store.engine.connect() as conn:
            names = {r[0] for r in conn.execute(text(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'articles%fts%'"
                " AND name NOT IN ('alembic_version', 'sqlite_stat1')"))}
    finally:
        store.close()
    classified = set(CORPUS_TABLES) | set(PRIVATE_TABLES) | set(INTERNAL_TABLES) | set(KEPT_EMPTY)
    assert names - classified == set(), "classify these tables in daihuo/analysis/analyst_db.py"
    assert classified - names == set()


def test_cli_refuses_an_existing_file_and_writes_a_new_one(tmp_home, tmp_path):
    from daihuo.cli.main import main

    runner = CliRunner()
    existing = tmp_path / "taken.db"
    existing.write_bytes(b"keep me")
    res = runner.invoke(main, ["analyst-db", str(existing)])
    assert res.exit_code == 1 and "already exists" in res.output and existing.read_bytes() == b"keep me"
    res = runner.invoke(main, ["analyst-db", str(tmp_path / "no-such-dir" / "a.db")])
    assert res.exit_code == 1 and "does not exist" in res.output
    res = runner.invoke(main, ["analyst-db", str(tmp_path / "fresh.db")])
    assert res.exit_code == 0, res.output
    assert "0 articles" in res.output and (tmp_path / "fresh.db").exists()
    assert not list(tmp_path.glob(".fresh.db.partial*"))


def test_the_copy_refuses_an_in_memory_store(tmp_path):
    store = Store.open("sqlite://")
    try:
        with pytest.raises(AnalystCopyError, match="in-memory"):
            write_analyst_db(store.engine, tmp_path / "x.db")
    finally:
        store.close()


# -- Datasette --------------------------------------------------------------------------------
@pytest.fixture
def sqlite_copy(tmp_path):
    pytest.importorskip("datasette", reason="Datasette is optional: pip install -e '.[datasette]'")
    from test_search_corpus import load

    store = Store.open(f"sqlite:///{tmp_path / 'store.sqlite'}")
    ids = load(store)
    copy = write_analyst_db(store.engine, tmp_path / "corpus.db")
    yield ids, copy.path, store
    store.close()


def _daihuo_search(store: Store, query: str) -> set[int]:
    req = SearchRequest(query=query, collapse=False, per_page=1000, facets=False, snippets=False)
    return {h.id for h in search(store.engine, req, query_terms).hits}


def _datasette(path):  # noqa: ANN001, ANN202
    pytest.importorskip("datasette", reason="Datasette is optional: pip install -e '.[datasette]'")
    from datasette.app import Datasette
    from datasette.plugins import pm

    import daihuo.analysis.datasette_search as plugin

    if not pm.is_registered(plugin) and "daihuo" not in {n for n, _ in pm.list_name_plugin()}:
        pm.register(plugin, name="daihuo")  # installed without the entry point (not `pip install -e`)
    return Datasette([str(path)])


def _get(ds, url: str):  # noqa: ANN001, ANN202
    import asyncio

    return asyncio.run(ds.client.get(url))


def test_datasette_search_box_finds_chinese_queries(sqlite_copy):
    ids, path, store = sqlite_copy
    ds = _datasette(path)
    page = _get(ds, "/corpus/articles")
    assert page.status_code == 200 and 'name="_search"' in page.text  # the box is shown
    found = _get(ds, "/corpus/articles.json?_search=品牌自播&_shape=array&_col=title")
    assert found.status_code == 200, found.text
    assert [r["id"] for r in found.json()] == [ids["a2"]]
    # the query language of `daihuo search` (OR, exclusions, phrases), segmented like the
    # index: the same articles as daihuo's own search of the store
    for query in ("扶持计划 OR 品牌自播", "主播 -抖音", '"商家扶持"', "直播带货"):
        got = _get(ds, f"/corpus/articles.json?_search={quote(query)}&_shape=array&_col=title&_size=max")
        want = _daihuo_search(store, query)
        assert want and {r["id"] for r in got.json()} == want, query
    overview = _get(ds, "/corpus/article_overview.json?_search=临沂产业带&_shape=array")
    assert overview.status_code == 200 and [r["id"] for r in overview.json()] == [ids["a4"]]
    # nothing searchable: no hits, not an error
    empty = _get(ds, "/corpus/articles.json?_search=%22%22&_shape=array")
    assert empty.status_code == 200 and empty.json() == []


def test_datasette_leaves_other_databases_alone(tmp_path):
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE articles (id INTEGER PRIMARY KEY, title TEXT)")
    conn.execute("INSERT INTO articles VALUES (1, 'hello')")
    conn.commit()
    conn.close()
    ds = _datasette(other)
    page = _get(ds, "/other/articles")
    assert page.status_code == 200 and 'name="_search"' not in page.text
