"""The SQL of webhooks and of their delivery history.

What a webhook may be, how a message is built and sent, and what counts as delivered stay in
daihuo.runs.webhooks. Functions taking a connection run inside the caller's transaction (a
change and its audit entry commit together); those taking an engine are their own.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, Row, delete, insert, select, update

from storage.schedule_models import Webhook
from storage.webhook_delivery_models import WebhookDelivery


def name_taken(conn: Connection, name: str, *, other_than: int | None = None) -> bool:
    """True when a webhook (other than ``other_than``) is named ``name``."""
    q = select(Webhook.id).where(Webhook.name == name)
    if other_than is not None:
        q = q.where(Webhook.id != other_than)
    return conn.execute(q).first() is not None


def insert_webhook(conn: Connection, **values: Any) -> None:
    conn.execute(insert(Webhook).values(**values))


def webhook_by_name(conn: Connection, name: str) -> Row | None:
    return conn.execute(select(Webhook).where(Webhook.name == name)).first()


def webhook_by_id(conn: Connection, webhook_id: int) -> Row | None:
    return conn.execute(select(Webhook).where(Webhook.id == webhook_id)).first()


def webhook_row(engine: Engine, webhook_id: int) -> Row | None:
    with engine.connect() as conn:
        return webhook_by_id(conn, webhook_id)


def webhook_rows(engine: Engine, *, enabled_only: bool = False) -> Sequence[Row]:
    """Every webhook by name, or (``enabled_only``) the enabled ones."""
    if enabled_only:
        q = select(Webhook).where(Webhook.enabled.is_(True))
    else:
        q = select(Webhook).order_by(Webhook.name)
    with engine.connect() as conn:
        return conn.execute(q).all()


def webhook_name(conn: Connection, webhook_id: int) -> str | None:
    return conn.execute(select(Webhook.name).where(Webhook.id == webhook_id)).scalar()


def delete_webhook_row(conn: Connection, webhook_id: int) -> bool:
    """False when there was no such webhook."""
    return bool(conn.execute(delete(Webhook).where(Webhook.id == webhook_id)).rowcount)


def update_webhook_row(conn: Connection, webhook_id: int, **values: Any) -> bool:
    """False when there is no such webhook."""
    return bool(conn.execute(update(Webhook).where(Webhook.id == webhook_id).values(**values)).rowcount)


def insert_delivery(engine: Engine, webhook_id: int, *, at: datetime, event: str, run_id: int | None,
                    ok: bool, result: str, last_status: str) -> None:
    """One delivery in the history and the webhook's last status, in one transaction."""
    with engine.begin() as conn:
        conn.execute(insert(WebhookDelivery).values(
            webhook_id=webhook_id, at=at, event=event, run_id=run_id, ok=ok, result=result))
        conn.execute(update(Webhook).where(Webhook.id == webhook_id).values(last_status=last_status))


def delivery_rows(engine: Engine, webhook_id: int | None = None, limit: int = 50) -> Sequence[Row]:
    """(id, webhook_id, name, at, event, run_id, ok, result) of the latest deliveries, newest first."""
    d = WebhookDelivery
    q = (select(d.id, d.webhook_id, Webhook.name, d.at, d.event, d.run_id, d.ok, d.result)
         .join(Webhook, Webhook.id == d.webhook_id).order_by(d.id.desc()).limit(limit))
    if webhook_id is not None:
        q = q.where(d.webhook_id == webhook_id)
    with engine.connect() as conn:
        return conn.execute(q).all()
