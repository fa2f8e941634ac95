"""The Redis client every distributed component uses, and the URL that switches it on."""

from __future__ import annotations

import os

import redis

#: errors that mean "Redis is away for now": pause and retry, never drop work
REDIS_DOWN = (redis.ConnectionError, redis.TimeoutError, redis.BusyLoadingError,
              redis.ReadOnlyError)


def redis_url() -> str | None:
    """``DAIHUO_REDIS_URL`` (e.g. ``redis://10.0.0.5:6379/0``), or None: local mode."""
    return os.environ.get("DAIHUO_REDIS_URL") or None


def redis_prefix() -> str:
    return os.environ.get("DAIHUO_REDIS_PREFIX") or "daihuo"


def connect(url: str) -> redis.Redis:
    # Short timeouts: calls run on the reactor thread, and an outage must pause the worker
    # (it retries with backoff), not freeze it for scrapy-redis' default 30 s per call.
    return redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=3,
                                health_check_interval=15)
