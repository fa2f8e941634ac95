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

MASK = re.compile(
    "|".join(
        (
            r"[*＊]{2,}",  # ** and longer runs
            rf"(?<=[{_HAN}])[*＊](?=[{_HAN}])",  # 王*明: one star inside a Han word
            rf"(?<=[{_HAN}])[XＸ×xｘ]{{2,}}(?![A-Za-z0-9])",  # 某XX公司 / 北京XX
            rf"(?<![A-Za-z0-9])[XＸ×xｘ]{{2,}}(?=[{_HAN}])",  # XX公司
            r"某某+",  # 某某 runs (某某公司, 张某某)
            r"[□■]+",  # □ boxes (not ○, also a list bullet; not 〇, a numeral)
            rf"(?<=[{_HAN}])○+|○+(?=[{_HAN}])",  # 王○明: Taiwan-style name masking
        )
    )
)
#: a token that is or contains a mask; such tokens are never indexed
_MASK_TOKEN = re.compile(r"[*＊□■○]|某某|^[XＸ×xｘ]{2,}$")


def find_masks(text: str) -> list[tuple[int, int]]:
    """(start, end) spans of masks in ``text``, in order."""
    return [m.span() for m in MASK.finditer(text)]


def count_masks(text: str) -> int:
    return sum(1 for _ in MASK.finditer(text))


def is_mask_token(token: str) -> bool:
    """True for a segmenter token that is (or carries) a mask, e.g. ``*``, ``XX``, ``某某人``."""
    return _MASK_TOKEN.search(token) is not None
