"""scrapy-redis' priority queue with leases.

scrapy-redis pops a request with ZRANGE+ZREMRANGEBYRANK: once popped it exists only in the
worker's memory, so a worker that dies loses it. Here a pop is a *lease*: one Lua script moves
the request id from the queue to a lease set scored by its deadline (Redis' own clock, so
workers' clocks never matter). The worker acknowledges it once the response is processed and
its items stored; while it works it renews its leases; a reaper (any worker) returns expired
leases to the queue, counting attempts, and moves a request to the dead-letter list after
``max_attempts``. Payloads live in a hash beside the queue, so a lease moves only an id.
"""

from __future__ import annotations

import json
import logging
import time

from scrapy import Request, Spider
from scrapy_redis.queue import PriorityQueue

from crawlers.distributed.keys import SourceKeys
from crawlers.distributed.serializer import PayloadError, request_from_json, request_to_json

log = logging.getLogger(__name__)
LEASE_META = "daihuo_lease"

_NOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
"""
# KEYS: seq, payloads, queue  ARGV: score, payload (pairs repeated)
_PUSH = """
local ids = {}
for i = 1, #ARGV, 2 do
  local id = string.format('%016d', redis.call('INCR', KEYS[1]))
  redis.call('HSET', KEYS[2], id, ARGV[i + 1])
  redis.call('ZADD', KEYS[3], ARGV[i], id)
  ids[#ids + 1] = id
end
return ids
"""
# KEYS: queue, payloads, leases, owners  ARGV: lease seconds, worker
_LEASE = _NOW + """
while true do
  local head = redis.call('ZRANGE', KEYS[1], 0, 0)
  if #head == 0 then return false end
  local id = head[1]
  redis.call('ZREM', KEYS[1], id)
  local payload = redis.call('HGET', KEYS[2], id)
  if payload then
    redis.call('ZADD', KEYS[3], string.format('%.3f', now + tonumber(ARGV[1])), id)
    redis.call('HSET', KEYS[4], id, ARGV[2])
    return {id, payload}
  end
end
"""
# A finished request leaves every structure. KEYS: queue, payloads, leases, owners, attempts
_ACK_FN = """
local function ack(id)
  redis.call('ZREM', KEYS[3], id)
  redis.call('ZREM', KEYS[1], id)
  redis.call('HDEL', KEYS[2], id)
  redis.call('HDEL', KEYS[4], id)
  redis.call('HDEL', KEYS[5], id)
end
"""
# Enqueue with the dupefilter check and the release of the lease it follows up, atomically:
# a fingerprint is never recorded for a request that did not reach the queue.
# KEYS: queue, payloads, leases, owners, attempts, seq, fingerprint sets (newest first)...
# ARGV: score, payload, fingerprint ('' = none), fp expire, lease ('' = none),
#       '1' to filter by the fingerprint, '0' only to record it (dont_filter requests)
_ENQUEUE = _ACK_FN + """
if ARGV[3] ~= '' and ARGV[6] == '1' then
  for i = 7, #KEYS do
    if redis.call('SISMEMBER', KEYS[i], ARGV[3]) == 1 then
      if ARGV[5] ~= '' then ack(ARGV[5]) end
      return false
    end
  end
end
if ARGV[3] ~= '' then
  redis.call('SADD', KEYS[7], ARGV[3])
  if redis.call('TTL', KEYS[7]) < 0 then redis.call('EXPIRE', KEYS[7], ARGV[4]) end
end
local id = string.format('%016d', redis.call('INCR', KEYS[6]))
redis.call('HSET', KEYS[2], id, ARGV[2])
redis.call('ZADD', KEYS[1], ARGV[1], id)
if ARGV[5] ~= '' then ack(ARGV[5]) end
return id
"""
# KEYS: queue, payloads, leases, owners, attempts
_ACK = _ACK_FN + """
for i = 1, #ARGV do ack(ARGV[i]) end
return #ARGV
"""
# Return one leased id to the queue (or the dead list after max attempts). Shared by nack
# and the reaper. KEYS: queue, payloads, leases, owners, attempts, dead
_GIVE_BACK = """
local function give_back(id, reason, max_attempts, now, force_dead, count)
  if redis.call('ZREM', KEYS[3], id) == 0 then return 'gone' end
  local worker = redis.call('HGET', KEYS[4], id)
  redis.call('HDEL', KEYS[4], id)
  local payload = redis.call('HGET', KEYS[2], id)
  if not payload then return 'gone' end
  local attempts = tonumber(redis.call('HGET', KEYS[5], id) or '0')
  if count then attempts = redis.call('HINCRBY', KEYS[5], id, 1) end
  if force_dead or attempts >= max_attempts then
    local entry = {id = id, request = payload, reason = reason, attempts = attempts,
                   worker = worker or '', at = now}
    redis.call('LPUSH', KEYS[6], cjson.encode(entry))
    redis.call('HDEL', KEYS[2], id)
    redis.call('HDEL', KEYS[5], id)
    return 'dead'
  end
  local ok, req = pcall(cjson.decode, payload)
  local priority = 0
  if ok and type(req) == 'table' and tonumber(req['priority']) then priority = tonumber(req['priority']) end
  redis.call('ZADD', KEYS[1], -priority, id)
  return 'queued'
end
"""
# ARGV: max attempts, force dead (0/1), count the attempt (0/1), reason, ids...
_NACK = _NOW + _GIVE_BACK + """
local out = {}
for i = 5, #ARGV do
  out[#out + 1] = give_back(ARGV[i], ARGV[4], tonumber(ARGV[1]), now, ARGV[2] == '1', ARGV[3] == '1')
end
return out
"""
# ARGV: max attempts, limit
_REAP = _NOW + _GIVE_BACK + """
local expired = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now, 'LIMIT', 0, tonumber(ARGV[2]))
local queued, dead = 0, 0
for _, id in ipairs(expired) do
  local r = give_back(id, 'lease expired', tonumber(ARGV[1]), now, false, true)
  if r == 'queued' then queued = queued + 1 elseif r == 'dead' then dead = dead + 1 end
end
return {queued, dead}
"""
# KEYS: leases  ARGV: lease seconds, ids...
_RENEW = _NOW + """
local n = 0
for i = 2, #ARGV do
  n = n + redis.call('ZADD', KEYS[1], 'XX', 'CH', string.format('%.3f', now + tonumber(ARGV[1])), ARGV[i])
end
return n
"""


class LeasedQueue(PriorityQueue):
    """A per-source priority queue whose pops are leases (see the module docstring)."""

    def __init__(self, server, spider: Spider | None, key: str | SourceKeys, serializer=None,  # noqa: ANN001
                 *, worker: str = "", lease_seconds: float = 60.0, max_attempts: int = 3) -> None:
        keys = key if isinstance(key, SourceKeys) else SourceKeys(str(key))
        # scrapy-redis' base keeps server/spider/key/serializer; ours is JSON (never pickle).
        from crawlers.distributed import serializer as json_serializer

        super().__init__(server, spider or _NoSpider(), keys.queue, serializer or json_serializer)
        self.spider = spider
        self.keys = keys
        self.worker = worker or f"w{time.time_ns()}"
        self.lease_seconds = float(lease_seconds)
        self.max_attempts = int(max_attempts)
        self._push = server.register_script(_PUSH)
        self._lease = server.register_script(_LEASE)
        self._ack = server.register_script(_ACK)
        self._nack = server.register_script(_NACK)
        self._reap = server.register_script(_REAP)
        self._renew = server.register_script(_RENEW)
        self._enqueue = server.register_script(_ENQUEUE)

    # -- the scrapy-redis queue interface --------------------------------------------------
    def _encode_request(self, request: Request) -> str:
        return request_to_json(request, self.spider)

    def _decode_request(self, encoded_request: bytes | str) -> Request:
        return request_from_json(encoded_request, self.spider)

    def __len__(self) -> int:
        return self.server.zcard(self.keys.queue)

    def push(self, request: Request) -> str:
        return self.push_many([request])[0]

    def pop(self, timeout: float = 0) -> Request | None:
        """Lease the next request (None when the queue is empty)."""
        while True:
            got = self._lease(keys=[self.keys.queue, self.keys.payloads, self.keys.leases,
                                    self.keys.owners],
                              args=[self.lease_seconds, self.worker])
            if not got:
                return None
            rid = _s(got[0])
            try:
                request = self._decode_request(got[1])
            except PayloadError as exc:  # never run it; keep it for a human to look at
                log.error("request %s in %s is not runnable (%s): dead-lettered", rid,
                          self.keys.queue, exc)
                self.nack([rid], f"bad payload: {exc}", dead=True)
                continue
            request.meta[LEASE_META] = rid
            return request

    def clear(self) -> None:
        k = self.keys
        self.server.delete(k.queue, k.payloads, k.leases, k.owners, k.attempts)

    # -- leases ----------------------------------------------------------------------------
    def push_many(self, requests: list[Request]) -> list[str]:
        args: list = []
        for r in requests:
            args += [-r.priority, self._encode_request(r)]
        if not args:
            return []
        ids = self._push(keys=[self.keys.seq, self.keys.payloads, self.keys.queue], args=args)
        return [_s(i) for i in ids]

    def enqueue(self, request: Request, *, fingerprint: bytes | None = None,
                fp_keys: list[str] | None = None, fp_expire: int = 0,
                lease: str | None = None, check: bool = True) -> str | None:
        """Push ``request`` unless ``check`` and its fingerprint is in ``fp_keys`` (which it
        joins either way: a dont_filter start URL still counts as fetched), and
        release ``lease`` (the request it follows up: a retry, a redirect) in the same atomic
        step: the work is never in neither place. Returns the new id, or None if filtered."""
        k = self.keys
        out = self._enqueue(
            keys=[k.queue, k.payloads, k.leases, k.owners, k.attempts, k.seq, *(fp_keys or [])],
            args=[-request.priority, self._encode_request(request), fingerprint or b"",
                  fp_expire, lease or "", "1" if check else "0"])
        return _s(out) if out else None

    def ack(self, leases: list[str]) -> None:
        if leases:
            self._ack(keys=self._lease_keys()[:5], args=list(leases))

    def nack(self, leases: list[str], reason: str, *, dead: bool = False,
             count: bool = True) -> list[str]:
        """Give leases back: to the queue (attempt +1 unless not ``count``: a worker that
        stops cleanly has not failed them) or, with ``dead``, to the dead list."""
        if not leases:
            return []
        out = self._nack(keys=self._lease_keys(),
                         args=[self.max_attempts, 1 if dead else 0, 1 if count else 0,
                               reason[:500], *leases])
        return [_s(o) for o in out]

    def renew(self, leases: list[str]) -> int:
        if not leases:
            return 0
        return int(self._renew(keys=[self.keys.leases], args=[self.lease_seconds, *leases]))

    def reap(self, limit: int = 500) -> tuple[int, int]:
        """Return expired leases to the queue; (requeued, dead-lettered)."""
        queued, dead = self._reap(keys=self._lease_keys(), args=[self.max_attempts, limit])
        if queued or dead:
            log.warning("reaper: %d expired lease(s) requeued, %d dead-lettered (%s)",
                        queued, dead, self.keys.queue)
        return int(queued), int(dead)

    def counts(self) -> dict[str, int]:
        k = self.keys
        pipe = self.server.pipeline(transaction=False)
        pipe.zcard(k.queue).zcard(k.leases).llen(k.dead)
        queued, leased, dead = pipe.execute()
        return {"queued": queued, "leased": leased, "dead": dead}

    def dead_letters(self, limit: int = 100) -> list[dict]:
        out = []
        for raw in self.server.lrange(self.keys.dead, 0, limit - 1):
            entry = json.loads(raw.decode("utf-8", "replace"))  # a bad payload may be binary
            try:
                entry["request"] = json.loads(entry["request"])
            except ValueError:
                pass  # kept as the text it was
            out.append(entry)
        return out

    def requeue_dead(self) -> int:
        """Put every dead-lettered request back in the queue (after fixing the cause)."""
        n = 0
        while (raw := self.server.rpop(self.keys.dead)) is not None:
            entry = json.loads(raw)
            req = json.loads(entry["request"])
            self._push(keys=[self.keys.seq, self.keys.payloads, self.keys.queue],
                       args=[-int(req.get("priority", 0)), entry["request"]])
            n += 1
        return n

    def _lease_keys(self) -> list[str]:
        k = self.keys
        return [k.queue, k.payloads, k.leases, k.owners, k.attempts, k.dead]


class _NoSpider:
    name = "-"


def _s(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
