"""Files only their owner reads: the data directory is created 0700, the SQLite store, spool
batches and run logs 0600 (they hold password hashes, session CSRF tokens, webhook secrets
and page text). An existing wider directory or file is left as it is and reported by
``permission_warnings`` (``daihuo info`` prints them), since changing a deployment's modes
behind its back could break a shared setup someone chose."""

from __future__ import annotations

import os
import stat
from pathlib import Path

DIR_MODE, FILE_MODE = 0o700, 0o600


def private_dir(path: Path) -> Path:
    """``path`` (and missing parents) created 0700 if it does not exist."""
    path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    return path


def create_private(path: Path) -> Path:
    """Create ``path`` empty with mode 0600 unless it exists (then it is left alone)."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    except FileExistsError:
        pass
    return path


def open_private(path: Path, mode: str = "w", **kwargs):  # noqa: ANN003, ANN201
    """``open(path, mode)`` where a newly created file is 0600."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if "a" in mode else os.O_TRUNC)
    fd = os.open(path, flags, FILE_MODE)
    return os.fdopen(fd, mode, **kwargs)


def sqlite_file(url: str) -> Path | None:
    """The file of a ``sqlite:///...`` URL (None for memory, ``file:`` URIs or other databases)."""
    if not url.startswith("sqlite"):
        return None
    from sqlalchemy.engine import make_url

    db = make_url(url).database
    return Path(db) if db and db != ":memory:" and not db.startswith("file:") else None


def permission_warnings(data_dir: Path, db_url: str | None = None) -> list[str]:
    """What others than the owner may read: the data directory, the store and its WAL, the
    spool and run logs."""
    out = []
    paths = [data_dir, data_dir / "spool", data_dir / "runs"]
    db = sqlite_file(db_url) if db_url else None
    if db is not None:
        paths += [db.parent, db, Path(f"{db}-wal"), Path(f"{db}-shm")]
    for folder in (data_dir / "spool", data_dir / "runs"):
        if folder.is_dir():
            paths += sorted(folder.iterdir())[:1000]
    for path in dict.fromkeys(paths):
        try:
            mode = stat.S_IMODE(path.stat().st_mode)
        except OSError:
            continue
        if mode & 0o077:
            want = DIR_MODE if path.is_dir() else FILE_MODE
            out.append(f"{path} is {mode:o}: others on this machine can read it "
                       f"(chmod {want:o} {path})")
    return out
