"""Login, sessions, roles and CSRF for every non-public route.

Sessions are server-side (daihuo.web.accounts): the cookie holds a random token, HttpOnly and
SameSite=Lax. State-changing requests must carry the session's CSRF token (form field
``csrf_token`` or header ``X-CSRF-Token``). Roles: analyst < editor < admin.
"""

from __future__ import annotations

import time
from collections import defaultdict, deque

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from pydantic import BaseModel

from daihuo.web import accounts as users

COOKIE = "daihuo_session"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
MAX_FAILURES, FAILURE_WINDOW = 5, 300.0  # failed logins per name, per window (seconds)


def session_of(request: Request) -> tuple[users.UserInfo, str] | None:
    """(user, csrf token) of the request's session, cached on the request."""
    if not hasattr(request.state, "daihuo_session"):
        request.state.daihuo_session = users.session_user(request.app.state.engine,
                                                          request.cookies.get(COOKIE))
    return request.state.daihuo_session


def current_user(request: Request) -> users.UserInfo | None:
    found = session_of(request)
    return found[0] if found else None


async def check_csrf(request: Request) -> None:
    """Refuse a state-changing request without the session's CSRF token."""
    if request.method in SAFE_METHODS:
        return
    found = session_of(request)
    if found is None:
        return  # no session: the role check answers 401
    sent = request.headers.get("x-csrf-token")
    if sent is None and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        sent = (await request.form()).get("csrf_token")
    import hmac

    if not sent or not hmac.compare_digest(str(sent), found[1]):
        raise HTTPException(status_code=403, detail="missing or wrong CSRF token")


def require(role: str):  # noqa: ANN201
    """A dependency: the request's user has ``role`` or above (401 if not logged in)."""
    if role not in users.ROLES:
        raise ValueError(role)

    async def dependency(request: Request) -> users.UserInfo:
        user = current_user(request)
        if user is None:
            raise HTTPException(status_code=401, detail="log in first",
                                headers={"WWW-Authenticate": "Cookie"})
        if not user.can(role):
            raise HTTPException(status_code=403, detail=f"needs the {role} role")
        await check_csrf(request)
        return user

    return dependency


def login(request: Request, response: Response, name: str, password: str) -> users.SessionInfo:
    """Check credentials (with a per-name failure limit) and set the session cookie."""
    now = time.monotonic()
    failures = getattr(request.app.state, "login_failures", None)
    if failures is None:  # per app: name -> times of recent failed logins
        failures = request.app.state.login_failures = defaultdict(deque)
    recent = failures[name]
    while recent and now - recent[0] > FAILURE_WINDOW:
        recent.popleft()
    if len(recent) >= MAX_FAILURES:
        raise HTTPException(status_code=429, detail="too many failed logins; try again later")
    user = users.authenticate(request.app.state.engine, name, password)
    if user is None:
        recent.append(now)
        raise HTTPException(status_code=401, detail="wrong name or password")
    recent.clear()
    session = users.start_session(request.app.state.engine, user)
    response.set_cookie(COOKIE, session.token, httponly=True, samesite="lax",
                        secure=request.url.scheme == "https",
                        max_age=int(users.SESSION_TTL.total_seconds()), path="/")
    return session


def logout(request: Request, response: Response) -> None:
    users.end_session(request.app.state.engine, request.cookies.get(COOKIE))
    response.delete_cookie(COOKIE, path="/")


class Credentials(BaseModel):
    name: str
    password: str


router = APIRouter(prefix="/api/auth", tags=["auth"])


@router.post("/login", summary="Log in; sets the session cookie and returns the CSRF token")
def api_login(request: Request, response: Response, creds: Credentials) -> dict:
    session = login(request, response, creds.name, creds.password)
    user = users.session_user(request.app.state.engine, session.token)[0]
    return {"name": user.name, "role": user.role, "csrf_token": session.csrf_token}


@router.post("/logout", summary="End the session")
def api_logout(request: Request, response: Response) -> dict:
    logout(request, response)
    return {"ok": True}


@router.get("/me", summary="Who is logged in")
def api_me(user: users.UserInfo = Depends(require("analyst"))) -> dict:  # noqa: B008
    return {"name": user.name, "role": user.role}
