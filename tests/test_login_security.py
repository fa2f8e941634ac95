"""Login: one normalised name before the limiter and the lookup, back-off per name and per
client address (never a lock anyone can set), the same work for unknown, disabled and
wrong-password logins, login CSRF, scrypt at N=2^17 with re-hash on the next login."""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from daihuo.web import accounts as users
from daihuo.web.app import create_app
from daihuo.web.login_limits import LoginLimiter
from storage.models import User

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def app(tmp_path, monkeypatch):
    monkeypatch.setenv("DAIHUO_HOME", str(tmp_path / "home"))
    app = create_app(f"sqlite:///{tmp_path / 'store.sqlite'}")
    users.create_user(app.state.engine, "tuser05", "tuser05 password", "editor")
    users.create_user(app.state.engine, "gone", "gone password!", "analyst")
    users.set_disabled(app.state.engine, "gone", True)
    return app


def api_login(client: TestClient, name: str, password: str, **headers: str) -> int:
    return client.post("/api/auth/login", json={"name": name, "password": password}, headers=headers).status_code


def test_name_variants_share_the_limit(app):
    with TestClient(app) as c:
        for _ in range(5):
            assert api_login(c, "tuser05", "guess guess") == 401
        for variant in ("tuser05", " tuser05", "\u3000tuser05", "tuser05\t", "ｔｕｓｅｒ０５", "TUser05"):
            r = c.post("/api/auth/login", json={"name": variant, "password": "tuser05 password"})
            assert r.status_code == 429, variant
            assert int(r.headers["Retry-After"]) >= 1
    # the variants are one name for the lookup too
    assert users.authenticate(app.state.engine, "\u3000ｔｕｓｅｒ０５ ", "tuser05 password").name == "tuser05"


def test_back_off_doubles_and_nobody_can_lock_a_user_out():
    lim, t = LoginLimiter(), 1000.0
    lim.succeeded("ed", "10.0.0.7")  # ed's usual address
    for _ in range(5):
        assert lim.retry_after("ed", "203.0.113.9", t) == 0
        lim.failed("ed", "203.0.113.9", t)
    pauses = []
    for _ in range(4):  # each failure after the free ones doubles the pause
        wait = lim.retry_after("ed", "203.0.113.9", t)
        pauses.append(wait)
        t += wait
        lim.failed("ed", "203.0.113.9", t)
    assert pauses == [1.0, 2.0, 4.0, 8.0]
    # a guesser spread over many addresses meets the name-wide pause (capped at 60 s) ...
    for i in range(40):
        lim.failed("ed", f"198.51.100.{i}", t)
    assert 0 < lim.retry_after("ed", "192.0.2.1", t) <= 60
    # ... which never applies where ed has logged in before, nor does a stranger's counter
    assert lim.retry_after("ed", "10.0.0.7", t) == 0
    assert lim.retry_after("ed", "192.0.2.1", t + 61) == 0  # a pause, not a lock


def test_client_address_is_limited_across_names(app):
    with TestClient(app, client=("198.51.100.5", 4000)) as c:
        for i in range(30):
            assert api_login(c, f"nobody{i}", "guess guess") == 401
        assert api_login(c, "tuser05", "tuser05 password") == 429
    with TestClient(app, client=("198.51.100.6", 4000)) as c:  # another address is not
        assert api_login(c, "tuser05", "tuser05 password") == 200
    lim = LoginLimiter()  # a name known at a busy shared address keeps logging in there
    lim.succeeded("ed", "10.9.9.9")
    for i in range(40):
        lim.failed(f"nobody{i}", "10.9.9.9", 100.0)
    assert lim.retry_after("ed", "10.9.9.9", 100.0) == 0 and lim.retry_after("ana", "10.9.9.9", 100.0) > 0


def test_unknown_disabled_and_wrong_password_take_the_same_time(app):
    engine = app.state.engine
    users.authenticate(engine, "warm-up", "x")  # the dummy hash is made once, beforehand
    cases = {"unknown": ("no-such-user", "some password"), "disabled": ("gone", "gone password!"),
             "wrong": ("tuser05", "wrong password")}
    times: dict[str, list[float]] = {k: [] for k in cases}
    for _ in range(50):  # interleaved, so a busy machine slows every case alike
        for kind, (name, pw) in cases.items():
            t0 = time.perf_counter()
            assert users.authenticate(engine, name, pw) is None
            times[kind].append(time.perf_counter() - t0)
    med = {k: statistics.median(v) for k, v in times.items()}
    assert max(med.values()) <= 1.2 * min(med.values()), med


def test_login_csrf_is_refused(app):
    with TestClient(app) as c:
        # a cross-site page posting the console's login form has no login token ...
        r = c.post("/console/login", data={"name": "tuser05", "password": "tuser05 password", "next": "/console/"})
        assert r.status_code == 403 and "daihuo_session" not in c.cookies
        # ... nor may a foreign Origin log a browser in through the API
        assert api_login(c, "tuser05", "tuser05 password", origin="https://evil.example") == 403
        assert api_login(c, "tuser05", "tuser05 password", origin="null") == 403
        assert "daihuo_session" not in c.cookies
        # our own form (token from the page, cookie from the same visit) works
        token = re.search(r'name="login_token" value="([^"]+)"', c.get("/console/login").text).group(1)
        r = c.post("/console/login", data={"name": "tuser05", "password": "tuser05 password", "next": "/console/",
                                           "login_token": token}, headers={"origin": "http://testserver"},
                   follow_redirects=False)
        assert r.status_code == 303 and "daihuo_session" in c.cookies


def test_old_hashes_are_upgraded_at_the_next_login(app):
    engine = app.state.engine
    old = users.hash_password("tuser05 password", n=2**12)
    with engine.begin() as conn:
        conn.execute(User.__table__.update().where(User.name == "tuser05").values(password_hash=old))
    assert users.needs_rehash(old)
    assert users.authenticate(engine, "tuser05", "wrong password") is None
    with engine.connect() as conn:
        assert conn.execute(select(User.password_hash).where(User.name == "tuser05")).scalar() == old
    assert users.authenticate(engine, "tuser05", "tuser05 password") is not None
    with engine.connect() as conn:
        new = conn.execute(select(User.password_hash).where(User.name == "tuser05")).scalar()
    assert new != old and not users.needs_rehash(new) and users.check_password("tuser05 password", new)


def test_default_cost_is_owasp_scrypt():
    env = {k: v for k, v in os.environ.items() if k != "DAIHUO_INSECURE_TEST_SCRYPT_N"}
    code = ("from daihuo.web import accounts as users; h = users.hash_password('long enough pw'); "
            "print(h.split('$')[1:4], users.check_password('long enough pw', h))")
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=REPO, capture_output=True,
                         text=True, timeout=120, check=True).stdout.strip()
    assert out == "['131072', '8', '1'] True"


def test_secure_cookie_setting(app, monkeypatch):
    monkeypatch.setenv("DAIHUO_SECURE_COOKIES", "1")
    with TestClient(app) as c:
        r = c.post("/api/auth/login", json={"name": "tuser05", "password": "tuser05 password"})
        assert r.status_code == 200 and "secure" in r.headers["set-cookie"].lower()
    monkeypatch.delenv("DAIHUO_SECURE_COOKIES")
    with TestClient(app) as c:
        r = c.post("/api/auth/login", json={"name": "tuser05", "password": "tuser05 password"})
        assert "secure" not in r.headers["set-cookie"].lower()  # plain http, no setting
