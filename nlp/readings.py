"""Pinyin readings pasted after Han characters, and ruby annotations.

SEO mirror sites paste a tone-marked reading after many characters: ``產(chǎn)業(yè)``. Real news
has at most a stray reading (``金正(zhèng)恩`` in a quote about pronunciation), so the rule is
per document, measured on real pages: remove readings only when there are at least
MIN_HITS of them and they number at least MIN_SHARE of the Han characters (mirrored pages
run at 17–33%). Below that the text is left alone.

Readings are removed before Traditional→Simplified conversion and segmentation, so that
``產(chǎn)業(yè)`` becomes ``產業`` → ``产业``, one word.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from nlp.lxmltools import remove_keep_tail

MIN_HITS = 3
MIN_SHARE = 0.02

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜńňǹḿ"
# One syllable: lower-case pinyin letters with exactly the tone-marked vowels pinyin uses.
_SYLLABLE = f"[a-zü{_TONED}]{{1,6}}"
#: a Han character, then ``(reading)`` or ``（reading）``; the reading has a tone mark, which
#: is what tells it apart from an ordinary parenthesis like ``(GMV)`` or ``(a)``
READING = re.compile(
    rf"(?<=[{_HAN}])[(（]\s?(?=[a-zü{_TONED} ]*[{_TONED}])"
    rf"{_SYLLABLE}(?:[ '’]{_SYLLABLE}){{0,3}}\s?[)）]"
)
_HAN_RUN = re.compile(f"[{_HAN}]+")


def _has_paren(text: str) -> bool:
    return "(" in text or "\uff08" in text


def count_han(text: str) -> int:
    return sum(map(len, _HAN_RUN.findall(text)))


def count_hits(text: str) -> int:
    """Readings in ``text`` (cheap when there is no parenthesis at all, the usual case)."""
    return len(READING.findall(text)) if _has_paren(text) else 0


def count_readings(text: str) -> tuple[int, int]:
    """(readings, Han characters) in ``text``: the two numbers the document rule needs."""
    return count_hits(text), count_han(text)


def is_annotated(hits: int, han: int) -> bool:
    """The document-level rule: enough readings, and dense enough to be a mirror."""
    return hits >= MIN_HITS and hits >= MIN_SHARE * han


def remove_readings(text: str) -> tuple[str, int]:
    """Remove every reading unconditionally; use after ``is_annotated`` said yes."""
    return READING.subn("", text)


def strip_readings(text: str) -> tuple[str, int]:
    """Apply the whole-document rule to ``text``: (cleaned text, readings removed)."""
    hits = count_hits(text)
    if hits < MIN_HITS or not is_annotated(hits, count_han(text)):
        return text, 0
    return remove_readings(text)


def strip_readings_blocks(texts: Iterable[str]) -> tuple[list[str], int]:
    """The same rule over a document given as blocks (the rule counts the whole document)."""
    texts = list(texts)
    hits = sum(map(count_hits, texts))
    if hits < MIN_HITS or not is_annotated(hits, sum(map(count_han, texts))):
        return texts, 0
    out: list[str] = []
    removed = 0
    for t in texts:
        t, n = remove_readings(t)
        out.append(t)
        removed += n
    return out, removed


def drop_ruby(tree: Any) -> int:
    """Remove ``<rt>`` and ``<rp>`` elements from an lxml tree (element or ElementTree),
    keeping their tail text; returns how many were removed.

    Ruby text is a reading of the base text (``<ruby>直<rt>zhí</rt></ruby>``); left in, it
    ends up glued into the body as ``直zhí``.
    """
    root = tree.getroot() if hasattr(tree, "getroot") else tree
    doomed = [el for el in root.iter("{*}rt", "{*}rp") if el is not root]
    for el in doomed:
        remove_keep_tail(el)
    return len(doomed)
