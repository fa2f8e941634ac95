"""Shared fixtures: temporary stores (SQLite always; PostgreSQL when reachable, required
under CI=true), and the path of the read-only ../shared data (skipped when absent)."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
PG_URL = os.environ.get("DAIHUO_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() == "true"
# The crawl tests serve their sites on 127.0.0.1: the operator's allow-list of the network
# guard (editorial/network_policy.py) lets exactly that address through, child processes included.
# 127.0.0.2 stays internal: the SSRF tests' canary listens there.
os.environ["DAIHUO_ALLOWED_NETWORKS"] = "127.0.0.1/32"
# scrypt at the default N=2^17 takes ~0.3 s and 128 MiB a hash: the suite uses 2^14 (the
# test-only setting daihuo/web/accounts.py names as such); tests of the default set their own.
os.environ.setdefault("DAIHUO_INSECURE_TEST_SCRYPT_N", str(2**14))


def shared_path(*parts: str) -> Path:
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent (../shared is only beside the project's own checkout)")
    return path


@pytest.fixture
def shared():
    return shared_path


@pytest.fixture
def tmp_home(tmp_path, monkeypatch):
    """An isolated DAIHUO_HOME so nothing touches the user's data directory."""
    home = tmp_path / "home"
    monkeypatch.setenv("DAIHUO_HOME", str(home))
    monkeypatch.delenv("DAIHUO_DATABASE_URL", raising=False)
    return home


def _pg_available() -> str | None:
    try:
        import psycopg

        with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=test", connect_timeout=3):
            return None
    except Exception as exc:  # noqa: BLE001
        return f"{type(exc).__name__}: {exc}".splitlines()[0]


def _pg_schema_url():  # noqa: ANN202
    """A fresh PostgreSQL schema (a generator: the URL selecting it via search_path, then
    dropped)."""
    why = _pg_available()
    if why:
        if IN_CI:
            pytest.fail(f"PostgreSQL on 127.0.0.1:5432 is required under CI=true: {why}")
        pytest.skip(f"PostgreSQL on 127.0.0.1:5432 unreachable: {why}")
    import psycopg

    schema = f"t_{uuid.uuid4().hex[:12]}"
    dsn = "host=127.0.0.1 port=5432 user=postgres dbname=test"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def pg_url():
    """A fresh PostgreSQL schema for one test; the URL selects it via search_path."""
    yield from _pg_schema_url()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.sqlite'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def module_db_url(request, tmp_path_factory):
    """Like db_url, for one module's tests that only read a store they share (built once)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('store') / 'store.sqlite'}"
        return
    yield from _pg_schema_url()


@pytest.fixture
def corpus(db_url):
    """(store, key -> article id) with the search tests' corpus (test_search_corpus) loaded."""
    from test_search_corpus import load

    from storage.store import Store

    store = Store.open(db_url)
    ids = load(store)
    yield store, ids
    store.close()


@pytest.fixture
def migrated_engine(db_url):
    """An engine on a store migrated to the head revision (both backends, like db_url)."""
    from storage.db import make_engine, migrate

    eng = make_engine(db_url)
    migrate(eng)
    yield eng
    eng.dispose()
