"""Main-content extraction: page HTML (already decoded) to title, dates, credits and clean blocks.

``extract`` never raises: any failure gives an empty ``Extraction`` whose ``error`` says why.
Work happens on the page's own script; Traditional-to-Simplified conversion comes later in
the text layer (rules match on a Simplified view of each line).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from lxml import etree
from lxml import html as lhtml

from . import dom
from .clean import Context, Line, clean_lines, make_view, rule_account_cards
from .credits import around_body
from .dates import has_date, parse_date
from .metadata import read_meta, title_parts

__all__ = ["Block", "Extraction", "extract", "MAX_CHARS"]

#: Pages larger than this are refused (a 20 MB "article" is a dump or an attack, not news).
MAX_CHARS = 8_000_000
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\ufffd]")


@dataclass
class Block:
    kind: str  # 'p' | 'h' | 'li' | 'quote' | 'caption'
    text: str


@dataclass
class Extraction:
    title: str | None = None
    published: datetime | None = None
    authors: list[str] = field(default_factory=list)
    editor: str | None = None
    editors: list[str] = field(default_factory=list)  # every editor credited (editor: the first)
    original_source: str | None = None
    republisher: str | None = None  # who republished it with permission (经授权发布)
    canonical_url: str | None = None
    lead: str | None = None
    blocks: list[Block] = field(default_factory=list)
    flags: dict[str, int] = field(default_factory=dict)
    cards: list[list[str]] = field(default_factory=list)
    card_category: str | None = None  # the cards' category when a heading above them names it
    error: str | None = None

    @property
    def body(self) -> str:
        return "\n".join(b.text for b in self.blocks)


def _refuse(html: object) -> str | None:
    if not isinstance(html, str):
        return "not text (decode bytes first)"
    if not html.strip():
        return "empty page"
    if len(html) > MAX_CHARS:
        return f"too large ({len(html)} characters > {MAX_CHARS})"
    head = html[:4096]
    if len(_CONTROL.findall(head)) > max(8, len(head) // 20):
        return "binary data"
    return None


def _parse(html: str) -> lhtml.HtmlElement:
    html = _XML_DECL.sub("", html, count=1).replace("\x00", "")
    return lhtml.document_fromstring(html)


def _select(doc: lhtml.HtmlElement, selector: str) -> list[lhtml.HtmlElement]:
    try:
        if selector.startswith(("/", "(")):
            found = doc.xpath(selector)
        else:
            from lxml.cssselect import CSSSelector

            found = CSSSelector(selector)(doc)
    except Exception:
        return []
    return [el for el in found if isinstance(el, lhtml.HtmlElement)]


def extract(
    html: str,
    *,
    url: str | None = None,
    now: datetime | None = None,
    selector: str | None = None,
) -> Extraction:
    """Extract the article of ``html``. ``selector`` (CSS or XPath) wins when it matches."""
    try:
        reason = _refuse(html)
        if reason:
            return Extraction(error=reason)
        return _extract(html, url=url, now=now, selector=selector)
    except RecursionError:
        return Extraction(error="markup nested too deeply")
    except Exception as exc:  # never let one page break the pipeline
        return Extraction(error=f"extraction failed: {type(exc).__name__}: {exc}"[:300])


def _extract(html: str, *, url: str | None, now: datetime | None, selector: str | None) -> Extraction:
    try:
        doc = _parse(html)
    except (etree.ParserError, ValueError) as exc:
        return Extraction(error=f"unparseable markup: {exc}"[:200])
    meta = read_meta(doc, now)
    headline = dom.find_headline(doc, meta.page_title, meta.title)
    title = headline or meta.title
    if not title and meta.page_title:
        parts = title_parts(meta.page_title)
        title = parts[0] if parts else meta.page_title

    hinted = _select(doc, selector) if selector else []
    dom.prepare(doc)
    body = doc.find("body")
    root = body if body is not None else doc
    all_blocks = dom.collect_blocks(root)
    if hinted:
        hinted_set = set(hinted)
        chosen = [b for b in all_blocks if any(a in hinted_set for a in _ancestors(b.el))]
        if not chosen:
            chosen = dom.select_content(all_blocks)
    else:
        chosen = dom.select_content(all_blocks)
    chosen = dom.drop_link_blocks(chosen)

    # account cards may sit outside the article container: look for them page-wide
    # (only short blocks can be card cells: skip converting the long ones)
    card_ctx = Context(
        lines=[Line(b.text, b.kind, make_view(b.text) if b.length <= 14 else b.text) for b in all_blocks]
    )
    rule_account_cards(card_ctx)
    if card_ctx.cards:
        card_blocks = {id(b) for b, ln in zip(all_blocks, card_ctx.lines, strict=True) if not ln.keep}
        chosen = [b for b in chosen if id(b) not in card_blocks]

    ctx = Context(
        lines=[Line(b.text, b.kind, make_view(b.text)) for b in chosen],
        now=now,
        title=title,
        published=meta.published,
        authors=list(meta.authors),
        canonical_url=meta.canonical_url,
        seo_phrases=_seo_phrases(meta),
    )
    ctx.cards = card_ctx.cards
    if card_ctx.flags:
        ctx.flags.update(card_ctx.flags)
    clean_lines(ctx, skip=frozenset({"account_cards"}))

    if ctx.published is None or ctx.original_source is None:
        published, source = _header_near_top(all_blocks, chosen, now)
        ctx.published = ctx.published or published
        ctx.original_source = ctx.original_source or source
    if chosen:
        index = {id(b): k for k, b in enumerate(all_blocks)}
        first, last = index.get(id(chosen[0])), index.get(id(chosen[-1]))
        if first is not None and last is not None:
            around_body(ctx, [b.text for b in all_blocks], first, last, meta.authors)
    editors = ([ctx.editor] if ctx.editor else []) + [e for e in ctx.editors if e != ctx.editor]
    blocks = [Block(ln.kind, ln.text.strip()) for ln in ctx.lines if ln.keep and ln.text.strip()]
    lead = ctx.lead
    if lead is None and meta.description and blocks:
        desc = meta.description.strip()
        if len(desc) >= 20 and desc[:12] in blocks[0].text:
            lead = desc
    result = Extraction(
        title=ctx.title,
        published=ctx.published,
        authors=ctx.authors,
        editor=editors[0] if editors else None,
        editors=editors,
        original_source=ctx.original_source,
        republisher=ctx.republisher,
        canonical_url=ctx.canonical_url or url,
        lead=lead,
        blocks=blocks,
        flags=ctx.flags,
        cards=ctx.cards,
        card_category=card_ctx.card_category,
    )
    if not blocks:
        result.error = "no article text found"
    return result


def _ancestors(el):
    while el is not None:
        yield el
        el = el.getparent()


def _seo_phrases(meta) -> list[str]:
    """The site's own name(s): what an SEO mirror wedges into sentences. Meta keywords are
    left out on purpose: they name the article's topic, which the body uses legitimately."""
    phrases: list[str] = []
    if meta.page_title:
        phrases.extend(title_parts(meta.page_title)[1:])
    if meta.site_name:
        phrases.append(meta.site_name)
    return [p.strip() for p in phrases if 3 <= len(p.strip()) <= 12]


_SOURCE = re.compile(r"(?:来源|來源|稿源|出处|出處)\s*[:：]\s*([^\s|/　]{2,30})")


def _header_near_top(
    all_blocks: list[dom.RawBlock], chosen: list[dom.RawBlock], now: datetime | None
) -> tuple[datetime | None, str | None]:
    """Date and source from the short info line portals print just above the article
    ('2011-12-09 10:23　来源：新华网')."""
    if not chosen:
        return None, None
    first = chosen[0]
    start = next((k for k, b in enumerate(all_blocks) if b is first), None)
    if start is None:
        return None, None
    published = source = None
    for b in reversed(all_blocks[max(0, start - 25):start + 1]):
        if b.length > 80:
            continue
        if published is None and has_date(b.text):
            published = parse_date(b.text, now)
        if source is None and published is not None:
            m = _SOURCE.search(b.text)
            source = m.group(1) if m else None
        if published is not None:
            break
    return published, source
