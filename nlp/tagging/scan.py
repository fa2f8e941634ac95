"""One pass over a document for every platform and entity alias.

The alias pattern (nlp.tagging.lexicon) runs on the document's tokens joined by a separator
character, lower-cased: the tokens of ``pos_tag(title + "\\n" + body)``, the document's one
segmentation, so jieba's word boundaries are visible in the text being matched. A short CJK
alias must start right after a separator (北京|东路 is not 京东, 完美|团队 is not 美团); a Latin
alias must not touch an ASCII letter or digit. Then come the document-level rules: blockers,
weak aliases, glosses and the Tik Tok / TikTok switch (see nlp/data/platforms.toml).

Offsets (``Mention.start``) count the characters of ``title + "\\n" + body`` without
whitespace (whitespace tokens are not part of the segmentation).
"""

from __future__ import annotations

import re
from typing import NamedTuple

from nlp.tagging.lexicon import SEP, Lexicon, Target

_OPEN_BRACKETS = frozenset("(（[【")
#: a separator inside a Latin phrase stands for a space ("tik\x01tok" -> "tik tok")
_LATIN_SEP = re.compile(f"(?<=[a-z0-9]){SEP}(?=[a-z0-9])")


_ALNUM = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")


class Mention(NamedTuple):
    start: int  # offset in the document's non-whitespace characters
    alias: str  # the alias key that matched
    target: Target


def joined_text(words: list[str]) -> str:
    """The document's tokens joined by SEP, lower-cased: what the alias pattern runs on."""
    return SEP.join(words).lower()


def scan(words: list[str], lex: Lexicon) -> list[Mention]:
    """Platform and entity mentions of the document (its tokens, in order), in text order."""
    joined = joined_text(words)
    n = len(joined)
    table = lex.table
    short = lex.short_keys
    raw: list[tuple[int, int, str, tuple[Target, ...]]] = []
    for m in lex.pattern.finditer(joined):
        key = m.group()
        if SEP in key:
            key = _LATIN_SEP.sub(" ", key).replace(SEP, "")
        targets = table.get(key)
        if not targets:  # a blocker: a longer word that is not a mention
            continue
        s, e = m.span()
        if key[0] in _ALNUM and s > 0 and joined[s - 1] in _ALNUM:
            continue
        if key[-1] in _ALNUM and e < n and joined[e] in _ALNUM:
            continue
        if s > 0 and joined[s - 1] != SEP and key in short:
            continue
        raw.append((s, e, key, targets))
    if not raw:
        return []

    # glosses: 抖音（TikTok） names 抖音 once, in two scripts
    kept: list[tuple[int, int, str, tuple[Target, ...]]] = []
    prev_end, prev_platforms = -10, frozenset()
    for s, e, key, targets in raw:
        platforms = frozenset(t.name for t in targets if t.kind == "platform")
        if (
            platforms
            and prev_platforms
            and key[0] in _ALNUM
            and s - prev_end <= 3
            and joined[prev_end:s].replace(SEP, "") in _OPEN_BRACKETS
            and not (platforms & prev_platforms)
        ):
            targets = tuple(t for t in targets if t.kind != "platform")
            if not targets:
                prev_end = e
                continue
        kept.append((s, e, key, targets))
        prev_end, prev_platforms = e, platforms

    strong = {(t.kind, t.name) for *_x, ts in kept for t in ts if not t.weak and not t.switch}
    w = lex.window
    out: list[Mention] = []
    last_s = seps = 0
    for s, e, key, targets in kept:
        seps += joined.count(SEP, last_s, s)  # incremental: matches come in text order
        last_s = s
        pos = s - seps
        for t in targets:
            if t.kind == "platform" and lex.staff_after is not None and lex.staff_after.match(_right(joined, e)):
                continue  # '快手电商团队', '蘑菇街CEO陈琪': the company's people, not the platform
            if t.kind == "platform" and lex.deal_before is not None and lex.deal_before.search(_left(joined, s)):
                continue  # '卖身苏宁', '收购土豆网': the company in a deal, not the platform
            if t.switch:
                if ("platform", t.switch) in strong or lex.intl_cues.search(_context(joined, s, e, w)):
                    t = Target("platform", t.switch)
            if t.weak and (t.kind, t.name) not in strong:
                cues = lex.commerce_cues if t.kind == "platform" else lex.entity_cues
                if not cues.search(_context(joined, s, e, w)):
                    continue
            out.append(Mention(pos, key, t))
    return out


def _right(joined: str, e: int, w: int = 12) -> str:
    """The ``w`` characters after a match, separators removed."""
    return joined[e : e + 2 * w].replace(SEP, "")[:w]


def _left(joined: str, s: int, w: int = 6) -> str:
    """The ``w`` characters before a match, separators removed."""
    return joined[max(0, s - 2 * w) : s].replace(SEP, "")[-w:]


def _context(joined: str, s: int, e: int, w: int) -> str:
    """``w`` characters either side of a match (separators removed, the match left out)."""
    left = joined[max(0, s - 2 * w) : s].replace(SEP, "")[-w:]
    right = joined[e : e + 2 * w].replace(SEP, "")[:w]
    return left + " " + right
