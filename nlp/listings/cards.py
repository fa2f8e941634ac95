"""Account cards as text lines -> Listings.

Cards come from the extraction helper (``Extraction.cards``) or from a card element's text
nodes. Sites lay the same label/value pairs out in several orders, all handled here:

* values first, labels after, in the same order (seed 002: '13.2W' 'W' '无违规' '已开通'
  '未认证' then '粉丝数量' '有无违规' '直播权限' '认证状态');
* labels first, values after (a table header row followed by its cells);
* alternating label, value, label, value (definition lists, two-column tables);
* 'label：value' on one line.

A unit printed on its own line ('W' after '13.2W') belongs to the value before it.
"""

from __future__ import annotations

import re
from functools import lru_cache

from .fields import (
    _BARE_NO,
    _BARE_YES,
    _NEGATIVE,
    _POSITIVE,
    canonical_platform,
    find_category,
    label_field,
    normalize,
)
from .model import Listing, build_listing

__all__ = ["parse_cards", "pair_lines", "is_label"]

_UNIT_LINE = re.compile(r"^[wW万亿kK千+]+$")
_LABEL_FORM = re.compile(r"^(?:有无|是否|有没有)|(?:状态|权限|数量|情况|记录|类型|等级|功能|编号|价格|平台|类目|领域)$")
_COLON = re.compile(r"^([^:：]{1,12})[:：]\s*(.*)$")


def _is_value(s: str) -> bool:
    if re.search(r"\d", s) or s.lower() in _BARE_YES or s.lower() in _BARE_NO:
        return True
    if re.match(r"^(?:有无|是否|有没有)", s):
        return False
    return bool(_NEGATIVE.match(s) or _POSITIVE.match(s))


@lru_cache(maxsize=8192)
def is_label(line: str) -> bool:
    """A line that names a field (粉丝数量, 有无违规, 认证状态), not a value of one."""
    s = normalize(line).rstrip(":：")
    if not s or len(s) > 10 or _is_value(s):
        return False
    if _LABEL_FORM.search(s):
        return True
    name = label_field(s)
    if name is None:
        return False
    # a platform or category word alone is a value ('快手', '美食') unless it is a label word
    return not (canonical_platform(s) and name not in ("platform",)) and not (
        find_category(s) == s and name != "category")


def _merge_units(lines: list[str]) -> list[str]:
    out: list[str] = []
    for raw in lines:
        line = raw.strip()
        if not line:
            continue
        if _UNIT_LINE.match(line) and out and re.search(r"\d", out[-1]):
            out[-1] += line  # '13.2W' + 'W' -> '13.2WW', which the follower parser reads
        else:
            out.append(line)
    return out


def pair_lines(lines: list[str]) -> tuple[list[tuple[str, str]], list[str]]:
    """Card lines -> (label/value pairs, lines no label claims)."""
    pairs: list[tuple[str, str]] = []
    rest: list[str] = []
    pending: str | None = None
    for line in _merge_units(lines):
        m = _COLON.match(line)
        if m and re.search(r"[^\d\s]", m.group(1)) and not re.fullmatch(r"[\d\s:：]+", line):
            if m.group(2):
                pairs.append((m.group(1).strip(), m.group(2).strip()))
            else:
                pending = m.group(1).strip()  # 'label:' with its value on the next line
                rest.append(f"\x00{pending}")
            continue
        rest.append(line)
    # resolve 'label:' + next line
    seq: list[str] = []
    i = 0
    while i < len(rest):
        if rest[i].startswith("\x00"):
            if i + 1 < len(rest) and not rest[i + 1].startswith("\x00"):
                pairs.append((rest[i][1:], rest[i + 1]))
                i += 2
            else:
                i += 1
            continue
        seq.append(rest[i])
        i += 1
    if not seq:
        return pairs, []
    labels = [is_label(s) for s in seq]
    n = len(seq)

    # values first, labels after: the trailing run of labels pairs with as many lines before it
    k = 0
    while k < n and labels[n - 1 - k]:
        k += 1
    if k and 2 * k <= n and not any(labels[n - 2 * k:n - k]):
        vals, labs = seq[n - 2 * k:n - k], seq[n - k:]
        return pairs + list(zip(labs, vals, strict=True)), seq[:n - 2 * k]

    # labels first, values after (a header row, then the cells)
    k = 0
    while k < n and labels[k]:
        k += 1
    if k >= 2 and 2 * k <= n and not any(labels[k:2 * k]):
        return pairs + list(zip(seq[:k], seq[k:2 * k], strict=True)), seq[2 * k:]

    # alternating: each label takes the line after it
    loose: list[str] = []
    i = 0
    while i < n:
        if labels[i] and i + 1 < n and not labels[i + 1]:
            pairs.append((seq[i], seq[i + 1]))
            i += 2
        else:
            if not labels[i]:
                loose.append(seq[i])
            i += 1
    return pairs, loose


def parse_cards(
    cards: list[list[str]], *, platform: str | None = None, category: str | None = None
) -> list[Listing]:
    """Each card (a list of text lines) -> one Listing; cards with no listing data are skipped.

    ``platform`` / ``category`` are the defaults the page or source gives (seed 002's cards
    sit under '“自媒体” 相关在售账号' on a 快手 site); a card's own fields win over them.
    """
    out: list[Listing] = []
    for card in cards:
        pairs, loose = pair_lines([str(x) for x in card if x is not None])
        li = build_listing(pairs, loose, platform=platform, category=category)
        if not li.is_empty():
            out.append(li)
    return out
