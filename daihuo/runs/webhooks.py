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
from storage.timestamps import now_utc

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
                secret: str | None = None) -> WebhookInfo:
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
    return _info(row)


def list_webhooks(engine: Engine) -> list[WebhookInfo]:
    with engine.connect() as conn:
        return [_info(r) for r in conn.execute(select(Webhook).order_by(Webhook.name)).all()]


def remove_webhook(engine: Engine, webhook_id: int) -> bool:
    with engine.begin() as conn:
        return bool(conn.execute(delete(Webhook).where(Webhook.id == webhook_id)).rowcount)


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
        with engine.begin() as conn:
            conn.execute(update(Webhook).where(Webhook.id == hook.id).values(
                last_status=f"{now_utc().isoformat(timespec='seconds')} {result}"))
    return results
