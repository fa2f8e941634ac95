"""DOM-level main-content extraction with lxml.

The page is flattened once into text blocks (one per paragraph-like element or ``<br>`` run),
each remembering its innermost block element and how much of its text sits in links. Blocks
credit their containers (readability's idea) with a score built from text length and, what
matters most for Chinese, punctuation density; link-heavy containers are discounted. The best
container (plus siblings that score comparably) is the article; blocks inside it that are
mostly links are dropped. Deliberately not done: per-site selectors (a caller's ``selector``
hint wins when it matches, see ``extract``), visual/CSS layout, or anything needing a browser.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from lxml import etree
from lxml import html as lhtml

from nlp.lxmltools import remove_keep_tail

# Subtrees never holding article text.
JUNK_TAGS = (
    "footer", "nav",
    "script", "style", "noscript", "iframe", "object", "embed", "svg", "canvas", "select",
    "option", "textarea", "button", "input", "template", "rt", "rp", "title", "meta", "link",
    "base", "map", "audio",
    "video", "applet", "frameset", "frame",
)
BLOCK_TAGS = frozenset(
    "p div li ul ol h1 h2 h3 h4 h5 h6 blockquote tr table tbody thead tfoot section "
    "article header footer aside nav pre dd dt dl figure figcaption center form fieldset "
    "address main body caption hr html details summary menu".split()
)
# Anchors that are paragraphs themselves: they credit their parent, not themselves.
PARA_TAGS = frozenset("p h1 h2 h3 h4 h5 h6 li blockquote pre dd dt figcaption caption".split())
HEADING_TAGS = frozenset("h1 h2 h3 h4 h5 h6".split())

# class/id words of chrome (readability's list, plus what Chinese portals call theirs).
_UNLIKELY = re.compile(
    r"comment|disqus|footer|\bfoot|masthead|menu|\bnav|sidebar|side_?bar|sponsor|"
    r"\bad[s_-]|advert|banner|breadcrumb|crumb|pagination|pager|popup|social|share|"
    r"related|recommend|xgxw|xgyd|hotnews|\brank|copyright|login|toolbar|subscribe|"
    r"newsletter|cookie|gdpr|promo|outbrain|taboola|widget|tags?\b|signup|modal",
    re.IGNORECASE,
)
_MAYBE = re.compile(
    r"article|body|content|main|post|entry|story|artibody|zw\b|cnt|detail|endtext",
    re.IGNORECASE,
)
_HIDDEN = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_WS = re.compile(r"[\s\u00a0\u3000\u200b\ufeff]+")
_PUNCT = re.compile(r"[，。；：？！、,;:?!]|\.(?=\s)")
_NOSPACE = re.compile(r"\s")
_TEASER_END = re.compile(r"(?:\.\.\.|…|。。。)\s*[\]】)）]?\s*$")


@dataclass
class RawBlock:
    text: str
    link_chars: int
    el: lhtml.HtmlElement  # innermost block element
    kind: str  # p | h | li | quote | caption

    @property
    def length(self) -> int:
        return len(_NOSPACE.sub("", self.text))


def prepare(doc: lhtml.HtmlElement) -> None:
    """Remove subtrees that cannot hold article text, in place."""
    etree.strip_elements(doc, *JUNK_TAGS, with_tail=False)
    etree.strip_elements(doc, etree.Comment, etree.ProcessingInstruction, with_tail=False)
    drop = []
    total = len(doc.text_content())
    for el in doc.iter():
        if not isinstance(el.tag, str) or el.tag in ("html", "body"):
            continue
        style = el.get("style")
        if style and _HIDDEN.search(style) or el.get("hidden") is not None:
            drop.append(el)
            continue
        attrs = (el.get("class") or "") + " " + (el.get("id") or "")
        if len(attrs) > 1 and _UNLIKELY.search(attrs) and not _MAYBE.search(attrs):
            # a "widget" that holds most of the page's prose is the article (blog engines)
            if len(el.text_content()) < total * 0.3:
                drop.append(el)
    for el in drop:
        remove_keep_tail(el)


def collect_blocks(root: lhtml.HtmlElement) -> list[RawBlock]:
    """Flatten ``root`` into text blocks in document order."""
    blocks: list[RawBlock] = []
    parts: list[str] = []
    link_chars = 0
    stack: list[lhtml.HtmlElement] = []
    link_depth = 0
    quote_depth = 0

    def flush() -> None:
        nonlocal link_chars
        if parts:
            text = _WS.sub(" ", "".join(parts)).strip()
            parts.clear()
            if text and stack:
                anchor = stack[-1]
                tag = anchor.tag
                if tag in HEADING_TAGS:
                    kind = "h"
                elif tag == "li":
                    kind = "li"
                elif tag in ("figcaption", "caption"):
                    kind = "caption"
                elif quote_depth:
                    kind = "quote"
                else:
                    kind = "p"
                blocks.append(RawBlock(text, link_chars, anchor, kind))
        link_chars = 0

    def add(text: str | None) -> None:
        nonlocal link_chars
        if text:
            parts.append(text)
            if link_depth:
                link_chars += len(_NOSPACE.sub("", text))

    for event, el in etree.iterwalk(root, events=("start", "end")):
        tag = el.tag
        if not isinstance(tag, str):
            if event == "end":
                add(el.tail)
            continue
        if event == "start":
            if tag in BLOCK_TAGS:
                flush()
                stack.append(el)
                if tag == "blockquote":
                    quote_depth += 1
            elif tag == "br":
                flush()
            elif tag in ("td", "th"):
                parts.append(" ")  # cells of one row read as one line
            elif tag == "a":
                link_depth += 1
            add(el.text)
        else:
            if tag in BLOCK_TAGS:
                flush()
                stack.pop()
                if tag == "blockquote":
                    quote_depth -= 1
            elif tag == "a":
                link_depth -= 1
            if el is not root:
                add(el.tail)
    flush()
    return blocks


def _block_score(b: RawBlock) -> float:
    n = b.length
    if n < 8:
        return 0.0
    link_density = b.link_chars / n
    if link_density > 0.5:
        return 0.0
    punct = len(_PUNCT.findall(b.text))
    if punct == 0 and n < 30:
        return 0.0
    score = (1.0 + punct + min(n / 40.0, 6.0)) * (1.0 - link_density)
    if _TEASER_END.search(b.text):
        score *= 0.2  # a cut-off teaser of another article
    if b.kind == "li":
        score *= 0.5  # lists are more often menus and teasers than prose
    return score


def _ancestors(el: lhtml.HtmlElement) -> Iterable[lhtml.HtmlElement]:
    while el is not None:
        yield el
        el = el.getparent()


def _block_parent(el: lhtml.HtmlElement) -> lhtml.HtmlElement:
    """The nearest block-level ancestor: inline wrappers (font, span) are not containers."""
    parent = el.getparent()
    while parent is not None and parent.tag not in BLOCK_TAGS:
        parent = parent.getparent()
    return parent if parent is not None else el


def select_content(blocks: list[RawBlock]) -> list[RawBlock]:
    """The blocks of the best-scoring container (and comparable siblings)."""
    if not blocks:
        return []
    credit: dict[lhtml.HtmlElement, float] = {}
    chars: dict[lhtml.HtmlElement, int] = {}
    links: dict[lhtml.HtmlElement, int] = {}
    for b in blocks:
        n, lc = b.length, b.link_chars
        for depth, anc in enumerate(_ancestors(b.el)):
            chars[anc] = chars.get(anc, 0) + n
            links[anc] = links.get(anc, 0) + lc
            if depth > 40:
                break
        s = _block_score(b)
        if not s:
            continue
        first = _block_parent(b.el) if b.el.tag in PARA_TAGS else b.el
        credit[first] = credit.get(first, 0.0) + s
        parent = _block_parent(first)
        if parent is not first:
            credit[parent] = credit.get(parent, 0.0) + s / 2
            grand = _block_parent(parent)
            if grand is not parent:
                credit[grand] = credit.get(grand, 0.0) + s / 4

    def final(el: lhtml.HtmlElement) -> float:
        total = chars.get(el, 0) or 1
        return credit.get(el, 0.0) * (1.0 - links.get(el, 0) / total)

    if not credit:
        return [b for b in blocks if b.length and b.link_chars / b.length <= 0.5]
    top = max(credit, key=final)
    top_score = final(top)
    chosen = {top}
    parent = top.getparent()
    if parent is not None:
        for sib in parent:
            if sib is top or not isinstance(sib.tag, str):
                continue
            if final(sib) >= max(3.0, 0.2 * top_score):
                chosen.add(sib)
    out = []
    for b in blocks:
        for depth, anc in enumerate(_ancestors(b.el)):
            if anc in chosen:
                out.append(b)
                break
            if depth > 60:
                break
    return out


def drop_link_blocks(blocks: list[RawBlock]) -> list[RawBlock]:
    """Blocks that are mostly links (menus, related lists) are not article text."""
    out = []
    for b in blocks:
        n = b.length
        if n == 0:
            continue
        if b.link_chars / n > 0.5:
            continue
        out.append(b)
    return out


def text_of(el: lhtml.HtmlElement) -> str:
    return _WS.sub(" ", el.text_content()).strip()


def find_headline(doc: lhtml.HtmlElement, page_title: str | None, declared: str | None) -> str | None:
    """The on-page headline: the heading that best matches ``<title>``/declared title."""
    ref = declared or page_title or ""
    ref_chars = set(_NOSPACE.sub("", ref))
    best, best_score = None, 0.0
    cands = doc.xpath(
        "//h1|//h2|//h3|//*[contains(@class,'title') or contains(@id,'title') "
        "or contains(@class,'Title') or contains(@id,'Title') or contains(@class,'headline')]"
    )
    for i, el in enumerate(cands[:60]):
        if el.tag in ("title", "meta", "html", "body"):
            continue
        t = text_of(el)
        n = len(_NOSPACE.sub("", t))
        if n < 4 or n > 120:
            continue
        if ref_chars:
            tc = set(_NOSPACE.sub("", t))
            overlap = len(tc & ref_chars) / max(len(tc), 1)
            cover = len(tc & ref_chars) / max(len(ref_chars), 1)
            score = overlap * 2 + cover + (0.3 if el.tag == "h1" else 0) - i * 0.001
        else:
            score = 1.0 if el.tag == "h1" else 0.0
        if t in ref:
            score += 1.0
        if score > best_score:
            best, best_score = t, score
    if best is not None and (best_score >= 1.8 or not ref_chars):
        return best
    return None
