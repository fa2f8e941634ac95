"""Webhook formats (generic JSON, WeCom, DingTalk and Feishu robots, with their signatures)
posted to a local receiver on 127.0.0.1, robot refusals, and adding webhooks."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest
from webhook_receiver import Receiver

from daihuo.runs import webhooks
from storage.store import Store

EVENT = {"event": "quality_failed", "run_id": 42, "source": "demo-news", "status": "finished",
         "checks": [{"name": "zero_items", "ok": False, "detail": "the crawl found no articles"},
                    {"name": "error_rate", "ok": True, "detail": "0% failed"}]}


@pytest.fixture
def engine(tmp_path):
    store = Store.open(f"sqlite:///{tmp_path / 'hooks.sqlite'}")
    yield store.engine
    store.close()


def test_generic_json_posts_the_event():
    with Receiver() as rx:
        assert webhooks.send("json", rx.url(), EVENT) == "ok"
    (post,) = rx.posts
    assert post["json"] == EVENT and post["content_type"].startswith("application/json")


def test_wecom_markdown():
    with Receiver() as rx:
        assert webhooks.send("wecom", rx.url(), EVENT) == "ok"
    body = rx.posts[0]["json"]
    assert body["msgtype"] == "markdown"
    text = body["markdown"]["content"]
    assert "run #42" in text and "demo-news" in text and "zero_items" in text
    assert "error_rate" not in text  # only the failed checks are listed


def test_dingtalk_markdown_signed():
    with Receiver() as rx:
        assert webhooks.send("dingtalk", rx.url("/robot/send?access_token=abc"), EVENT,
                             secret="SECdemo") == "ok"
    post = rx.posts[0]
    assert post["json"]["msgtype"] == "markdown"
    assert post["json"]["markdown"]["title"].startswith("daihuo: run #42")
    q = post["query"]
    assert q["access_token"] == ["abc"]
    ts, sign = q["timestamp"][0], q["sign"][0]
    want = base64.b64encode(hmac.new(b"SECdemo", f"{ts}\nSECdemo".encode(), hashlib.sha256).digest()).decode()
    assert sign == want


def test_feishu_text_signed():
    with Receiver(reply={"code": 0, "msg": "success"}) as rx:
        assert webhooks.send("feishu", rx.url(), EVENT, secret="fs-secret") == "ok"
    body = rx.posts[0]["json"]
    assert body["msg_type"] == "text" and "run #42" in body["content"]["text"]
    want = base64.b64encode(hmac.new(f"{body['timestamp']}\nfs-secret".encode(), b"",
                                     hashlib.sha256).digest()).decode()
    assert body["sign"] == want


def test_refusals_and_unreachable_are_reported_not_raised():
    with Receiver(reply={"errcode": 310000, "errmsg": "sign not match"}) as rx:
        assert webhooks.send("dingtalk", rx.url(), EVENT) == "refused: sign not match"
    with Receiver(status=500) as rx:
        assert webhooks.send("json", rx.url(), EVENT) == "HTTP 500"
    with Receiver() as rx:
        dead = rx.url()
    assert webhooks.send("json", dead, EVENT, timeout=2).startswith("unreachable")


def test_add_list_notify_remove(engine):
    with pytest.raises(webhooks.WebhookError):
        webhooks.add_webhook(engine, "x", "file:///etc/passwd")
    with pytest.raises(webhooks.WebhookError):
        webhooks.add_webhook(engine, "x", "http://127.0.0.1/", kind="slack")
    with Receiver() as rx:
        a = webhooks.add_webhook(engine, "team", rx.url(), "wecom")
        webhooks.add_webhook(engine, "ops", rx.url("/ops"), "json")
        with pytest.raises(webhooks.WebhookError):
            webhooks.add_webhook(engine, "team", rx.url(), "json")
        assert webhooks.notify(engine, EVENT) == {"ops": "ok", "team": "ok"}
    assert sorted(p["path"] for p in rx.posts) == ["/hook", "/ops"]
    listed = {w.name: w for w in webhooks.list_webhooks(engine)}
    assert listed["team"].last_status.endswith(" ok") and not listed["team"].has_secret
    assert webhooks.remove_webhook(engine, a.id) and [w.name for w in webhooks.list_webhooks(engine)] == ["ops"]
