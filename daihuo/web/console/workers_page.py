"""The workers page (editors): in distributed mode (``DAIHUO_REDIS_URL``), the crawl workers
alive (their heartbeat), the leases each holds, queue depth per source, and dead letters with
a re-queue action. Read from Redis on each request; without Redis it says local mode."""

from __future__ import annotations

import json
import time

from fastapi import APIRouter, Depends, Request, Response

from daihuo.web import auth
from daihuo.web.app_state import engine_of as _engine
from daihuo.web.console.pages import ConsoleRoute, redirect, render
from editorial import sources as src_store

router = APIRouter(prefix="/console", route_class=ConsoleRoute, include_in_schema=False)
editor = Depends(auth.require("editor"))
SUFFIXES = (":run", ":queue", ":workers", ":dead", ":leases")


def _redis():  # noqa: ANN202
    """(client, prefix), or (None, prefix) in local mode."""
    from crawlers.distributed.connection import connect, redis_prefix, redis_url

    url = redis_url()
    return (connect(url) if url else None), redis_prefix()


def _source_names(client, prefix: str, stored: list[str]) -> list[str]:  # noqa: ANN001
    """Stored sources, and any other source with keys in Redis (another registry's)."""
    names = set(stored)
    for key in client.scan_iter(match=f"{prefix}:*", count=1000):
        key = key.decode("utf-8", "replace") if isinstance(key, bytes) else key
        rest = key[len(prefix) + 1:]
        if rest.startswith("domain:"):
            continue
        for suffix in SUFFIXES:
            if rest.endswith(suffix) and rest.count(":") == 1:
                names.add(rest[: -len(suffix)])
    return sorted(names)


def cluster_status(client, prefix: str, names: list[str], now: float | None = None) -> list[dict]:  # noqa: ANN001
    """Per source with anything in Redis: run id, queued/leased/dead counts, workers (alive
    or not, last heartbeat, leases held, pages fetched) and the first dead letters."""
    from crawlers.distributed.keys import SourceKeys
    from daihuo.runs.worker import ALIVE_SECONDS

    now = now or time.time()
    out = []
    for name in names:
        k = SourceKeys(name, prefix)
        pipe = client.pipeline(transaction=True)  # one snapshot: leases held add up to the leased count
        pipe.hget(k.run, "run_id").zcard(k.queue).zcard(k.leases).llen(k.dead)
        pipe.zrange(k.workers, 0, -1, withscores=True).hvals(k.owners).lrange(k.dead, 0, 19)
        run_id, queued, leased, dead, workers, owners, letters = pipe.execute()
        if not (run_id or queued or leased or dead or workers):
            continue
        held: dict[str, int] = {}
        for owner in owners:
            w = owner.decode() if isinstance(owner, bytes) else str(owner)
            held[w] = held.get(w, 0) + 1
        rows = []
        for raw_worker, beat in workers:
            w = raw_worker.decode() if isinstance(raw_worker, bytes) else str(raw_worker)
            stats = {}
            raw = client.get(k.stats(w))
            if raw:
                stats = (json.loads(raw).get("stats") or {})
            rows.append({"worker": w, "heartbeat": beat, "age": max(0.0, now - beat),
                         "alive": now - beat <= ALIVE_SECONDS, "leases": held.get(w, 0),
                         "fetched": stats.get("response_received_count", 0),
                         "stored": stats.get("daihuo/stored", 0)})
        dead_rows = []
        for raw in letters:
            try:
                entry = json.loads(raw)
                req = json.loads(entry.get("request") or "{}")
            except ValueError:
                entry, req = {}, {}
            dead_rows.append({"url": req.get("url", "?"), "reason": entry.get("reason", ""),
                              "attempts": entry.get("attempts", "")})
        out.append({"source": name, "run_id": int(run_id) if run_id else None, "queued": queued,
                    "leased": leased, "dead": dead, "workers": rows, "dead_letters": dead_rows,
                    "alive": sum(r["alive"] for r in rows)})
    return out


@router.get("/workers")
def workers_page(request: Request, user=editor) -> Response:  # noqa: ANN001
    from crawlers.distributed.connection import REDIS_DOWN

    client, prefix = _redis()
    if client is None:
        return render(request, "workers.html", local=True, status=[], error=None, prefix=prefix)
    stored = [s.name for s in src_store.list_sources(_engine(request))]
    try:
        status = cluster_status(client, prefix, _source_names(client, prefix, stored))
    except REDIS_DOWN as exc:
        return render(request, "workers.html", status_code=503, local=False, status=[], prefix=prefix,
                      error=f"无法连接 Redis({type(exc).__name__}),稍后刷新再看。")
    from daihuo.runs.worker import ALIVE_SECONDS

    return render(request, "workers.html", local=False, status=status, error=None, prefix=prefix,
                  refresh=any(s["alive"] for s in status), alive_seconds=int(ALIVE_SECONDS))


@router.post("/workers/{source}/requeue")
def requeue_dead(request: Request, source: str, user=editor) -> Response:  # noqa: ANN001
    from crawlers.distributed.connection import REDIS_DOWN
    from crawlers.distributed.keys import SourceKeys
    from crawlers.distributed.queue import LeasedQueue

    client, prefix = _redis()
    if client is None:
        return redirect("/console/workers", err="本机模式:没有配置 DAIHUO_REDIS_URL")
    try:
        n = LeasedQueue(client, None, SourceKeys(source, prefix)).requeue_dead()
    except REDIS_DOWN:
        return redirect("/console/workers", err="无法连接 Redis,请稍后再试")
    with _engine(request).begin() as conn:
        src_store.audit(conn, user.name, "dead_requeue", source, {"requests": n})
    return redirect("/console/workers", ok=f"{source}:已把 {n} 个死信请求放回队列")
