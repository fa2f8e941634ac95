"""Every route of the app is covered by a role test.

The routes are enumerated from the app itself, so a route someone adds later is checked too:
each one must be public on purpose (the public site, login, the API schema) or depend on
``auth.require(role)``; anonymous requests must be refused (401, or the login page for
console pages), users below the role must get 403, and state-changing requests without the
session's CSRF token must get 403 even from a user with the role.
"""

import inspect
import re

import pytest
from consolesite import add_users, login
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient

from daihuo.web.accounts import ROLES
from daihuo.web.app import create_app

USERS = {"analyst": "ana", "editor": "ed", "admin": "adm"}

#: routes that are public on purpose (besides the public site's own router)
PUBLIC = {
    ("GET", "/openapi.json"), ("GET", "/api/docs"), ("GET", "/docs/oauth2-redirect"),
    ("GET", "/api/docs/oauth2-redirect"),
    ("POST", "/api/auth/login"), ("POST", "/api/auth/logout"),
    ("GET", "/console/login"), ("POST", "/console/login"), ("GET", "/console/static/{name}"),
    ("GET", "/console/runs/live.js"),  # the run view's script: a static file, no data
}
PUBLIC_MODULES = ("daihuo.web.site.",)  # the public site: pages, feeds, sitemap


def required_role(route_context) -> str | None:
    """The highest role among the route's ``require(role)`` dependencies (None: none)."""
    found: list[str] = []

    def walk(dependant) -> None:  # noqa: ANN001
        for sub in dependant.dependencies:
            call = sub.call
            if call is not None and getattr(call, "__qualname__", "").startswith("require.<locals>"):
                found.append(inspect.getclosurevars(call).nonlocals["role"])
            walk(sub)

    dependant = getattr(route_context, "dependant", None)
    if dependant is not None:
        walk(dependant)
    return max(found, key=ROLES.index) if found else None


def app_routes(app) -> list[tuple[str, str, str | None, bool]]:
    """(method, path, required role, public?) of every HTTP route of the app."""
    out = []
    for rc in iter_route_contexts(app.routes):
        methods = rc.methods or set()
        endpoint = rc.endpoint
        module = getattr(endpoint, "__module__", "") or ""
        for method in sorted(methods - {"HEAD", "OPTIONS"}):
            public = (method, rc.path) in PUBLIC or module.startswith(PUBLIC_MODULES)
            out.append((method, rc.path, required_role(rc), public))
    return out


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    app = create_app(f"sqlite:///{tmp_path_factory.mktemp('roles') / 'roles.sqlite'}")
    add_users(app.state.engine)
    return app


def test_every_route_is_public_on_purpose_or_needs_a_role(app):
    routes = app_routes(app)
    assert len(routes) > 60
    unprotected = [(m, p) for m, p, role, public in routes if role is None and not public]
    assert unprotected == [], f"routes without auth.require(role): {unprotected}"
    # what the console promises: editors' and admins' pages and API routes need those roles
    need = {(m, p): role for m, p, role, _ in routes}
    assert need[("GET", "/console/sources")] == "editor"
    assert need[("POST", "/api/sources")] == "editor"
    assert need[("GET", "/api/sources")] == "analyst"
    assert need[("GET", "/console/users")] == need[("PUT", "/api/settings")] == "admin"
    assert need[("GET", "/console/search")] == "analyst"


def test_an_unprotected_route_would_be_caught(tmp_path):
    app = create_app(f"sqlite:///{tmp_path / 'leak.sqlite'}")

    @app.get("/api/leak")
    def leak() -> dict:
        return {}

    assert ("GET", "/api/leak", None, False) in app_routes(app)


def test_anonymous_and_underprivileged_are_refused(app):
    clients = {}
    for role, name in USERS.items():
        c = TestClient(app, follow_redirects=False)
        clients[role] = (c, login(c, name))
    anon = TestClient(app, follow_redirects=False)
    checked = 0
    for method, path, role, public in app_routes(app):
        if public or role is None:
            continue
        url = concrete(path)
        r = anon.request(method, url)
        if path.startswith("/console/"):
            assert r.status_code == 303 and r.headers["location"].startswith("/console/login"), (method, path)
        else:
            assert r.status_code == 401, (method, path, r.status_code)
        for lower in ROLES[: ROLES.index(role)]:
            c, csrf = clients[lower]
            r = c.request(method, url, headers={"X-CSRF-Token": csrf})
            assert r.status_code == 403, (method, path, lower, r.status_code)
        c, csrf = clients[role]
        if method == "GET":  # the role itself gets past the door (the id may not exist)
            r = c.get(url)
            assert r.status_code not in (401, 403), (method, path, role, r.status_code)
        else:  # ... but never without the CSRF token
            r = c.request(method, url)
            assert r.status_code == 403 and "CSRF" in r.text, (method, path, r.status_code)
        checked += 1
    assert checked > 40
