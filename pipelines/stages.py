"""Scrapy item pipelines for the page stages: each a thin adapter over one pure function
in ``nlp.document``. Stage time and failures go to the crawler's stats."""

from __future__ import annotations

import os
from collections.abc import Callable

from nlp.document import (
    Document,
    Page,
    make_stage_tag,
    run_stage,
    stage_decode,
    stage_extract,
    stage_fetch,
    stage_fingerprint,
    stage_segment,
    stage_text,
)


class StagePipeline:
    stage: str = ""
    func: Callable[[Document], None]

    def __init__(self, crawler=None, func: Callable[[Document], None] | None = None) -> None:  # noqa: ANN001
        self.crawler = crawler
        self.run = func or type(self).func  # via the class: a plain function, not a method

    @classmethod
    def from_crawler(cls, crawler):  # noqa: ANN001, ANN206
        return cls(crawler)

    def process_item(self, item):  # noqa: ANN001, ANN201
        doc = Document(page=item) if isinstance(item, Page) else item
        if not isinstance(doc, Document):
            return item  # listing pages and anything else pass by
        failed_before = doc.error is not None
        run_stage(doc, self.stage, self.run)
        if self.crawler is not None:
            stats = self.crawler.stats
            stats.inc_value(f"daihuo/time_ms/{self.stage}",
                            round(doc.timings.get(self.stage, 0.0) * 1000, 3))
            refused = (doc.page.fetch_error or "").startswith("refused")  # policy, not a failure
            if doc.error is not None and not failed_before and not refused:
                stats.inc_value("daihuo/failed")
                stats.inc_value(f"daihuo/failed/{self.stage}")
        return doc


class FetchCheckPipeline(StagePipeline):
    stage, func = "fetch", stage_fetch


class DecodePipeline(StagePipeline):
    stage, func = "decode", stage_decode


class ExtractPipeline(StagePipeline):
    stage, func = "extract", stage_extract


class TextPipeline(StagePipeline):
    stage, func = "text", stage_text


class SegmentPipeline(StagePipeline):
    stage, func = "segment", stage_segment


class TagPipeline(StagePipeline):
    """Tags with the corpus IDF when `daihuo reprocess` has built one (loaded once)."""

    stage, func = "tag", make_stage_tag()

    @classmethod
    def from_crawler(cls, crawler):  # noqa: ANN001, ANN206
        from nlp.tagging import IdfTable
        from pipelines.wiring import system_of

        path = crawler.settings.get("DAIHUO_IDF_PATH")
        if path:  # an explicit table (benchmarks)
            return cls(crawler, make_stage_tag(IdfTable.load(path)) if os.path.exists(path) else None)
        idf = system_of(crawler).idf()
        return cls(crawler, make_stage_tag(idf)) if idf is not None else cls(crawler)


class FingerprintPipeline(StagePipeline):
    stage, func = "fingerprint", stage_fingerprint
