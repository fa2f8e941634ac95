"""Console pages for webhooks (admins: the URL is somewhere daihuo will POST to): add, edit,
test, enable/disable, remove, and the delivery history. A stored signing secret is never
shown back, and a robot URL (its token sits in the query or path) only in part."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, HTTPException, Request, Response

from daihuo.runs import webhooks
from daihuo.web import auth
from daihuo.web.app_state import engine_of as _engine
from daihuo.web.bounds import IdPath
from daihuo.web.console import messages_zh
from daihuo.web.console.pages import ConsoleRoute, redirect, render

router = APIRouter(prefix="/console", route_class=ConsoleRoute, include_in_schema=False)
admin = Depends(auth.require("admin"))


def _list_page(request: Request, *, status_code: int = 200, form: dict | None = None,
               error: str | None = None) -> Response:
    engine = _engine(request)
    return render(request, "webhooks.html", status_code=status_code, hooks=webhooks.list_webhooks(engine),
                  deliveries=webhooks.deliveries(engine, limit=30), kinds=webhooks.KINDS,
                  masked=webhooks.masked_url, form=form or {"kind": "json"}, error=error)


@router.get("/webhooks")
def webhooks_page(request: Request, user=admin) -> Response:  # noqa: ANN001
    return _list_page(request)


@router.post("/webhooks")
def webhook_create(request: Request, name: str = Form(""), url: str = Form(""), kind: str = Form("json"),
                   secret: str = Form(""), user=admin) -> Response:  # noqa: ANN001
    try:
        hook = webhooks.add_webhook(_engine(request), name, url, kind, secret.strip() or None, actor=user.name)
    except webhooks.WebhookError as exc:
        # the secret is not sent back into the page: the admin types it again
        return _list_page(request, status_code=400, error=str(exc),
                          form={"name": name, "url": url, "kind": kind})
    return redirect("/console/webhooks", ok=f"已添加通知 {hook.name}", err=_internal_warning(request, url))


def _internal_warning(request: Request, url: str) -> str | None:
    """A warning when the URL is an internal address the network guard will refuse at every
    delivery (an IP literal or localhost; names are not resolved here): said now, not
    discovered in the delivery history after the first failed run."""
    import ipaddress
    from urllib.parse import urlsplit

    from editorial import sources as src_store
    from editorial.network_policy import env_allowed_networks, in_networks, refusal_reason

    host = (urlsplit(url.strip()).hostname or "").lower()
    try:
        addr = ipaddress.ip_address("127.0.0.1" if host == "localhost" else host)
    except ValueError:
        return None
    allowed = [*src_store.allowed_networks(_engine(request)), *env_allowed_networks()]
    if refusal_reason(addr) is None or in_networks(addr, allowed):
        return None
    return (f"注意:{host} 是内网地址,发送会被网络防护拒绝;如确需发往内网,请在“设置”中允许它所在的网段"
            f"(例如 {addr}/32)")


def _hook(request: Request, webhook_id: IdPath) -> webhooks.WebhookInfo:
    try:
        return webhooks.find_webhook(_engine(request), webhook_id)
    except webhooks.WebhookError:
        raise HTTPException(status_code=404, detail=f"没有通知 #{webhook_id}") from None


def _edit_page(request: Request, hook: webhooks.WebhookInfo, *, status_code: int = 200,
               form: dict | None = None, error: str | None = None) -> Response:
    return render(request, "webhook_edit.html", status_code=status_code, hook=hook, kinds=webhooks.KINDS,
                  masked=webhooks.masked_url,
                  form=form or {"name": hook.name, "url": "", "kind": hook.kind}, error=error,
                  deliveries=webhooks.deliveries(_engine(request), hook.id, limit=50))


@router.get("/webhooks/{webhook_id}")
def webhook_page(request: Request, webhook_id: IdPath, user=admin) -> Response:  # noqa: ANN001
    return _edit_page(request, _hook(request, webhook_id))


@router.post("/webhooks/{webhook_id}")
def webhook_update(request: Request, webhook_id: IdPath, name: str = Form(""), url: str = Form(""),
                   kind: str = Form(""), secret: str = Form(""), clear_secret: str = Form(""),
                   user=admin) -> Response:  # noqa: ANN001
    hook = _hook(request, webhook_id)
    try:  # an empty URL or secret keeps the stored one (neither is shown back in full)
        hook = webhooks.update_webhook(_engine(request), webhook_id, name=name or None, url=url.strip() or None,
                                       kind=kind or None, secret=secret.strip() or None,
                                       clear_secret=clear_secret == "on", actor=user.name)
    except webhooks.WebhookError as exc:
        return _edit_page(request, hook, status_code=400, error=str(exc),
                          form={"name": name, "url": url, "kind": kind})
    return redirect(f"/console/webhooks/{webhook_id}", ok=f"已保存通知 {hook.name}")


@router.post("/webhooks/{webhook_id}/{action}")
def webhook_action(request: Request, webhook_id: IdPath, action: str, user=admin) -> Response:  # noqa: ANN001
    hook = _hook(request, webhook_id)
    engine = _engine(request)
    back = request.headers.get("referer", "")
    back = f"/console/webhooks/{webhook_id}" if f"/console/webhooks/{webhook_id}" in back else "/console/webhooks"
    if action == "test":
        result = webhooks.send_test(engine, webhook_id)
        if result == "ok":
            return redirect(back, ok=f"测试消息已送达 {hook.name}")
        return redirect(back, err=f"测试消息未送达 {hook.name}:{messages_zh.delivery(result)}")
    if action in ("enable", "disable"):
        webhooks.update_webhook(engine, webhook_id, enabled=action == "enable", actor=user.name)
        return redirect(back, ok=f"通知 {hook.name} 已{'启用' if action == 'enable' else '停用'}")
    if action == "delete":
        webhooks.remove_webhook(engine, webhook_id, actor=user.name)
        return redirect("/console/webhooks", ok=f"已删除通知 {hook.name}")
    return redirect(back, err=f"未知操作 {action!r}")
