"""Log lines worth reading: a dropped item is logged with the reason (which names its URL),
at INFO, never with the item's repr (a page body is megabytes: one crawl once wrote a
101 MB log with 12 MB lines)."""

from __future__ import annotations

import logging

from scrapy.logformatter import LogFormatter


class QuietLogFormatter(LogFormatter):
    def dropped(self, item, exception, response, spider):  # noqa: ANN001, ANN201
        return {"level": logging.INFO, "msg": "Dropped: %(exception)s",
                "args": {"exception": str(exception)[:500]}}

    def item_error(self, item, exception, response, spider):  # noqa: ANN001, ANN201
        url = getattr(getattr(item, "page", item), "url", None) or getattr(response, "url", "?")
        return {"level": logging.ERROR, "msg": "Error processing %(url)s",
                "args": {"url": url}}

    def scraped(self, item, response, spider):  # noqa: ANN001, ANN201
        return {"level": logging.DEBUG, "msg": "Scraped from %(src)s",
                "args": {"src": getattr(response, "url", response)}}
