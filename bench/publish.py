"""The public site: static export time (full and incremental) and article-page serving rate.

Generates N approved articles (demo paragraphs recombined, with blocks and platform/topic
tags; written straight through Store.write, no NLP), then:

1. a full static export into an empty directory,
2. an incremental export with nothing changed,
3. an incremental export after editing a few articles' titles (their pages, the list pages
   and feeds that show them are rewritten; every other file is left alone),

and serves the site with uvicorn on 127.0.0.1 (a child process, one worker) while a load tool
in another process requests article pages: wrk when installed (`apt-get install -y wrk`),
else a small Python HTTP loop. Two runs: one hot article, and random articles across the
whole corpus (the page cache mostly misses). Bounded: --seconds per run.

    python bench/publish.py [--articles 10000] [--seconds 10] [--connections 32]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from daihuo.demo.demo_server import synthetic_articles  # noqa: E402
from daihuo.web.site.publish import publish  # noqa: E402
from editorial import curation  # noqa: E402
from storage.records import ArticleRecord, PageRecord, RawRecord, TagRecord  # noqa: E402
from storage.store import Store  # noqa: E402

PLATFORMS = ["快手", "抖音", "淘宝", "小红书", "京东", "视频号", "拼多多", "B站"]
TOPICS = ["直播带货模式", "主播与MCN", "私域流量", "产业带与供应链", "监管与合规", "平台财报与GMV",
          "账号交易", "跨境直播", "农产品与乡村振兴", "品牌自播", "大促"]
BASE_URL = "https://news.example.cn"
CN = timezone(timedelta(hours=8))


def records(n: int, seed: int = 7) -> list[PageRecord]:
    rnd = random.Random(seed)
    out = []
    for i, art in enumerate(synthetic_articles(n, seed)):
        url = f"https://src{i % 40}.example.com/news/{art['id']}.html"
        paras = art["paragraphs"]
        blocks = [{"kind": "p", "text": p} for p in paras]
        blocks.insert(2, {"kind": "h", "text": paras[1][:14]})
        published = datetime(2026, 1, 1, 8, tzinfo=CN) + timedelta(minutes=37 * i)
        tags = [TagRecord("platform", p, 1.0) for p in rnd.sample(PLATFORMS, rnd.randint(1, 2))]
        tags += [TagRecord("topic", t, 0.8) for t in rnd.sample(TOPICS, rnd.randint(1, 2))]
        body = "\n".join(paras)
        art_rec = ArticleRecord(url=url, canonical_url=url, title=art["title"], published_at=published,
                                body=body, script="simplified", content_hash=f"h{i}", blocks=blocks,
                                authors=[art["author"]], tags=tags)
        out.append(PageRecord(raw=RawRecord(url=url, status=200, fetched_at=published, html=b"",
                                            source=f"src{i % 40}"), article=art_rec))
    return out


def build_store(url: str, n: int) -> list[int]:
    store = Store.open(url)
    store.sync_sources([{"name": f"src{k}", "kind": "news", "config": {}} for k in range(40)])
    ids: list[int] = []
    recs = records(n)
    for start in range(0, n, 500):
        ids += [o.article_id for o in store.write(recs[start : start + 500])]
    curation.approve_many(store.engine, ids, "bench", now=datetime(2026, 6, 1, tzinfo=timezone.utc))
    store.close()
    return ids


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


SERVER = textwrap.dedent("""
    import sys, uvicorn
    from daihuo.web.app import create_app
    from daihuo.web.site import SiteConfig
    app = create_app(sys.argv[1])
    app.state.site_config = SiteConfig(base_url=sys.argv[3])
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning", access_log=False)
""")

PY_LOAD = textwrap.dedent("""
    # fallback load tool: N threads of keep-alive GETs for S seconds; prints requests/s
    import http.client, random, sys, threading, time
    port, seconds, conns, paths = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
    done, errors, stop = [0], [0], time.monotonic() + seconds
    def worker():
        c = http.client.HTTPConnection("127.0.0.1", port)
        while time.monotonic() < stop:
            c.request("GET", random.choice(paths)); r = c.getresponse(); r.read()
            if r.status == 200: done[0] += 1
            else: errors[0] += 1
    t0 = time.monotonic()
    ts = [threading.Thread(target=worker) for _ in range(conns)]
    [t.start() for t in ts]; [t.join() for t in ts]
    print(f"{done[0] / (time.monotonic() - t0):.0f} requests/s, {errors[0]} errors")
""")

WRK_RANDOM = textwrap.dedent("""
    math.randomseed(7)
    local ids = {%s}
    request = function()
      return wrk.format("GET", "/articles/" .. ids[math.random(#ids)] .. "/")
    end
""")


def load(port: int, paths_or_ids: list, seconds: int, conns: int, workdir: Path, random_ids: bool) -> str:
    if shutil.which("wrk"):
        cmd = ["wrk", "-t1", f"-c{conns}", f"-d{seconds}s", "--latency"]
        if random_ids:
            script = workdir / "random.lua"
            script.write_text(WRK_RANDOM % ",".join(str(i) for i in paths_or_ids))
            cmd += ["-s", str(script), f"http://127.0.0.1:{port}/"]
        else:
            cmd.append(f"http://127.0.0.1:{port}{paths_or_ids[0]}")
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 30).stdout
        rps = next((line.split()[1] for line in out.splitlines() if line.startswith("Requests/sec")), "?")
        p50 = next((line.split()[1] for line in out.splitlines() if line.strip().startswith("50%")), "?")
        p99 = next((line.split()[1] for line in out.splitlines() if line.strip().startswith("99%")), "?")
        non2xx = next((line.strip() for line in out.splitlines() if "Non-2xx" in line), "")
        return f"wrk: {float(rps):.0f} requests/s (p50 {p50}, p99 {p99}) {non2xx}".rstrip()
    paths = [f"/articles/{i}/" for i in paths_or_ids] if random_ids else paths_or_ids
    out = subprocess.run([sys.executable, "-c", PY_LOAD, str(port), str(seconds), str(conns), *paths],
                         capture_output=True, text=True, timeout=seconds + 30).stdout.strip()
    return f"python load loop: {out}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--articles", type=int, default=10_000)
    ap.add_argument("--seconds", type=int, default=10, help="per load run")
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--edits", type=int, default=5, help="articles edited before the incremental export")
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="daihuo-publish-bench-"))
    try:
        db = f"sqlite:///{work / 'site.sqlite'}"
        t0 = time.perf_counter()
        ids = build_store(db, args.articles)
        print(f"store: {len(ids)} approved articles written in {time.perf_counter() - t0:.1f}s (Store.write, no NLP)")

        store = Store.open(db)
        out = work / "site"
        now = datetime(2026, 6, 2, tzinfo=timezone.utc)
        full = publish(store.engine, out, base_url=BASE_URL, now=now, full=True)
        print(f"full export:         {full.seconds:6.2f}s  {full.summary()}")
        same = publish(store.engine, out, base_url=BASE_URL, now=now)
        print(f"incremental, same:   {same.seconds:6.2f}s  {same.summary()}")
        rnd = random.Random(3)
        edited = rnd.sample(ids, args.edits)
        for i in edited:
            curation.edit(store.engine, i, "bench", title=f"编辑改过的标题 {i}", now=now)
        inc = publish(store.engine, out, base_url=BASE_URL, now=now)
        pages = sum(1 for f in inc.written if f.startswith("articles/"))
        print(f"incremental, {args.edits} edits: {inc.seconds:6.2f}s  {inc.summary()}; "
              f"{pages} article pages rewritten")
        size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
        print(f"export size: {size / 1e6:.1f} MB in {inc.files} files")
        store.close()

        port = free_port()
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        server = subprocess.Popen([sys.executable, "-c", SERVER, db, str(port), BASE_URL], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            deadline = time.monotonic() + 30
            hot = f"/articles/{ids[len(ids) // 2]}/"
            while True:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}{hot}", timeout=2) as r:
                        assert r.status == 200
                    break
                except OSError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise SystemExit("uvicorn did not start: " + server.stderr.read().decode()[-2000:]) from None
                    time.sleep(0.2)
            print(f"serving: uvicorn (1 worker) on 127.0.0.1, {args.connections} connections, "
                  f"{args.seconds}s per run, load tool in a separate process")
            print(f"  one article page:      {load(port, [hot], args.seconds, args.connections, work, False)}")
            print(f"  random article pages:  {load(port, ids, args.seconds, args.connections, work, True)}")
        finally:
            server.terminate()
            server.wait(10)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
