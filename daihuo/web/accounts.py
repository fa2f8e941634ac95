"""Users, password hashing and sessions (storage side; the web layer reads cookies).

Passwords are hashed with scrypt (hashlib, memory-hard) and a random salt; sessions are
random tokens of which only the SHA-256 is stored, with an expiry and a CSRF token each.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, insert, select, update

from storage.models import Session, User
from storage.timestamps import from_db, now_utc, to_utc

ROLES = ("analyst", "editor", "admin")  # each role can do what the ones before it can
SESSION_TTL = timedelta(hours=12)
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}
MIN_PASSWORD = 10


class UserError(ValueError):
    """A user operation that cannot be done (the message says why)."""


@dataclass(frozen=True)
class UserInfo:
    id: int
    name: str
    role: str
    disabled: bool = False

    def can(self, role: str) -> bool:
        """True when this user's role is ``role`` or above."""
        return not self.disabled and ROLES.index(self.role) >= ROLES.index(role)


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, dklen=32, **_SCRYPT)
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        got = hashlib.scrypt(password.encode("utf-8"), salt=bytes.fromhex(salt), dklen=32,
                             n=int(n), r=int(r), p=int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got.hex(), digest)


def create_user(engine: Engine, name: str, password: str, role: str) -> UserInfo:
    name = name.strip()
    if not name or len(name) > 100:
        raise UserError("a user name is 1 to 100 characters")
    if role not in ROLES:
        raise UserError(f"role must be one of {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD:
        raise UserError(f"a password has at least {MIN_PASSWORD} characters")
    with engine.begin() as conn:
        if conn.execute(select(User.id).where(User.name == name)).first():
            raise UserError(f"user {name!r} exists already")
        uid = conn.execute(insert(User).values(name=name, password_hash=hash_password(password),
                                               role=role, disabled=False, created_at=now_utc())
                           ).inserted_primary_key[0]
    return UserInfo(uid, name, role)


def list_users(engine: Engine) -> list[UserInfo]:
    with engine.connect() as conn:
        rows = conn.execute(select(User.id, User.name, User.role, User.disabled).order_by(User.name)).all()
    return [UserInfo(r.id, r.name, r.role, r.disabled) for r in rows]


def set_role(engine: Engine, name: str, role: str) -> None:
    if role not in ROLES:
        raise UserError(f"role must be one of {', '.join(ROLES)}")
    with engine.begin() as conn:
        if not conn.execute(update(User).where(User.name == name).values(role=role)).rowcount:
            raise UserError(f"no user {name!r}")


def set_disabled(engine: Engine, name: str, disabled: bool) -> None:
    with engine.begin() as conn:
        res = conn.execute(update(User).where(User.name == name).values(disabled=disabled))
        if not res.rowcount:
            raise UserError(f"no user {name!r}")
        if disabled:  # a disabled user is logged out everywhere
            uid = conn.execute(select(User.id).where(User.name == name)).scalar_one()
            conn.execute(delete(Session).where(Session.user_id == uid))


def authenticate(engine: Engine, name: str, password: str) -> UserInfo | None:
    """The user when name and password match and the user is enabled, else None."""
    with engine.connect() as conn:
        row = conn.execute(select(User).where(User.name == name.strip())).first()
    if row is None:
        check_password(password, hash_password("timing"))  # same work either way
        return None
    if row.disabled or not check_password(password, row.password_hash):
        return None
    return UserInfo(row.id, row.name, row.role, row.disabled)


@dataclass(frozen=True)
class SessionInfo:
    token: str  # the cookie value (only its hash is stored)
    csrf_token: str
    expires_at: datetime


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def start_session(engine: Engine, user: UserInfo, ttl: timedelta = SESSION_TTL) -> SessionInfo:
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    now = now_utc()
    with engine.begin() as conn:
        conn.execute(delete(Session).where(Session.expires_at < now))  # tidy as we go
        conn.execute(insert(Session).values(token_hash=_token_hash(token), user_id=user.id,
                                            csrf_token=csrf, created_at=now, expires_at=now + ttl))
    return SessionInfo(token, csrf, now + ttl)


def session_user(engine: Engine, token: str | None) -> tuple[UserInfo, str] | None:
    """(user, csrf token) for a live session cookie, else None."""
    if not token or len(token) > 200:
        return None
    with engine.connect() as conn:
        row = conn.execute(select(User.id, User.name, User.role, User.disabled, Session.csrf_token,
                                  Session.expires_at)
                           .join(Session, Session.user_id == User.id)
                           .where(Session.token_hash == _token_hash(token))).first()
    if row is None or row.disabled or from_db(row.expires_at) < now_utc():
        return None
    return UserInfo(row.id, row.name, row.role, row.disabled), row.csrf_token


def end_session(engine: Engine, token: str | None) -> None:
    if token:
        with engine.begin() as conn:
            conn.execute(delete(Session).where(Session.token_hash == _token_hash(token)))


__all__ = ["ROLES", "UserError", "UserInfo", "authenticate", "create_user", "end_session",
           "list_users", "session_user", "set_disabled", "set_role", "start_session", "to_utc"]
