"""One pass over a document for every platform and entity alias.

The lexicon's aliases are one compiled pattern matched on the lower-cased ``title + "\\n" +
body``; each match is then checked against the word-boundary rules (see platforms.toml) and the
document-level rules (weak aliases, glosses, the Tik Tok / TikTok switch). The jieba tokens of
the same text supply the token boundaries; the text is never segmented again.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass
from itertools import accumulate

from nlp.tagging.lexicon import Lexicon, Target, is_ascii_alnum, needs_token_start

_WS = re.compile(r"\s")
_OPEN_BRACKETS = "(（[【"


@dataclass(frozen=True)
class Mention:
    start: int
    end: int
    alias: str
    target: Target


class _Boundaries:
    """Token starts of the document, in the original text's coordinates (computed lazily).

    ``pos_tokens`` drop whitespace, so token offsets count non-space characters; a text offset
    is converted by subtracting the whitespace before it.
    """

    def __init__(self, text: str, words: list[str]) -> None:
        self.text = text
        self.words = words
        self._starts: set[int] | None = None
        self._ws: list[int] = []
        self.usable = True

    def _build(self) -> None:
        self._ws = [m.start() for m in _WS.finditer(self.text)]
        lengths = list(map(len, self.words))
        self._starts = set(accumulate(lengths, initial=0))
        # tokens must cover the text minus whitespace, or offsets cannot be trusted
        self.usable = sum(lengths) == len(self.text) - len(self._ws)

    def is_start(self, pos: int) -> bool:
        if self._starts is None:
            self._build()
        if not self.usable:
            return True  # cannot check: accept rather than lose the mention
        assert self._starts is not None
        return pos - bisect_left(self._ws, pos) in self._starts


def scan(text: str, words: list[str], lex: Lexicon) -> list[Mention]:
    """Platform and entity mentions in ``text`` (title + "\\n" + body), in text order."""
    low = text.lower()
    if len(low) != len(text):  # a rare character changes length when lower-cased
        low = "".join(ch if len(ch.lower()) != 1 else ch.lower() for ch in text)
    n = len(low)
    table = lex.table
    short = lex.short_cjk
    bounds = _Boundaries(text, words)
    raw: list[tuple[int, int, str, tuple[Target, ...]]] = []
    for m in lex.pattern.finditer(low):
        key = m.group()
        targets = table[key]
        if not targets:  # blocker: a longer word that is not a mention
            continue
        s, e = m.span()
        if is_ascii_alnum(key[0]) and s > 0 and is_ascii_alnum(low[s - 1]):
            continue
        if is_ascii_alnum(key[-1]) and e < n and is_ascii_alnum(low[e]):
            continue
        if needs_token_start(key, short) and not bounds.is_start(s):
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
            and s == prev_end + 1
            and low[s - 1] in _OPEN_BRACKETS
            and is_ascii_alnum(key[0])
            and prev_platforms
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
    for s, e, key, targets in kept:
        for t in targets:
            if t.switch:
                ctx = low[max(0, s - w) : e + w]
                if ("platform", t.switch) in strong or lex.intl_cues.search(ctx):
                    t = Target("platform", t.switch)
            if t.weak and (t.kind, t.name) not in strong:
                ctx = low[max(0, s - w) : e + w]
                cues = lex.commerce_cues if t.kind == "platform" else lex.entity_cues
                # the alias itself is not its own cue (虾皮 is not evidence for 虾皮)
                ctx = ctx.replace(key, " ")
                if not cues.search(ctx):
                    continue
            out.append(Mention(s, e, key, t))
    return out
