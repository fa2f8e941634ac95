"""Secrets at rest: the data directory is created 0700, the SQLite store (and its WAL), spool
batches and run logs 0600; `daihuo info` warns when they are wider."""

from __future__ import annotations

import os
import stat

from click.testing import CliRunner
from sqlalchemy import text

from storage.config import data_dir, database_url
from storage.db import make_engine, migrate


def mode(path) -> int:  # noqa: ANN001
    return stat.S_IMODE(os.stat(path).st_mode)


def test_new_data_directory_and_files_are_private(tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("DAIHUO_HOME", str(home))
    monkeypatch.delenv("DAIHUO_DATABASE_URL", raising=False)
    old = os.umask(0o022)  # the usual umask would make them 0755 / 0644
    try:
        assert mode(data_dir()) == 0o700
        engine = make_engine(database_url())
        migrate(engine)
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE IF NOT EXISTS t (x INTEGER)"))
            conn.execute(text("INSERT INTO t VALUES (1)"))
        db = home / "daihuo.sqlite"
        assert mode(db) == 0o600 and mode(f"{db}-wal") == 0o600
        engine.dispose()

        from daihuo.runs.lifecycle import log_path_for
        from storage.private_files import open_private
        from storage.spool import Spool

        batch = Spool(home / "spool").put([])
        assert mode(home / "spool") == 0o700 and mode(batch) == 0o600
        log = log_path_for(7)
        with open_private(log, "ab") as fh:
            fh.write(b"page text\n")
        assert mode(home / "runs") == 0o700 and mode(log) == 0o600
    finally:
        os.umask(old)


def test_info_warns_about_wide_permissions(tmp_path, monkeypatch):
    from daihuo.cli.main import main

    home = tmp_path / "home"
    monkeypatch.setenv("DAIHUO_HOME", str(home))
    monkeypatch.delenv("DAIHUO_DATABASE_URL", raising=False)
    r = CliRunner().invoke(main, ["info"])
    assert r.exit_code == 0 and "warning" not in r.output
    os.chmod(home, 0o755)
    os.chmod(home / "daihuo.sqlite", 0o644)
    r = CliRunner().invoke(main, ["info"])
    assert r.exit_code == 0
    assert f"{home} is 755" in r.output and "chmod 700" in r.output
    assert "daihuo.sqlite is 644" in r.output and "chmod 600" in r.output
