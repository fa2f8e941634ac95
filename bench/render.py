"""Rendering cost: the same pages crawled plainly and through Chromium, and what ``auto`` does
on a mixed site.

A local site (tests/realsite.py, on 127.0.0.1) with four URL classes: server-rendered news
pages carrying an analytics-style script, pages whose body a script writes (fetched JSON),
script-free video pages, and script-free notice pages. ``daihuo crawl`` runs in a child
process three times over the same pages, no delay, ``--concurrency`` at once:

* ``render = "never"`` and ``render = "always"``: pages/s (wall clock, browser start
  included), CPU ms per page (the crawl process and every descendant: Playwright's driver
  and Chromium's processes) and peak RSS per page (the process tree's summed RSS, sampled
  every 50 ms, divided by the pages);
* ``render = "auto"``: the URL classes it rendered, its probes, and the share of pages that
  went through the browser.

    python bench/render.py [--pages 60] [--concurrency 2]

Needs scrapy-playwright and Debian's chromium. Timings vary with the machine's load; compare
the ratios of one run.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from realsite import Server, Site, article_html, page_html, paragraph  # noqa: E402

from crawlers.rendering import problem  # noqa: E402

ANALYTICS = "<script>window.dataLayer=[];dataLayer.push({page:location.pathname});</script>"


def build_mixed_site(pages: int) -> tuple[Site, list[str]]:
    rng = random.Random(7)
    site = Site()
    site.add("/robots.txt", "User-agent: *\nAllow: /\n", "text/plain")
    paths = []
    for i in range(pages):
        kind = ("news", "js", "video", "notice")[i % 4]
        aid = 1000 + i
        paras = [paragraph(rng, f"M-{aid}-{k}") for k in range(3)]
        if kind == "news":
            path, body = f"/news/{aid}.html", article_html(f"新闻{aid}", paras).replace("</body>", ANALYTICS + "</body>")
        elif kind == "js":
            path = f"/js/{aid}.html"
            site.add(f"/js/{aid}.json", json.dumps(paras, ensure_ascii=False), "application/json; charset=utf-8")
            script = (f"<script>fetch('/js/{aid}.json').then(r=>r.json()).then(d=>{{const c=document."
                      "getElementById('c');d.forEach(t=>{const p=document.createElement('p');"
                      "p.textContent=t;c.appendChild(p);});});</script>")
            body = page_html(f"脚本{aid}", f"<div class='article'><h1>脚本文章{aid}</h1><div id='c'></div></div>",
                             script=script)
        elif kind == "video":
            path, body = f"/video/{aid}.html", article_html(f"视频{aid}", paras)
        else:
            path, body = f"/notice/{aid}.html", article_html(f"公告{aid}", paras[:2])
        site.add(path, body)
        paths.append(path)
    site.add("/", page_html("首页", "<ul>" + "".join(f"<li><a href='{p}'>文章标题{p}</a></li>" for p in paths)
                            + "</ul>"))
    return site, paths


def tree_rss_kb(root: int) -> int:
    """Summed RSS of ``root`` and its descendants (from /proc)."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                stat = fh.read()
            with open(f"/proc/{entry}/statm") as fh:
                pages = int(fh.read().split()[1])
        except OSError:
            continue
        pid = int(entry)
        parents[pid] = int(stat.rsplit(")", 1)[1].split()[1])
        rss[pid] = pages * (os.sysconf("SC_PAGE_SIZE") // 1024)
    total = 0
    for pid in rss:
        p = pid
        while p and p != root:
            p = parents.get(p, 0)
        if p == root:
            total += rss[pid]
    return total


def crawl(base: str, mode: str, concurrency: int, workdir: Path) -> dict:
    registry = workdir / f"{mode}.toml"
    registry.write_text(
        "[[source]]\n"
        f"name = 'bench-{mode}'\nstart_urls = ['{base}/']\nallowed_domains = ['127.0.0.1']\n"
        "articles = ['/(news|js|video|notice)/\\d+\\.html$']\ndelay = 0.0\n"
        f"concurrency = {concurrency}\nautothrottle = false\nrender = '{mode}'\n", encoding="utf-8")
    db = workdir / f"{mode}.sqlite"
    # the site is on 127.0.0.1: the network guard (the browser's proxy too) must allow it
    env = {**os.environ, "DAIHUO_DATABASE_URL": f"sqlite:///{db}", "DAIHUO_HOME": str(workdir / "home"),
           "DAIHUO_ALLOWED_NETWORKS": "127.0.0.1/32"}
    subprocess.run([sys.executable, "-m", "daihuo", "sources", "import", str(registry)], env=env,
                   check=True, capture_output=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "daihuo", "crawl", f"bench-{mode}"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], tree_rss_kb(proc.pid))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, err = proc.communicate()
    done.set()
    sampler.join()
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode:
        sys.exit(f"the {mode} crawl failed:\n{err.decode()[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    import sqlite3

    with sqlite3.connect(db) as conn:
        stats = json.loads(conn.execute("SELECT stats FROM crawl_runs").fetchone()[0] or "{}")
        stored = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    return {"wall": wall, "cpu": cpu, "peak_kb": peak[0], "stats": stats, "stored": stored}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pages", type=int, default=60)
    ap.add_argument("--concurrency", type=int, default=2)
    args = ap.parse_args()
    why = problem()
    if why:
        sys.exit(f"rendering is unavailable: {why}")
    site, paths = build_mixed_site(args.pages)
    with Server(site) as server, tempfile.TemporaryDirectory() as tmp:
        results = {m: crawl(server.base_url, m, args.concurrency, Path(tmp)) for m in ("never", "always", "auto")}
    n = len(paths) + 1  # the articles and the homepage
    print(f"{len(paths)} articles + 1 list page, 4 URL classes (1 of them written by scripts), "
          f"concurrency {args.concurrency}, no delay")
    print(f"{'fetch':<10} {'pages/s':>8} {'CPU ms/page':>12} {'peak RSS MB':>12} {'RSS KB/page':>12} {'stored':>7}")
    for mode, label in (("never", "plain"), ("always", "rendered")):
        r = results[mode]
        print(f"{label:<10} {n / r['wall']:>8.1f} {r['cpu'] * 1000 / n:>12.1f} {r['peak_kb'] / 1024:>12.1f} "
              f"{r['peak_kb'] / n:>12.0f} {r['stored']:>7}")
    p, a = results["never"], results["always"]
    print(f"rendered/plain: {p['wall'] and a['wall'] / p['wall']:.1f}x time, {a['cpu'] / max(p['cpu'], 1e-9):.1f}x CPU, "
          f"{a['peak_kb'] / max(p['peak_kb'], 1):.1f}x peak RSS")
    s = results["auto"]["stats"]
    rendered = s.get("daihuo/render/rendered", 0)
    probes = s.get("daihuo/render/probes", 0)
    print(f"auto: {s.get('daihuo/render/auto_rendered', 0)} URL class(es) rendered, "
          f"{s.get('daihuo/render/auto_plain', 0)} plain ({probes} probe(s) through the browser); "
          f"{rendered + probes} of {n} pages rendered ({(rendered + probes) / n:.0%}); "
          f"articles stored {results['auto']['stored']} (plain {p['stored']}, rendered {a['stored']}); "
          f"{results['auto']['wall']:.1f}s")


if __name__ == "__main__":
    main()
