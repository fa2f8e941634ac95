"""The editors' console under /console/: server-rendered pages (Jinja2, autoescaped).

Roles: analyst (dashboard, search, listings, exports, read-only article view), editor
(sources, curation queue, auto-publish rules; schedules and runs live in the scheduler's
pages), admin (users, settings). Every page depends on ``auth.require(role)``, which also
checks the CSRF token of each POST. Crawled text is shown only from extracted blocks,
escaped (daihuo.web.site.markup), under a Content-Security-Policy that allows no inline
script, so crawled markup cannot run even if it slipped through.

Other console pages (the scheduler's) reuse this layout: ``render(request, "x.html", ...)``
with templates extending "base.html", and ``ConsoleRoute`` as their router's route class so
an anonymous visitor is sent to the login page and a forbidden one sees an HTML 403 page.
"""

from __future__ import annotations

import hmac
import re
import secrets
from collections.abc import Callable
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape

from crawlers.registry import DEFAULT_REGISTRY
from daihuo.web import accounts as users
from daihuo.web import auth
from daihuo.web.accounts import ROLES, UserInfo
from daihuo.web.app_state import engine_of as _engine
from daihuo.web.bounds import MAX_ID, IdPath
from daihuo.web.console import messages_zh
from daihuo.web.site.markup import blocks_to_html, display_date, safe_href
from editorial import curation, rules
from editorial import sources as src_store
from editorial.review_queue import (
    QueueFilter,
    new_article_ids,
    queue,
    queue_article,
    story_members,
)
from nlp.charset import normalize_charset
from storage.console_models import TIERS

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
PREFIX = "/console"

#: (path, label, role) of the navigation, in order; pages of other helpers are linked here too
NAV = [
    ("/console/", "仪表盘", "analyst"),
    ("/console/search", "检索", "analyst"),
    ("/console/listings", "账号", "analyst"),
    ("/console/trends", "趋势", "analyst"),
    ("/console/listing-stats", "账号统计", "analyst"),
    ("/console/queue", "审核队列", "editor"),
    ("/console/sources", "来源", "editor"),
    ("/console/schedules", "计划", "editor"),
    ("/console/runs", "运行", "editor"),
    ("/console/rules", "自动发布规则", "editor"),
    ("/console/workers", "抓取节点", "editor"),
    ("/console/webhooks", "通知", "admin"),
    ("/console/users", "用户", "admin"),
    ("/console/settings", "设置", "admin"),
]

# No inline script or style anywhere in the console: crawled text that escaped escaping
# still could not run.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
                               "img-src 'self'; object-src 'none'; base-uri 'none'; "
                               "form-action 'self'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}

_extra_loaders: list = []


def register_templates(directory: Path | str) -> None:
    """Let ``render`` find templates in another directory (another part of the console)."""
    _extra_loaders.append(FileSystemLoader(str(directory)))
    environment.cache_clear()


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(loader=ChoiceLoader([FileSystemLoader(str(TEMPLATES)), *_extra_loaders]),
                      autoescape=select_autoescape(["html"]), auto_reload=False)
    env.filters["cndate"] = lambda dt, with_time=True: display_date(dt, with_time) if dt else ""
    env.filters["blocks"] = blocks_to_html
    env.filters["safe_href"] = safe_href
    env.filters["zh"] = messages_zh.name
    env.filters["zh_error"] = messages_zh.error
    env.filters["zh_delivery"] = messages_zh.delivery
    env.filters["zh_detail"] = messages_zh.detail
    env.filters["zh_skip"] = messages_zh.skip
    env.filters["zh_reason"] = messages_zh.reason
    env.globals["TIERS"] = TIERS
    env.globals["ROLES"] = ROLES
    return env


def nav_for(user: UserInfo | None, path: str) -> list[dict]:
    if user is None:
        return []
    return [{"href": href, "label": label,
             "active": path == href or (href != "/console/" and path.startswith(href))}
            for href, label, role in NAV if user.can(role)]


def render(request: Request, template_name: str, status_code: int = 200, headers: dict | None = None,
           **context) -> HTMLResponse:
    """A console page: ``template_name`` rendered with the user, their CSRF token (for every
    form: ``<input type="hidden" name="csrf_token" value="{{ csrf_token }}">``), the
    navigation and any ``ok``/``err`` message passed in the query string."""
    found = auth.session_of(request)
    user, csrf = (found if found else (None, ""))
    ctx = {"request": request, "user": user, "csrf_token": csrf,
           "nav": nav_for(user, request.url.path), "ok": request.query_params.get("ok"),
           "err": request.query_params.get("err"), "can": (lambda role: bool(user and user.can(role)))}
    ctx.update(context)
    for key in ("err", "error"):  # every error reaches the page in Chinese (messages_zh)
        if isinstance(ctx.get(key), str):
            ctx[key] = messages_zh.error(ctx[key])
    html = environment().get_template(template_name).render(**ctx)
    return HTMLResponse(html, status_code=status_code, headers={**SECURITY_HEADERS, **(headers or {})})


def redirect(url: str, **message: str) -> RedirectResponse:
    """Post/redirect/get, with an ``ok=`` or ``err=`` message for the next page."""
    query = urlencode({k: v for k, v in message.items() if v})
    joiner = "&" if "?" in url else "?"
    return RedirectResponse(url + (joiner + query if query else ""), status_code=303)


def _safe_next(target: str | None) -> str:
    # only back into the console: never an open redirect to another site
    if target and target.startswith("/console/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/console/"


def _invalid(error: dict) -> str:
    """One validation error of a console address as "参数 page 不能小于 1": the parameter and
    what its value must be (pydantic's error type and limits), not only its name."""
    where = str((error.get("loc") or ["?"])[-1])
    ctx = error.get("ctx") or {}
    must = {"greater_than_equal": f"不能小于 {ctx.get('ge')}", "less_than_equal": f"不能大于 {ctx.get('le')}",
            "greater_than": f"须大于 {ctx.get('gt')}", "less_than": f"须小于 {ctx.get('lt')}",
            "int_parsing": "须是整数", "int_from_float": "须是整数", "float_parsing": "须是数字",
            "bool_parsing": "须是 true 或 false", "string_too_long": f"最多 {ctx.get('max_length')} 个字符",
            "literal_error": f"只能是 {ctx.get('expected', '').replace(' or ', '、')}",
            "missing": "不能为空", "extra_forbidden": "是多余的参数"}.get(str(error.get("type")))
    return f"参数 {where} {must}" if must else f"参数 {where} 的值无效"


class ConsoleRoute(APIRoute):
    """Console pages answer in HTML: not logged in → the login page; wrong role or a bad
    CSRF token → a 403 page. Every answer carries the security headers."""

    def get_route_handler(self) -> Callable:
        handler = super().get_route_handler()

        async def console_handler(request: Request) -> Response:
            try:
                response = await handler(request)
            except HTTPException as exc:
                if exc.status_code == 401:
                    back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                    target = back if request.method == "GET" else "/console/"
                    return RedirectResponse(f"/console/login?next={quote(target)}", status_code=303,
                                            headers=SECURITY_HEADERS)
                if exc.status_code == 403:
                    return render(request, "forbidden.html", status_code=403,
                                  detail=messages_zh.error(exc.detail))
                if 400 <= exc.status_code < 500:  # a Chinese page, never a JSON body
                    return render(request, "error.html", status_code=exc.status_code,
                                  detail=messages_zh.error(exc.detail or "") or "页面不存在")
                raise
            except RequestValidationError as exc:
                fields = ";".join(_invalid(e) for e in exc.errors())
                return render(request, "error.html", status_code=422,
                              detail=f"请求参数有误:{fields}。请检查地址或表单后重试。")
            for key, value in SECURITY_HEADERS.items():
                response.headers.setdefault(key, value)
            return response

        return console_handler


router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)
analyst = Depends(auth.require("analyst"))
editor = Depends(auth.require("editor"))
admin = Depends(auth.require("admin"))


# -- static ----------------------------------------------------------------------------------
@router.get("/static/{name}")
def static(name: str) -> Response:
    """The console's CSS and JS files (public: the login page needs them)."""
    types = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}
    path = STATIC / name
    # a plain file name in the static directory, nothing else (no "..", no other types)
    if not re.fullmatch(r"[a-z0-9_-]+\.(css|js)", name) or not path.is_file():
        raise HTTPException(status_code=404)
    return Response(path.read_bytes(), media_type=types[path.suffix],
                    headers={"Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff"})


# -- login -----------------------------------------------------------------------------------
LOGIN_CSRF = "daihuo_login_csrf"  # login CSRF: a pre-session token, cookie + form field


def _login_form(request: Request, status_code: int = 200, **context) -> Response:
    token = secrets.token_urlsafe(24)
    response = render(request, "login.html", status_code=status_code, login_token=token, **context)
    response.set_cookie(LOGIN_CSRF, token, httponly=True, samesite="strict", path="/console/login",
                        secure=auth.secure_cookies(request), max_age=3600)
    return response


@router.get("/login")
def login_page(request: Request, next: str | None = None) -> Response:  # noqa: A002
    if auth.current_user(request) is not None:
        return redirect(_safe_next(next))
    return _login_form(request, next=_safe_next(next), error=None)


@router.post("/login")
def login_submit(request: Request, name: str = Form(""), password: str = Form(""),
                 next: str = Form("/console/"), login_token: str = Form("")) -> Response:  # noqa: A002
    target = _safe_next(next)
    cookie = request.cookies.get(LOGIN_CSRF, "")
    if not cookie or not login_token or not hmac.compare_digest(cookie, login_token):
        # another site's form (it can neither read nor send our SameSite=Strict cookie)
        return _login_form(request, status_code=403, next=target, name=name,
                           error="登录表单已过期或来自其他网站,请重新登录")
    response = RedirectResponse(target, status_code=303)
    try:
        auth.login(request, response, name, password)
    except HTTPException as exc:
        return _login_form(request, status_code=exc.status_code, next=target, error=exc.detail, name=name)
    response.delete_cookie(LOGIN_CSRF, path="/console/login")
    return response


@router.post("/logout")
def logout_submit(request: Request, user: UserInfo = analyst) -> Response:
    response = RedirectResponse("/console/login", status_code=303)
    auth.logout(request, response)
    return response


# -- dashboard, search, listings (analyst) ---------------------------------------------------
@router.get("/")
def dashboard(request: Request, user: UserInfo = analyst) -> Response:
    from sqlalchemy import select

    from storage.models import Article, CurationEvent

    engine = _engine(request)
    with engine.connect() as conn:
        events = conn.execute(select(CurationEvent.action, CurationEvent.actor, CurationEvent.reason,
                                     CurationEvent.at, CurationEvent.article_id, Article.title)
                              .outerjoin(Article, Article.id == CurationEvent.article_id)
                              .order_by(CurationEvent.id.desc()).limit(12)).mappings().all()
    all_sources = src_store.list_sources(engine)
    from daihuo.web.console.dashboard_health import health

    spooled = request.app.state.system.spool().pending()
    return render(request, "dashboard.html", health=health(engine, spooled_batches=spooled), events=events,
                  sources_total=len(all_sources), sources_enabled=sum(s.enabled for s in all_sources),
                  rules_total=len(rules.list_rules(engine)),
                  audit=src_store.recent_audit(engine, 10) if user.can("editor") else [])


# the analyst search page and its export live in daihuo.web.console.analyst


@router.get("/listings")
def listings_page(request: Request, platform: str = "", status: str = "", user: UserInfo = analyst) -> Response:
    from storage.listing_queries import query_listings

    named, err = listing_platform(_engine(request), platform)
    if status and status not in messages_zh.NAMES["listing_status"]:
        err = f"状态只能是 {messages_zh._choices('active, removed', 'listing_status')}"
    rows = [] if err else query_listings(_engine(request), platform=named, status=status or None,
                                         limit=200)
    return render(request, "listings.html", status_code=400 if err else 200, rows=rows, platform=platform,
                  status=status, err=err)


@router.get("/articles/{article_id}")
def article_page(request: Request, article_id: IdPath, user: UserInfo = analyst) -> Response:
    item = queue_article(_engine(request), article_id)
    if item is None:
        raise HTTPException(status_code=404, detail="没有这篇文章")
    return render(request, "article.html", item=item)


# -- sources (editor) ------------------------------------------------------------------------
def _lines(text: str | None) -> list[str] | None:
    if text is None:
        return None
    return [ln.strip() for ln in text.splitlines() if ln.strip()]


def filter_problem(engine, **values: str | None) -> str | None:  # noqa: ANN001
    """A Chinese message for the first filter value of a list page that names nothing known
    (a typo would otherwise show an empty list that looks like an answer), else None.
    ``platform``/``topic``/``source`` are checked like the search page's, ``tier`` against
    TIERS, ``listing_platform`` against the platforms the listings hold."""
    from editorial.filter_values import UnknownFilterValue, resolve_filters

    named = {k: v for k, v in values.items() if k in ("platform", "topic", "source") and v and v.strip()}
    try:
        resolve_filters(engine, **named)
    except UnknownFilterValue as exc:
        return exc.message_zh()
    tier = (values.get("tier") or "").strip()
    if tier and tier not in TIERS:
        return f"级别只能是 {'、'.join(TIERS)},不能是“{tier}”"
    return listing_platform(engine, values.get("listing_platform"))[1]


def listing_platform(engine, value: str | None) -> tuple[str | None, str | None]:  # noqa: ANN001
    """(the listings' own name for platform ``value``, or a message naming the platforms the
    listings hold). Aliases resolve like the search's (kuaishou, 快手 → 快手)."""
    from sqlalchemy import select

    from editorial.filter_values import UnknownFilterValue, resolve
    from storage.models import Listing

    plat = (value or "").strip()
    if not plat:
        return None, None
    with engine.connect() as conn:
        known = sorted(p for p in conn.execute(select(Listing.platform).distinct()).scalars() if p)
    if plat in known:
        return plat, None
    try:
        canonical = resolve(engine, "platform", plat)
    except UnknownFilterValue:
        canonical = None
    if canonical in known:
        return canonical, None
    return None, (f"账号里没有平台“{plat}”;现有平台:{'、'.join(known)}" if known
                  else f"账号里没有平台“{plat}”:还没有抓到任何账号")


NOTE_MAX, CONDITION_MAX = 2000, 1000  # as the forms' maxlength says


def source_form_data(form: dict) -> dict:
    """Registry fields from the source form (text areas hold one value a line)."""
    data: dict = {}
    for key in ("name", "kind", "charset", "region", "selector"):
        value = (form.get(key) or "").strip()
        if value:
            data[key] = value
        elif key in form and key not in ("name", "kind"):
            data[key] = None  # cleared
    for key in ("start_urls", "follow", "articles", "allowed_domains"):
        if key in form:
            data[key] = _lines(form.get(key))
    for key, cast in (("delay", float), ("concurrency", int), ("removed_after", int)):
        value = (form.get(key) or "").strip()
        if value:
            try:
                data[key] = cast(value)
            except ValueError:
                kind = "a number" if cast is float else "a whole number"
                raise src_store.SourceError(f"field '{key}': not {kind}: {value!r}") from None
    if len(form.get("note") or "") > NOTE_MAX:
        raise src_store.SourceError(f"field 'note': at most {NOTE_MAX} characters, not {len(form['note'])}")
    # A charset hint the decoder does not know is ignored at every fetch without a word; the
    # form refuses it (stored sources and TOML files are not re-judged: their runs go on).
    if data.get("charset") and normalize_charset(data["charset"]) is None:
        raise src_store.SourceError(f"field 'charset': unknown charset {data['charset']!r} (e.g. gb18030, utf-8, big5)")
    for key in ("autothrottle", "enabled"):
        if f"has_{key}" in form:  # checkboxes send nothing when off
            data[key] = form.get(key) == "on"
    return data


@router.get("/sources")
def sources_page(request: Request, user: UserInfo = editor) -> Response:
    engine = _engine(request)
    return render(request, "sources.html", sources=src_store.list_sources(engine),
                  allowed=[str(n) for n in src_store.allowed_networks(engine)])


@router.get("/sources/new")
def source_new(request: Request, user: UserInfo = editor) -> Response:
    return render(request, "source_form.html", source=None, form={"kind": "news", "delay": "2",
                                                                  "concurrency": "1", "tier": "B"},
                  error=None)


@router.post("/sources")
async def source_create(request: Request, user: UserInfo = editor) -> Response:
    form = dict(await request.form())
    try:
        data = source_form_data(form)
        created = src_store.add_source(_engine(request), data, user.name, tier=form.get("tier") or "B",
                                       note=form.get("note"))
    except src_store.SourceError as exc:
        return render(request, "source_form.html", status_code=400, source=None, form=form, error=str(exc))
    return redirect(f"/console/sources/{created.name}", ok=f"已添加来源 {created.name}")


def _form_of(view: src_store.SourceView) -> dict:
    cfg = view.config
    return {"name": view.name, "kind": view.kind, "tier": view.tier, "note": view.note or "",
            "start_urls": "\n".join(cfg.get("start_urls") or []),
            "follow": "\n".join(cfg.get("follow") or []), "articles": "\n".join(cfg.get("articles") or []),
            "allowed_domains": "\n".join(cfg.get("allowed_domains") or []),
            "delay": cfg.get("delay", 2.0), "concurrency": cfg.get("concurrency", 1),
            "charset": cfg.get("charset") or "", "region": cfg.get("region") or "",
            "selector": cfg.get("selector") or "", "enabled": view.enabled,
            "autothrottle": cfg.get("autothrottle", True)}


@router.get("/sources/{name}")
def source_edit(request: Request, name: str, user: UserInfo = editor) -> Response:
    try:
        view = src_store.get_source(_engine(request), name)
    except src_store.SourceError:
        raise HTTPException(status_code=404, detail="没有这个来源") from None
    return render(request, "source_form.html", source=view, form=_form_of(view), error=None)


@router.post("/sources/{name}")
async def source_update(request: Request, name: str, user: UserInfo = editor) -> Response:
    form = dict(await request.form())
    engine = _engine(request)
    try:
        data = source_form_data(form)
        data.pop("name", None)
        view = src_store.update_source(engine, name, data, user.name, tier=form.get("tier") or None,
                                       note=form.get("note"))
    except src_store.SourceError as exc:
        try:
            view = src_store.get_source(engine, name)
        except src_store.SourceError:
            raise HTTPException(status_code=404, detail="没有这个来源") from None
        return render(request, "source_form.html", status_code=400, source=view,
                      form={**form, "name": name}, error=str(exc))
    return redirect(f"/console/sources/{view.name}", ok="已保存")


@router.post("/sources/{name}/enable")
@router.post("/sources/{name}/disable")
def source_toggle(request: Request, name: str, user: UserInfo = editor) -> Response:
    on = request.url.path.endswith("/enable")
    try:
        src_store.set_enabled(_engine(request), name, on, user.name)
    except src_store.SourceError as exc:
        return redirect("/console/sources", err=str(exc))
    return redirect("/console/sources", ok=f"{name} 已{'启用' if on else '停用'}")


@router.post("/sources-import")
def sources_import(request: Request, user: UserInfo = editor) -> Response:
    try:
        res = src_store.import_registry(_engine(request), DEFAULT_REGISTRY, actor=user.name)
    except src_store.SourceError as exc:
        return redirect("/console/sources", err=str(exc))
    return redirect("/console/sources", ok=f"导入:新增 {len(res.added)},更新 {len(res.updated)},"
                                           f"未变 {len(res.unchanged)}")


@router.post("/sources/{name}/test")
def source_test(request: Request, name: str, url: str = Form(""), user: UserInfo = editor) -> Response:
    """Fetch one page of the source and show what the pipeline makes of it."""
    from daihuo.web.console.extraction import test_extraction

    engine = _engine(request)
    try:
        view = src_store.get_source(engine, name)
    except src_store.SourceError:
        raise HTTPException(status_code=404, detail="没有这个来源") from None
    target = url.strip() or view.start_url
    outcome = test_extraction(target, src_store.allowed_networks(engine), source=view.name,
                              config=view.config)
    return render(request, "source_test.html", source=view, outcome=outcome, target=target)


# -- curation queue (editor) -----------------------------------------------------------------
@router.get("/queue")
def queue_page(request: Request, status: str = "new", source: str = "", tier: str = "",
               platform: str = "", topic: str = "", flag: str = "", q: str = "", order: str = "newest",
               page: int = Query(1, ge=1, le=10000), user: UserInfo = editor) -> Response:
    order = order if order in ("newest", "oldest") else "newest"
    f = QueueFilter(status=status or None, source=source or None, tier=tier or None,
                    platform=platform or None, topic=topic or None, flag=flag or None, q=q or None,
                    order=order, page=page, per_page=30)
    problem = filter_problem(_engine(request), platform=platform, topic=topic, source=source, tier=tier)
    if problem:
        raise HTTPException(status_code=400, detail=problem + "。请修改筛选条件后重试。")
    try:
        result = queue(_engine(request), f)
    except ValueError as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from None
    args = {"status": status, "source": source, "tier": tier, "platform": platform, "topic": topic,
            "flag": flag, "q": q, "order": order}
    hint = None
    if flag and not result.total:  # flags have no fixed list: a typo would look like "none left"
        hint = (f"没有带 {flag} 标记的文章。标记是文章“抽取标记”里冒号前的名称(例如 meta_line、ad_contact),"
                "请检查拼写")
    return render(request, "queue.html", result=result, args=args, statuses=curation.STATUSES,
                  **({"err": hint} if hint else {}),
                  reason_required=reject_reason_required(_engine(request)),
                  sources=[s.name for s in src_store.list_sources(_engine(request))],
                  back="/console/queue?" + urlencode({**args, "page": page}))


def _parse_when(text: str | None) -> datetime | None:
    if not text or not text.strip():
        return None
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise curation.CurationError(f"not a date and time: {text!r}") from None
    if when.tzinfo is None:  # the form's datetime-local is China time
        from daihuo.web.site.markup import CHINA_TZ

        when = when.replace(tzinfo=CHINA_TZ)
    return when


REJECT_REASON_SETTING = "require_reject_reason"
REASON_MAX = 500


def reject_reason_required(engine) -> bool:  # noqa: ANN001
    """The admins' setting: a rejection must say why (off by default)."""
    return bool(src_store.get_setting(engine, REJECT_REASON_SETTING, False))


def apply_decision(engine, article_ids: list[int], action: str, actor: str,  # noqa: ANN001
                   reason: str | None = None, publish_at: datetime | None = None) -> int:
    """One editor decision on articles (the queue's buttons, bulk actions and the API)."""
    reason = (reason or "").strip() or None
    if reason and len(reason) > REASON_MAX:  # the forms' maxlength, for every caller
        raise curation.CurationError(f"a reason is at most {REASON_MAX} characters, not {len(reason)}")
    if action == "reject" and not reason and reject_reason_required(engine):
        raise curation.CurationError("a rejection needs a reason")
    if action == "approve":
        if len(article_ids) == 1:
            curation.approve(engine, article_ids[0], actor, reason, publish_at)
            return 1
        return curation.approve_many(engine, article_ids, actor, reason, publish_at)
    if action in ("reject", "feature", "unfeature"):
        func = {"reject": curation.reject, "feature": curation.feature,
                "unfeature": curation.unfeature}[action]
        for i in article_ids:
            func(engine, i, actor, reason)
        return len(article_ids)
    if action == "unpublish":
        if not reason:
            raise curation.CurationError("a takedown needs a reason")
        for i in article_ids:
            curation.unpublish(engine, i, actor=actor, reason=reason)
        return len(article_ids)
    raise curation.CurationError(f"unknown action {action!r}")


@router.post("/queue/bulk")
async def queue_bulk(request: Request, user: UserInfo = editor) -> Response:
    form = await request.form()
    back = _safe_next(form.get("back")) if form.get("back") else "/console/queue"
    try:
        ids = _article_ids(form.getlist("ids"))
        if not ids:
            return redirect(back, err="没有选中文章")
        if form.get("whole_story") == "on":
            ids = story_members(_engine(request), ids)
        n = apply_decision(_engine(request), ids, str(form.get("action", "")), user.name,
                           str(form.get("reason") or ""), _parse_when(form.get("publish_at")))
    except (ValueError, curation.CurationError) as exc:
        return redirect(back, err=str(exc))
    return redirect(back, ok=f"{messages_zh.name(form.get('action'), 'action')}:{n} 篇")


def _article_ids(values: list) -> list[int]:
    """The ticked article ids of a bulk form; a tampered value is a message, not a 500
    (an id past the id column would overflow the database driver)."""
    ids = []
    for value in values:
        text = str(value).strip()
        if not text:
            continue
        if not text.isdigit() or not 1 <= int(text) <= MAX_ID:
            raise curation.CurationError(f"选中的文章编号“{text[:40]}”无效,请刷新审核队列后重新勾选")
        ids.append(int(text))
    return ids


def _check_condition(condition: str) -> None:
    if len(condition) > CONDITION_MAX:
        raise rules.RuleError(f"条件有 {len(condition)} 个字,最多 {CONDITION_MAX} 个字,请拆成几条规则")


def _position(text: str) -> int | None:
    """A rule's position typed in the form: empty (last) or a whole number the column holds."""
    text = (text or "").strip()
    if not text:
        return None
    if not re.fullmatch(r"-?\d{1,9}", text):
        raise rules.RuleError(f"位置“{text[:40]}”不是有效的整数:请填写 1 到 999999999 之间的整数,或留空放在最后")
    return int(text)


@router.post("/articles/{article_id}/decide")
async def article_decide(request: Request, article_id: IdPath, user: UserInfo = editor) -> Response:
    form = await request.form()
    back = _safe_next(form.get("back")) if form.get("back") else f"/console/articles/{article_id}"
    try:
        apply_decision(_engine(request), [article_id], str(form.get("action", "")), user.name,
                       str(form.get("reason") or ""), _parse_when(form.get("publish_at")))
    except curation.CurationError as exc:
        return redirect(back, err=str(exc))
    return redirect(back, ok=f"#{article_id} 已{messages_zh.name(form.get('action'), 'action')}")


TITLE_MAX, SUMMARY_MAX = 300, 2000  # as the article page's form says


@router.post("/articles/{article_id}/edit")
def article_edit(request: Request, article_id: IdPath, title: str = Form(""), summary: str = Form(""),
                 user: UserInfo = editor) -> Response:
    # the form's maxlength, enforced here too (a script or an old page is not held by it)
    for label, value, cap in (("标题", title, TITLE_MAX), ("摘要", summary, SUMMARY_MAX)):
        if len(value.strip()) > cap:
            return redirect(f"/console/articles/{article_id}",
                            err=f"{label}有 {len(value.strip())} 个字,最多 {cap} 个字,请缩短后再保存")
    try:
        curation.edit(_engine(request), article_id, user.name, title=title or None, summary=summary or None)
    except curation.CurationError as exc:
        return redirect(f"/console/articles/{article_id}", err=str(exc))
    return redirect(f"/console/articles/{article_id}", ok="已保存标题和摘要")


# -- auto-publish rules (editor) -------------------------------------------------------------
@router.get("/rules")
def rules_page(request: Request, user: UserInfo = editor) -> Response:
    return render(request, "rules.html", rules=rules.list_rules(_engine(request)),
                  actions=rules.ACTIONS, preview=None, form={})


@router.post("/rules")
def rule_create(request: Request, name: str = Form(""), condition: str = Form(""),
                action: str = Form("approve"), position: str = Form(""),
                user: UserInfo = editor) -> Response:
    try:
        _check_condition(condition)
        rules.add_rule(_engine(request), name.strip(), condition, action, user.name,
                       position=_position(position))
    except (rules.RuleError, ValueError) as exc:
        return render(request, "rules.html", status_code=400, rules=rules.list_rules(_engine(request)),
                      actions=rules.ACTIONS, preview=None, error=str(exc),
                      form={"name": name, "condition": condition, "action": action, "position": position})
    return redirect("/console/rules", ok=f"已添加规则 {name.strip()}")


@router.post("/rules/{name}")
def rule_update(request: Request, name: str, op: str = Form(...), condition: str = Form(""),
                action: str = Form(""), position: str = Form(""), user: UserInfo = editor) -> Response:
    engine = _engine(request)
    try:
        _check_condition(condition)
        if op == "delete":
            rules.remove_rule(engine, name, user.name)
        elif op in ("up", "down"):
            _move_rule(engine, name, -1 if op == "up" else 1, user.name)
        elif op in ("enable", "disable"):
            rules.update_rule(engine, name, user.name, enabled=op == "enable")
        else:
            rules.update_rule(engine, name, user.name, condition=condition or None, action=action or None,
                              position=_position(position))
    except (rules.RuleError, ValueError) as exc:
        if op == "edit":  # the row keeps the condition the editor typed
            return render(request, "rules.html", status_code=400, rules=rules.list_rules(engine),
                          actions=rules.ACTIONS, preview=None, error=f"规则 {name}:{messages_zh.error(exc)}",
                          form={"edit": name, "condition": condition})
        return redirect("/console/rules", err=str(exc))
    done = {"delete": "已删除", "enable": "已启用", "disable": "已停用", "up": "已上移",
            "down": "已下移"}.get(op, "已保存")
    return redirect("/console/rules", ok=f"规则 {name} {done}")


def _move_rule(engine, name: str, step: int, actor: str) -> None:  # noqa: ANN001
    """Swap a rule with its neighbour (the order rules are tried in); positions are renumbered
    10, 20, ... first, so equal positions still move."""
    order = [r.name for r in rules.list_rules(engine)]
    if name not in order:
        raise rules.RuleError(f"no rule {name!r}")
    i = order.index(name)
    j = i + step
    if not 0 <= j < len(order):
        return
    order[i], order[j] = order[j], order[i]
    current = {r.name: r.position for r in rules.list_rules(engine)}
    for k, rule_name in enumerate(order):
        if current[rule_name] != (k + 1) * 10:
            rules.update_rule(engine, rule_name, actor, position=(k + 1) * 10)


@router.post("/rules-run")
def rules_run(request: Request, apply: str = Form("preview"), user: UserInfo = editor) -> Response:
    """Preview (or apply) the rules on the articles waiting in the queue."""
    engine = _engine(request)
    decisions = rules.evaluate_new_articles(engine, new_article_ids(engine), apply=apply == "apply")
    if apply == "apply":
        return redirect("/console/rules", ok=f"规则已处理 {len(decisions)} 篇")
    return render(request, "rules.html", rules=rules.list_rules(engine), actions=rules.ACTIONS,
                  preview=decisions, form={})


# -- users and settings (admin) --------------------------------------------------------------
@router.get("/users")
def users_page(request: Request, user: UserInfo = admin) -> Response:
    return render(request, "users.html", users=users.list_users(_engine(request)))


@router.post("/users")
def user_create(request: Request, name: str = Form(""), role: str = Form("analyst"),
                password: str = Form(""), user: UserInfo = admin) -> Response:
    try:
        users.create_user(_engine(request), name, password, role)
    except users.UserError as exc:
        return redirect("/console/users", err=str(exc))
    _audit(request, user, "user_add", name, {"role": role})
    return redirect("/console/users", ok=f"已创建{messages_zh.name(role, 'role')} {name}")


@router.post("/users/{name}")
def user_update(request: Request, name: str, role: str = Form(""), op: str = Form("role"),
                user: UserInfo = admin) -> Response:
    engine = _engine(request)
    try:
        if name == user.name and (op == "disable" or (op == "role" and role != "admin")):
            raise users.UserError("you cannot demote or disable yourself (ask another admin)")
        if op == "role":
            users.set_role(engine, name, role)
        elif op in ("disable", "enable"):
            users.set_disabled(engine, name, op == "disable")
        else:
            raise users.UserError(f"unknown operation {op!r}")
    except users.UserError as exc:
        return redirect("/console/users", err=str(exc))
    _audit(request, user, f"user_{op}", name, {"role": role} if op == "role" else {})
    done = {"role": f"角色改为{messages_zh.name(role, 'role')}", "disable": "已停用", "enable": "已启用"}
    return redirect("/console/users", ok=f"用户 {name} {done.get(op, '已保存')}")


def _audit(request: Request, user: UserInfo, action: str, target: str, detail: dict) -> None:
    with _engine(request).begin() as conn:
        src_store.audit(conn, user.name, action, target, detail)


@router.get("/settings")
def settings_page(request: Request, user: UserInfo = admin) -> Response:
    engine = _engine(request)
    return render(request, "settings.html", allowed="\n".join(str(n) for n in src_store.allowed_networks(engine)),
                  reason_required=reject_reason_required(engine),
                  audit=src_store.recent_audit(engine, 30))


@router.post("/settings")
def settings_save(request: Request, allowed_networks: str = Form(""), require_reject_reason: str = Form(""),
                  has_reject_reason: str = Form(""), user: UserInfo = admin) -> Response:
    engine = _engine(request)
    try:
        nets = src_store.set_allowed_networks(engine, _lines(allowed_networks) or [], user.name)
    except src_store.SourceError as exc:
        return redirect("/console/settings", err=str(exc))
    wanted = require_reject_reason == "on"
    if has_reject_reason and wanted != reject_reason_required(engine):
        src_store.set_setting(engine, REJECT_REASON_SETTING, wanted, user.name)
    return redirect("/console/settings", ok="已保存:" + (", ".join(map(str, nets)) or "不允许内网地址"))


def install_not_found_page(app) -> None:  # noqa: ANN001
    """A path under /console/ that no route answers gets the console's Chinese 404 page (405
    for a form's address opened with GET), not the API's JSON body; a public-site address that is unknown or malformed (/articles/abc/,
    /search/?page=0) gets the site's Chinese page. /api/ keeps FastAPI's JSON answers."""
    from fastapi.exception_handlers import (
        http_exception_handler,
        request_validation_exception_handler,
    )
    from starlette.exceptions import HTTPException as StarletteHTTPException

    from daihuo.web.site.router import error_page

    def public(path: str) -> bool:  # the site's pages: not the JSON API, its docs or schema
        return not path.startswith(("/api/", "/openapi.json", PREFIX + "/")) and path not in ("/api", PREFIX)

    async def not_found(request: Request, exc: StarletteHTTPException) -> Response:
        if request.url.path.startswith(PREFIX + "/") and exc.status_code == 404:
            return render(request, "error.html", status_code=404, detail="页面不存在")
        if request.url.path.startswith(PREFIX + "/") and exc.status_code == 405:
            # the address of a form's answer, opened again from the address bar or a bookmark
            return render(request, "error.html", status_code=405, headers=dict(exc.headers or {}),
                          detail="这个地址只接受表单提交,不能直接打开;请回到上一页重新提交表单")
        if public(request.url.path) and exc.status_code == 404 and request.method in ("GET", "HEAD"):
            return error_page(request, 404)  # the site's Chinese page, not {"detail": "Not Found"}
        return await http_exception_handler(request, exc)

    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        if public(request.url.path) and request.method in ("GET", "HEAD"):
            locs = [e.get("loc", ()) for e in exc.errors()]
            return error_page(request, 422, str(locs[0][-1]) if locs and locs[0] else None)
        return await request_validation_exception_handler(request, exc)

    app.add_exception_handler(StarletteHTTPException, not_found)
    app.add_exception_handler(RequestValidationError, bad_request)
