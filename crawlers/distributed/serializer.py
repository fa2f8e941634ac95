"""Requests as JSON, never pickle: whoever can write to Redis must not be able to run code
on the workers. A request travels as its URL, method, headers, body, JSON-safe meta and its
callback/errback *by name*; decoding accepts only plain Request classes and only the
spider's ``parse*``/``errback*`` methods as callbacks.

Also usable as scrapy-redis' ``SCHEDULER_SERIALIZER`` (module with ``dumps``/``loads``).
"""

from __future__ import annotations

import base64
import json
import logging
from typing import Any

from scrapy import Request, Spider
from scrapy.utils.request import request_from_dict

log = logging.getLogger(__name__)

FORMAT = 1
#: meta keys a worker sets for itself; they never travel between workers
LOCAL_META = frozenset({"daihuo_lease", "download_slot", "download_latency", "_slot",
                        "is_start_request"})
#: the only request classes a payload may name (no arbitrary import path)
ALLOWED_CLASSES = {
    "scrapy.http.request.Request": Request,
    "scrapy.Request": Request,
}
_CALLBACK_PREFIXES = ("parse", "errback")


class PayloadError(ValueError):
    """A queued payload that is not a request this worker may run (logged, dead-lettered)."""


def _json_safe(value: Any) -> bool:
    if value is None or isinstance(value, (str, int, float, bool)):
        return True
    if isinstance(value, (list, tuple)):
        return all(_json_safe(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _json_safe(v) for k, v in value.items())
    return False


def request_to_json(request: Request, spider: Spider | None = None) -> str:
    """The request as a JSON string (callbacks must be methods of ``spider``)."""
    d = request.to_dict(spider=spider)
    if d.get("_class", "scrapy.http.request.Request") not in ALLOWED_CLASSES:
        raise PayloadError(f"cannot queue a {d['_class']}: only plain Requests travel as JSON")
    meta = {}
    for key, value in (d.get("meta") or {}).items():
        if key in LOCAL_META:
            continue
        if _json_safe(value):
            meta[key] = value
        else:  # e.g. an object a middleware stashed: it cannot cross processes anyway
            log.debug("meta %r of %s is not JSON-safe; not queued", key, request.url)
    if not _json_safe(d.get("cb_kwargs") or {}):
        raise PayloadError(f"cb_kwargs of {request.url} are not JSON-safe")
    out = {
        "v": FORMAT,
        "url": d["url"],
        "method": d["method"],
        "headers": [[k.decode("latin-1"), [v.decode("latin-1") for v in vs]]
                    for k, vs in d["headers"].items()],
        "body": base64.b64encode(d["body"]).decode("ascii") if d["body"] else "",
        "meta": meta,
        "cb_kwargs": d.get("cb_kwargs") or {},
        "callback": d.get("callback"),
        "errback": d.get("errback"),
        "priority": d["priority"],
        "dont_filter": d["dont_filter"],
        "encoding": d["encoding"],
        "flags": list(d.get("flags") or []),
    }
    if d.get("cookies"):
        if not _json_safe(d["cookies"]):
            raise PayloadError(f"cookies of {request.url} are not JSON-safe")
        out["cookies"] = d["cookies"]
    return json.dumps(out, ensure_ascii=False, separators=(",", ":"))


def _method_name(spider: Spider | None, name: Any) -> str | None:
    if name is None:
        return None
    if not isinstance(name, str) or not name.startswith(_CALLBACK_PREFIXES) \
            or not callable(getattr(spider, name, None)):
        raise PayloadError(f"callback {name!r} is not a parse*/errback* method of the spider")
    return name


def request_from_json(data: str | bytes, spider: Spider | None = None) -> Request:
    """Rebuild a request; raises PayloadError for anything but a well-formed JSON request."""
    try:
        d = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise PayloadError(f"not JSON: {exc}") from None
    if not isinstance(d, dict) or d.get("v") != FORMAT or not isinstance(d.get("url"), str):
        raise PayloadError("not a daihuo request payload")
    try:
        fields = {
            "url": d["url"],
            "method": str(d.get("method", "GET")),
            "headers": {str(k): [str(v) for v in vs] for k, vs in d.get("headers", [])},
            "body": base64.b64decode(d.get("body") or ""),
            "meta": dict(d.get("meta") or {}),
            "cb_kwargs": dict(d.get("cb_kwargs") or {}),
            "callback": _method_name(spider, d.get("callback")),
            "errback": _method_name(spider, d.get("errback")),
            "priority": int(d.get("priority", 0)),
            "dont_filter": bool(d.get("dont_filter", False)),
            "encoding": str(d.get("encoding", "utf-8")),
            "flags": [str(f) for f in d.get("flags", [])],
            "cookies": d.get("cookies") or {},
        }
    except (TypeError, ValueError) as exc:
        raise PayloadError(f"malformed request payload: {exc}") from None
    # No "_class" key: request_from_dict then builds a plain Request, never an import path.
    return request_from_dict(fields, spider=spider)


# -- scrapy-redis serializer interface ---------------------------------------------------
# scrapy-redis hands ``Request.to_dict()`` dicts to ``dumps`` and gives ``loads``' dict to
# ``request_from_dict``. Our queue bypasses both (it needs the spider to check callbacks);
# these exist so scrapy-redis never falls back to pickle if they are reached.
def dumps(obj: dict) -> str:
    return request_to_json(request_from_dict({**obj, "callback": None, "errback": None})) \
        if not (obj.get("callback") or obj.get("errback")) else json.dumps(
            {**json.loads(request_to_json(request_from_dict(
                {**obj, "callback": None, "errback": None}))),
             "callback": obj.get("callback"), "errback": obj.get("errback")})


def loads(data: str | bytes) -> dict:
    d = json.loads(data)
    for name in (d.get("callback"), d.get("errback")):
        if name is not None and not (isinstance(name, str) and name.startswith(_CALLBACK_PREFIXES)):
            raise PayloadError(f"callback {name!r} is not a parse*/errback* method")
    req = request_from_json(json.dumps({**d, "callback": None, "errback": None}))
    return {**req.to_dict(), "callback": d.get("callback"), "errback": d.get("errback")}
