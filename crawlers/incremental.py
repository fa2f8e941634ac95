"""Incremental crawls: list pages every run, article pages by age, unchanged pages never again.

A spider middleware over the news spider's output (listing sites are re-read whole: a
listing missing from a crawl counts towards its removal):

* a link to an article the store already has is followed only when due — an article
  younger than ``DAIHUO_REVISIT_NEW_DAYS`` every ``DAIHUO_REVISIT_NEW_HOURS``, an older one
  every ``DAIHUO_REVISIT_OLD_DAYS`` — and then as a conditional request (If-None-Match /
  If-Modified-Since from the validators stored with the page);
* a 304 answer, or a 200 whose bytes hash like the stored page (servers without
  validators), or the same HTTP error as last time, yields nothing: the unchanged article
  is never stored again;
* ``DAIHUO_RESUME_SINCE`` (set when resuming a killed run) skips every article stored since
  that time, whatever its age.

The state is the store itself (``raw_pages``), written in the same transaction as the
article, so a crawl killed at any point leaves no page marked "seen" that was not stored.
Scrapy's HTTP cache (RFC2616Policy) was not used: it keeps a second copy of every page on
disk, replays a 304's cached body through the whole pipeline (every unchanged article
re-parsed and re-segmented each run), and follows the server's freshness headers where we
want a revisit policy by article age; JOBDIR was not used for resuming because its queue
state is saved only on a clean shutdown (queuelib writes it on close), not on SIGKILL.
"""

from __future__ import annotations

import hashlib
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from scrapy import Request
from scrapy.exceptions import NotConfigured
from scrapy.spidermiddlewares.base import BaseSpiderMiddleware
from sqlalchemy import func, select

from nlp.document import Page
from pipelines.wiring import system_of
from storage.models import Article, RawPage, Source
from storage.timestamps import from_db, now_utc, to_utc

META_KEY = "daihuo_known_page"  # request meta: the stored raw page this request re-checks


@dataclass(frozen=True)
class PageState:
    """What the store knows about one article URL (its newest raw page)."""

    raw_id: int
    fetched_at: datetime
    first_seen: datetime
    status: int
    etag: str | None = None
    last_modified: str | None = None
    published_at: datetime | None = None


@dataclass(frozen=True)
class RevisitPolicy:
    new_for: timedelta = timedelta(days=7)
    new_every: timedelta = timedelta(hours=24)
    old_every: timedelta = timedelta(days=30)
    resume_since: datetime | None = None

    def due(self, state: PageState, now: datetime) -> bool:
        """Whether to fetch a known article again now."""
        if self.resume_since is not None and state.fetched_at >= self.resume_since:
            return False  # the interrupted run stored it already
        if state.status >= 500:
            return True  # the server failed last time: try again
        born = state.published_at or state.first_seen
        every = self.new_every if now - born < self.new_for else self.old_every
        return now - state.fetched_at >= every


def _header(headers: dict, name: str) -> str | None:
    for key, value in (headers or {}).items():
        if key.lower() == name:
            return value
    return None


def load_states(engine, source: str) -> dict[str, PageState]:  # noqa: ANN001
    """The newest fetched raw page of every URL crawled from ``source``, with its article's date."""
    with engine.connect() as conn:
        sid = conn.execute(select(Source.id).where(Source.name == source)).scalar()
        if sid is None:
            return {}
        newest = (select(RawPage.url, func.max(RawPage.id).label("mid"),
                         func.min(RawPage.fetched_at).label("first_seen"))
                  # a request that failed (no response: a timeout, a refused connection) was
                  # not fetched: it is tried again on the next crawl (a refusal by robots.txt
                  # or the network guard is known, and asked again when due)
                  .where(RawPage.source_id == sid,
                         ~((RawPage.status == 0) & RawPage.error.like("failed%")))
                  .group_by(RawPage.url).subquery())
        rows = conn.execute(select(RawPage.id, RawPage.url, RawPage.fetched_at, RawPage.status,
                                   RawPage.headers, newest.c.first_seen)
                            .join(newest, RawPage.id == newest.c.mid)).all()
        published = dict(conn.execute(select(Article.url, Article.published_at)
                                      .where(Article.source_id == sid)).all())
    return {r.url: PageState(r.id, from_db(r.fetched_at), from_db(r.first_seen), r.status,
                             _header(r.headers, "etag"), _header(r.headers, "last-modified"),
                             from_db(published.get(r.url)))
            for r in rows}


def _days(settings, name: str, default: float) -> timedelta:  # noqa: ANN001
    return timedelta(days=settings.getfloat(name, default))


class IncrementalMiddleware(BaseSpiderMiddleware):
    def __init__(self, crawler) -> None:  # noqa: ANN001
        super().__init__(crawler)
        s = crawler.settings
        if not s.getbool("DAIHUO_INCREMENTAL", True):
            raise NotConfigured
        since = s.get("DAIHUO_RESUME_SINCE")
        self.policy = RevisitPolicy(
            new_for=_days(s, "DAIHUO_REVISIT_NEW_DAYS", 7),
            new_every=timedelta(hours=s.getfloat("DAIHUO_REVISIT_NEW_HOURS", 24)),
            old_every=_days(s, "DAIHUO_REVISIT_OLD_DAYS", 30),
            resume_since=to_utc(datetime.fromisoformat(since)) if since else None)
        self.system = system_of(crawler)
        self.stats = crawler.stats
        self._states: dict[str, PageState] | None = None
        self._decided: set[str] = set()

    def _applies(self) -> bool:
        spider = self.crawler.spider
        return getattr(spider, "name", None) == "news" and hasattr(spider, "is_article")

    @property
    def engine(self):  # noqa: ANN201
        return self.system.engine

    def states(self) -> dict[str, PageState]:
        if self._states is None:  # once per crawl, at the first article link
            self._states = load_states(self.engine, self.crawler.spider.source.name)
            self.stats.set_value("daihuo/incremental/known", len(self._states))
        return self._states

    def get_processed_request(self, request: Request, response) -> Request | None:  # noqa: ANN001
        if not self._applies() or not self.crawler.spider.is_article(request.url):
            return request
        state = self.states().get(request.url)
        if state is None:
            return request
        first = request.url not in self._decided  # a page links an article many times: count once
        self._decided.add(request.url)
        if not self.policy.due(state, now_utc()):
            if first:
                self.stats.inc_value("daihuo/incremental/skipped")
            return None
        headers = dict(request.headers)
        if state.etag:
            headers["If-None-Match"] = state.etag
        if state.last_modified:
            headers["If-Modified-Since"] = state.last_modified
        if first:
            self.stats.inc_value("daihuo/incremental/revisited")
            if state.etag or state.last_modified:
                self.stats.inc_value("daihuo/incremental/conditional")
        return request.replace(headers=headers,
                               meta={**request.meta, META_KEY: (state.raw_id, state.status)})

    def get_processed_item(self, item, response):  # noqa: ANN001, ANN201
        if response is None or not isinstance(item, Page):
            return item
        known = response.meta.get(META_KEY)
        if known is None:
            return item
        raw_id, last_status = known
        if response.status == 304:
            self.stats.inc_value("daihuo/incremental/not_modified")
            return None
        if response.status >= 400 and response.status == last_status:
            self.stats.inc_value("daihuo/incremental/still_failing")  # e.g. a 404 stays a 404
            return None
        if response.status == 200 and self._same_bytes(raw_id, response.body):
            self.stats.inc_value("daihuo/incremental/unchanged_body")
            return None
        return item

    def _same_bytes(self, raw_id: int, body: bytes) -> bool:
        with self.engine.connect() as conn:
            stored = conn.execute(select(RawPage.html_z).where(RawPage.id == raw_id)).scalar()
        if stored is None:
            return False
        return hashlib.sha256(zlib.decompress(stored)).digest() == hashlib.sha256(body).digest()
