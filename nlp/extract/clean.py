"""Line-level cleaning of extracted blocks: small named rules, each counted in ``flags``.

Every rule sees the lines with a Simplified, NFKC "view" (so one keyword list serves both
scripts) and either drops whole lines or trims a span, adding the characters it removed to
``flags[rule]``. Metadata that chrome carries (editor, bylines, source, date, canonical URL)
is kept on the context before the line goes. Rules look at page furniture (credits, widgets,
link lists, disclaimers), never at one site's wording.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from nlp.script import converter

from . import rules_data as R
from .dates import has_date, parse_date


@dataclass
class Line:
    text: str
    kind: str
    view: str
    keep: bool = True


@dataclass
class Context:
    lines: list[Line]
    now: datetime | None = None
    title: str | None = None
    published: datetime | None = None
    authors: list[str] = field(default_factory=list)
    credited: set[str] = field(default_factory=set)  # authors a credit in the page's text names
    editor: str | None = None
    editors: list[str] = field(default_factory=list)
    original_source: str | None = None
    republisher: str | None = None  # who republished it with permission (经授权发布)
    dateline_source: str | None = None  # '新华网北京电': the source when no credit line names one
    canonical_url: str | None = None
    lead: str | None = None
    cards: list[list[str]] = field(default_factory=list)
    card_category: str | None = None  # from a heading such as 为您推荐:“美食” 相关在售账号
    seo_phrases: list[str] = field(default_factory=list)
    flags: dict[str, int] = field(default_factory=dict)

    def drop(self, i: int, rule: str) -> None:
        line = self.lines[i]
        if line.keep:
            line.keep = False
            self.flags[rule] = self.flags.get(rule, 0) + len(line.text)

    def trim(self, i: int, new_text: str, rule: str) -> None:
        line = self.lines[i]
        removed = len(line.text) - len(new_text)
        if removed <= 0:
            return
        line.text = new_text
        line.view = make_view(new_text)
        self.flags[rule] = self.flags.get(rule, 0) + removed
        if not new_text.strip():
            line.keep = False

    def kept(self) -> list[int]:
        return [i for i, ln in enumerate(self.lines) if ln.keep]


def make_view(text: str) -> str:
    return unicodedata.normalize("NFKC", converter("t2s").convert(text))


def _len(view: str) -> int:
    return len(view) - view.count(" ")


def is_substantial(view: str) -> bool:
    """A real paragraph: long with sentence punctuation, or a finished sentence."""
    n = _len(view)
    punct = len(R.PUNCT.findall(view))
    if n >= 40 and punct >= 2:
        return True
    return n >= 15 and punct >= 1 and bool(R.SENTENCE_END.search(view))


def _clean_name(name: str) -> str:
    return name.strip(" ·・,，、")


# --- rules ---------------------------------------------------------------------------------


#: a recommendation heading over account cards names their category in quotes
_CARD_HEADING = re.compile(r"[“\"「]([^”\"」]{1,8})[”\"」]\s*(?:相关)?(?:在售)?(?:的)?账号")


def rule_account_cards(ctx: Context) -> None:
    """Runs of short label/value lines repeating with a fixed period are account cards."""
    lines = ctx.lines
    i, n = 0, len(lines)
    while i < n:
        j = i
        while j < n and _is_card_cell(lines[j].view):
            j += 1
        if j - i >= 8:
            _split_cards(ctx, i, j)
        i = j + 1


def _is_card_cell(view: str) -> bool:
    return 0 < _len(view) <= 14 and not re.search(r"[。，,！？!?；;]", view)


def _split_cards(ctx: Context, start: int, end: int) -> None:
    views = [ctx.lines[k].view.strip() for k in range(start, end)]
    counts = Counter(views)
    label, freq = counts.most_common(1)[0]
    if freq < 2 or sum(1 for c in counts.values() if c >= 2) < 2:
        return
    pos = [k for k, v in enumerate(views) if v == label]
    gaps = Counter(b - a for a, b in zip(pos, pos[1:], strict=False))
    period = gaps.most_common(1)[0][0]
    if period < 2:
        return
    def label_columns(chunks: list[list[int]]) -> int:
        columns = [{ctx.lines[c[k]].view.strip() for c in chunks} for k in range(period)]
        return sum(1 for col in columns if len(col) == 1 and not any(ch.isdigit() for ch in next(iter(col))))

    # The run may begin with a short heading line: pick the phase whose cards line up best
    # (the most constant label columns), and keep whole cards only.
    best: tuple[int, list[list[int]]] = (-1, [])
    for offset in range(period):
        chunks = [list(range(k, k + period)) for k in range(start + offset, end - period + 1, period)]
        if len(chunks) >= 2 and label_columns(chunks) > best[0]:
            best = (label_columns(chunks), chunks)
    labels, full = best
    if len(full) < 2:
        return
    chunks = full
    # cards share labels at fixed offsets (粉丝数量, 有无违规) and vary in a numeric value;
    # menus and date archives repeat too, but have no constant label column
    columns = [{ctx.lines[c[k]].view.strip() for c in full} for k in range(period)]
    numeric = any(
        len(col) > 1 and sum(any(ch.isdigit() for ch in v) for v in col) >= len(col) / 2
        for col in columns
    )
    if labels < 2 or not numeric:
        return
    first = full[0][0]
    for k in range(first - 1, max(-1, first - 4), -1):  # the heading just above the cards
        m = _CARD_HEADING.search(ctx.lines[k].view)
        if m:
            ctx.card_category = ctx.card_category or m.group(1).strip()
            break
    for chunk in chunks:
        ctx.cards.append([ctx.lines[k].text for k in chunk])
        for k in chunk:
            ctx.drop(k, "account_cards")


def rule_canonical_line(ctx: Context) -> None:
    for i in ctx.kept():
        m = R.CANONICAL_LINE.match(ctx.lines[i].view.strip())
        if m:
            ctx.canonical_url = ctx.canonical_url or m.group(1).rstrip("。,，")
            ctx.drop(i, "canonical_line")


def _set_source(ctx: Context, source: str) -> None:
    source = source.strip(" :：\"'“”《》")
    if source and not ctx.original_source:
        ctx.original_source = source


def _source_span(line: Line, m: re.Match) -> str:
    """The matched group in the line's own script (the view is Simplified)."""
    text = line.text.strip()
    view = line.view.strip()
    return text[m.start(1):m.end(1)] if len(text) == len(view) else m.group(1)


def rule_original_source(ctx: Context) -> None:
    """'本文原创发布于X，未经许可……' / '来源：X' lines: keep X, drop the line."""
    for i in ctx.kept():
        view = ctx.lines[i].view.strip()
        if _len(view) > 120:
            continue
        m = R.SOURCE_LINE.match(view)
        if m and not is_substantial(view[m.end():]):
            _set_source(ctx, _source_span(ctx.lines[i], m))
            ctx.drop(i, "original_source")
            continue
        m = R.ORIGINAL_SOURCE.match(view)
        if m and view.startswith(("本文", "此文", "文章", "原创")):
            _set_source(ctx, _source_span(ctx.lines[i], m))
            ctx.drop(i, "original_source")


def rule_meta_line(ctx: Context) -> None:
    """Short lines carrying the date (and source, views, category): metadata, not body."""
    kept = ctx.kept()
    for pos, i in enumerate(kept):
        view = ctx.lines[i].view.strip()
        n = _len(view)
        if n > 90 or is_substantial(view) and n > 40:
            continue
        if not has_date(view):
            continue
        rest = re.sub(r"[\d\s:：\-/.年月日号时分秒T+]+", "", view)
        if rest and not R.META_WORDS.search(view) and len(rest) > 6:
            continue
        if ctx.published is None:
            ctx.published = parse_date(view, ctx.now)
        m = re.search(r"(?:来源|稿源|出处)\s*[:：]\s*([^\s|/]{2,30})", view)
        if m:
            _set_source(ctx, m.group(1))
        # the headline is the short line right before the date line on text-like pages
        if ctx.title is None and pos > 0 and pos < 8:
            prev = ctx.lines[kept[pos - 1]]
            pv = prev.view.strip()
            if 4 <= _len(pv) <= 60 and not pv.endswith(("。", "!", "！")):
                ctx.title = prev.text.strip()
                ctx.drop(kept[pos - 1], "title_line")
        ctx.drop(i, "meta_line")
        if pos > 12:
            break


def rule_title_line(ctx: Context) -> None:
    """The headline repeated at the top of the body."""
    if not ctx.title:
        return
    title = re.sub(r"\s+", "", make_view(ctx.title))
    for i in ctx.kept()[:6]:
        v = re.sub(r"\s+", "", ctx.lines[i].view)
        if v and (v == title or (len(v) >= 6 and title.startswith(v)) or (len(title) >= 6 and v.startswith(title) and len(v) <= len(title) + 12 and not is_substantial(v))):
            ctx.drop(i, "title_line")
            return


def rule_editor_credit(ctx: Context) -> None:
    for i in ctx.kept():
        line = ctx.lines[i]
        view = line.view.strip()
        m = R.EDITOR_LINE.match(view)
        if m:
            ctx.editor = ctx.editor or _clean_name(_source_span(line, m))
            ctx.drop(i, "editor_credit")
            continue
        m = R.EDITOR_TAIL.search(line.view)
        if m and len(line.view) == len(line.text):
            ctx.editor = ctx.editor or _clean_name(line.text[m.start(1):m.end(1)])
            ctx.trim(i, line.text[: m.start()].rstrip(), "editor_credit")


def rule_byline(ctx: Context) -> None:
    for i in ctx.kept():
        line = ctx.lines[i]
        view = line.view.strip()
        m = R.BYLINE_LINE.match(view)
        if m:
            names = _source_span(line, m)
            for name in re.split(r"[,，、\s]+", names):
                name = _clean_name(name)
                if name and name not in ctx.authors:
                    ctx.authors.append(name)
            ctx.drop(i, "byline")


def rule_author_bio(ctx: Context) -> None:
    """'#专栏作家#' / '作者简介' blocks after the article: the author, then out."""
    kept = ctx.kept()
    for pos, i in enumerate(kept):
        view = ctx.lines[i].view.strip()
        if not R.BIO_MARKER.match(view) or pos < len(kept) // 2:
            continue
        ctx.drop(i, "author_bio")
        rest = view[R.BIO_MARKER.match(view).end():].strip(" :：")
        nxt = kept[pos + 1] if pos + 1 < len(kept) else None
        bio = rest or (ctx.lines[nxt].text.strip() if nxt is not None else "")
        m = re.match(r"([\u4e00-\u9fff]{2,4}|[A-Za-z][A-Za-z .]{1,30}?)\s*[,，:：(（]", bio)
        if m and m.group(1) not in ctx.authors:
            ctx.authors.append(m.group(1))
        if not rest and nxt is not None:
            ctx.drop(nxt, "author_bio")
        return


def rule_byline_trailer(ctx: Context) -> None:
    """Names glued after the last sentence: '……爆发了。钟天翼 耿 强'.

    Only the article's last paragraph, or the one right before a dropped editor credit, is
    looked at: mid-article a run of short words is far more likely to be prose.
    """
    kept = ctx.kept()
    if not kept:
        return
    targets = {kept[-1]}
    for k, line in enumerate(ctx.lines):
        if not line.keep and R.EDITOR_LINE.match(line.view.strip()):
            before = [j for j in kept if j < k]
            if before:
                targets.add(before[-1])
    for i in sorted(targets):
        line = ctx.lines[i]
        if len(line.view) != len(line.text):
            continue
        m = R.TRAILING_NAMES.search(line.view)
        if not m or not is_substantial(line.view[: m.start(2)]):
            continue
        names = _merge_names(line.text[m.start(2):].split())
        if any(len(t) == 1 for t in names) or len(names) > 4:
            continue  # a stray character left over: not a list of names
        for name in names:
            if name not in ctx.authors:
                ctx.authors.append(name)
        ctx.trim(i, line.text[: m.start(2)].rstrip(), "byline_trailer")


def _merge_names(tokens: list[str]) -> list[str]:
    """'耿 强' is one two-character name padded to three columns, not two names."""
    out, k = [], 0
    while k < len(tokens):
        t = tokens[k]
        if len(t) == 1 and k + 1 < len(tokens) and len(tokens[k + 1]) == 1:
            t, k = t + tokens[k + 1], k + 1
        out.append(t)
        k += 1
    return out


def _short_drop(ctx: Context, pattern: re.Pattern, rule: str, max_len: int, allow_sentence: bool = True) -> None:
    for i in ctx.kept():
        view = ctx.lines[i].view
        if _len(view) <= max_len and pattern.search(view):
            if not allow_sentence and is_substantial(view):
                continue
            ctx.drop(i, rule)


def rule_disclaimer(ctx: Context) -> None:
    _short_drop(ctx, R.DISCLAIMER, "disclaimer", 300)


def rule_image_credit(ctx: Context) -> None:
    _short_drop(ctx, R.IMAGE_CREDIT, "image_credit", 60, allow_sentence=False)


def rule_prev_next(ctx: Context) -> None:
    for i in ctx.kept():
        view = ctx.lines[i].view.strip()
        if _len(view) > 120:
            continue
        if R.NAV_PREV_NEXT.search(view) and not (view.endswith(">") and "<" in view[:-1]) or R.BREADCRUMB.search(view):
            if is_substantial(view) and not re.match(r"^\s*(?:[«‹]|上一|下一)", view):
                continue
            ctx.drop(i, "prev_next")


def rule_related_list(ctx: Context) -> None:
    """Related-article lists: a '相关新闻' heading and its run, or runs of '...' titles."""
    lines = ctx.lines
    kept = ctx.kept()
    pos = 0
    while pos < len(kept):
        i = kept[pos]
        view = lines[i].view.strip()
        heading = _len(view) <= 80 and (
            R.RELATED_HEADING.match(view) and _len(view) <= 20
            or R.RECOMMEND_HEADER.search(view) and not R.SENTENCE_END.search(view)
        )
        if heading:
            ctx.drop(i, "related_list")
            pos += 1
            while pos < len(kept) and not is_substantial(lines[kept[pos]].view) or (
                pos < len(kept) and R.ELLIPSIS_END.search(lines[kept[pos]].view)
            ):
                if _is_card_cell(lines[kept[pos]].view) and not lines[kept[pos]].keep:
                    break
                ctx.drop(kept[pos], "related_list")
                pos += 1
            continue
        # two or more consecutive lines cut off with '...'
        run = pos
        while run < len(kept) and R.ELLIPSIS_END.search(lines[kept[run]].view) and _len(lines[kept[run]].view) <= 160:
            run += 1
        if run - pos >= 2:
            for k in range(pos, run):
                ctx.drop(kept[k], "related_list")
            pos = run
            continue
        pos += 1


def rule_widgets(ctx: Context) -> None:
    for i in ctx.kept():
        view = ctx.lines[i].view.strip()
        n = _len(view)
        if n <= 40 and R.REWARD.search(view):
            ctx.drop(i, "widgets")
        elif n <= 40 and R.WIDGET.search(view) and not is_substantial(view):
            ctx.drop(i, "widgets")
        elif n <= 30 and R.WIDGET_WORDS.match(view):
            ctx.drop(i, "widgets")


def _tail_start(ctx: Context) -> int:
    """Index after which the article has ended: the first end-of-article furniture
    (bio, disclaimer, source credit, image credit, reward widget) in the second half."""
    half = len(ctx.lines) // 2
    for i in range(half, len(ctx.lines)):
        line = ctx.lines[i]
        if not line.keep and (
            R.BIO_MARKER.match(line.view.strip()) or R.DISCLAIMER.search(line.view)
            or R.IMAGE_CREDIT.match(line.view) or R.REWARD.search(line.view)
        ):
            return i
    return len(ctx.lines)


def rule_ad_contact(ctx: Context) -> None:
    """Lines with a URL or phone number that sell something.

    After the article's end (a disclaimer, bio or reward widget) any such line is an ad; inside
    the article only unfinished lines are, since news legitimately cites hotlines and sites.
    """
    tail = _tail_start(ctx)
    for i in ctx.kept():
        view = ctx.lines[i].view
        if not (R.URL.search(view) or R.PHONE.search(view)):
            continue
        selling = R.COMMERCIAL.search(view)
        bare = _len(R.URL.sub("", view)) < 10
        unfinished = R.CJK.search(view) and not is_substantial(view)  # English tweets cite links
        if bare or unfinished or selling and i > tail:
            ctx.drop(i, "ad_contact")


def rule_keyword_caption(ctx: Context) -> None:
    for i in ctx.kept():
        line = ctx.lines[i]
        m = R.KEYWORD_RUN.search(line.view)
        if not m:
            continue
        if len(line.view) == len(line.text):
            new = (line.text[: m.start()] + line.text[m.end():]).strip()
        else:
            new = R.KEYWORD_RUN.sub("", line.text).strip()
        ctx.trim(i, new, "keyword_caption")
        if not re.search(r"[\w\u4e00-\u9fff]", ctx.lines[i].text):
            ctx.drop(i, "keyword_caption")


def rule_seo_injection(ctx: Context) -> None:
    """Remove the site's SEO phrase where it is wedged into a sentence.

    Candidates are the phrases the site repeats in its chrome (meta keywords, the site part of
    the title) and account-trading keywords. An occurrence is an insertion when it sits
    mid-sentence (a CJK character before it) and is directly followed by punctuation; uses as
    a subject or object inside the sentence are left alone.
    """
    kept = ctx.kept()
    body = "\n".join(ctx.lines[i].view for i in kept)
    phrases = {p for p in ctx.seo_phrases if len(p) >= 3}  # the site's own names
    phrases.update(m.group(0) for m in R.ACCOUNT_TRADE.finditer(body))
    for phrase in sorted(phrases, key=len, reverse=True):
        pat = re.compile(r"(?<=[\u4e00-\u9fff])" + re.escape(phrase) + r"(?=[,，;；])")
        hits = len(pat.findall(body))
        # a topic word also occurs in ordinary positions; an injected phrase never does
        if hits < 2 or hits != body.count(phrase):
            continue
        for i in kept:
            line = ctx.lines[i]
            if phrase not in line.view or len(line.view) != len(line.text):
                continue
            spans = [m.span() for m in pat.finditer(line.view)]
            text = line.text
            for a, b in reversed(spans):
                text = text[:a] + text[b:]
            ctx.trim(i, text, "seo_injection")


def rule_repeated_lines(ctx: Context) -> None:
    kept = ctx.kept()
    counts = Counter(ctx.lines[i].view.strip() for i in kept)
    for i in kept:
        v = ctx.lines[i].view.strip()
        if counts[v] >= 2 and _len(v) >= 30 and not is_substantial(v):
            ctx.drop(i, "repeated_lines")


#: a top or bottom line this short, sharing this little with the headline and the body, is chrome
SLOGAN_MAX_CHARS = 40
SLOGAN_MAX_OVERLAP = 0.2


def _bigrams(view: str) -> Counter[str]:
    """Adjacent character pairs, whitespace ignored (map/str.__add__: no Python-level loop)."""
    t = "".join(view.split())
    return Counter(map(str.__add__, t, t[1:]))


def rule_slogan_lines(ctx: Context) -> None:
    """Site name, slogan and tagline written as text lines above (or below) the article:
    short lines without clauses ('专业、安全、快捷的账号交易平台！') that share almost no
    character pairs with the headline and the body.

    Only lines before the first (after the last) line that belongs to the article are looked
    at, so a short line inside the story is never touched. The headline itself, a dateline
    and a lead marker stop the walk."""
    kept = ctx.kept()
    if len(kept) < 4:
        return

    def candidate(i: int) -> bool:
        v = ctx.lines[i].view
        if _len(v) > SLOGAN_MAX_CHARS or _len(v) < 2 or ctx.lines[i].kind == "h":
            return False
        if not re.search(r"[\u4e00-\u9fff]", v) or re.search(r"[,，;；:：]|。\s*$", v):
            return False  # no Chinese, a clause or a finished statement: not a slogan
        return not (R.LEAD_MARKER.match(v) or has_date(v))

    if not (candidate(kept[0]) or candidate(kept[-1])):
        return  # most pages: nothing slogan-like at either end, nothing to count
    title = set(_bigrams(make_view(ctx.title))) if ctx.title else set()
    grams = {i: _bigrams(ctx.lines[i].view) for i in kept}
    total = _bigrams("".join(ctx.lines[i].view for i in kept))
    for order in (kept, list(reversed(kept))):
        edge: list[int] = []
        rest = total.copy()
        for i in order[:4]:
            if not candidate(i):
                break
            rest.subtract(grams[i])  # the line itself and the chrome above it are not the body
            shared = sum(1 for g in grams[i] if g in title or rest[g] > 0) / len(grams[i])
            if shared > SLOGAN_MAX_OVERLAP:
                break
            edge.append(i)
        if len(edge) < len(kept) // 2:
            for i in edge:
                ctx.drop(i, "slogan_lines")


def rule_leading_chrome(ctx: Context) -> None:
    """Short unfinished lines before the first real paragraph (site name, menus, tags)."""
    for i in ctx.kept():
        line = ctx.lines[i]
        if is_substantial(line.view):
            return
        if line.kind == "h" or R.LEAD_MARKER.match(line.view):
            return
        if _len(line.view) <= 50 and not R.SENTENCE_END.search(line.view):
            ctx.drop(i, "leading_chrome")
        else:
            return


def rule_trailing_chrome(ctx: Context) -> None:
    """Short unfinished lines after the last real paragraph (counters, buttons, tags)."""
    for i in reversed(ctx.kept()):
        line = ctx.lines[i]
        if is_substantial(line.view):
            return
        if _len(line.view) <= 20 and not R.SENTENCE_END.search(line.view) and line.kind != "h":
            ctx.drop(i, "trailing_chrome")
        else:
            return


def rule_credits(ctx: Context) -> None:
    """Credit lines, republishing notices, datelines and closing credits (nlp.extract.bylines)."""
    from .credits import body_credits

    body_credits(ctx)


RULES: list[tuple[str, Callable[[Context], None]]] = [
    ("account_cards", rule_account_cards),
    ("canonical_line", rule_canonical_line),
    ("credits", rule_credits),
    ("original_source", rule_original_source),
    ("meta_line", rule_meta_line),
    ("title_line", rule_title_line),
    ("editor_credit", rule_editor_credit),
    ("byline", rule_byline),
    ("author_bio", rule_author_bio),
    ("byline_trailer", rule_byline_trailer),
    ("disclaimer", rule_disclaimer),
    ("image_credit", rule_image_credit),
    ("prev_next", rule_prev_next),
    ("related_list", rule_related_list),
    ("widgets", rule_widgets),
    ("ad_contact", rule_ad_contact),
    ("keyword_caption", rule_keyword_caption),
    ("seo_injection", rule_seo_injection),
    ("repeated_lines", rule_repeated_lines),
    ("leading_chrome", rule_leading_chrome),
    ("trailing_chrome", rule_trailing_chrome),
    ("slogan_lines", rule_slogan_lines),
]


def clean_lines(ctx: Context, skip: frozenset[str] = frozenset()) -> Context:
    """Run every rule (except ``skip``) over ``ctx.lines`` in order."""
    for name, rule in RULES:
        if name not in skip:
            rule(ctx)
    kept = ctx.kept()
    if kept and ctx.lead is None:
        first = ctx.lines[kept[0]]
        m = R.LEAD_MARKER.match(first.view)
        if m:
            same = len(first.view) == len(first.text)
            ctx.lead = first.text[m.end():].strip() if same else first.text.strip()
    return ctx
