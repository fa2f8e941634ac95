"""Drop exact duplicates within a crawl (same canonical URL or same body) before they reach
the store; duplicates of earlier crawls are merged by the store itself at insert."""

from __future__ import annotations

from scrapy.exceptions import DropItem

from nlp.document import Document


class DedupPipeline:
    def __init__(self, crawler=None) -> None:  # noqa: ANN001
        self.crawler = crawler
        self.urls: set[str] = set()
        self.hashes: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler):  # noqa: ANN001, ANN206
        return cls(crawler)

    def process_item(self, item):  # noqa: ANN001, ANN201
        if not isinstance(item, Document) or not item.ok:
            return item
        reason = None
        if item.canonical_url in self.urls:
            reason = "duplicate_url"
        elif item.content_hash in self.hashes:
            reason = "duplicate_body"
        if reason:
            if self.crawler is not None:
                self.crawler.stats.inc_value("daihuo/dropped")
                self.crawler.stats.inc_value(f"daihuo/dropped/{reason}")
            raise DropItem(f"{reason}: {item.page.url}")
        self.urls.add(item.canonical_url)
        self.hashes.add(item.content_hash)
        return item
