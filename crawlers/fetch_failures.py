"""Nothing lost: every request that ends without a response becomes a row.

The spiders attach :func:`record_failure` as the errback of every request they make, so a
download error (timeout, refused connection, broken framing, bad gzip, an oversized page),
an HTTP error on a list page, or a request refused by policy (robots.txt, the network
guard) yields a :class:`~nlp.document.Page` carrying the reason; the pipelines store it as
a failed raw page (stage ``fetch``), the run's stats count it by kind, and the run's status
says so. :class:`SafeMetaRefreshMiddleware` keeps the page when its ``<meta refresh>``
points nowhere a crawler can go (``javascript:``, itself), where Scrapy's would raise or
hand the request to the dupefilter, and the page would vanish.
"""

from __future__ import annotations

import inspect
import logging
from datetime import datetime, timezone
from urllib.parse import urldefrag

from scrapy import Request
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Response
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.response import get_meta_refresh
from twisted.python.failure import Failure

from crawlers.incremental import META_KEY
from nlp.document import Page

log = logging.getLogger(__name__)


def failure_kind(exc: BaseException) -> tuple[str, bool]:
    """(kind, refused): a short stats key for the failure, and whether policy refused the
    request (robots.txt, network guard) rather than the site failing it."""
    if isinstance(exc, HttpError):
        return "http", False
    if isinstance(exc, IgnoreRequest):
        name = type(exc).__name__
        return ("robots" if name == "IgnoreRequest" else name.lower()), True
    name = type(exc).__name__
    if "Timeout" in name:
        return "timeout", False
    if "DNS" in name:
        return "dns", False
    if "Refused" in name or "ConnectError" in name or "NoRoute" in name:
        return "connection", False
    if "Cancelled" in name or "maxsize" in str(exc).lower():
        return "cancelled", False
    return "download", False


def describe(exc: BaseException) -> str:
    if isinstance(exc, HttpError) and exc.response is not None:
        return f"HTTP {exc.response.status}"
    text = str(exc).strip() or type(exc).__name__
    text = text if len(text) <= 500 else text[:500] + "…"
    return text if text.startswith(type(exc).__name__) else f"{type(exc).__name__}: {text}"


def record_failure(spider, failure: Failure):  # noqa: ANN001, ANN201
    """Errback: the failed request as a Page whose ``fetch_error`` says what happened."""
    request: Request = failure.request
    exc = failure.value
    kind, refused = failure_kind(exc)
    stats = spider.crawler.stats if getattr(spider, "crawler", None) else None
    if stats is not None:
        stats.inc_value("daihuo/fetch_refused" if refused else "daihuo/fetch_failed")
        stats.inc_value(f"daihuo/{'fetch_refused' if refused else 'fetch_failed'}/{kind}")
    known = request.meta.get(META_KEY)  # a page the store has (incremental re-request)
    if refused and known is not None and known[1] == 0:
        if stats is not None:  # refused last time too: its row is there already
            stats.inc_value("daihuo/incremental/still_refused")
        return
    reason = describe(exc)
    log.info("fetch %s: %s (%s)", "refused" if refused else "failed", request.url, reason)
    status = exc.response.status if isinstance(exc, HttpError) and exc.response is not None else 0
    source = getattr(spider, "source", None)
    kind_of_page = "listings" if getattr(spider, "name", "") == "listings" else "article"
    yield Page(url=request.url, body=b"", status=status, fetched_at=datetime.now(timezone.utc),
               source=getattr(source, "name", None), region=getattr(source, "region", None),
               run_id=getattr(spider, "run_id", None), kind=kind_of_page,
               fetch_error=f"{'refused' if refused else 'failed'} ({kind}): {reason}")


_spider_param = inspect.signature(MetaRefreshMiddleware.process_response).parameters.get("spider")
_PARENT_NEEDS_SPIDER = _spider_param is not None and _spider_param.default is inspect.Parameter.empty


class SafeMetaRefreshMiddleware(MetaRefreshMiddleware):
    """Scrapy's meta-refresh handling, except that a refresh to a non-HTTP URL
    (``javascript:``, ``data:``), to the page itself, or one that cannot be parsed keeps the
    page as fetched instead of raising or being dropped as a duplicate request."""

    def process_response(self, request: Request, response: Response, spider=None):  # noqa: ANN001, ANN201
        if isinstance(response, HtmlResponse) and not request.meta.get("dont_redirect"):
            try:
                _, url = get_meta_refresh(response, ignore_tags=self._ignore_tags)
            except Exception:  # noqa: BLE001 - an unparsable refresh: keep the page
                self._count("unparsable")
                return response
            if url:
                scheme = url.split(":", 1)[0].lower() if ":" in url else "http"
                if scheme not in ("http", "https"):
                    self._count("not_http")
                    return response
                if urldefrag(url)[0] == urldefrag(request.url)[0]:
                    self._count("to_itself")
                    return response
        try:
            if _PARENT_NEEDS_SPIDER:  # Scrapy < 2.13
                return super().process_response(request, response, spider)
            return super().process_response(request, response)
        except (ValueError, TypeError):  # a target Scrapy cannot build a request for
            self._count("invalid")
            return response

    def _count(self, why: str) -> None:
        crawler = getattr(self, "crawler", None)  # set by Scrapy's from_crawler
        if crawler is not None and crawler.stats is not None:
            crawler.stats.inc_value(f"daihuo/meta_refresh_kept/{why}")
