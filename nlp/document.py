"""The page pipeline as pure stages: raw page -> decoded -> extracted -> Simplified text ->
segmented -> tagged -> fingerprinted.

Both the Scrapy pipelines (one thin class per stage) and ``daihuo parse``/``reprocess`` run
these same functions, so a saved page gives the same result with or without a crawl. A stage
that fails records its name and error on the document; later stages then do nothing, and the
page is still stored (raw) so it can be reprocessed when the code improves.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from urllib.parse import urldefrag, urlsplit

from nlp import segment as seg
from nlp.charset import decode_html
from nlp.extract import Block, Extraction, extract
from nlp.extract.dates import parse_date
from nlp.extract.pagination import merge_block_texts, split_parts
from nlp.neardup import Fingerprint, fingerprint
from nlp.script import region_for
from nlp.tagging import IdfTable, Tags, tag_document
from nlp.textlayer import prepare_text


@dataclass
class Page:
    """A fetched page, as the crawler (or a file on disk) gives it."""

    url: str
    body: bytes
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    fetched_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    source: str | None = None
    region: str | None = None  # registry hint: 'tw' | 'hk'
    charset_hint: str | None = None
    selector: str | None = None  # registry hint for the main content
    run_id: int | None = None
    raw_page_id: int | None = None  # set when reprocessing a stored page
    kind: str = "article"  # article | listings (a listing list or detail page)
    fetch_error: str | None = None  # no response: why (crawlers/fetch_failures.py)


@dataclass
class Document:
    page: Page
    html: str | None = None
    charset: str | None = None
    extraction: Extraction | None = None
    title: str | None = None
    lead: str | None = None
    authors: list[str] = field(default_factory=list)
    editor: str | None = None
    blocks: list[Block] = field(default_factory=list)
    script: str = "simplified"
    flags: dict[str, int] = field(default_factory=dict)
    title_tokens: list[str] = field(default_factory=list)
    pos_tokens: list[tuple[str, str]] = field(default_factory=list)
    tags: Tags | None = None
    canonical_url: str | None = None
    content_hash: str | None = None
    neardup: Fingerprint | None = None  # near-duplicate signature of the body
    error: str | None = None
    error_stage: str | None = None
    timings: dict[str, float] = field(default_factory=dict)
    more_html: list[str] = field(default_factory=list)  # a multi-page article's pages 2..N

    @property
    def body(self) -> str:
        return "\n".join(b.text for b in self.blocks)

    @property
    def ok(self) -> bool:
        return self.error is None

    def fail(self, stage: str, error: str) -> None:
        self.error, self.error_stage = error, stage


class StageError(Exception):
    """A page this stage cannot process (the message says why)."""


def _content_type_charset(headers: dict[str, str]) -> str | None:
    for key, value in headers.items():
        if key.lower() == "content-type":
            m = re.search(r"charset=[\"']?([\w.:-]+)", value, re.I)
            return m.group(1) if m else None
    return None


def stage_fetch(doc: Document) -> None:
    if doc.page.fetch_error:
        raise StageError(doc.page.fetch_error)
    if doc.page.status >= 400:
        raise StageError(f"HTTP {doc.page.status}")
    if not doc.page.body:
        raise StageError("empty response")


def stage_decode(doc: Document) -> None:
    page = doc.page
    parts, info = split_parts(page.body, page.headers)
    for i, part in enumerate(parts):
        decoded = decode_html(part, header_charset=_content_type_charset(page.headers),
                              hint=page.charset_hint)
        if i == 0:
            doc.html, doc.charset = decoded.text, decoded.charset
            if decoded.declared_wrong:
                doc.flags["charset_declared_wrong"] = 1
            if decoded.error:
                raise StageError(decoded.error)
        elif not decoded.error:
            doc.more_html.append(decoded.text)
    if len(parts) > 1 or info:
        doc.flags["pages"] = len(parts)
    if info.get("missing"):
        doc.flags["pages_missing"] = info["missing"]  # a continuation failed: the body is partial
    if info.get("truncated"):
        doc.flags["pages_truncated"] = 1  # the pager went on past the source's max_pages


def stage_extract(doc: Document) -> None:
    ex = extract(doc.html or "", url=doc.page.url, now=doc.page.fetched_at,
                 selector=doc.page.selector)
    doc.extraction = ex
    if doc.more_html and not ex.error:
        join_continuations(doc, ex)
    hints = list_hints(doc.page.headers)
    ex.title = ex.title or hints.get("title")
    if ex.published is None and hints.get("date"):
        ex.published = parse_date(hints["date"], now=doc.page.fetched_at)
    doc.flags.update(ex.flags)
    if ex.cards:
        doc.flags["listing_cards"] = len(ex.cards)
    if ex.error or not ex.blocks:
        raise StageError(ex.error or "no main text found")


def join_continuations(doc: Document, ex: Extraction) -> None:
    """Append the blocks of pages 2..N to page 1's, each repeated header kept once."""
    pages = [[b.text for b in ex.blocks]]
    more: list[Block] = []
    for html in doc.more_html:
        part = extract(html, url=doc.page.url, now=doc.page.fetched_at, selector=doc.page.selector)
        pages.append([b.text for b in part.blocks])
        more.extend(part.blocks)
        for key, value in part.flags.items():  # e.g. an ad contact on page 3 flags the article
            ex.flags[key] = max(ex.flags.get(key, 0), value)
    every = ex.blocks + more
    keep = merge_block_texts(pages)
    ex.blocks = [every[i] for i in keep]


def list_hints(headers: dict[str, str]) -> dict[str, str]:
    """Title and date a JSON list gave for the article (used when the page lacks them)."""
    out = {}
    for key, value in (headers or {}).items():
        low = key.lower()
        if low.startswith("x-daihuo-list-") and value:
            out[low[len("x-daihuo-list-"):]] = value
    return out


def stage_text(doc: Document) -> None:
    """Readings, normalisation and Traditional->Simplified on every text field at once."""
    ex = doc.extraction
    assert ex is not None
    head = [ex.title or "", ex.lead or "", ex.editor or "", *ex.authors]
    prepared = prepare_text(head + [b.text for b in ex.blocks],
                            region=region_for(doc.page.url, doc.page.region))
    texts = prepared.texts
    doc.title = texts[0] or None
    doc.lead = texts[1] or None
    doc.editor = texts[2] or None
    doc.authors = [a for a in texts[3 : len(head)] if a]
    doc.blocks = [Block(b.kind, t) for b, t in zip(ex.blocks, texts[len(head):], strict=True) if t.strip()]
    doc.script = prepared.script
    doc.flags.update({k: v for k, v in prepared.flags.items() if v})
    if not doc.blocks:
        raise StageError("no text left after normalisation")


def stage_segment(doc: Document) -> None:
    """The document's one segmentation (title and body separately, for field weighting)."""
    doc.title_tokens = seg.segment(doc.title) if doc.title else []
    doc.pos_tokens = seg.pos_tag(doc.body)


def make_stage_tag(idf: IdfTable | None = None) -> Callable[[Document], None]:
    def stage_tag(doc: Document) -> None:
        title_pos = [(w, "x") for w in doc.title_tokens]
        doc.tags = tag_document(doc.title or "", doc.body, title_pos + [("\n", "x")] + doc.pos_tokens,
                                idf=idf)
    return stage_tag


_SPACE = re.compile(r"\s+")


def canonical_url(page_url: str, declared: str | None) -> str:
    """The page's declared canonical URL when it is on the same site, else the page URL.

    A farm may declare someone else's URL as canonical: trusting it would let a repost
    overwrite the original, so a cross-site declaration is ignored.
    """
    url = urldefrag(page_url)[0]
    if declared:
        declared = urldefrag(declared.strip())[0]
        a = urlsplit(url).hostname or ""
        b = urlsplit(declared).hostname or ""
        if b and a.removeprefix("www.") == b.removeprefix("www.") and declared.startswith("http"):
            return declared
    return url


def stage_fingerprint(doc: Document) -> None:
    ex = doc.extraction
    doc.canonical_url = canonical_url(doc.page.url, ex.canonical_url if ex else None)
    doc.content_hash = hashlib.sha256(_SPACE.sub("", doc.body).encode("utf-8")).hexdigest()
    doc.neardup = fingerprint(doc.body)


STAGES: list[tuple[str, Callable[[Document], None]]] = [
    ("fetch", stage_fetch),
    ("decode", stage_decode),
    ("extract", stage_extract),
    ("text", stage_text),
    ("segment", stage_segment),
    ("tag", make_stage_tag()),
    ("fingerprint", stage_fingerprint),
]


def run_stage(doc: Document, name: str, func: Callable[[Document], None]) -> Document:
    """Run one stage unless an earlier one failed; never raises for a bad page."""
    if doc.error is not None:
        return doc
    t0 = time.perf_counter()
    try:
        func(doc)
    except StageError as exc:
        doc.fail(name, str(exc))
    except Exception as exc:  # a bug or a page we did not foresee: keep it for reprocessing
        doc.fail(name, f"{type(exc).__name__}: {exc}")
    doc.timings[name] = doc.timings.get(name, 0.0) + time.perf_counter() - t0
    return doc


def process_page(page: Page, *, idf: IdfTable | None = None) -> Document:
    """Run every stage over ``page``."""
    doc = Document(page=page)
    for name, func in STAGES:
        if name == "tag" and idf is not None:
            func = make_stage_tag(idf)
        run_stage(doc, name, func)
    return doc
