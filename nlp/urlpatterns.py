"""URL shapes: what a site's article and list URLs look like, without the site's own code.

``url_class`` names a URL's shape (digits and ids abstracted) — rendering decisions are
cached per class. ``infer`` (crawlers/discovery.py feeds it) groups a site's links by shape
and proposes regexes for article pages and list pages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

_DIGITS = re.compile(r"\d+")


def url_class(url: str) -> str:
    """``http://a.com/news/2024/05/123.html?id=9&x=y`` -> ``a.com/news/{n}/{n}/{n}.html?id&x``."""
    parts = urlsplit(url)
    path = _DIGITS.sub("{n}", parts.path or "/")
    keys = sorted({k for k, _ in parse_qsl(parts.query, keep_blank_values=True)})
    return f"{(parts.hostname or '').lower()}{path}" + (f"?{'&'.join(keys)}" if keys else "")


# -- shapes ----------------------------------------------------------------------------------
_YEAR = re.compile(r"^(19|20)\d{2}$")
_MD = re.compile(r"^(0?[1-9]|1[0-2]|[12]\d|3[01])$")
_DATE8 = re.compile(r"^(19|20)\d{6}$")
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+){2,}$", re.I)
_WORD = re.compile(r"^[A-Za-z][A-Za-z_]*$")
_KEY = re.compile(r"^(?=[A-Za-z0-9]*\d)(?=[A-Za-z0-9]*[A-Za-z])[A-Za-z0-9]{8,}$")
_PAGER_WORDS = {"index", "list", "page", "p", "pn", "pg", "more"}
_PAGE_KEYS = {"page", "p", "pn", "pg", "pageno", "page_no", "paged", "start", "offset"}

#: token -> regex piece
TOKEN_RE = {"{yyyy}": r"(?:19|20)\d{2}", "{mm}": r"\d{1,2}", "{date8}": r"(?:19|20)\d{6}",
            "{id}": r"\d+", "{n}": r"\d+", "{slug}": r"[A-Za-z0-9]+(?:-[A-Za-z0-9]+)+",
            "{key}": r"[A-Za-z0-9]+"}


def _stem_ext(segment: str) -> tuple[str, str]:
    if "." in segment:
        stem, _, ext = segment.rpartition(".")
        if stem and re.fullmatch(r"[A-Za-z0-9]{1,6}", ext):
            return stem, "." + ext
    return segment, ""


def _token(text: str, prev: str | None) -> str:
    if _DATE8.match(text):
        return "{date8}"
    if _YEAR.match(text):
        return "{yyyy}"
    if prev in ("{yyyy}", "{mm}") and _MD.match(text):
        return "{mm}"
    if text.isdigit():
        return "{id}" if len(text) >= 3 else "{n}"
    if _SLUG.match(text) and sum(p.isalpha() for p in text.split("-")) >= 2:  # not 2024-05-12
        return "{slug}"
    if _KEY.match(text):
        return "{key}"  # an opaque id: t20241105, ab12cd34ef, imxyz1234567
    if re.search(r"[_.-]", text):  # 123_2, index_3, doc-imxyz1234567, t20241105_123456
        return "".join(p if p in "_.-" else _token(p, None) for p in re.split(r"([_.-])", text))
    return text


@dataclass(frozen=True)
class Shape:
    """A URL's structure: literal words kept, ids/dates/slugs abstracted, query keys kept."""

    netloc: str
    segments: tuple[str, ...]  # path segments as tokens; the last keeps its extension
    trailing_slash: bool
    query: tuple[tuple[str, str], ...]  # (key, token) in the URL's own order

    def __str__(self) -> str:
        path = "/" + "/".join(self.segments) + ("/" if self.trailing_slash and self.segments else "")
        return path + ("?" + "&".join(f"{k}={v}" for k, v in self.query) if self.query else "")

    @property
    def has_id(self) -> bool:
        """Ends in something that names one item: a long number, a date, a slug, a query id."""
        ids = ("{id}", "{date8}", "{slug}", "{key}")
        if any(t in seg for seg in self.segments[-2:] for t in ids):  # .../{key}/index.html too
            return True
        return any(v == "{id}" for k, v in self.query if k.lower() not in _PAGE_KEYS)

    @property
    def is_pager(self) -> bool:
        """Looks like page N of a list: index_2.html, list-3, /page/4, ?page=5."""
        if any(k.lower() in _PAGE_KEYS for k, _ in self.query):
            return True
        last = _stem_ext(self.segments[-1])[0] if self.segments else ""
        if re.fullmatch(r"[A-Za-z]+[_-]\{n\}", last) and last.split("_")[0].split("-")[0].lower() in _PAGER_WORDS:
            return True
        return len(self.segments) >= 2 and self.segments[-2].lower() in _PAGER_WORDS and last == "{n}"

    def regex(self) -> str:
        parts = []
        for seg in self.segments:
            parts.append(_segment_regex(seg))
        path = "/" + "/".join(parts) + ("/" if self.trailing_slash and self.segments else "")
        out = r"^https?://" + re.escape(self.netloc) + path
        if self.query:
            out += r"\?" + "&".join(re.escape(k) + "=" + (TOKEN_RE.get(v) or re.escape(v))
                                    for k, v in self.query)
        return out + "$"


def _segment_regex(seg: str) -> str:
    if seg.startswith(_ALT):  # literal alternatives merged by merge_shapes
        return "(?:" + "|".join(re.escape(a) for a in seg[len(_ALT):].split("\x00")) + ")"
    out, i = [], 0
    for m in re.finditer(r"\{[a-z0-9]+\}", seg):
        out.append(re.escape(seg[i:m.start()]))
        out.append(TOKEN_RE.get(m.group(0), re.escape(m.group(0))))
        i = m.end()
    out.append(re.escape(seg[i:]))
    return "".join(out)


_ALT = "\x00alt:"


def merge_shapes(shapes: list[Shape]) -> list[Shape]:
    """Shapes that differ only in one literal path segment become one shape with the
    alternatives (/news/tech/index_{n}.html, /news/biz/... -> /news/(?:tech|biz)/...)."""
    shapes = list(dict.fromkeys(shapes))
    changed = True
    while changed:
        changed = False
        for pos in range(max((len(s.segments) for s in shapes), default=0)):
            families: dict[tuple, list[Shape]] = {}
            for s in shapes:
                if pos < len(s.segments) and "{" not in s.segments[pos]:
                    key = (s.netloc, s.trailing_slash, s.query, len(s.segments),
                           s.segments[:pos], s.segments[pos + 1:])
                    families.setdefault(key, []).append(s)
            for members in families.values():
                if len(members) < 2:
                    continue
                alts = sorted({a for m in members for a in _alternatives(m.segments[pos])})
                first = members[0]
                merged = Shape(first.netloc, first.segments[:pos] + (_ALT + "\x00".join(alts),)
                               + first.segments[pos + 1:], first.trailing_slash, first.query)
                shapes = [s for s in shapes if s not in members] + [merged]
                changed = True
                break
            if changed:
                break
    return shapes


def _alternatives(segment: str) -> list[str]:
    return segment[len(_ALT):].split("\x00") if segment.startswith(_ALT) else [segment]


def shape_of(url: str) -> Shape:
    parts = urlsplit(url)
    raw = [s for s in parts.path.split("/") if s]
    segments: list[str] = []
    prev = None
    for i, seg in enumerate(raw):
        stem, ext = _stem_ext(seg) if i == len(raw) - 1 else (seg, "")
        tok = _token(stem, prev) + ext
        segments.append(tok)
        prev = tok
    query = []
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if value.isdigit():
            tok = "{id}" if len(value) >= 3 else "{n}"
        else:
            tok = value if _WORD.match(value) and len(value) <= 20 else "{slug}" if _SLUG.match(value) else value
        query.append((key, tok))
    return Shape(parts.netloc.lower(), tuple(segments), parts.path.endswith("/"), tuple(query))


# -- inference -------------------------------------------------------------------------------
@dataclass
class Link:
    url: str
    text: str = ""
    where: str = "home"  # home | list | article | feed | sitemap


@dataclass
class ShapeGroup:
    shape: Shape
    urls: set[str] = field(default_factory=set)
    texts: list[str] = field(default_factory=list)
    wheres: dict[str, int] = field(default_factory=dict)

    @property
    def mean_text(self) -> float:
        texts = [t for t in self.texts if t]
        return sum(len(t) for t in texts) / len(texts) if texts else 0.0

    def article_score(self) -> int:
        """Evidence the group is article pages (>= 2: it is); see ``infer``."""
        n = len(self.urls)
        score = 0
        if self.wheres.get("feed"):
            score += 2  # feeds list articles
        if self.shape.has_id:
            score += 1
        if n >= 5:
            score += 1
        if self.mean_text >= 8:
            score += 1  # headline-like anchors
        elif self.texts and self.mean_text <= 4:
            score -= 2  # "科技", "2", "下一页": navigation
        if self.shape.is_pager:
            score -= 3
        if n == 1 and not self.wheres.get("feed"):
            score -= 2
        return score


@dataclass
class Proposal:
    articles: list[str]
    follow: list[str]
    article_groups: list[ShapeGroup]
    list_groups: list[ShapeGroup]


def group_links(links: list[Link], netloc: str) -> dict[Shape, ShapeGroup]:
    groups: dict[Shape, ShapeGroup] = {}
    for link in links:
        parts = urlsplit(link.url)
        if parts.scheme not in ("http", "https") or parts.netloc.lower() != netloc.lower():
            continue
        if not parts.path.strip("/") and not parts.query:
            continue  # the homepage itself
        shape = shape_of(link.url)
        g = groups.setdefault(shape, ShapeGroup(shape))
        g.urls.add(link.url.split("#")[0])
        if link.text:
            g.texts.append(re.sub(r"\s+", "", link.text))
        g.wheres[link.where] = g.wheres.get(link.where, 0) + 1
    return groups


def infer(links: list[Link], netloc: str, listed: dict[str, set[str]] | None = None) -> Proposal:
    """Article and list patterns for a site from its own links.

    ``links``: the homepage's, sampled list pages', the feed's and the sitemaps' links.
    A shape is an article class when enough evidence agrees (``ShapeGroup.article_score``:
    named by a feed, ends in an id/date/slug, many members, headline-length anchors, not a
    pager). ``listed`` maps a sampled list page URL to the links found on it: a non-article
    shape is followed when one of its pages linked articles, or when it is a pager.
    """
    groups = group_links(links, netloc)
    articles = [g for g in groups.values() if g.article_score() >= 2]
    article_shapes = {g.shape for g in articles}
    follow = []
    for g in groups.values():
        if g.shape in article_shapes:
            continue
        linked = any(any(shape_of(u) in article_shapes for u in (listed or {}).get(url, ()))
                     for url in g.urls)
        if linked or (g.shape.is_pager and g.wheres.get("list")):
            follow.append(g)
    by_size = sorted(follow, key=lambda g: -len(g.urls))
    return Proposal([s.regex() for s in merge_shapes([g.shape for g in sorted(articles, key=lambda g: -len(g.urls))])],
                    [s.regex() for s in merge_shapes([g.shape for g in by_size])],
                    articles, follow)
