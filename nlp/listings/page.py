"""List and detail pages of account-trading sites -> listings, detail links, next pages.

Generic first, hints when a layout needs them. Without hints:

* **cards**: sibling elements of one kind (same tag and class) each holding at least two
  listing fields, one of them followers or price, are cards. Text cues are counted bottom-up
  once per page, and only the innermost such groups count, so a list of cards is not also
  read as one big card. A group of one counts when its card links elsewhere (the last page
  of a list often holds a single card).
* **tables** with a header row of labels: each data row is a listing.
* **detail pages**: label/value pairs from two- or four-cell table rows, ``<dl>`` and
  'label：value' lines outside any card make one listing for the page itself (id from the
  URL or a 编号 field, title from ``<h1>``), when at least two known fields are among them.

``hints`` (CSS selectors) win when they match: ``card``, ``next``, ``detail`` (the link in a
card, or detail links page-wide), and per-field selectors inside a card: ``title``,
``followers``, ``price``, ``platform``, ``category``, ``id``, ``has_violation``,
``live_enabled``, ``verified``, ``sell_enabled``, ``blue_v``. The parser never raises:
unparseable markup gives an empty ListingPage.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import urldefrag, urljoin

from lxml import etree
from lxml import html as lhtml

from .cards import is_label, pair_lines
from .fields import (
    find_platform,
    label_field,
    listing_id_from_url,
    normalize,
    parse_flag,
    parse_followers,
    parse_price,
)
from .model import Listing, build_listing

__all__ = ["ListingPage", "parse_listing_page"]


@dataclass
class ListingPage:
    listings: list[Listing] = field(default_factory=list)
    detail_links: list[str] = field(default_factory=list)  # absolute detail-page URLs
    next_pages: list[str] = field(default_factory=list)    # absolute pagination URLs
    error: str | None = None


_DROP_TAGS = ("script", "style", "noscript", "template", "svg", "iframe", "select", "textarea")
_HINT_LABELS = {
    "title": "标题", "followers": "粉丝", "price": "价格", "platform": "平台", "category": "类型",
    "id": "编号", "has_violation": "违规", "live_enabled": "直播权限", "verified": "认证状态",
    "sell_enabled": "带货权限", "blue_v": "蓝V",
}
_NEXT_TEXT = re.compile(r"^(?:下一页|下页|下一頁|后页|後頁|next|>|›|»|>>|››|尾页|末页)$", re.I)
_PAGER = re.compile(r"page|pager|pagination|paging|fenye|pages|pagelist|pg\b|turn", re.I)
_CORE = frozenset({"followers", "price"})
_FOLLOWER_LIKE = re.compile(r"^[\d.,]+[wW万亿kK千+]|粉")
_PRICE_LIKE = re.compile(r"[¥￥元]|面议|议价")
_COLON = re.compile(r"^([^:：]{1,12})[:：]\s*(.*)$")
_BUTTON = re.compile(r"^(?:查看|详情|更多|立即|马上|购买|咨询|联系|收藏|点击|进入)")
_TITLEISH = re.compile(r"[\u4e00-\u9fff].*[\u4e00-\u9fff].*[\u4e00-\u9fff].*[\u4e00-\u9fff]")


@lru_cache(maxsize=256)
def _selector(css: str):
    from lxml.cssselect import CSSSelector

    return CSSSelector(css, translator="html")


def _select(el, css: str | None) -> list:
    if not css:
        return []
    try:
        return _selector(css)(el)
    except Exception:  # a bad hint must not break the crawl
        return []


def _text(el) -> str:
    return re.sub(r"\s+", " ", "".join(el.itertext())).strip()


def _lines(el) -> list[str]:
    """Text nodes of el in document order, one line each (a span per value on card sites)."""
    out: list[str] = []

    def walk(n) -> None:
        if n.text and n.text.strip():
            out.append(n.text.strip())
        for c in n:
            if isinstance(c.tag, str):
                walk(c)
            if c.tail and c.tail.strip():
                out.append(c.tail.strip())

    walk(el)
    return out


# --- cue counting --------------------------------------------------------------------------------


@lru_cache(maxsize=8192)
def _cue(line: str) -> tuple[int, int]:
    """(field hits, core hits) of one text line."""
    s = normalize(line)
    if not s or len(s) > 30 or s.isdigit():  # a bare number (a pager link) says nothing
        return 0, 0
    m = _COLON.match(s)
    if m and not re.fullmatch(r"[\d:]+", s):
        name = label_field(m.group(1))
        if name and name != "contact":
            return 1, int(name in _CORE)
    if is_label(s):
        name = label_field(s)
        if name and name != "contact":
            return 1, int(name in _CORE)
        return 0, 0
    if _FOLLOWER_LIKE.search(s) and parse_followers(s)[0] is not None:
        return 1, 1
    if _PRICE_LIKE.search(s) and parse_price(s)[2] in (None, "price_negotiable"):
        return 1, 1
    fname, truth = parse_flag(s)
    if fname and truth is not None:
        return 1, 0
    return 0, 0


def _count_cues(root) -> dict:
    """Per element: (field hits, core hits) of its whole subtree, computed bottom-up once."""
    counts: dict = {}
    for el in reversed(list(root.iter())):
        if not isinstance(el.tag, str):
            continue
        h = c = 0
        if el.text:
            dh, dc = _cue(el.text)
            h, c = h + dh, c + dc
        for child in el:
            if isinstance(child.tag, str):
                ch, cc = counts.get(child, (0, 0))
                h, c = h + ch, c + cc
            if child.tail:
                dh, dc = _cue(child.tail)
                h, c = h + dh, c + dc
        counts[el] = (h, c)
    return counts


def _links_out(el, page_url: str) -> bool:
    for a in el.iter("a"):
        href = a.get("href")
        if href and _absolute(page_url, href) not in (None, page_url):
            return True
    return False


def _is_title(text: str | None) -> bool:
    return bool(text and _TITLEISH.search(text) and not _BUTTON.match(text))


def _lone_card(el, page_url: str) -> bool:
    """A single card (the last list page may hold one): compact, with one or two links out.
    A detail page's main column is not one: it is long and links to much else."""
    if el.tag in ("body", "html", "main"):
        return False
    anchors = list(el.iter("a"))
    return 1 <= len(anchors) <= 2 and len(_text(el)) <= 240 and _links_out(el, page_url)


def _find_cards(root, counts: dict, page_url: str) -> list:
    groups: list[list] = []
    for parent in root.iter():
        if not isinstance(parent.tag, str) or parent.tag in ("tr", "tbody", "thead", "table"):
            continue
        by_sig: dict[tuple, list] = {}
        for child in parent:
            if not isinstance(child.tag, str) or child.tag in ("tr", "td", "th"):
                continue
            h, c = counts.get(child, (0, 0))
            if h >= 2 and c >= 1:
                by_sig.setdefault((child.tag, child.get("class", "")), []).append(child)
        for members in by_sig.values():
            if len(members) >= 2 or _lone_card(members[0], page_url):
                groups.append(members)
    if not groups:
        return []
    member_sets = [set(g) for g in groups]
    keep = []
    for i, g in enumerate(groups):
        inner = any(
            j != i and any(anc in member_sets[i] for m in groups[j] for anc in m.iterancestors())
            for j in range(len(groups))
        )
        if not inner:
            keep.append(g)
    # document order
    order = {el: k for k, el in enumerate(root.iter())}
    return sorted((m for g in keep for m in g), key=lambda el: order.get(el, 0))


# --- links -------------------------------------------------------------------------------------


def _absolute(page_url: str, href: str | None) -> str | None:
    if not href:
        return None
    href = href.strip()
    if not href or href.startswith(("javascript:", "mailto:", "tel:", "#", "data:")):
        return None
    try:
        return urldefrag(urljoin(page_url, href))[0]
    except ValueError:
        return None


def _card_link(card, page_url: str, hints: dict) -> tuple[str | None, str | None]:
    """(detail URL, link text) of a card: the hinted link, else its first link out."""
    anchors = _select(card, hints.get("detail")) or list(card.iter("a"))
    if card.tag == "a":
        anchors = [card, *anchors]
    best = None
    for a in anchors:
        url = _absolute(page_url, a.get("href"))
        if url and url != page_url:
            if re.search(r"\d", url.rsplit("/", 1)[-1]):
                return url, _text(a)
            best = best or (url, _text(a))
    return best or (None, None)


def _card_id(card) -> str | None:
    for attr in ("data-id", "data-aid", "data-gid", "data-goods-id", "data-item-id", "data-no"):
        v = card.get(attr)
        if v and re.fullmatch(r"[A-Za-z0-9_-]{1,40}", v.strip()):
            return v.strip()
    return None


def _next_pages(root, page_url: str, hints: dict) -> list[str]:
    anchors = _select(root, hints.get("next"))
    if not anchors:
        for a in root.iter("a"):
            text = normalize(_text(a))
            if (a.get("rel") or "").lower() == "next" or _NEXT_TEXT.match(text):
                anchors.append(a)
            elif re.fullmatch(r"\d{1,4}", text) and _in_pager(a):
                anchors.append(a)
    out: list[str] = []
    for a in anchors:
        url = _absolute(page_url, a.get("href"))
        if url and url != page_url and url not in out:
            out.append(url)
    return out


def _in_pager(a) -> bool:
    for k, anc in enumerate(a.iterancestors()):
        if k > 3:
            return False
        if _PAGER.search(f"{anc.get('class', '')} {anc.get('id', '')}"):
            return True
    return False


# --- tables, definition lists, detail pages --------------------------------------------------------


def _cells(tr) -> list:
    return [c for c in tr if isinstance(c.tag, str) and c.tag in ("td", "th")]


def _rows(table) -> list:
    return [tr for tr in table.iter("tr") if next(tr.iterancestors("table"), None) is table]


def _header_table(table) -> tuple[list[str], list] | None:
    """A table whose first row is labels and whose other rows are listings."""
    rows = _rows(table)
    if len(rows) < 2:
        return None
    head = [_text(c) for c in _cells(rows[0])]
    known = sum(1 for h in head if is_label(h) and label_field(h) not in (None, "contact"))
    if len(head) < 2 or known < 2:
        return None
    body = [r for r in rows[1:] if len(_cells(r)) == len(head)]
    return (head, body) if body else None


def _kv_pairs(root, skip: set) -> list[tuple[str, str]]:
    """Label/value pairs of a detail page: kv table rows, <dl>, 'label：value' lines."""
    pairs: list[tuple[str, str]] = []

    def skipped(el) -> bool:
        return el in skip or any(a in skip for a in el.iterancestors())

    for tr in root.iter("tr"):
        if skipped(tr):
            continue
        cells = [_text(c) for c in _cells(tr)]
        if len(cells) in (2, 4, 6):
            for k in range(0, len(cells), 2):
                if cells[k] and 0 < len(normalize(cells[k])) <= 12:
                    pairs.append((cells[k], cells[k + 1]))
    for dl in root.iter("dl"):
        if skipped(dl):
            continue
        label = None
        for child in dl:
            if child.tag == "dt":
                label = _text(child)
            elif child.tag == "dd" and label:
                pairs.append((label, _text(child)))
                label = None
    for el in root.iter("li", "p", "span", "div"):
        if skipped(el) or len(el) > 3:
            continue
        text = _text(el)
        m = _COLON.match(text)
        if m and len(text) <= 40 and m.group(2):
            pairs.append((m.group(1), m.group(2)))
    return pairs


def _known(pairs: list[tuple[str, str]]) -> int:
    return len({label_field(lab) for lab, _ in pairs} - {None, "contact", "title"})


# --- the page ------------------------------------------------------------------------------------


def parse_listing_page(
    html: str | bytes,
    url: str,
    *,
    platform: str | None = None,
    category: str | None = None,
    hints: dict | None = None,
) -> ListingPage:
    """A list or detail page -> its listings, detail links and pagination links.

    ``platform`` / ``category`` are the source's defaults (a card's own fields win).
    Bytes are decoded with ``nlp.charset`` (a GBK page declaring its charset only in <meta>).
    """
    try:
        return _parse(html, url, platform, category, hints or {})
    except Exception as exc:  # one odd page must not stop a crawl
        return ListingPage(error=f"{type(exc).__name__}: {exc}"[:200])


def _parse(html, url: str, platform, category, hints: dict) -> ListingPage:
    if isinstance(html, bytes):
        from nlp.charset import decode_html

        html = decode_html(html).text
    if not html or not html.strip():
        return ListingPage(error="empty page")
    html = re.sub(r"^\s*<\?xml[^>]*\?>", "", html)
    try:
        root = lhtml.document_fromstring(html)
    except (etree.ParserError, ValueError) as exc:
        return ListingPage(error=f"unparseable markup: {exc}"[:200])
    for bad in list(root.iter(*_DROP_TAGS)):
        bad.drop_tree()
    etree.strip_elements(root, etree.Comment, with_tail=False)

    title_el = root.find(".//title")
    page_title = _text(title_el) if title_el is not None else ""
    h1 = root.find(".//h1")
    heading = _text(h1) if h1 is not None else ""
    # the page's own platform (a list titled '抖音账号出售') backs up the source's default
    page_platform = platform or find_platform(heading) or find_platform(page_title)

    page = ListingPage()
    consumed: set = set()

    def add(li: Listing) -> None:
        if li.is_empty():
            return
        page.listings.append(li)
        if li.url and li.url != url and li.url not in page.detail_links:
            page.detail_links.append(li.url)

    # header tables: one listing per row
    for table in root.iter("table"):
        found = _header_table(table)
        if not found:
            continue
        head, rows = found
        consumed.add(table)
        for tr in rows:
            cells = [_text(c) for c in _cells(tr)]
            link, link_text = _card_link(tr, url, hints)
            add(build_listing(list(zip(head, cells, strict=True)), [], url=link,
                              title=link_text if _is_title(link_text) else None,
                              listing_id=_card_id(tr) or listing_id_from_url(link),
                              platform=page_platform, category=category))

    counts = _count_cues(root)
    cards = _select(root, hints.get("card")) or _find_cards(root, counts, url)
    cards = [c for c in cards
             if c not in consumed and not any(a in consumed for a in c.iterancestors())]
    for card in cards:
        consumed.add(card)
        link, link_text = _card_link(card, url, hints)
        pairs = []
        for key, label in _HINT_LABELS.items():
            for el in _select(card, hints.get(key))[:1]:
                pairs.append((label, _text(el)))
        card_pairs, loose = pair_lines(_lines(card))
        if not hints.get("title") and _is_title(link_text):
            pairs.append(("标题", link_text))  # the link to the detail page reads as the title
        li = build_listing(pairs + card_pairs, loose, url=link,
                           listing_id=_card_id(card) or listing_id_from_url(link),
                           platform=page_platform, category=category)
        add(li)

    # the page's own listing (a detail page), from pairs outside the cards
    pairs = _kv_pairs(root, consumed)
    main = root.find(".//body")
    hinted_pairs = []
    if not cards and main is not None:
        for key, label in _HINT_LABELS.items():
            for el in _select(main, hints.get(key))[:1]:
                hinted_pairs.append((label, _text(el)))
    if _known(pairs) + _known(hinted_pairs) >= 2:
        li = build_listing(hinted_pairs + pairs, [], url=url, listing_id=listing_id_from_url(url),
                           title=heading or None, platform=page_platform, category=category)
        if not li.is_empty():
            page.listings.insert(0, li)

    for a in _select(root, hints.get("detail")):
        link = _absolute(url, a.get("href"))
        if link and link != url and link not in page.detail_links:
            page.detail_links.append(link)
    page.next_pages = [u for u in _next_pages(root, url, hints) if u not in page.detail_links]
    return page
