"""The news spider's JSON list endpoints (a source's ``list_api``, see
editorial/source_fetching.py): page 1, 2, ... of the API are read one after the other, each
item's article URL is fetched as an article, and the item's title and date travel with the
request as hints for a page that lacks them. Paging stops at the first page that brings no
new article URL (an empty page, or an API that repeats its last page) or at ``max_pages``.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

import scrapy
from scrapy.http import Response

from editorial.source_fetching import dig

API_PAGE = "daihuo_api_page"
HINTS = "daihuo_list_hints"  # request meta: {"title": ..., "date": ...} from the list item


class JsonListMixin:
    def api_requests(self):  # noqa: ANN201
        api = getattr(self.source, "list_api", None)
        if api:
            self._api_seen: set[str] = set()
            yield self._api_request(api, api["first_page"])

    def _api_request(self, api: dict, page: int) -> scrapy.Request:
        return scrapy.Request(api["url"].replace("{page}", str(page)), callback=self.parse_api,
                              errback=self.errback_fetch, meta={API_PAGE: page}, dont_filter=True)

    def parse_api(self, response: Response):  # noqa: ANN201
        api = self.source.list_api
        page = response.meta[API_PAGE]
        stats = self.crawler.stats
        try:
            data = json.loads(response.body)
        except ValueError as exc:
            stats.inc_value("daihuo/list_api/bad_json")
            self.logger.error("list_api page %d (%s) is not JSON: %s", page, response.url, exc)
            return
        items = dig(data, api["items"])
        if not isinstance(items, list):
            stats.inc_value("daihuo/list_api/bad_shape")
            self.logger.error("list_api page %d: %r is not an array in the answer; check "
                              "list_api.items", page, api["items"] or "(top level)")
            return
        stats.inc_value("daihuo/list_api/pages")
        new = 0
        for item in items:
            link = dig(item, api["link"])
            if not isinstance(link, str) or not link.strip():
                stats.inc_value("daihuo/list_api/items_without_link")
                continue
            url = response.urljoin(link.strip())
            if url in self._api_seen:
                continue
            self._api_seen.add(url)
            new += 1
            request = self.article_request(response, url)
            hints = {k: _hint(dig(item, api[k])) for k in ("title", "date") if k in api}
            hints = {k: v for k, v in hints.items() if v}
            if hints:
                request.meta[HINTS] = hints
            yield request
        stats.inc_value("daihuo/list_api/items", new)
        if new and page - api["first_page"] + 1 < api["max_pages"]:
            yield self._api_request(api, page + 1)


def _hint(value: object) -> str | None:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return None
    if isinstance(value, (int, float)) and value > 1e9:  # a Unix time, in s or ms
        seconds = value / 1000 if value > 1e12 else value
        return datetime.fromtimestamp(seconds, timezone.utc).isoformat()
    return str(value).strip()[:500] or None


def add_hints(page, response: Response):  # noqa: ANN001, ANN201
    """The list item's title/date as headers of the stored page (reprocessing keeps them)."""
    request = getattr(response, "request", None)
    for key, value in ((request.meta if request else {}).get(HINTS) or {}).items():
        page.headers[f"X-Daihuo-List-{key.title()}"] = value
    return page
