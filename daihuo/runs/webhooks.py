"""Webhooks: tell people when a run fails or fails its quality checks.

Four formats: generic JSON (the event as is), and the group-robot formats of WeCom
(企业微信), DingTalk (钉钉) and Feishu (飞书), each a markdown or text message. DingTalk and
Feishu robots may require a signature ("加签"); give the robot's secret and it is added.
Managed by admins (the URL is a place daihuo will POST to).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from sqlalchemy import Engine, delete, insert, select, update

from storage.schedule_models import Webhook
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
        if conn.execute(select(Webhook.id).where(Webhook.name == name)).first():
            raise WebhookError(f"webhook {name!r} exists already")
        conn.execute(insert(Webhook).values(name=name, url=url.strip(), kind=kind, secret=secret or None,
                                            enabled=True, created_at=now_utc()))
        row = conn.execute(select(Webhook).where(Webhook.name == name)).first()
        _audit(conn, actor, "webhook_add", name, {"kind": kind, "url": masked_url(url.strip()),
                                                   "secret": bool(secret)})
    return _info(row)


def list_webhooks(engine: Engine) -> list[WebhookInfo]:
    with engine.connect() as conn:
        return [_info(r) for r in conn.execute(select(Webhook).order_by(Webhook.name)).all()]


def remove_webhook(engine: Engine, webhook_id: int, actor: str | None = None) -> bool:
    with engine.begin() as conn:
        name = conn.execute(select(Webhook.name).where(Webhook.id == webhook_id)).scalar()
        gone = bool(conn.execute(delete(Webhook).where(Webhook.id == webhook_id)).rowcount)
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
        row = conn.execute(select(Webhook).where(Webhook.name == text)).first()
        digits = text.lstrip("#")
        if row is None and digits.isdigit():
            row = conn.execute(select(Webhook).where(Webhook.id == int(digits))).first()
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
        if name is not None and conn.execute(select(Webhook.id).where(
                Webhook.name == name, Webhook.id != webhook_id)).first():
            raise WebhookError(f"webhook {name!r} exists already")
        if values and not conn.execute(update(Webhook).where(Webhook.id == webhook_id)
                                       .values(**values)).rowcount:
            raise WebhookError(f"no webhook #{webhook_id}")
        row = conn.execute(select(Webhook).where(Webhook.id == webhook_id)).first()
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
    from storage.webhook_delivery_models import WebhookDelivery

    run_id = event.get("run_id")
    with engine.begin() as conn:
        conn.execute(insert(WebhookDelivery).values(
            webhook_id=webhook_id, at=now_utc(), event=str(event.get("event") or "event")[:40],
            run_id=run_id if isinstance(run_id, int) and run_id > 0 else None,
            ok=result == "ok", result=result))
        conn.execute(update(Webhook).where(Webhook.id == webhook_id).values(
            last_status=f"{now_utc().isoformat(timespec='seconds')} {result}"))


def deliveries(engine: Engine, webhook_id: int | None = None, limit: int = 50) -> list[dict]:
    """The latest deliveries (of one webhook, or of all), newest first."""
    from storage.webhook_delivery_models import WebhookDelivery

    d = WebhookDelivery
    q = (select(d.id, d.webhook_id, Webhook.name, d.at, d.event, d.run_id, d.ok, d.result)
         .join(Webhook, Webhook.id == d.webhook_id).order_by(d.id.desc()).limit(limit))
    if webhook_id is not None:
        q = q.where(d.webhook_id == webhook_id)
    with engine.connect() as conn:
        rows = conn.execute(q).all()
    return [{"id": r.id, "webhook_id": r.webhook_id, "webhook": r.name, "at": from_db(r.at),
             "event": r.event, "run_id": r.run_id, "ok": bool(r.ok), "result": r.result} for r in rows]


def send_test(engine: Engine, webhook_id: int) -> str:
    """Send a test message to one webhook (enabled or not) and record the delivery."""
    with engine.connect() as conn:
        row = conn.execute(select(Webhook).where(Webhook.id == webhook_id)).first()
    if row is None:
        raise WebhookError(f"no webhook #{webhook_id}")
    event = {"event": "test", "run_id": 0, "source": "daihuo", "status": "test",
             "checks": [{"name": "test", "ok": False, "detail": "a test message from daihuo"}]}
    result = send(row.kind, row.url, event, row.secret)
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


def send(kind: str, url: str, event: dict, secret: str | None = None, timeout: float = TIMEOUT) -> str:
    """POST one event; returns "ok" or what went wrong (never raises)."""
    target, body = build_request(kind, url, event, secret)
    data = json.dumps(body, ensure_ascii=False, default=str).encode("utf-8")
    req = urllib.request.Request(target, data=data, method="POST",
                                 headers={"Content-Type": "application/json; charset=utf-8",
                                          "User-Agent": "daihuo-webhook/0.1"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 - http(s) only, checked on add
            answer = resp.read(65536)
    except urllib.error.HTTPError as exc:
        return f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError) as exc:
        return f"unreachable: {getattr(exc, 'reason', exc)}"
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
    with engine.connect() as conn:
        hooks = conn.execute(select(Webhook).where(Webhook.enabled.is_(True))).all()
    results = {}
    for hook in hooks:
        result = send(hook.kind, hook.url, event, hook.secret)
        results[hook.name] = result
        if result != "ok":
            log.warning("webhook %s: %s", hook.name, result)
        record_delivery(engine, hook.id, event, result)
    return results
