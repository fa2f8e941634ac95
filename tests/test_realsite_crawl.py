"""Crawls of sites shaped like real ones (tests/realsite.py, served on 127.0.0.1), as
`daihuo crawl` in a child process: multi-page articles in each URL form, a JSON list API with
pagination, robots.txt Crawl-delay measured server-side, pages rendered by JavaScript."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from realsite import Server, build_patterns_site
from sqlalchemy import create_engine, text

pytestmark = pytest.mark.slow


def toml_value(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k} = {toml_value(x)}" for k, x in v.items()) + "}"
    return "'" + str(v) + "'"


def without_browser(tmp_path: Path) -> dict[str, str]:
    """Environment of a machine without scrapy-playwright, Playwright or Chromium."""
    blocked = tmp_path / "blocked"
    for name in ("scrapy_playwright", "playwright"):
        (blocked / name).mkdir(parents=True, exist_ok=True)
        (blocked / name / "__init__.py").write_text(f"raise ImportError('{name} is not installed')\n")
    return {"PYTHONPATH": str(blocked), "DAIHUO_CHROMIUM": str(tmp_path / "no-chromium")}


def crawl(tmp_path: Path, sources: list[dict], timeout: float = 180,
          env: dict[str, str] | None = None, db: str | None = None) -> tuple[object, subprocess.CompletedProcess]:
    registry = tmp_path / "sources.toml"
    registry.write_text("".join("[[source]]\n" + "".join(f"{k} = {toml_value(v)}\n" for k, v in s.items())
                                + "\n" for s in sources), encoding="utf-8")
    db = db or f"sqlite:///{tmp_path / 'store.sqlite'}"
    env = {**os.environ, "DAIHUO_DATABASE_URL": db, "DAIHUO_HOME": str(tmp_path / "home"), **(env or {})}
    # sources live in the store: import the file, then crawl them by name
    imported = subprocess.run([sys.executable, "-m", "daihuo", "sources", "import", str(registry)],
                              env=env, capture_output=True, text=True, timeout=120)
    assert imported.returncode == 0, imported.stderr[-3000:]
    proc = subprocess.run([sys.executable, "-m", "daihuo", "crawl", *[s["name"] for s in sources]],
                          env=env, capture_output=True, text=True, timeout=timeout)
    return create_engine(db), proc


def source(name: str, base: str, **kw) -> dict:
    return {"name": name, "start_urls": [f"{base}/"], "allowed_domains": ["127.0.0.1"],
            "delay": 0.0, "concurrency": 4, "autothrottle": False, **kw}


def articles(engine) -> dict[str, dict]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT url, title, body, flags FROM articles")).mappings().all()
    return {"/" + r["url"].split("/", 3)[3]: {**r, "flags": r["flags"] if isinstance(r["flags"], dict)
                                               else json.loads(r["flags"] or "{}")} for r in rows}


def test_multipage_articles_and_json_list(tmp_path, db_url):
    """(On a machine without the browser stack: sources that do not render need none of it.)"""
    site, facts = build_patterns_site()
    with Server(site) as server:
        base = server.base_url
        engine, proc = crawl(tmp_path, [
            source("mp", base, start_urls=[f"{base}/mp-list.html"], articles=[r"/m[pqdrb]/\d+"],
                   max_pages=6),
            source("api", base, start_urls=[], articles=[r"/jl/\d+\.html$"],
                   list_api={"url": f"{base}/api/news?page={{page}}", "items": "data.list",
                             "link": "link", "title": "title", "date": "ts"}),
        ], env=without_browser(tmp_path), db=db_url)
    assert proc.returncode == 0, proc.stderr[-3000:]
    stored = articles(engine)

    # each 3-page article: one article under page 1's URL, text of every page once, in order
    for name, art in facts["multipage"].items():
        row = stored[art["first"]]
        body = row["body"]
        flat = [m for ms in art["markers"] for m in ms]
        positions = [body.find(m) for m in flat]
        assert all(p >= 0 for p in positions), (name, body)
        assert positions == sorted(positions), (name, "pages out of order")
        assert all(body.count(m) == 1 for m in flat), (name, "a page's text repeated")
        assert body.count("来源：测试资讯网") <= 1, (name, "the repeated byline was kept twice")
        assert row["flags"].get("pages") == 3, (name, row["flags"])
        assert "OTHER-999" not in body  # 下一篇 (the next article) is not a page of this one
        # every continuation fetched once (the directly-listed page 2 went to page 1 instead)
        for path in art["pages"][1:]:
            assert site.fetched(path) >= 1
    # a runaway pager stops at max_pages (flagged); a failed page 2 loses only itself (flagged)
    runaway = stored[facts["runaway"]]
    assert [f"RUN-{n}" in runaway["body"] for n in range(1, 8)] == [True] * 6 + [False]
    assert runaway["flags"].get("pages_truncated") == 1 and runaway["flags"]["pages"] == 6
    assert sum(site.fetched(f"/mr/400_{n}.html") for n in range(2, 200)) == 5
    broken = stored[facts["broken"][0]]
    assert "BROKEN-1" in broken["body"] and "BROKEN-3" in broken["body"]
    assert broken["flags"].get("pages_missing") == 1
    # no continuation page is an article of its own
    continuations = {p for art in facts["multipage"].values() for p in art["pages"][1:]}
    assert not continuations & set(stored), sorted(continuations & set(stored))
    assert not [u for u in stored if "_2" in u or "page=" in u or "-2." in u]

    # the JSON list: every page read until the empty one, every article fetched and stored
    for path in facts["api"]:
        assert path in stored, path
        assert stored[path]["title"].startswith("接口文章")
    assert site.fetched("/api/news?page=4") == 1 and site.fetched("/api/news?page=5") == 0


def test_crawl_delay_spaces_requests_server_side(tmp_path):
    site, facts = build_patterns_site(crawl_delay=1)
    with Server(site) as server:
        base = server.base_url
        # the source asks for no delay and 4 at once: the site's Crawl-delay must win
        engine, proc = crawl(tmp_path, [source(
            "slow", base, start_urls=[f"{base}/mp-list.html"], articles=[r"/m[pq]/\d+"],  # two articles of three pages each
            autothrottle=True)])
    assert proc.returncode == 0, proc.stderr[-3000:]
    times = [t for t, path in site.log if path != "/robots.txt"]
    assert len(times) >= 6, site.paths()
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert min(gaps) >= 1.0, [round(g, 2) for g in gaps]
