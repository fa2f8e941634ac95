"""Login, sessions, roles and CSRF for every non-public route.

Sessions are server-side (daihuo.web.accounts): the cookie holds a random token, HttpOnly and
SameSite=Lax. State-changing requests must carry the session's CSRF token (form field
``csrf_token`` or header ``X-CSRF-Token``). Roles: analyst < editor < admin.
"""

from __future__ import annotations

import math
import os

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from pydantic import BaseModel

from daihuo.web import accounts as users
from daihuo.web.login_limits import LoginLimiter

COOKIE = "daihuo_session"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def secure_cookies(request: Request) -> bool:
    """``Secure`` cookies over https, or always with DAIHUO_SECURE_COOKIES=1 (behind a TLS
    proxy the app itself sees http)."""
    return os.environ.get("DAIHUO_SECURE_COOKIES", "") in ("1", "true", "yes") \
        or request.url.scheme == "https"


def same_origin(request: Request) -> bool:
    """False when the request says it comes from another site (Origin, else Referer); a
    request with neither (curl, scripts) is not a browser's cross-site form."""
    from urllib.parse import urlsplit

    claimed = request.headers.get("origin") or request.headers.get("referer")
    if not claimed:
        return True
    if claimed == "null":
        return False
    parts = urlsplit(claimed)
    return parts.netloc.lower() == (request.headers.get("host") or request.url.netloc).lower()


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
    """Check credentials (failures back off per name and per client address, see
    login_limits) and set the session cookie."""
    if not same_origin(request):
        raise HTTPException(status_code=403, detail="登录请求来自其他网站,已拒绝 (cross-site login refused)")
    limiter = getattr(request.app.state, "login_limiter", None)
    if limiter is None:
        limiter = request.app.state.login_limiter = LoginLimiter()
    key, addr = users.limit_key(name), request.client.host if request.client else "-"
    wait = limiter.retry_after(key, addr)
    if wait > 0:
        raise HTTPException(status_code=429, detail=f"登录失败次数过多,请 {math.ceil(wait)} 秒后再试",
                            headers={"Retry-After": str(math.ceil(wait))})
    user = users.authenticate(request.app.state.engine, name, password)
    if user is None:
        limiter.failed(key, addr)
        raise HTTPException(status_code=401, detail="用户名或密码错误 (wrong name or password)")
    limiter.succeeded(key, addr)
    session = users.start_session(request.app.state.engine, user)
    response.set_cookie(COOKIE, session.token, httponly=True, samesite="lax",
                        secure=secure_cookies(request),
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
