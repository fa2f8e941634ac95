"""Where the store lives: ``DAIHUO_DATABASE_URL``, else SQLite in ``DAIHUO_HOME``."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs


def data_dir() -> Path:
    """The data directory: ``DAIHUO_HOME`` or the user's data directory for daihuo."""
    home = os.environ.get("DAIHUO_HOME")
    path = Path(home) if home else Path(platformdirs.user_data_dir("daihuo", appauthor=False))
    path.mkdir(parents=True, exist_ok=True, mode=0o700)  # holds secrets: owner only
    return path


def database_url() -> str:
    url = os.environ.get("DAIHUO_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{data_dir() / 'daihuo.sqlite'}"


def redact(url: str) -> str:
    """The URL with any password hidden, safe to print or log."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # a malformed URL: show only its scheme
        return url.split(":", 1)[0] + ":…"


def idf_path() -> Path:
    """The corpus IDF table that `daihuo reprocess` rebuilds (keywords use it when present)."""
    return data_dir() / "idf.tsv"


def lexicon_dir() -> Path:
    """Editors' lexicon additions (confirmed entities, rejections), merged over the packaged ones."""
    env = os.environ.get("DAIHUO_LEXICON_DIR")
    return Path(env) if env else data_dir() / "lexicon"
