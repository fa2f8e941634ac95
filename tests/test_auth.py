"""Users, sessions, roles and CSRF (storage and web)."""

import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

from daihuo.web.accounts import (
    UserError,
    authenticate,
    check_password,
    create_user,
    hash_password,
    session_user,
    set_disabled,
    start_session,
)
from daihuo.web.auth import require
from daihuo.web.auth import router as auth_router
from storage.db import make_engine, migrate


@pytest.fixture
def engine(tmp_path):
    eng = make_engine(f"sqlite:///{tmp_path / 'u.sqlite'}")
    migrate(eng)
    yield eng
    eng.dispose()


def test_passwords_are_salted_scrypt():
    a, b = hash_password("correct horse"), hash_password("correct horse")
    assert a != b and a.startswith("scrypt$") and "correct" not in a
    assert check_password("correct horse", a) and not check_password("wrong horse", a)
    assert not check_password("x", "garbage")


def test_users_and_sessions(engine):
    with pytest.raises(UserError, match="at least"):
        create_user(engine, "ed", "short", "editor")
    with pytest.raises(UserError, match="role"):
        create_user(engine, "ed", "long enough pw", "root")
    ed = create_user(engine, "ed", "long enough pw", "editor")
    with pytest.raises(UserError, match="exists"):
        create_user(engine, "ed", "long enough pw", "editor")
    assert authenticate(engine, "ed", "wrong password!") is None
    assert authenticate(engine, "ed", "long enough pw") == ed
    s = start_session(engine, ed)
    assert session_user(engine, s.token) == (ed, s.csrf_token)
    assert session_user(engine, "forged") is None
    set_disabled(engine, "ed", True)
    assert session_user(engine, s.token) is None and authenticate(engine, "ed", "long enough pw") is None


@pytest.fixture
def client(engine):
    app = FastAPI()
    app.state.engine = engine
    app.include_router(auth_router)

    @app.get("/editor-only")
    def editor_only(user=Depends(require("editor"))):  # noqa: B008
        return {"name": user.name}

    @app.post("/editor-action")
    def editor_action(user=Depends(require("editor"))):  # noqa: B008
        return {"ok": True}

    create_user(engine, "ana", "analyst password", "analyst")
    create_user(engine, "ed", "editor password", "editor")
    with TestClient(app) as c:
        yield c


def test_roles_and_csrf(client):
    assert client.get("/editor-only").status_code == 401
    r = client.post("/api/auth/login", json={"name": "ana", "password": "analyst password"})
    assert r.status_code == 200
    assert client.get("/editor-only").status_code == 403  # an analyst is not an editor
    client.post("/api/auth/logout")
    csrf = client.post("/api/auth/login", json={"name": "ed", "password": "editor password"}).json()["csrf_token"]
    assert client.get("/editor-only").json() == {"name": "ed"}
    assert client.post("/editor-action").status_code == 403  # no CSRF token
    assert client.post("/editor-action", headers={"X-CSRF-Token": "nope"}).status_code == 403
    assert client.post("/editor-action", headers={"X-CSRF-Token": csrf}).json() == {"ok": True}
    cookie = client.cookies.get("daihuo_session")
    # an opaque random id (server-side session), not the user's name or role: a 2-letter
    # name can occur in random text by chance (~1%), so check for longer giveaways
    assert cookie and len(cookie) >= 32 and "editor" not in cookie and "role" not in cookie


def test_failed_logins_are_limited(client):
    for _ in range(5):
        assert client.post("/api/auth/login", json={"name": "ed", "password": "guess guess"}).status_code == 401
    assert client.post("/api/auth/login", json={"name": "ed", "password": "editor password"}).status_code == 429
