"""Where daihuo keeps things, read once from the environment into a :class:`Config`.

``DAIHUO_DATABASE_URL`` selects the store (default: SQLite in ``DAIHUO_HOME``); the data
directory also holds the spool, run logs, the corpus IDF and the editors' lexicon folder.
The composition root (``daihuo.system``) builds one Config per process and passes it on;
the module-level helpers below read the same fields for code that has no Config at hand.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import platformdirs


def _home(env: Mapping[str, str]) -> Path:
    home = env.get("DAIHUO_HOME")
    return Path(home) if home else Path(platformdirs.user_data_dir("daihuo", appauthor=False))


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (mode 0700: it holds the store, spool and logs) if it is missing."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


@dataclass(frozen=True)
class Config:
    """Every place and address one daihuo process uses; built once, never re-read."""

    home: Path
    database_url: str
    lexicon_dir: Path
    idf_path: Path
    spool_dir: Path
    runs_dir: Path
    redis_url: str | None = None
    #: the derived search index (storage.search_index): None/"" beside an SQLite file store,
    #: "off" for the SQL engine only, else a directory (also for PostgreSQL)
    search_index: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> Config:
        env = os.environ if env is None else env
        home = _home(env)
        cfg = cls(
            home=home,
            database_url=env.get("DAIHUO_DATABASE_URL") or f"sqlite:///{home / 'daihuo.sqlite'}",
            lexicon_dir=Path(env["DAIHUO_LEXICON_DIR"]) if env.get("DAIHUO_LEXICON_DIR") else home / "lexicon",
            idf_path=home / "idf.tsv",
            spool_dir=home / "spool",
            runs_dir=home / "runs",
            redis_url=env.get("DAIHUO_REDIS_URL") or None,
            search_index=env.get("DAIHUO_SEARCH_INDEX") or None,
        )
        overrides = {k: v for k, v in overrides.items() if v is not None}
        return replace(cfg, **overrides) if overrides else cfg


def data_dir() -> Path:
    """The data directory: ``DAIHUO_HOME`` or the user's data directory for daihuo."""
    return ensure_private_dir(Config.from_env().home)


def database_url() -> str:
    if not os.environ.get("DAIHUO_DATABASE_URL"):
        data_dir()  # the SQLite file's folder must exist
    return Config.from_env().database_url


def redact(url: str) -> str:
    """The URL with any password hidden, safe to print or log."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # a malformed URL: show only its scheme
        return url.split(":", 1)[0] + ":…"


def idf_path() -> Path:
    """The corpus IDF table that `daihuo reprocess` rebuilds (keywords use it when present)."""
    return Config.from_env().idf_path


def lexicon_dir() -> Path:
    """Editors' lexicon additions (confirmed entities, rejections), merged over the packaged ones."""
    return Config.from_env().lexicon_dir
