"""Times in the store: always aware UTC in Python, naive UTC text in SQLite."""

from __future__ import annotations

from datetime import datetime, timezone


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


def to_utc(dt: datetime | None) -> datetime | None:
    """Datetimes are stored in UTC (SQLite keeps no offset); naive means UTC already."""
    if dt is None:
        return None
    if dt.tzinfo is None:
        return dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc)


def db_param(dt: datetime, dialect: str) -> datetime | str:
    """A datetime as a raw-SQL parameter comparable with stored values."""
    dt = to_utc(dt)
    if dialect == "sqlite":  # stored as naive UTC text by SQLAlchemy
        return dt.strftime("%Y-%m-%d %H:%M:%S.%f")
    return dt


def from_db(dt: datetime | str | None) -> datetime | None:
    """A stored datetime back as aware UTC (raw SQL on SQLite returns it as text)."""
    if dt is None:
        return None
    if isinstance(dt, str):
        dt = datetime.fromisoformat(dt)
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)
