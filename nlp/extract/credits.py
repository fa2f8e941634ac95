"""Where the extractor looks for credits (the parsing itself is in :mod:`.bylines`).

* In the body: a line that is nothing but credits is chrome (read, then dropped); a
  republishing notice (本文来自…经授权发布) is read and dropped; the opening of the first
  paragraph (新华网北京电（记者…）) and a bracketed credit closing the last one (……（李某）) are
  read and kept, because they are part of the story as printed.
* Around the body: the short lines just above the article (the info line under the headline)
  and just below it (责任编辑 …), which the content selection leaves out. Only a few blocks
  either side are read: further away sit other articles' credits (sidebars, book widgets).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from . import rules_data as R
from .bylines import (
    Credits,
    add_new,
    parse_credit_line,
    parse_credit_sentence,
    parse_dateline,
    parse_trailing_credit,
    plausible_source,
)
from .clean import Context, _len, make_view

#: credit lines longer than this are prose that happens to contain a role word
MAX_CREDIT_LINE = 80
#: blocks read above the first and below the last body block
ABOVE, BELOW = 12, 6
#: a cheap test (both scripts) before a line is converted and parsed
_ROLE_HINT = re.compile(r"[作文记記编編责責源处處译譯报報撰讯訊摄攝授供／╱/]|实习|實習")
#: an editor credit ('[责任编辑：某]') is distinctive enough to be looked for further down
EDITOR_BELOW = 40


def apply(ctx: Context, found: Credits) -> None:
    ctx.credited.update(found.authors)
    add_new(ctx.authors, found.authors)
    add_new(ctx.editors, found.editors)
    ctx.original_source = ctx.original_source or found.source
    ctx.republisher = ctx.republisher or found.republisher


def _flag(found: Credits) -> str:
    """The flag a dropped credit line counts under: the older rules' names where one kind."""
    kinds = [k for k, v in (("byline", found.authors), ("editor_credit", found.editors),
                            ("original_source", found.source)) if v]
    return kinds[0] if len(kinds) == 1 else "credits"


def body_credits(ctx: Context) -> None:
    kept = ctx.kept()
    for i in kept:
        line = ctx.lines[i]
        view = line.view.strip()
        if _len(view) > 160:
            continue
        text = line.text.strip()
        if not _ROLE_HINT.search(text):
            continue
        if len(text) != len(view):
            text = view
        if _len(view) <= MAX_CREDIT_LINE:
            found, pure = parse_credit_line(text, view)
            if pure:
                apply(ctx, found)
                ctx.drop(i, _flag(found))
                continue
            if found:
                # an info line (发布时间:… 作者:… 阅读:…): credits read here, the date and the
                # line itself left to the meta-line rule
                apply(ctx, found)
                continue
        notice = parse_credit_sentence(text, view)
        if notice and (notice.republisher or view.startswith("本文")):
            apply(ctx, notice)
            ctx.drop(i, "credits")
    kept = ctx.kept()
    if not kept:
        return
    for i in kept[:3]:  # a caption or a lead may come before the story's opening
        found = parse_dateline(ctx.lines[i].text.strip(), ctx.lines[i].view.strip())
        if found:
            ctx.dateline_source = found.source
            apply(ctx, Credits(authors=found.authors))
            break
    for i in kept[-2:]:
        line = ctx.lines[i]
        found = parse_trailing_credit(line.text.strip(), line.view.strip())
        if found:
            # '（王某）' under a picture credited '本报记者 王某 摄' names the photographer
            shot = [n for n in found.authors if any(
                re.search(re.escape(n) + r"\s*(?:摄|攝)", ctx.lines[j].view) for j in kept[-6:])]
            found.authors = [n for n in found.authors if n not in shot]
            apply(ctx, found)


def around_body(ctx: Context, texts: Sequence[str], first: int, last: int, meta_authors: Sequence[str] = ()) -> None:
    """Credits on the short lines just above ``texts[first]`` and just below ``texts[last]``."""
    found, editors = Credits(), Credits()
    near = set(range(max(0, first - ABOVE), first)) | set(range(last + 1, last + 1 + BELOW))
    for k in sorted(near | set(range(last + 1, last + 1 + EDITOR_BELOW))):
        if k >= len(texts):
            break
        text = texts[k].strip()
        if not text or len(text) > 200 or not _ROLE_HINT.search(text):
            continue
        view = make_view(text)
        if len(text) > 120 and not re.match(r"^\W{0,2}(?:作者|文|记者|编辑|责任编辑|来源)", view):
            continue
        if "提供" in view and k in near:  # '（内容由某某提供。未经授权，不得转载。）'
            found.update(Credits(source=(parse_credit_sentence(text, view) or Credits()).source))
        if R.DISCLAIMER.search(view) or "注明" in view:
            continue  # '凡注明“来源：某网”的作品……': the site's policy, not this article's source
        got, _pure = parse_credit_line(text, view)
        (found if k in near else editors).update(got if k in near else Credits(editors=got.editors))
    if found.authors and ctx.authors and not ctx.credited and not set(ctx.authors) & set(found.authors):
        # a byline the reader sees beats <meta name="author">, often the CMS user who posted it
        ctx.authors[:] = []
    if not ctx.authors:
        apply(ctx, Credits(authors=found.authors))
    if not ctx.editors and not ctx.editor:
        apply(ctx, Credits(editors=found.editors or editors.editors))
    ctx.original_source = plausible_source(ctx.original_source)
    apply(ctx, Credits(source=found.source or plausible_source(ctx.dateline_source)))
    # CMSs put the editor in <meta name="author">: an editor named only there is not an author
    credited = set(ctx.editors) | ({ctx.editor} if ctx.editor else set())
    ctx.authors[:] = [a for a in ctx.authors
                      if a not in credited or a not in meta_authors or a in ctx.credited]
