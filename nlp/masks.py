"""Masked words: ``**``, ``XX``, ``某某``, ``□`` standing in for a word a site hid.

Republishers mask brand names and sensitive words (``**直播`` for 腾讯直播, ``机**`` for 机会).
The text is kept as it is (readers see the mask), the count is flagged, and a mask never
becomes a search token or a keyword: ``is_mask_token`` is what ``segment.is_wordlike`` uses.

Deliberately not masks: a single ``*`` between non-Han text (footnotes, ``5*8``), ``XXL`` or
``XX`` inside Latin words, a single ``某`` (某公司, "a certain company" is ordinary language),
``〇`` (the numeral zero in 二〇二〇).
"""

from __future__ import annotations

import re

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"

# Candidate runs, found with one scan that starts on a mask character (fast: the common
# page has none); whether a run is a mask depends on its neighbours, checked in Python.
_CANDIDATE = re.compile(r"[*＊]+|[XＸ×xｘ]{2,}|某某+|[□■]+|○+")
_ANY_MASK_CHAR = re.compile("[*＊XＸ×xｘ某□■○]")  # one class: scans ~8x faster than _CANDIDATE
_HAN_CHAR = re.compile(f"[{_HAN}]")
_LATIN = re.compile(r"[A-Za-z0-9]")


def _is_han(text: str, i: int) -> bool:
    return 0 <= i < len(text) and _HAN_CHAR.match(text, i) is not None


def _is_latin(text: str, i: int) -> bool:
    return 0 <= i < len(text) and _LATIN.match(text, i) is not None


def _is_mask(text: str, start: int, end: int) -> bool:
    first = text[start]
    if first in "*＊":
        # ** and longer runs always; one star only inside a Han word (王*明), not 5*8
        return end - start >= 2 or (_is_han(text, start - 1) and _is_han(text, end))
    if first in "XＸ×xｘ":
        # 北京XX公司, XX公司, 某XX: Han on one side, never part of a Latin word (XXL, Xbox)
        return (
            not _is_latin(text, start - 1)
            and not _is_latin(text, end)
            and (_is_han(text, start - 1) or _is_han(text, end))
        )
    if first == "○":  # 王○明; alone, ○ is a bullet
        return _is_han(text, start - 1) or _is_han(text, end)
    return True  # 某某, □


#: a token that is or contains a mask; such tokens are never indexed
_MASK_TOKEN = re.compile(r"[*＊□■○]|某某|^[XＸ×xｘ]{2,}$")


def find_masks(text: str) -> list[tuple[int, int]]:
    """(start, end) spans of masks in ``text``, in order."""
    if not _ANY_MASK_CHAR.search(text):
        return []
    return [m.span() for m in _CANDIDATE.finditer(text) if _is_mask(text, *m.span())]


def count_masks(text: str) -> int:
    return len(find_masks(text))


def is_mask_token(token: str) -> bool:
    """True for a segmenter token that is (or carries) a mask, e.g. ``*``, ``XX``, ``某某人``."""
    return _MASK_TOKEN.search(token) is not None
