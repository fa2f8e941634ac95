"""Webhooks: tell people when a run fails or fails its quality checks.

Four formats: generic JSON (the event as is), and the group-robot formats of WeCom
(企业微信), DingTalk (钉钉) and Feishu (飞书), each a markdown or text message. DingTalk and
Feishu robots may require a signature ("加签"); give the robot's secret and it is added.
Managed by admins (the URL is a place daihuo will POST to). The POST goes through the network
guard (daihuo/runs/pinned_http.py): internal addresses only inside an allowed network.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass

import httpx
from sqlalchemy import Engine

from daihuo.runs.pinned_http import AddressRefused, PinnedTransport
from editorial.network_policy import IPNetwork, env_allowed_networks
from storage import webhook_records as records
from storage.timestamps import from_db, now_utc

log = logging.getLogger(__name__)
KINDS = ("json", "wecom", "dingtalk", "feishu")
TIMEOUT = 5.0


class WebhookError(ValueError):
    """A webhook that cannot be added (the message says why)."""


@dataclass(frozen=True)
class WebhookInfo:
    id: int
    name: str
    kind: str
    url: str
    enabled: bool
    has_secret: bool
    last_status: str | None

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def _info(r) -> WebhookInfo:  # noqa: ANN001
    return WebhookInfo(r.id, r.name, r.kind, r.url, r.enabled, bool(r.secret), r.last_status)


def add_webhook(engine: Engine, name: str, url: str, kind: str = "json",
                secret: str | None = None, actor: str | None = None) -> WebhookInfo:
    name = name.strip()
    if not name or len(name) > 100:
        raise WebhookError("a webhook name is 1 to 100 characters")
    if kind not in KINDS:
        raise WebhookError(f"kind must be one of {', '.join(KINDS)}")
    parts = urllib.parse.urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise WebhookError("a webhook URL is an http(s) URL")
    with engine.begin() as conn:
        if records.name_taken(conn, name):
            raise WebhookError(f"webhook {name!r} exists already")
        records.insert_webhook(conn, name=name, url=url.strip(), kind=kind, secret=secret or None,
                               enabled=True, created_at=now_utc())
        row = records.webhook_by_name(conn, name)
        _audit(conn, actor, "webhook_add", name, {"kind": kind, "url": masked_url(url.strip()),
                                                   "secret": bool(secret)})
    return _info(row)


def list_webhooks(engine: Engine) -> list[WebhookInfo]:
    return [_info(r) for r in records.webhook_rows(engine)]


def remove_webhook(engine: Engine, webhook_id: int, actor: str | None = None) -> bool:
    with engine.begin() as conn:
        name = records.webhook_name(conn, webhook_id)
        gone = records.delete_webhook_row(conn, webhook_id)
        if gone:
            _audit(conn, actor, "webhook_remove", name or f"#{webhook_id}", {})
    return gone


def _audit(conn, actor: str | None, action: str, target: str, detail: dict) -> None:  # noqa: ANN001
    """Webhook changes join the configuration audit list; a secret is never written there."""
    from editorial.sources import audit

    audit(conn, actor or "system", action, target, detail)


def find_webhook(engine: Engine, ref: str | int) -> WebhookInfo:
    """A webhook by name or by id (``ux-hook``, ``3`` or ``#3``): a name wins over an id when
    a webhook is literally named "3". WebhookError when there is none."""
    text = str(ref).strip()
    with engine.connect() as conn:
        row = records.webhook_by_name(conn, text)
        digits = text.lstrip("#")
        if row is None and digits.isdigit():
            row = records.webhook_by_id(conn, int(digits))
    if row is None:
        raise WebhookError(f"no webhook {text!r} (give its name or id; see `daihuo webhook list`)")
    return _info(row)


def update_webhook(engine: Engine, webhook_id: int, *, name: str | None = None, url: str | None = None,
                   kind: str | None = None, secret: str | None = None, clear_secret: bool = False,
                   enabled: bool | None = None, actor: str | None = None) -> WebhookInfo:
    """Change a webhook; ``secret=None`` keeps the stored secret (it is never shown back), an
    empty ``clear_secret`` removes it."""
    values: dict = {}
    if name is not None:
        name = name.strip()
        if not name or len(name) > 100:
            raise WebhookError("a webhook name is 1 to 100 characters")
        values["name"] = name
    if kind is not None:
        if kind not in KINDS:
            raise WebhookError(f"kind must be one of {', '.join(KINDS)}")
        values["kind"] = kind
    if url is not None:
        parts = urllib.parse.urlsplit(url.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise WebhookError("a webhook URL is an http(s) URL")
        values["url"] = url.strip()
    if secret:
        values["secret"] = secret
    elif clear_secret:
        values["secret"] = None
    if enabled is not None:
        values["enabled"] = enabled
    with engine.begin() as conn:
        if name is not None and records.name_taken(conn, name, other_than=webhook_id):
            raise WebhookError(f"webhook {name!r} exists already")
        if values and not records.update_webhook_row(conn, webhook_id, **values):
            raise WebhookError(f"no webhook #{webhook_id}")
        row = records.webhook_by_id(conn, webhook_id)
        if row is not None and values:
            action = "webhook_edit"
            if set(values) == {"enabled"}:
                action = "webhook_enable" if enabled else "webhook_disable"
            detail = {k: v for k, v in values.items() if k != "secret"}
            if "url" in detail:
                detail["url"] = masked_url(detail["url"])
            if "secret" in values:
                detail["secret"] = "changed" if values["secret"] else "removed"
            _audit(conn, actor, action, row.name, detail)
    if row is None:
        raise WebhookError(f"no webhook #{webhook_id}")
    return _info(row)


def masked_url(url: str) -> str:
    """A robot URL carries its access token in the query (``?key=...``, ``access_token=``) or
    the path (Feishu's ``/hook/<token>``): show the host and the start, hide the rest."""
    parts = urllib.parse.urlsplit(url)
    path = parts.path
    if len(path) > 12:
        path = path[:12] + "…"
    return f"{parts.scheme}://{parts.netloc}{path}{'?…' if parts.query else ''}"


def record_delivery(engine: Engine, webhook_id: int, event: dict, result: str) -> None:
    """Keep what was sent and how it went (the console's delivery history)."""
    run_id = event.get("run_id")
    records.insert_delivery(
        engine, webhook_id, at=now_utc(), event=str(event.get("event") or "event")[:40],
        run_id=run_id if isinstance(run_id, int) and run_id > 0 else None,
        ok=result == "ok", result=result,
        last_status=f"{now_utc().isoformat(timespec='seconds')} {result}")


def deliveries(engine: Engine, webhook_id: int | None = None, limit: int = 50) -> list[dict]:
    """The latest deliveries (of one webhook, or of all), newest first."""
    rows = records.delivery_rows(engine, webhook_id, limit)
    return [{"id": r.id, "webhook_id": r.webhook_id, "webhook": r.name, "at": from_db(r.at),
             "event": r.event, "run_id": r.run_id, "ok": bool(r.ok), "result": r.result} for r in rows]


def send_test(engine: Engine, webhook_id: int) -> str:
    """Send a test message to one webhook (enabled or not) and record the delivery."""
    row = records.webhook_row(engine, webhook_id)
    if row is None:
        raise WebhookError(f"no webhook #{webhook_id}")
    event = {"event": "test", "run_id": 0, "source": "daihuo", "status": "test",
             "checks": [{"name": "test", "ok": False, "detail": "a test message from daihuo"}]}
    result = send(row.kind, row.url, event, row.secret, allowed=allowed_for(engine))
    record_delivery(engine, webhook_id, event, result)
    return result


# -- messages --------------------------------------------------------------------------------
def event_text(event: dict) -> tuple[str, str]:
    """(title, markdown text) of an event, for the robot formats."""
    run, source = event.get("run_id"), event.get("source") or "?"
    if event.get("event") == "quality_failed":
        title = f"daihuo: run #{run} ({source}) failed its quality checks"
    else:
        title = f"daihuo: run #{run} ({source}) {event.get('status', 'failed')}"
    lines = [f"### {title}"]
    for check in event.get("checks", []):
        if not check.get("ok", True):
            lines.append(f"- **{check['name']}**: {check.get('detail', '')}")
    if event.get("error"):
        lines.append(f"- error: {event['error']}")
    if event.get("url"):
        lines.append(f"[open the run]({event['url']})")
    return title, "\n".join(lines)


def _sign_dingtalk(url: str, secret: str, now_ms: int) -> str:
    digest = hmac.new(secret.encode(), f"{now_ms}\n{secret}".encode(), hashlib.sha256).digest()
    sign = urllib.parse.quote_plus(base64.b64encode(digest))
    return f"{url}{'&' if '?' in url else '?'}timestamp={now_ms}&sign={sign}"


def _sign_feishu(secret: str, now_s: int) -> str:
    # Feishu signs with the string "timestamp\nsecret" as the key and an empty message.
    digest = hmac.new(f"{now_s}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def build_request(kind: str, url: str, event: dict, secret: str | None = None,
                  now: float | None = None) -> tuple[str, dict]:
    """(URL, JSON body) of the POST for one webhook format."""
    now = time.time() if now is None else now
    title, text = event_text(event)
    if kind == "json":
        return url, event
    if kind == "wecom":
        return url, {"msgtype": "markdown", "markdown": {"content": text}}
    if kind == "dingtalk":
        body = {"msgtype": "markdown", "markdown": {"title": title, "text": text}}
        return (_sign_dingtalk(url, secret, int(now * 1000)) if secret else url), body
    if kind == "feishu":
        body: dict = {"msg_type": "text", "content": {"text": text.replace("### ", "")}}
        if secret:
            body.update(timestamp=str(int(now)), sign=_sign_feishu(secret, int(now)))
        return url, body
    raise WebhookError(f"unknown webhook kind {kind!r}")


def allowed_for(engine: Engine) -> list[IPNetwork]:
    """Where webhooks may POST: the admin's allowed networks plus the operator's."""
    from editorial.sources import allowed_networks

    return allowed_networks(engine) + env_allowed_networks()


def send(kind: str, url: str, event: dict, secret: str | None = None, timeout: float = TIMEOUT,
         allowed: Iterable[IPNetwork] | None = None) -> str:
    """POST one event; returns "ok" or what went wrong (never raises). ``allowed``: the
    internal networks it may reach (default: the operator's DAIHUO_ALLOWED_NETWORKS)."""
    target, body = build_request(kind, url, event, secret)
    data = json.dumps(body, ensure_ascii=False, default=str).encode("utf-8")
    nets = env_allowed_networks() if allowed is None else list(allowed)
    try:
        with httpx.Client(transport=PinnedTransport(nets), timeout=timeout, follow_redirects=False) as client:
            resp = client.post(target, content=data, headers={
                "Content-Type": "application/json; charset=utf-8", "User-Agent": "daihuo-webhook/0.1"})
            answer = resp.content[:65536]
    except AddressRefused as exc:
        return f"refused by the network guard: {exc}"
    except httpx.HTTPError as exc:
        return f"unreachable: {type(exc).__name__}"
    if resp.status_code >= 300:
        return f"HTTP {resp.status_code}"
    if kind != "json":  # the robots answer 200 with an error code in the body
        try:
            reply = json.loads(answer or b"{}")
        except ValueError:
            return "ok"
        code = reply.get("errcode", reply.get("code", reply.get("StatusCode", 0)))
        if code not in (0, None):
            return f"refused: {reply.get('errmsg') or reply.get('msg') or code}"
    return "ok"


def notify(engine: Engine, event: dict) -> dict[str, str]:
    """Send ``event`` to every enabled webhook; returns {name: result}, recorded per webhook."""
    hooks = records.webhook_rows(engine, enabled_only=True)
    results = {}
    nets = allowed_for(engine)
    for hook in hooks:
        result = send(hook.kind, hook.url, event, hook.secret, allowed=nets)
        results[hook.name] = result
        if result != "ok":
            log.warning("webhook %s: %s", hook.name, result)
        record_delivery(engine, hook.id, event, result)
    return results

