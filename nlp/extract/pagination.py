"""Multi-page articles: find an article's own continuation pages, and keep their bodies together.

Pure functions (no fetching). A page's pager is read from its links: numbered page links,
next links (下一页, rel=next) and the URL forms sites use for page N of an article —
``123_N.html``, ``123-N.html`` and ``?page=N`` (also ``p``, ``pn``, ``pg``, ``pageno``,
``page_no``). Two URLs belong to the same article when they differ only in that page number,
so "上一篇/下一篇" (previous/next *article*) links never count.

The fetched pages are kept as one raw body: the parts' bytes, exactly as served, separated by a
random boundary named in a header (as MIME multipart does), so ``daihuo reprocess`` re-reads
every page and no byte sequence inside a page can fake a split.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urldefrag, urlencode, urlsplit, urlunsplit

#: header of a joined raw page: "<boundary>; pages=N; missing=M"
PARTS_HEADER = "X-Daihuo-Pages"
#: default bound on an article's pages (a runaway pager stops here)
MAX_PAGES = 20

_PAGE_PARAMS = ("page", "p", "pn", "pg", "pageno", "page_no", "paged")
# 123_2.html, 123-2.shtml, abc_3 (no extension): a short page number at the end of the stem
_SUFFIX = re.compile(r"^(?P<stem>.*[^_\-/])[_-](?P<n>\d{1,3})(?P<ext>\.[a-z]{2,6})?$", re.I)
_NEXT = re.compile(r"^(下一?页|后一?页|next(\s*page)?|›|»|>|>>)$", re.I)
_PAGE_TEXT = re.compile(r"^(\[?\d{1,3}\]?|第\s*\d{1,3}\s*页)$")


@dataclass(frozen=True)
class PageKey:
    """An article URL without its page number, and the number (1 when absent)."""

    base: str
    n: int


def page_key(url: str) -> PageKey:
    """Split ``url`` into the article it belongs to and its page number."""
    url = urldefrag(url)[0]
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    n = 1
    kept = []
    for key, value in query:
        if key.lower() in _PAGE_PARAMS and value.isdigit() and len(value) <= 3:
            n = int(value)
        else:
            kept.append((key, value))
    path = parts.path
    if n == 1 and len(kept) == len(query):
        head, _, last = path.rpartition("/")
        m = _SUFFIX.match(last)
        # a page number is small; a bare date part (2024-05-12) or a long id is not one
        stem = m.group("stem") if m else ""
        # 2024-05-12.html, /2024/05-12: a date's day, not page 12
        dated = re.search(r"\d{4}[_-]\d{1,2}$", stem) or (
            re.fullmatch(r"\d{1,2}", stem) and re.search(r"/(19|20)\d{2}$", head))
        if m and 2 <= int(m.group("n")) <= 999 and not dated:
            n = int(m.group("n"))
            path = f"{head}/{m.group('stem')}{m.group('ext') or ''}"
    base = urlunsplit((parts.scheme, parts.netloc.lower(), path, urlencode(kept), ""))
    return PageKey(base, n)


@dataclass
class Pager:
    """What a page's links say about the article's pages."""

    url: str
    current: int  # this page's number
    pages: dict[int, str] = field(default_factory=dict)  # number -> URL (this page included)

    @property
    def first_url(self) -> str | None:
        return self.pages.get(1)

    def after(self, n: int) -> list[tuple[int, str]]:
        return sorted((k, u) for k, u in self.pages.items() if k > n)


def find_pager(url: str, links: Iterable[tuple[str, str, str]]) -> Pager | None:
    """The article pager among a page's ``links`` — (absolute href, anchor text, rel) — or
    None when the page has no other page of its own article."""
    me = page_key(url)
    pager = Pager(urldefrag(url)[0], me.n, {me.n: urldefrag(url)[0]})
    for href, text, rel in links:
        if not href or not href.startswith(("http://", "https://")):
            continue
        key = page_key(href)
        if key.base != me.base or key.n == me.n:
            continue
        label = re.sub(r"\s+", " ", text or "").strip()
        is_next = "next" in (rel or "").lower().split() or bool(_NEXT.match(label))
        if is_next or _PAGE_TEXT.match(label) or label.lower() in ("首页", "第一页", "first"):
            pager.pages.setdefault(key.n, urldefrag(href)[0])
    if len(pager.pages) == 1:
        return None
    if 1 not in pager.pages:  # page 1 is the bare URL in every form we know
        pager.pages[1] = me.base if me.n != 1 else pager.url
    return pager


# -- joined raw bodies ---------------------------------------------------------------------
def join_parts(bodies: list[bytes], missing: int = 0, truncated: bool = False) -> tuple[bytes, str]:
    """One raw body for an article's pages, and its ``PARTS_HEADER`` value."""
    while True:
        boundary = "daihuo-part-" + secrets.token_hex(12)
        sep = f"\n<!-- {boundary} -->\n".encode("ascii")
        if not any(sep.strip() in b for b in bodies):
            break
    return sep.join(bodies), (f"{boundary}; pages={len(bodies)}; missing={missing}"
                              f"; truncated={int(truncated)}")


def header_value(headers: dict[str, str]) -> str | None:
    for key, value in (headers or {}).items():
        if key.lower() == PARTS_HEADER.lower():
            return value
    return None


def split_parts(body: bytes, headers: dict[str, str]) -> tuple[list[bytes], dict[str, int]]:
    """The pages of a joined raw body (one part for an ordinary page), and its counts
    ``missing`` (continuations that failed) and ``truncated`` (1: the pager went on)."""
    value = header_value(headers)
    if not value:
        return [body], {}
    fields = [f.strip() for f in value.split(";")]
    boundary = fields[0]
    info = {k: int(v) for k, _, v in (f.partition("=") for f in fields[1:])
            if k in ("missing", "truncated") and v.isdigit()}
    if not re.fullmatch(r"daihuo-part-[0-9a-f]{24}", boundary):
        return [body], info
    return body.split(f"\n<!-- {boundary} -->\n".encode("ascii")), info


def merge_block_texts(pages: list[list[str]]) -> list[int]:
    """Indexes (into the concatenation of ``pages``) of the blocks to keep: a block that an
    earlier page already had (the repeated lead, byline or header a site prints on every
    page) is kept once, where it first appeared."""
    seen: set[str] = set()
    keep: list[int] = []
    i = 0
    for blocks in pages:
        mine = set()
        for text in blocks:
            norm = re.sub(r"\s+", "", text)
            if norm not in seen:  # repeats within one page are the page's own business
                mine.add(norm)
                keep.append(i)
            i += 1
        seen |= mine
    return keep
