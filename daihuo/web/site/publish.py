"""Static export of the public site: the same pages, feeds and sitemap as ``daihuo serve``,
as files for any static host.

Incremental: a manifest in the output directory keeps each file's content hash and, for
article pages, list pages and feeds, a hash of what the file is made from, so an unchanged
one is not even re-rendered. Only new or changed files are written; files of the previous export that are
no longer produced (a takedown, an emptied tag) are deleted. Nothing else in the directory
is touched. ``full=True`` rewrites every file.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine

from daihuo.web.site.feeds import FeedBuilder
from daihuo.web.site.render import CSS_PATH, Renderer, item_key, template_digest
from daihuo.web.site.site_config import SiteConfig
from daihuo.web.site.sitemap import build_sitemaps, robots_txt, site_entries
from daihuo.web.site.urls import FEED_FILES, file_for
from editorial.curation import mark_published
from editorial.published import ArticlePage, published_corpus, story_representative_ids
from storage.timestamps import now_utc, to_utc

MANIFEST = ".daihuo-publish.json"
MANIFEST_VERSION = 1


@dataclass
class PublishReport:
    out_dir: Path
    articles: int = 0  # public articles exported
    files: int = 0  # files in the export
    written: list[str] = field(default_factory=list)  # new or changed files (relative paths)
    unchanged: int = 0
    deleted: list[str] = field(default_factory=list)  # files of the last export now gone
    went_live: list[int] = field(default_factory=list)  # articles published for the first time
    seconds: float = 0.0

    def summary(self) -> str:
        return (f"{self.articles} articles, {self.files} files: {len(self.written)} written, "
                f"{self.unchanged} unchanged, {len(self.deleted)} deleted "
                f"({len(self.went_live)} newly published) in {self.seconds:.2f}s")


# an output: relative path, and either bytes or (input key, render function)
Output = tuple[str, bytes | tuple[str, Callable[[], bytes]]]


def _pages(items: list[dict], per_page: int) -> Iterator[ArticlePage]:
    total = len(items)
    for n, start in enumerate(range(0, max(total, 1), per_page), 1):
        yield ArticlePage(items[start : start + per_page], total, n, per_page)


def site_outputs(config: SiteConfig, corpus: list[dict], story_ids: set[int] | None = None) -> Iterator[Output]:
    """Every file of the site for ``corpus`` (public articles, newest first). The home page and
    the feeds show one entry per story: only the articles in ``story_ids`` (all when None), as
    the served site does; every article keeps its own page and its tag pages."""
    render, feeds = Renderer(config), FeedBuilder(config)
    urls, prefix = render.urls, config.prefix
    salt = template_digest() + repr(config)

    def rel(path: str) -> str:
        return file_for(path, prefix)

    for item in corpus:
        yield rel(urls.article(item["id"])), (
            item_key(item, salt), lambda item=item: render.article(item).encode("utf-8"))

    def listing_key(page: ArticlePage, *where: str) -> str:
        # what a list page shows of each article; same key, same page: not even re-rendered
        shown = [(a["id"], a["title"], a["summary"], str(a.get("published_at")), str(a["live_at"]),
                  a["featured"], a["platforms"]) for a in page.items]
        return item_key({"items": shown, "at": [page.page, page.pages, page.total, *where]}, salt)

    def feed_output(fmt: str, items: list[dict], kind: str | None = None, value: str | None = None):  # noqa: ANN202
        items = items[: config.feed_size]
        return (item_key({"feed": [fmt, kind, value], "items": items}, salt),
                lambda: feeds.build(fmt, items, kind, value))

    listed = corpus if story_ids is None else [a for a in corpus if a["id"] in story_ids]
    home = sorted(listed, key=lambda a: not a["featured"])  # stable: newest first within each
    for page in _pages(home, config.per_page):
        yield rel(urls.home(page.page)), (listing_key(page, "home"),
                                          lambda page=page: render.home(page).encode("utf-8"))
    for fmt in FEED_FILES:
        yield rel(urls.feed(fmt)), feed_output(fmt, listed)

    tags: dict[str, dict[str, list[dict]]] = {"platform": defaultdict(list), "topic": defaultdict(list)}
    for item in corpus:
        for kind in tags:
            for value in item[f"{kind}s"]:
                tags[kind][value].append(item)
    counts = {kind: sorted(((v, len(a)) for v, a in by_value.items()), key=lambda t: (-t[1], t[0]))
              for kind, by_value in tags.items()}
    for kind, by_value in tags.items():
        yield rel(urls.tag_index(kind)), render.tag_index(kind, counts[kind]).encode("utf-8")
        for value, items in by_value.items():
            for page in _pages(items, config.per_page):
                yield rel(urls.tag(kind, value, page.page)), (
                    listing_key(page, kind, value),
                    lambda kind=kind, value=value, page=page: render.tag_page(kind, value, page).encode("utf-8"))
            stories = items if story_ids is None else [a for a in items if a["id"] in story_ids]
            for fmt in FEED_FILES:
                yield rel(urls.feed(fmt, kind, value)), feed_output(fmt, stories, kind, value)

    stamps = [(a["id"], a["live_at"], a.get("updated_at")) for a in corpus]
    for path, body in build_sitemaps(config, site_entries(config, stamps, counts)).items():
        yield rel(path), body
    yield "robots.txt", robots_txt(config)
    yield rel(urls.css()), CSS_PATH.read_bytes()
    yield "404.html", render.not_found(f"{prefix}/404.html").encode("utf-8")


def _load_manifest(out: Path) -> dict[str, dict]:
    try:
        data = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if data.get("version") != MANIFEST_VERSION:
        return {}
    return data.get("files", {})


def _write(path: Path, body: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(body)
    os.replace(tmp, path)  # atomic: a host never serves a half-written page


def _prune_dirs(out: Path, rel: str) -> None:
    parent = (out / rel).parent
    while parent != out and parent.is_dir() and not any(parent.iterdir()):
        parent.rmdir()
        parent = parent.parent


def publish(engine: Engine, out_dir: str | Path, *, base_url: str, now: datetime | None = None,
            full: bool = False, config: SiteConfig | None = None) -> PublishReport:
    """Export the public site as of ``now`` (default: the current time) to ``out_dir``.

    Articles whose scheduled time has come are marked published first (a curation event
    each). Returns what was written, kept and deleted."""
    t0 = time.perf_counter()
    now = to_utc(now) or now_utc()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    cfg = replace(config or SiteConfig.from_env(), base_url=base_url, search=False)
    cfg = replace(cfg, base_url=cfg.base_url)  # normalised by __post_init__
    report = PublishReport(out_dir=out)
    report.went_live = mark_published(engine, now)
    corpus = published_corpus(engine, now)
    report.articles = len(corpus)
    old = {} if full else _load_manifest(out)
    previous = _load_manifest(out) if full else old
    files: dict[str, dict] = {}
    for rel, produced in site_outputs(cfg, corpus, story_representative_ids(engine, now)):
        if rel in files:
            continue  # two tag values with the same file name: the first wins
        prior = old.get(rel)
        exists = prior is not None and (out / rel).is_file()
        key = None
        if isinstance(produced, tuple):
            key, make = produced
            if exists and prior.get("key") == key:
                files[rel] = prior
                report.unchanged += 1
                continue
            body = make()
        else:
            body = produced
        digest = hashlib.sha256(body).hexdigest()
        files[rel] = {"sha": digest, **({"key": key} if key else {})}
        if exists and prior.get("sha") == digest:
            report.unchanged += 1
            continue
        _write(out / rel, body)
        report.written.append(rel)
    for rel in sorted(set(previous) - set(files)):
        path = out / rel
        if path.is_file():
            path.unlink()
            _prune_dirs(out, rel)
        report.deleted.append(rel)
    _write(out / MANIFEST, json.dumps({"version": MANIFEST_VERSION, "base_url": cfg.base_url,
                                       "files": files}, ensure_ascii=False, sort_keys=True).encode("utf-8"))
    report.files = len(files)
    report.seconds = time.perf_counter() - t0
    return report
